package cloud

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// backupOnly keeps the monitor out of the way: heartbeats a day apart.
// backupOnly is the plain schedule (every interval), without heartbeats.
var backupOnly = ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: time.Minute, SkipWhenIdle: new(false)}

func TestBackupEveryInterval(t *testing.T) {
	h := newMgrHarness(t, backupOnly)
	h.connect(t, "agent-1")
	start := h.clk.Now()
	for i := 1; i <= 3; i++ {
		if d, _ := h.clk.NextDeadline(); d != time.Minute {
			t.Fatalf("tick %d: next deadline %v, want 1m", i, d)
		}
		h.clk.Advance(time.Minute)
		h.rec.waitCount(t, EventBackup, i)
		h.waitTimers(t, 2)
	}
	b := h.rec.backups()
	for i, r := range b {
		want := start.Add(time.Duration(i+1) * time.Minute)
		if !r.OK || r.Final || !r.At.Equal(want) || r.AgentID != "agent-1" {
			t.Fatalf("backup %d = %+v, want OK scheduled at %v", i, r, want)
		}
	}
	if n := h.api.count("snapshot"); n != 3 {
		t.Fatalf("%d snapshots, want 3", n)
	}
	st := h.m.State()
	if st.LastBackupAt == nil || !st.LastBackupAt.Equal(start.Add(3*time.Minute)) {
		t.Fatalf("LastBackupAt = %v", st.LastBackupAt)
	}
	if st.State != StateConnected {
		t.Fatalf("state = %s", st.State)
	}
}

func TestBackupFailureDoesNotStopSchedule(t *testing.T) {
	h := newMgrHarness(t, backupOnly)
	h.connect(t, "agent-1")
	h.api.failNext("snapshot", 2, &HTTPError{Status: 500, Message: "snapshot failed"})
	for i := 1; i <= 3; i++ {
		h.clk.Advance(time.Minute)
		h.rec.waitCount(t, EventBackup, i)
		h.waitTimers(t, 2)
	}
	b := h.rec.backups()
	if b[0].OK || b[1].OK || !b[2].OK || b[0].Error != "snapshot failed" {
		t.Fatalf("backups = %+v, want fail, fail, ok", b)
	}
	st := h.m.State()
	if st.State != StateConnected || st.LastBackupAt == nil || !st.LastBackupAt.Equal(b[2].At) {
		t.Fatalf("state = %+v (a failed backup must not disturb the connection)", st)
	}
	// The failures were not recorded as LastBackupAt.
	evs := h.rec.all()
	for _, e := range evs {
		if e.Kind == EventBackup && !e.Backup.OK && e.State.LastBackupAt != nil {
			t.Fatalf("failed backup set LastBackupAt: %+v", e.State)
		}
	}
}

func TestBackupTickSkippedWhileSnapshotRunning(t *testing.T) {
	h := newMgrHarness(t, backupOnly)
	h.connect(t, "agent-1")
	gate := newMgrGate()
	h.api.on("snapshot", gate.hook)

	h.clk.Advance(time.Minute) // tick 1: snapshot starts and blocks
	gate.waitStarted(t)
	h.waitTimers(t, 2)
	h.clk.Advance(time.Minute) // tick 2: skipped
	h.waitTimers(t, 2)         // the scheduler handled the tick and re-armed
	h.clk.Advance(time.Minute) // tick 3: skipped too
	h.waitTimers(t, 2)
	if n := h.api.count("snapshot"); n != 1 {
		t.Fatalf("%d snapshots started while one was running, want 1", n)
	}
	close(gate.release)
	h.rec.waitCount(t, EventBackup, 1)

	h.api.on("snapshot", nil)
	h.clk.Advance(time.Minute) // tick 4: runs again
	h.rec.waitCount(t, EventBackup, 2)
	if n := h.api.count("snapshot"); n != 2 {
		t.Fatalf("%d snapshots, want 2", n)
	}
	if n := h.api.maxConcurrentSnapshots(); n != 1 {
		t.Fatalf("%d snapshots overlapped", n)
	}
}

