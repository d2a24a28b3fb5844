package cloud

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// monitorOnly keeps the backup scheduler out of the way so NextDeadline is
// always the monitor's timer.
var monitorOnly = ManagerConfig{BackupInterval: 24 * time.Hour}

var errNotRunning = &RPCError{Code: -32000, Message: "Sandbox is not running"}

// beat drives the monitor through n heartbeats (one
// interval each) and returns when the monitor handled the last one.
func (h *mgrHarness) beat(t *testing.T, n int) {
	t.Helper()
	for range n {
		before := h.api.count("heartbeat")
		h.waitTimers(t, 2)
		h.clk.Advance(30 * time.Second)
		// The monitor re-arms (or starts reconnecting, which also arms a
		// timer) once it handled the heartbeat.
		h.waitTimers(t, 2)
		if got := h.api.count("heartbeat"); got != before+1 {
			t.Fatalf("heartbeats %d → %d after one interval, want +1", before, got)
		}
	}
}

func TestHeartbeatSuccessEmitsHeartbeatEvent(t *testing.T) {
	h := newMgrHarness(t, monitorOnly)
	h.connect(t, "agent-1")
	for i := 1; i <= 3; i++ {
		if d, _ := h.clk.NextDeadline(); d != 30*time.Second {
			t.Fatalf("next heartbeat in %v, want 30s", d)
		}
		h.clk.Advance(30 * time.Second)
		h.rec.waitCount(t, EventHeartbeat, i)
		h.waitTimers(t, 2)
	}
	st := h.m.State()
	if st.LastHeartbeatAt == nil || !st.LastHeartbeatAt.Equal(h.clk.Now()) {
		t.Fatalf("LastHeartbeatAt = %v, want %v", st.LastHeartbeatAt, h.clk.Now())
	}
	// Heartbeats are not state changes.
	if got := h.rec.states(); len(got) != 2 {
		t.Fatalf("states = %v, want only connecting, connected", got)
	}
}

func TestHeartbeatFailuresStartReconnecting(t *testing.T) {
	h := newMgrHarness(t, monitorOnly)
	h.connect(t, "agent-1")
	h.api.fail("heartbeat", errNotRunning)

	h.beat(t, 2)
	if st := h.m.State(); st.State != StateConnected {
		t.Fatalf("after 2 failures state = %s, want still connected", st.State)
	}
	if _, err := h.m.Proxy(); err != nil {
		t.Fatalf("Proxy() after 2 failures: %v", err)
	}
	h.beat(t, 1)
	st := h.rec.waitState(t, "reconnecting", func(s State) bool { return s.State == StateReconnecting })
	if st.ReconnectAttempt != 1 || st.MaxReconnect != 10 || st.AgentID != "agent-1" {
		t.Fatalf("reconnecting state = %+v", st)
	}
	if !strings.Contains(st.LastError, "Sandbox is not running") {
		t.Errorf("reconnecting LastError = %q, want the heartbeat failure", st.LastError)
	}
	// Directly from connected, no flicker through error.
	want := []ConnState{StateConnecting, StateConnected, StateReconnecting}
	if got := h.rec.states(); !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if _, err := h.m.Proxy(); !errors.Is(err, ErrReconnecting) {
		t.Fatalf("Proxy() while reconnecting = %v, want ErrReconnecting", err)
	}
	if _, err := h.m.SnapshotNow(context.Background()); !errors.Is(err, ErrReconnecting) {
		t.Fatalf("SnapshotNow while reconnecting = %v, want ErrReconnecting", err)
	}
}

func TestHeartbeatSuccessResetsFailureCount(t *testing.T) {
	h := newMgrHarness(t, monitorOnly)
	h.connect(t, "agent-1")
	// fail, fail, ok, fail, fail: never three in a row.
	seq := []bool{false, false, true, false, false}
	for _, ok := range seq {
		if ok {
			h.api.on("heartbeat", nil)
		} else {
			h.api.fail("heartbeat", errNotRunning)
		}
		h.beat(t, 1)
	}
	if st := h.m.State(); st.State != StateConnected {
		t.Fatalf("state = %s, want connected", st.State)
	}
	if n := h.rec.count(EventHeartbeat); n != 1 {
		t.Fatalf("%d heartbeat events, want 1", n)
	}
}

