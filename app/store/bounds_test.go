package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chatCounts is the number of chat messages and of distinct rooms.
func chatCounts(t *testing.T, d *DB) (msgs, rooms int) {
	t.Helper()
	if err := d.db.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT agent_id || '/' || room_id) FROM chat_messages`).Scan(&msgs, &rooms); err != nil {
		t.Fatal(err)
	}
	return msgs, rooms
}

// TestChatRoomFloodBounded: a client inventing a new room per message
// (roomId floods grew the database to 159 MB) cannot grow chat history
// past the room cap per agent, nor past the total cap over many agents.
func TestChatRoomFloodBounded(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	d.keep.chatPerRoom, d.keep.chatRooms, d.keep.chatTotal = 5, 10, 60
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(i int, agent, room string) {
		t.Helper()
		if err := d.AddChatMessage(ctx, ChatMessage{At: t0.Add(time.Duration(i) * time.Millisecond),
			AgentID: agent, RoomID: room, Role: "user", Text: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The user's own room, then a flood of 500 new rooms on one agent.
	for i := range 5 {
		add(i, "a", "web-chat")
	}
	for i := range 500 {
		add(10+i, "a", fmt.Sprint("flood-", i))
	}
	if msgs, rooms := chatCounts(t, d); rooms > 10 || msgs > 10*5 {
		t.Fatalf("after a flood of 500 rooms: %d messages in %d rooms, want at most 10 rooms", msgs, rooms)
	}
	// The newest rooms are the ones kept.
	if m, _ := d.ChatMessages(ctx, "a", "flood-499", 0); len(m) != 1 {
		t.Fatalf("newest room lost: %v", m)
	}
	if m, _ := d.ChatMessages(ctx, "a", "flood-0", 0); len(m) != 0 {
		t.Fatalf("oldest flood room kept: %v", m)
	}
	// Many agents, each under its own room cap: the total cap holds.
	for i := range 400 {
		add(1000+i, fmt.Sprint("agent-", i%40), fmt.Sprint("r", i%7))
	}
	if msgs, _ := chatCounts(t, d); msgs > 60 {
		t.Fatalf("after 400 messages over 40 agents: %d messages, want at most 60", msgs)
	}
	// A room in use keeps its newest messages.
	for i := range 20 {
		add(2000+i, "a", "web-chat")
	}
	if m, _ := d.ChatMessages(ctx, "a", "web-chat", 0); len(m) != 5 || m[4].Text != "m2019" {
		t.Fatalf("web-chat = %v", m)
	}
}

// TestChatBytesBounded: long messages are bounded by size, not only count.
func TestChatBytesBounded(t *testing.T) {
	ctx := context.Background()
	d, dir := openTemp(t)
	d.keep.chatBytes = 4 << 20
	big := strings.Repeat("x", 256<<10)
	for i := range 60 { // 15 MiB of text
		if err := d.AddChatMessage(ctx, ChatMessage{At: time.UnixMilli(int64(i)), AgentID: "a",
			RoomID: fmt.Sprint("r", i%3), Role: "agent", Text: big}); err != nil {
			t.Fatal(err)
		}
	}
	var used int64
	if err := d.db.QueryRow(`SELECT (SELECT page_count FROM pragma_page_count()) - (SELECT freelist_count FROM pragma_freelist_count())`).Scan(&used); err != nil {
		t.Fatal(err)
	}
	var pageSize int64
	_ = d.db.QueryRow(`PRAGMA page_size`).Scan(&pageSize)
	if used*pageSize > 5<<20 {
		t.Fatalf("database uses %d bytes after 15 MiB of chat, want about 4 MiB at most", used*pageSize)
	}
	if fi, err := os.Stat(filepath.Join(dir, FileName)); err == nil && fi.Size() > 8<<20 {
		t.Fatalf("database file is %d bytes", fi.Size())
	}
	if msgs, _ := chatCounts(t, d); msgs == 0 {
		t.Fatal("everything was pruned")
	}
}

// TestSecretGoneFromDiskAfterDelete: once DeleteSecret returns, the value
// is in no file of the data folder (database, -wal, -shm), without a
// clean close: a kill right after log-out must not leave the key behind.
func TestSecretGoneFromDiskAfterDelete(t *testing.T) {
	ctx := context.Background()
	d, dir := openTemp(t)
	key := "eliza_wal_secret_" + strings.Repeat("k", 40)
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", key); err != nil {
		t.Fatal(err)
	}
	// Traffic after the login, as the app makes, so the key's page has
	// been copied around.
	for i := range 50 {
		_ = d.AddBalanceSample(ctx, time.UnixMilli(int64(i)), float64(i))
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", key); err != nil {
		t.Fatal(err)
	}
	if folderHolding(t, dir, key) == "" {
		t.Fatal("the key is not on disk after SetSecret: the scan below would prove nothing")
	}
	if err := d.DeleteSecret(ctx, "ELIZAOS_CLOUD_API_KEY"); err != nil {
		t.Fatal(err)
	}
	_ = d.SetFlag(ctx, "logged_out", "1")
	if f := folderHolding(t, dir, key); f != "" {
		t.Fatalf("the key is still in %s after DeleteSecret", f)
	}
	// A replaced key is gone too.
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", key); err != nil {
		t.Fatal(err)
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", "eliza_other"); err != nil {
		t.Fatal(err)
	}
	if f := folderHolding(t, dir, key); f != "" {
		t.Fatalf("the replaced key is still in %s", f)
	}
}

// folderHolding returns the name of a file in dir that contains s, or "".
// It logs nothing: the Wine run (scripts/wine/test.sh) cannot tell a log
// line from a failure message in a test that Wine's temp-folder cleanup
// failed, so a log on success would be reported as a failure there.
func folderHolding(t *testing.T, dir, s string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(b, []byte(s)) {
			return e.Name()
		}
	}
	return ""
}