func TestDisconnectWaitsForRunningSnapshot(t *testing.T) {
	h, gate := scheduledSnapshotRunning(t)

	done := make(chan error, 1)
	go func() { done <- h.m.Disconnect(context.Background()) }()
	h.waitTimers(t, 3) // Disconnect armed its final-snapshot bound and waits
	select {
	case <-done:
		t.Fatal("Disconnect returned while the scheduled snapshot was still running")
	default:
	}
	if n := h.api.count("snapshot"); n != 1 {
		t.Fatalf("final snapshot overlapped the running one (%d calls)", n)
	}
	close(gate.release) // the scheduled one finishes, then the final runs
	if err := await(t, done, "Disconnect did not finish"); err != nil {
		t.Fatal(err)
	}
	b := h.rec.backups()
	if len(b) != 2 || !b[0].OK || b[0].Final || !b[1].OK || !b[1].Final {
		t.Fatalf("backups = %+v, want scheduled then final", b)
	}
	if n := h.api.maxConcurrentSnapshots(); n != 1 {
		t.Fatalf("%d snapshots overlapped", n)
	}
}

func TestScheduledSnapshotCancelledByDisconnectIsNotReported(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: time.Minute, FinalSnapshotTimeout: 5 * time.Second, SkipWhenIdle: new(false)})
	h.connect(t, "agent-1")
	gate := newMgrGate() // never released: the snapshot hangs until cancelled
	h.api.on("snapshot", gate.hook)
	h.clk.Advance(time.Minute)
	gate.waitStarted(t)
	done := make(chan error, 1)
	go func() { done <- h.m.Disconnect(context.Background()) }()
	h.waitTimers(t, 3)
	h.clk.Advance(5 * time.Second) // the final snapshot gives up waiting
	await(t, done, "Disconnect did not finish")
	b := h.rec.backups()
	// One report: the final one (timed out waiting); the cancelled scheduled
	// snapshot is not reported as a failure.
	if len(b) != 1 || !b[0].Final || b[0].OK || !strings.Contains(b[0].Error, "wait for the running snapshot") {
		t.Fatalf("backups = %+v", b)
	}
}

func TestSnapshotNow(t *testing.T) {
	h := newMgrHarness(t, backupOnly)
	if _, err := h.m.SnapshotNow(context.Background()); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("SnapshotNow disconnected = %v, want ErrNotConnected", err)
	}
	h.connect(t, "agent-1")
	res, err := h.m.SnapshotNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK || res.Final || res.BackupID != "bk-1" || res.AgentID != "agent-1" {
		t.Fatalf("result = %+v", res)
	}
	if b := h.rec.backups(); len(b) != 1 || b[0].BackupID != "bk-1" {
		t.Fatalf("backup events = %+v", b)
	}
	if st := h.m.State(); st.LastBackupAt == nil || !st.LastBackupAt.Equal(res.At) {
		t.Fatalf("LastBackupAt = %v", st.LastBackupAt)
	}

	h.api.fail("snapshot", &HTTPError{Status: 402, Message: "Insufficient credits"})
	res, err = h.m.SnapshotNow(context.Background())
	if !errors.Is(err, ErrInsufficientCredits) || res == nil || res.OK || res.Error != "Insufficient credits" {
		t.Fatalf("SnapshotNow failure = %+v, %v", res, err)
	}
	if h.m.State().State != StateConnected {
		t.Fatal("a failed manual snapshot changed the connection state")
	}
}

func TestSnapshotNowWaitsForScheduledSnapshot(t *testing.T) {
	h, gate := scheduledSnapshotRunning(t)

	// A caller that gives up while waiting gets its context's error and no
	// second snapshot starts.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.m.SnapshotNow(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("SnapshotNow = %v, want context.Canceled", err)
	}
	if n := h.api.count("snapshot"); n != 1 {
		t.Fatalf("%d snapshot calls, want 1 (no overlap)", n)
	}
	// A patient caller gets its snapshot once the scheduled one finished.
	done := make(chan error, 1)
	go func() { _, err := h.m.SnapshotNow(context.Background()); done <- err }()
	close(gate.release)
	if err := await(t, done, "SnapshotNow did not finish"); err != nil {
		t.Fatal(err)
	}
	if n, c := h.api.count("snapshot"), h.api.maxConcurrentSnapshots(); n != 2 || c != 1 {
		t.Fatalf("snapshot calls %d, max concurrent %d; want 2 and 1", n, c)
	}
}

// scheduledSnapshotRunning is a manager connected to agent-1 whose first
// scheduled snapshot has started and waits on gate.
func scheduledSnapshotRunning(t *testing.T) (*mgrHarness, *mgrGate) {
	t.Helper()
	h := newMgrHarness(t, backupOnly)
	h.connect(t, "agent-1")
	gate := newMgrGate()
	h.api.on("snapshot", gate.hook)
	h.clk.Advance(time.Minute)
	gate.waitStarted(t)
	return h, gate
}
