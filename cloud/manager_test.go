package cloud

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestDefaultManagerConfig(t *testing.T) {
	want := ManagerConfig{
		HeartbeatInterval: 30 * time.Second, ReconnectInterval: 3 * time.Second,
		MaxReconnectDelay: 60 * time.Second, MaxReconnectAttempts: 10, MaxHeartbeatFailures: 3,
		BackupInterval: 60 * time.Second, FinalSnapshotTimeout: 10 * time.Second, JobWait: 15 * time.Minute,
	}
	for name, got := range map[string]ManagerConfig{"DefaultManagerConfig()": DefaultManagerConfig(), "zero config with defaults": (ManagerConfig{}).withDefaults()} {
		if got.SkipWhenIdle == nil || !*got.SkipWhenIdle || !got.skipIdle() {
			t.Errorf("%s: SkipWhenIdle = %v, want true", name, got.SkipWhenIdle)
		}
		got.SkipWhenIdle = nil
		if got != want {
			t.Fatalf("%s = %+v, want %+v", name, got, want)
		}
	}
	if (ManagerConfig{SkipWhenIdle: new(false)}).withDefaults().skipIdle() {
		t.Error("SkipWhenIdle=false was overridden by the default")
	}
	custom := ManagerConfig{HeartbeatInterval: time.Second, MaxReconnectAttempts: 2}
	got := custom.withDefaults()
	if got.HeartbeatInterval != time.Second || got.MaxReconnectAttempts != 2 || got.BackupInterval != 60*time.Second {
		t.Fatalf("withDefaults overwrote or missed fields: %+v", got)
	}
}

func TestNewManagerStartsDisconnected(t *testing.T) {
	m := NewManager(ManagerOptions{})
	if st := m.State(); st.State != StateDisconnected || st.Since.IsZero() {
		t.Fatalf("initial state = %+v", st)
	}
	if m.HasAPI() {
		t.Fatal("HasAPI() = true without SetAPI")
	}
	if _, err := m.Proxy(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Proxy() error = %v, want ErrNotConnected", err)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestConnectEmitsConnectingThenConnected(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")

	if got, want := h.rec.states(), []ConnState{StateConnecting, StateConnected}; !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	first := h.rec.all()[0].State
	if first.AgentID != "agent-1" {
		t.Errorf("connecting event has AgentID %q", first.AgentID)
	}
	st := h.m.State()
	if st.State != StateConnected || st.AgentID != "agent-1" || st.AgentName != "name-agent-1" || st.LastError != "" {
		t.Fatalf("state = %+v", st)
	}
	if h.api.count("provision") != 1 || h.api.count("get") != 1 {
		t.Fatalf("provision/get calls = %d/%d, want 1/1", h.api.count("provision"), h.api.count("get"))
	}
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatalf("Proxy(): %v", err)
	}
	if p.AgentID() != "agent-1" || p.AgentName() != "name-agent-1" {
		t.Fatalf("proxy = %s/%s", p.AgentID(), p.AgentName())
	}
	// Heartbeat and backup are due one interval after connecting, not at once.
	if d, ok := h.clk.NextDeadline(); !ok || d != 30*time.Second {
		t.Fatalf("next deadline = %v,%v, want 30s (first heartbeat)", d, ok)
	}
	if h.api.count("heartbeat") != 0 || h.api.count("snapshot") != 0 {
		t.Fatal("heartbeat or snapshot sent before the first interval")
	}
}

func TestConnectWithoutAPIIsNotConfigured(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.m.SetAPI(nil)
	err := h.m.Connect(context.Background(), "agent-1")
	if !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Connect error = %v, want ErrNotConfigured", err)
	}
	if n := len(h.rec.all()); n != 0 {
		t.Fatalf("%d events emitted, want none (state untouched)", n)
	}
	if st := h.m.State(); st.State != StateDisconnected || st.LastError != "" {
		t.Fatalf("state = %+v", st)
	}
}

func TestConnectEmptyAgentID(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	if err := h.m.Connect(context.Background(), ""); err == nil {
		t.Fatal("Connect(\"\") succeeded")
	}
	if len(h.rec.all()) != 0 {
		t.Fatal("events emitted for an empty agent id")
	}
}

