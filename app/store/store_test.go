package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

func openTemp(t *testing.T) (*DB, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d, dir
}

func TestMigrationsIdempotentAcrossReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id1, err := d.LocalAgent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(id1); err != nil {
		t.Fatalf("local agent id %q is not a UUID: %v", id1, err)
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", "eliza_k"); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		d, err = Open(dir)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		v, err := d.SchemaVersion(ctx)
		if err != nil || v != len(migrations) {
			t.Fatalf("schema version = %d, %v; want %d", v, err, len(migrations))
		}
		var rows int
		if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&rows); err != nil || rows != len(migrations) {
			t.Fatalf("schema_migrations rows = %d, %v", rows, err)
		}
		id2, err := d.LocalAgent(ctx)
		if err != nil || id2 != id1 {
			t.Fatalf("local agent after reopen = %q, %v; want %q", id2, err, id1)
		}
		if v, ok, err := d.Secret(ctx, "ELIZAOS_CLOUD_API_KEY"); err != nil || !ok || v != "eliza_k" {
			t.Fatalf("secret after reopen = %q %v %v", v, ok, err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	ctx := context.Background()
	d, dir := openTemp(t)
	if _, err := d.db.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)`); err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v", err)
	}
}

func TestOpenRejectsNonDatabase(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, FileName)) {
		t.Fatalf("Open of garbage: err = %v; want an error naming the file", err)
	}
}

func TestSecretsRoundTrip(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	if _, ok, err := d.Secret(ctx, "ELIZAOS_CLOUD_API_KEY"); ok || err != nil {
		t.Fatalf("secret before set: ok=%v err=%v", ok, err)
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", "eliza_1"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_ENABLED", "true"); err != nil {
		t.Fatal(err)
	}
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", "eliza_2"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := d.Secret(ctx, "ELIZAOS_CLOUD_API_KEY"); err != nil || !ok || v != "eliza_2" {
		t.Fatalf("secret = %q %v %v; want the overwritten value", v, ok, err)
	}
	if err := d.DeleteSecret(ctx, "ELIZAOS_CLOUD_API_KEY"); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := d.Secret(ctx, "ELIZAOS_CLOUD_API_KEY"); ok || err != nil || v != "" {
		t.Fatalf("secret after delete = %q %v %v", v, ok, err)
	}
	if v, ok, _ := d.Secret(ctx, "ELIZAOS_CLOUD_ENABLED"); !ok || v != "true" {
		t.Fatalf("other secret lost: %q %v", v, ok)
	}
	if err := d.DeleteSecret(ctx, "never-set"); err != nil {
		t.Fatalf("deleting a missing secret: %v", err)
	}
	// Secrets belong to the local agent record (foreign key enforced).
	if _, err := d.db.ExecContext(ctx, `INSERT INTO agent_secrets (agent_uuid, name, value, updated_at) VALUES ('other', 'x', 'y', 0)`); err == nil {
		t.Error("a secret for an unknown agent was accepted: foreign keys are off")
	}
}

func TestFlags(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	if _, ok, err := d.Flag(ctx, "logged_out"); ok || err != nil {
		t.Fatalf("flag before set: %v %v", ok, err)
	}
	for _, v := range []string{"1", "0"} {
		if err := d.SetFlag(ctx, "logged_out", v); err != nil {
			t.Fatal(err)
		}
		if got, ok, err := d.Flag(ctx, "logged_out"); got != v || !ok || err != nil {
			t.Fatalf("flag = %q %v %v; want %q", got, ok, err, v)
		}
	}
	if err := d.DeleteFlag(ctx, "logged_out"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := d.Flag(ctx, "logged_out"); ok {
		t.Fatal("flag still set after delete")
	}
}

func TestFileAndFolderModes(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "a", "milady-cloud")
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", "eliza_x"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Dir(dir), dir} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, err %v; want 0700", p, fi.Mode().Perm(), err)
		}
	}
	for _, p := range []string{d.Path(), d.Path() + "-wal"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", p, fi.Mode().Perm())
		}
	}
	var mode string
	if err := d.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
}

func TestExistingFolderAndFileModes(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(filepath.Join(dir, FileName), 0o644)
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o755 {
		t.Errorf("existing folder mode changed to %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(d.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("existing database file mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestPathWithURLCharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir%20")
	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := os.Stat(filepath.Join(dir, FileName)); err != nil {
		t.Fatalf("database not at the literal path: %v", err)
	}
}

func TestBalanceSamplesOrderAndLimits(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	// Inserted out of order; read back in time order.
	for _, i := range []int{3, 1, 4, 0, 2} {
		if err := d.AddBalanceSample(ctx, t0.Add(time.Duration(i)*time.Minute), float64(10-i)); err != nil {
			t.Fatal(err)
		}
	}
	all, err := d.BalanceSamples(ctx, time.Time{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 {
		t.Fatalf("got %d samples, want 5", len(all))
	}
	for i, s := range all {
		if !s.At.Equal(t0.Add(time.Duration(i)*time.Minute)) || s.Balance != float64(10-i) {
			t.Errorf("sample %d = %+v", i, s)
		}
	}
	last2, _ := d.BalanceSamples(ctx, time.Time{}, 2)
	if len(last2) != 2 || last2[0].Balance != 7 || last2[1].Balance != 6 {
		t.Errorf("limit 2 = %+v; want the two newest, oldest first", last2)
	}
	since, _ := d.BalanceSamples(ctx, t0.Add(3*time.Minute), 0)
	if len(since) != 2 || since[0].Balance != 7 {
		t.Errorf("since t0+3m = %+v", since)
	}
	// A sample 31 days later drops everything older than 30 days.
	if err := d.AddBalanceSample(ctx, t0.Add(31*24*time.Hour), 1.25); err != nil {
		t.Fatal(err)
	}
	all, _ = d.BalanceSamples(ctx, time.Time{}, 0)
	if len(all) != 1 || all[0].Balance != 1.25 {
		t.Errorf("after 31 days: %+v; want only the new sample", all)
	}
}

func TestBalanceRowCap(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	d.keep.balanceRows = 10
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 25 {
		if err := d.AddBalanceSample(ctx, t0.Add(time.Duration(i)*time.Second), float64(i)); err != nil {
			t.Fatal(err)
		}
	}
	all, _ := d.BalanceSamples(ctx, time.Time{}, 0)
	if len(all) != 10 || all[0].Balance != 15 || all[9].Balance != 24 {
		t.Errorf("kept %d samples (%v…); want the newest 10", len(all), all)
	}
}

func TestConnectionEvents(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	d.keep.connEvents = 4
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	states := []string{"connecting", "connected", "reconnecting", "connected", "reconnecting", "error", "disconnected"}
	for i, s := range states {
		if err := d.AddConnectionEvent(ctx, t0.Add(time.Duration(i)*time.Second), "agent-1", s, fmt.Sprint("step ", i)); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := d.ConnectionEvents(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 4 {
		t.Fatalf("kept %d events, want 4", len(evs))
	}
	want := states[3:]
	for i, e := range evs {
		if e.State != want[i] || e.AgentID != "agent-1" || e.Detail != fmt.Sprint("step ", i+3) {
			t.Errorf("event %d = %+v, want state %s", i, e, want[i])
		}
	}
	two, _ := d.ConnectionEvents(ctx, 2)
	if len(two) != 2 || two[1].State != "disconnected" {
		t.Errorf("limit 2 = %+v", two)
	}
}

func TestBackups(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	d.keep.backupsPer = 3
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	size := int64(4096)
	for i := range 5 {
		r := BackupRecord{At: t0.Add(time.Duration(i) * time.Minute), AgentID: "a", OK: i%2 == 0, BackupID: fmt.Sprint("b", i)}
		if r.OK {
			r.SizeBytes = &size
		} else {
			r.Error = "HTTP 500"
		}
		if err := d.AddBackup(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddBackup(ctx, BackupRecord{At: t0, AgentID: "b", OK: true, Final: true}); err != nil {
		t.Fatal(err)
	}
	a, err := d.Backups(ctx, "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 3 || a[0].BackupID != "b2" || a[2].BackupID != "b4" {
		t.Fatalf("agent a backups = %+v; want b2..b4", a)
	}
	if !a[0].OK || a[0].SizeBytes == nil || *a[0].SizeBytes != 4096 || a[1].OK || a[1].SizeBytes != nil || a[1].Error != "HTTP 500" {
		t.Errorf("fields not kept: %+v", a)
	}
	b, _ := d.Backups(ctx, "b", 0)
	if len(b) != 1 || !b[0].Final {
		t.Errorf("agent b backups = %+v (pruning one agent must not touch another)", b)
	}
	if all, _ := d.Backups(ctx, "", 0); len(all) != 4 {
		t.Errorf("all backups = %d, want 4", len(all))
	}
}

func TestChatMessages(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	if d.keep.chatPerRoom != 1000 {
		t.Errorf("chat kept per room = %d; the doc comment says 1,000", d.keep.chatPerRoom)
	}
	d.keep.chatPerRoom = 40
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	n := d.keep.chatPerRoom + 5
	for i := range n {
		role := "user"
		if i%2 == 1 {
			role = "agent"
		}
		if err := d.AddChatMessage(ctx, ChatMessage{At: t0.Add(time.Duration(i) * time.Millisecond), AgentID: "a", RoomID: "web-chat", Role: role, Text: fmt.Sprint("m", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.AddChatMessage(ctx, ChatMessage{At: t0, AgentID: "a", RoomID: "other", Role: "user", Text: "elsewhere"}); err != nil {
		t.Fatal(err)
	}
	msgs, err := d.ChatMessages(ctx, "a", "web-chat", 5000)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != d.keep.chatPerRoom {
		t.Fatalf("kept %d messages, want %d", len(msgs), d.keep.chatPerRoom)
	}
	if msgs[0].Text != "m5" || msgs[len(msgs)-1].Text != fmt.Sprint("m", n-1) {
		t.Errorf("kept %s..%s, want the newest, oldest first", msgs[0].Text, msgs[len(msgs)-1].Text)
	}
	last, _ := d.ChatMessages(ctx, "a", "web-chat", 2)
	if len(last) != 2 || last[0].Role != "agent" || last[1].Role != "user" || last[1].Text != fmt.Sprint("m", n-1) {
		t.Errorf("last 2 = %+v", last)
	}
	other, _ := d.ChatMessages(ctx, "a", "other", 0)
	if len(other) != 1 || other[0].Text != "elsewhere" {
		t.Errorf("other room = %+v", other)
	}
	if err := d.AddChatMessage(ctx, ChatMessage{AgentID: "a", RoomID: "r", Role: "system", Text: "x"}); err == nil {
		t.Error("role system accepted")
	}
}

func TestSameTimestampKeepsInsertionOrder(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 {
		if err := d.AddChatMessage(ctx, ChatMessage{At: at, AgentID: "a", RoomID: "r", Role: "user", Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	msgs, _ := d.ChatMessages(ctx, "a", "r", 0)
	for i, m := range msgs {
		if m.Text != fmt.Sprint(i) {
			t.Fatalf("order = %v", msgs)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	ctx := context.Background()
	d, _ := openTemp(t)
	const workers, each = 8, 25
	ids := make([]string, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := d.LocalAgent(ctx)
			if err != nil {
				errs <- err
				return
			}
			ids[w] = id
			for i := range each {
				at := t0.Add(time.Duration(w*each+i) * time.Millisecond)
				errs <- d.AddBalanceSample(ctx, at, float64(i))
				errs <- d.AddChatMessage(ctx, ChatMessage{At: at, AgentID: "a", RoomID: fmt.Sprint("r", w), Role: "user", Text: "hi"})
				errs <- d.SetSecret(ctx, fmt.Sprint("S", w), fmt.Sprint(i))
				_, err := d.BalanceSamples(ctx, time.Time{}, 10)
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent write: %v", err)
		}
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("LocalAgent returned different ids concurrently: %v", ids)
		}
	}
	all, _ := d.BalanceSamples(ctx, time.Time{}, 10_000)
	if len(all) != workers*each {
		t.Errorf("%d samples, want %d", len(all), workers*each)
	}
	for w := range workers {
		if v, ok, _ := d.Secret(ctx, fmt.Sprint("S", w)); !ok || v != fmt.Sprint(each-1) {
			t.Errorf("secret S%d = %q %v", w, v, ok)
		}
	}
}

func TestDataDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	home := "/home/u"
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MILADY_STATE_DIR": "/state", "XDG_DATA_HOME": "/data"}, "/state"},
		{map[string]string{"MILADY_STATE_DIR": "~/x"}, "/home/u/x"},
		{map[string]string{"XDG_DATA_HOME": "/data"}, "/data/milady-cloud"},
		{map[string]string{"XDG_DATA_HOME": "relative"}, "/home/u/.local/share/milady-cloud"},
		{map[string]string{}, "/home/u/.local/share/milady-cloud"},
	}
	for _, tc := range cases {
		if got := DataDir(env(tc.env), home); got != tc.want {
			t.Errorf("DataDir(%v) = %q, want %q", tc.env, got, tc.want)
		}
	}
}

func TestClosedDBErrors(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	_ = d.Close()
	if _, _, err := d.Secret(context.Background(), "x"); err == nil || !errors.Is(err, sql.ErrConnDone) && !strings.Contains(err.Error(), "closed") {
		t.Errorf("Secret on a closed DB: %v", err)
	}
}