// enterReconnecting connects and fails three heartbeats.
func (h *mgrHarness) enterReconnecting(t *testing.T) {
	t.Helper()
	h.connect(t, "agent-1")
	h.api.fail("heartbeat", errNotRunning)
	h.beat(t, 3)
	h.rec.waitState(t, "reconnecting", func(s State) bool { return s.State == StateReconnecting })
}

func TestReconnectDelaysThenGiveUp(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newMgrHarness(t, monitorOnly)
	h.enterReconnecting(t)

	wantDelays := []time.Duration{3, 6, 12, 24, 48, 60, 60, 60, 60, 60}
	for i, d := range wantDelays {
		attempt := i + 1
		st := h.rec.waitState(t, "attempt", func(s State) bool {
			return s.State == StateReconnecting && s.ReconnectAttempt == attempt
		})
		if st.MaxReconnect != 10 {
			t.Fatalf("MaxReconnect = %d", st.MaxReconnect)
		}
		h.waitTimers(t, 2) // scheduler + the wait before this attempt
		got, _ := h.clk.NextDeadline()
		if got != d*time.Second {
			t.Fatalf("wait before attempt %d = %v, want %v", attempt, got, d*time.Second)
		}
		// No heartbeat while waiting: only the 3 failed ones and one per
		// finished attempt.
		if hb := h.api.count("heartbeat"); hb != 3+i {
			t.Fatalf("before attempt %d: %d heartbeats, want %d", attempt, hb, 3+i)
		}
		h.clk.Advance(got - time.Millisecond)
		if hb := h.api.count("heartbeat"); hb != 3+i || h.api.count("provision") != 1+i {
			t.Fatalf("attempt %d ran before its delay", attempt)
		}
		h.clk.Advance(time.Millisecond)
	}
	h.rec.waitState(t, "disconnected", func(s State) bool { return s.State == StateDisconnected && s.LastError != "" })

	states := h.rec.states()
	tail := states[len(states)-3:]
	if !statesEqual(tail, []ConnState{StateReconnecting, StateError, StateDisconnected}) {
		t.Fatalf("states end with %v, want reconnecting, error, disconnected", tail)
	}
	// 1 connect + 10 attempts; every attempt re-provisioned and heartbeat.
	if p, hb := h.api.count("provision"), h.api.count("heartbeat"); p != 11 || hb != 13 {
		t.Fatalf("provision %d, heartbeat %d; want 11 and 13", p, hb)
	}
	st := h.m.State()
	if st.State != StateDisconnected || st.AgentID != "" || !strings.Contains(st.LastError, "after 10 attempts") ||
		!strings.Contains(st.LastError, "Sandbox is not running") {
		t.Fatalf("final state = %+v", st)
	}
	if _, err := h.m.Proxy(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Proxy() = %v", err)
	}
	// Scheduler and monitor are gone: no timers, nothing more happens.
	if n := h.clk.Pending(); n != 0 {
		t.Fatalf("%d timers armed after giving up", n)
	}
	events := len(h.rec.all())
	for range 50 {
		h.clk.Advance(time.Hour)
	}
	if len(h.rec.all()) != events || h.api.count("heartbeat") != 13 || h.api.count("snapshot") != 0 {
		t.Fatal("activity after giving up")
	}
	// The monitor's own goroutine is reaped by the next operation.
	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(h.rec.all()) != events {
		t.Fatal("Disconnect after giving up emitted events")
	}
}