func TestConnectFailure(t *testing.T) {
	credits := &InsufficientCreditsError{Message: "Insufficient credits", RequiredBalance: 5, CurrentBalance: 1}
	notFound := &HTTPError{Status: http.StatusNotFound, Message: "Agent not found"}
	upstream := &HTTPError{Status: http.StatusInternalServerError, Message: "boom"}
	cases := []struct {
		name, method string
		err, kind    error
	}{
		{"provision 402", "provision", credits, ErrInsufficientCredits},
		{"provision 404", "provision", notFound, ErrNotFound},
		{"get agent 500", "get", upstream, ErrUpstream},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			h := newMgrHarness(t, ManagerConfig{})
			h.api.fail(tc.method, tc.err)

			err := h.m.Connect(context.Background(), "agent-1")
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Connect error = %v, want errors.Is %v", err, tc.kind)
			}
			if !strings.Contains(err.Error(), "agent-1") {
				t.Errorf("error %q does not name the agent", err)
			}
			want := []ConnState{StateConnecting, StateError, StateDisconnected}
			if got := h.rec.states(); !statesEqual(got, want) {
				t.Fatalf("states = %v, want %v", got, want)
			}
			evs := h.rec.all()
			if evs[1].State.LastError != tc.err.Error() {
				t.Errorf("error event LastError = %q, want %q", evs[1].State.LastError, tc.err.Error())
			}
			st := h.m.State()
			if st.State != StateDisconnected || st.LastError != tc.err.Error() || st.AgentID != "" {
				t.Fatalf("final state = %+v, want disconnected with LastError kept", st)
			}
			if _, err := h.m.Proxy(); !errors.Is(err, ErrNotConnected) {
				t.Fatalf("Proxy() error = %v", err)
			}
			if n := h.clk.Pending(); n != 0 {
				t.Fatalf("%d timers still armed after a failed connect", n)
			}
			if h.api.count("snapshot") != 0 {
				t.Fatal("a failed connect took a snapshot")
			}
			// Disconnect after a failure is a no-op.
			if err := h.m.Disconnect(context.Background()); err != nil || len(h.rec.all()) != 3 {
				t.Fatalf("Disconnect after failure: err=%v events=%d", err, len(h.rec.all()))
			}
			if err := h.m.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestConnectCanceledByCaller(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.api.on("provision", blockUntilCtx)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(ctx, "agent-1") }()
	h.rec.waitState(t, "connecting", func(s State) bool { return s.State == StateConnecting })
	cancel()
	if err := await(t, done, "Connect did not return after its context was cancelled"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Connect error = %v, want context.Canceled", err)
	}
	if got, want := h.rec.states(), []ConnState{StateConnecting, StateError, StateDisconnected}; !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
}

func TestDisconnectAbortsConnectInProgress(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.api.on("provision", blockUntilCtx)
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(context.Background(), "agent-1") }()
	h.rec.waitState(t, "connecting", func(s State) bool { return s.State == StateConnecting })
	if _, err := h.m.Proxy(); !errors.Is(err, ErrReconnecting) {
		t.Fatalf("Proxy() while connecting = %v, want ErrReconnecting", err)
	}
	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := await(t, done, "Connect did not return after Disconnect"); err == nil {
		t.Fatal("aborted Connect returned nil")
	}
	// A user abort is not a failure: no error state, no error kept.
	if got, want := h.rec.states(), []ConnState{StateConnecting, StateDisconnected}; !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if st := h.m.State(); st.State != StateDisconnected || st.LastError != "" {
		t.Fatalf("state = %+v", st)
	}
}

func TestConnectSameAgentIsNoop(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	if err := h.m.Connect(context.Background(), "agent-1"); err != nil {
		t.Fatal(err)
	}
	if n := len(h.rec.all()); n != 2 {
		t.Fatalf("%d events, want 2 (second connect is a no-op)", n)
	}
	if h.api.count("provision") != 1 || h.api.count("snapshot") != 0 {
		t.Fatal("second connect to the same agent provisioned or snapshotted")
	}
}

func TestConnectOtherAgentDisconnectsFirst(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-a")
	h.connect(t, "agent-b")

	want := []ConnState{StateConnecting, StateConnected, StateDisconnected, StateConnecting, StateConnected}
	if got := h.rec.states(); !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if got := h.api.callsOf("snapshot"); len(got) != 1 || got[0] != "agent-a" {
		t.Fatalf("snapshots = %v, want one final snapshot of agent-a", got)
	}
	b := h.rec.backups()
	if len(b) != 1 || !b[0].Final || !b[0].OK || b[0].AgentID != "agent-a" {
		t.Fatalf("backup events = %+v", b)
	}
	// The final backup comes before the old agent's disconnected event.
	evs := h.rec.all()
	if evs[2].Kind != EventBackup || evs[3].State.State != StateDisconnected {
		t.Fatalf("event order: %v then %v", evs[2].Kind, evs[3].State.State)
	}
	if st := h.m.State(); st.AgentID != "agent-b" || st.LastBackupAt != nil {
		t.Fatalf("state = %+v (LastBackupAt must belong to the new session)", st)
	}
	if h.clk.Pending() != 2 {
		t.Fatalf("%d timers armed, want 2 (only the new session's)", h.clk.Pending())
	}
}

