package app

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
)

// newBareService is a Service over temporary files that is never started:
// enough to publish and subscribe.
func newBareService(t *testing.T) *Service {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Open(filepath.Join(dir, "milady.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	s, err := New(Options{Config: cfg, DB: db, BaseURL: "https://www.elizacloud.ai"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestPublishDeliversInSnapshotOrder: many goroutines publish at once
// (notices, settings, the manager's heartbeats) while a subscriber reads.
// Every event reaches it in the order its snapshot was taken: the numbers
// strictly increase, and so does the notice count they carry, so a face
// rendering the last event it got always renders the newest state.
func TestPublishDeliversInSnapshotOrder(t *testing.T) {
	s := newBareService(t)
	sub := s.Subscribe()
	defer sub.Close()

	const publishers, each = 8, 150
	const endMarker = "end of test"
	type got struct {
		typ     string
		seq     uint64
		notices int
	}
	received := make(chan []got, 1)
	go func() {
		var all []got
		for ev := range sub.C() {
			all = append(all, got{ev.Type, ev.Snapshot.Seq, ev.Snapshot.NoticeCount})
			if d, ok := ev.Data.(BackupEvent); ok && d.Error == endMarker {
				break
			}
		}
		received <- all
	}()

	var wg sync.WaitGroup
	for p := range publishers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				switch i % 3 {
				case 0:
					s.notice(Notice{Kind: "info", Level: "info", Message: fmt.Sprintf("%d/%d", p, i)}, false)
				case 1:
					s.publishSettings()
				case 2:
					at := time.Unix(int64(i), 0)
					s.onManagerEvent(cloud.Event{Kind: cloud.EventHeartbeat, State: cloud.State{State: cloud.StateConnected, AgentID: "a1", LastHeartbeatAt: &at}})
				}
			}
		}()
	}
	wg.Wait()
	s.publish(EventBackup, BackupEvent{Error: endMarker})

	var all []got
	select {
	case all = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the end marker never arrived")
	}
	if len(all) < 2 || all[0].typ != EventSnapshot {
		t.Fatalf("received %d events, first %+v", len(all), all)
	}
	for i := 1; i < len(all); i++ {
		prev, cur := all[i-1], all[i]
		if cur.seq <= prev.seq || cur.notices < prev.notices {
			t.Fatalf("event %d (%s seq %d, %d notices) delivered after %s seq %d with %d notices",
				i, cur.typ, cur.seq, cur.notices, prev.typ, prev.seq, prev.notices)
		}
	}
	if last := all[len(all)-1]; last.notices != publishers*((each+2)/3) {
		t.Errorf("last event carries %d notices, want %d", last.notices, publishers*((each+2)/3))
	}
}