func TestReconnectSuccessResumesHeartbeats(t *testing.T) {
	h := newMgrHarness(t, monitorOnly)
	h.connect(t, "agent-1")
	h.api.failNext("heartbeat", 4, errNotRunning) // 3 periodic + the first attempt's
	h.beat(t, 3)
	h.rec.waitState(t, "reconnecting", func(s State) bool { return s.State == StateReconnecting })
	h.waitTimers(t, 2)
	h.clk.Advance(3 * time.Second) // attempt 1 fails
	h.rec.waitState(t, "attempt 2", func(s State) bool { return s.ReconnectAttempt == 2 })
	h.waitTimers(t, 2)
	if d, _ := h.clk.NextDeadline(); d != 6*time.Second {
		t.Fatalf("wait before attempt 2 = %v, want 6s", d)
	}
	h.clk.Advance(6 * time.Second) // attempt 2 succeeds
	st := h.rec.waitState(t, "connected again", func(s State) bool {
		return s.State == StateConnected && s.LastHeartbeatAt != nil
	})
	if st.ReconnectAttempt != 0 || st.MaxReconnect != 0 || st.LastError != "" {
		t.Fatalf("reconnected state = %+v", st)
	}
	if !st.LastHeartbeatAt.Equal(h.clk.Now()) {
		t.Fatalf("LastHeartbeatAt = %v, want %v", st.LastHeartbeatAt, h.clk.Now())
	}
	want := []ConnState{StateConnecting, StateConnected, StateReconnecting, StateReconnecting, StateConnected}
	if got := h.rec.states(); !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if _, err := h.m.Proxy(); err != nil {
		t.Fatalf("Proxy() after reconnect: %v", err)
	}
	// Heartbeats resume one interval later, and the failure count starts
	// over: two failures right away do not reconnect.
	h.waitTimers(t, 2)
	if d, _ := h.clk.NextDeadline(); d != 30*time.Second {
		t.Fatalf("next heartbeat in %v, want 30s", d)
	}
	h.api.fail("heartbeat", errNotRunning)
	h.beat(t, 2)
	if st := h.m.State(); st.State != StateConnected {
		t.Fatalf("state = %s after 2 new failures, want connected", st.State)
	}
	h.api.on("heartbeat", nil)
	h.beat(t, 1)
	h.rec.waitCount(t, EventHeartbeat, 1)
}

func TestReconnectProvisionFailureCountsAsAttempt(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{BackupInterval: 24 * time.Hour, MaxReconnectAttempts: 2})
	h.enterReconnecting(t)
	h.api.fail("provision", &InsufficientCreditsError{Message: "Insufficient credits"})
	h.waitTimers(t, 2)
	h.clk.Advance(3 * time.Second)
	h.rec.waitState(t, "attempt 2", func(s State) bool { return s.ReconnectAttempt == 2 })
	h.waitTimers(t, 2)
	h.clk.Advance(6 * time.Second)
	st := h.rec.waitState(t, "disconnected", func(s State) bool { return s.State == StateDisconnected })
	if !strings.Contains(st.LastError, "Insufficient credits") || !strings.Contains(st.LastError, "after 2 attempts") {
		t.Fatalf("LastError = %q", st.LastError)
	}
	if hb := h.api.count("heartbeat"); hb != 3 {
		t.Fatalf("%d heartbeats, want 3 (a failed provision skips the attempt's heartbeat)", hb)
	}
}

func TestDisconnectWhileReconnecting(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newMgrHarness(t, monitorOnly)
	h.enterReconnecting(t)
	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	st := h.m.State()
	if st.State != StateDisconnected || st.LastError != "" || st.ReconnectAttempt != 0 {
		t.Fatalf("state = %+v", st)
	}
	if b := h.rec.backups(); len(b) != 1 || !b[0].Final {
		t.Fatalf("backups = %+v, want the final snapshot", b)
	}
	if n := h.clk.Pending(); n != 0 {
		t.Fatalf("%d timers armed after Disconnect", n)
	}
	for range 20 {
		h.clk.Advance(time.Minute)
	}
	if p := h.api.count("provision"); p != 1 {
		t.Fatalf("%d provisions: reconnect attempts continued after Disconnect", p)
	}
	if err := h.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectDuringHungHeartbeat(t *testing.T) {
	h := newMgrHarness(t, monitorOnly)
	h.connect(t, "agent-1")
	gate := newMgrGate()
	h.api.on("heartbeat", gate.hook)
	h.clk.Advance(30 * time.Second)
	gate.waitStarted(t)
	done := make(chan error, 1)
	go func() { done <- h.m.Disconnect(context.Background()) }()
	if err := await(t, done, "Disconnect deadlocked with the monitor's heartbeat"); err != nil {
		t.Fatal(err)
	}
	if st := h.m.State(); st.State != StateDisconnected || st.LastHeartbeatAt != nil {
		t.Fatalf("state = %+v", st)
	}
}