func TestDisconnectTakesOneFinalSnapshotAndStops(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	// One heartbeat so there is something to stop.
	h.clk.Advance(30 * time.Second)
	h.rec.waitCount(t, EventHeartbeat, 1)
	h.waitTimers(t, 2)

	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := h.api.count("snapshot"); n != 1 {
		t.Fatalf("%d snapshots, want exactly 1 final", n)
	}
	b := h.rec.backups()
	if len(b) != 1 || !b[0].Final || !b[0].OK || b[0].BackupID != "bk-1" || b[0].SizeBytes == nil {
		t.Fatalf("backup events = %+v", b)
	}
	st := h.m.State()
	if st.State != StateDisconnected || st.AgentID != "" || st.AgentName != "" || st.LastError != "" {
		t.Fatalf("state = %+v", st)
	}
	if _, err := h.m.Proxy(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Proxy() = %v", err)
	}
	if n := h.clk.Pending(); n != 0 {
		t.Fatalf("%d timers armed after Disconnect", n)
	}
	hb := h.api.count("heartbeat")
	for range 100 {
		h.clk.Advance(time.Minute)
	}
	if h.api.count("heartbeat") != hb || h.api.count("snapshot") != 1 {
		t.Fatal("heartbeats or backups continued after Disconnect")
	}
	// Disconnect again: nothing connected, nothing happens.
	n := len(h.rec.all())
	if err := h.m.Disconnect(context.Background()); err != nil || len(h.rec.all()) != n {
		t.Fatalf("second Disconnect: err=%v, events %d → %d", err, n, len(h.rec.all()))
	}
}

func TestDisconnectFinalSnapshotFailureIsReported(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	h.api.fail("snapshot", &HTTPError{Status: 500, Message: "disk full"})
	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatalf("Disconnect returned the snapshot failure: %v", err)
	}
	b := h.rec.backups()
	if len(b) != 1 || b[0].OK || !b[0].Final || b[0].Error != "disk full" {
		t.Fatalf("backup events = %+v", b)
	}
	if st := h.m.State(); st.State != StateDisconnected {
		t.Fatalf("state = %+v", st)
	}
}

func TestDisconnectFinalSnapshotIsBounded(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	h.api.on("snapshot", blockUntilCtx)
	done := make(chan error, 1)
	go func() { done <- h.m.Disconnect(context.Background()) }()
	// Scheduler + monitor + the final snapshot's 10 s bound.
	h.waitTimers(t, 3)
	if d, _ := h.clk.NextDeadline(); d != 10*time.Second {
		t.Fatalf("next deadline = %v, want the 10s final-snapshot bound", d)
	}
	h.clk.Advance(10 * time.Second)
	if err := await(t, done, "Disconnect blocked on a hung final snapshot"); err != nil {
		t.Fatal(err)
	}
	b := h.rec.backups()
	if len(b) != 1 || b[0].OK || !b[0].Final || !strings.Contains(b[0].Error, "timed out") {
		t.Fatalf("backup events = %+v", b)
	}
	if st := h.m.State(); st.State != StateDisconnected {
		t.Fatalf("state = %+v", st)
	}
	if err := h.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestDisconnectFinalSnapshotHonoursCallerContext(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	h.api.on("snapshot", blockUntilCtx)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := h.m.Disconnect(ctx); err != nil {
		t.Fatal(err)
	}
	if b := h.rec.backups(); len(b) != 1 || b[0].OK || !b[0].Final {
		t.Fatalf("backup events = %+v", b)
	}
	if st := h.m.State(); st.State != StateDisconnected {
		t.Fatalf("state = %+v", st)
	}
}

func TestLogoutForgetsTheClient(t *testing.T) {
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	if err := h.m.Logout(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.api.count("snapshot") != 1 {
		t.Fatal("Logout did not take the final snapshot")
	}
	if h.m.HasAPI() {
		t.Fatal("HasAPI() = true after Logout")
	}
	if st := h.m.State(); st.State != StateDisconnected {
		t.Fatalf("state = %+v", st)
	}
	if err := h.m.Connect(context.Background(), "agent-1"); !errors.Is(err, ErrNotConfigured) {
		t.Fatalf("Connect after Logout = %v, want ErrNotConfigured", err)
	}
	h.m.SetAPI(h.api)
	if !h.m.HasAPI() {
		t.Fatal("HasAPI() = false after SetAPI")
	}
	h.connect(t, "agent-1")
}

func TestCloseStopsEverythingAndRefusesConnect(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newMgrHarness(t, ManagerConfig{})
	h.connect(t, "agent-1")
	if err := h.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if h.api.count("snapshot") != 1 || h.clk.Pending() != 0 {
		t.Fatalf("Close: snapshots=%d timers=%d, want 1 final snapshot and no timers", h.api.count("snapshot"), h.clk.Pending())
	}
	if err := h.m.Connect(context.Background(), "agent-1"); !errors.Is(err, ErrManagerClosed) {
		t.Fatalf("Connect after Close = %v, want ErrManagerClosed", err)
	}
}

func TestOnEventMayReadState(t *testing.T) {
	api := newFakeAPI()
	var m *Manager
	var mismatches []string
	m = NewManager(ManagerOptions{OnEvent: func(e Event) {
		// State and Proxy are lock-free, so calling them here must not deadlock
		// and must agree with the event.
		if st := m.State(); st.State != e.State.State {
			mismatches = append(mismatches, string(st.State)+"≠"+string(e.State.State))
		}
		if _, err := m.Proxy(); (err == nil) != (e.State.State == StateConnected) {
			mismatches = append(mismatches, "proxy in "+string(e.State.State))
		}
		_ = m.HasAPI()
	}})
	m.SetAPI(api)
	if err := m.Connect(context.Background(), "agent-1"); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(mismatches) > 0 {
		t.Fatalf("OnEvent saw inconsistent snapshots: %v", mismatches)
	}
}
