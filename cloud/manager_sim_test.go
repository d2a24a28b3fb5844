package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/clock"
	"go.uber.org/goleak"
)

// mgrSim is a manager driving the real HTTP client against the simulator,
// all three on one fake clock.
type mgrSim struct {
	sim    *cloudsim.Server
	clk    *clock.Fake
	client *Client
	m      *Manager
	rec    *mgrRecorder
}

func newMgrSim(t *testing.T, so cloudsim.Options, cfg ManagerConfig) *mgrSim {
	t.Helper()
	h := &mgrSim{clk: clock.NewFake(time.Time{}), rec: newMgrRecorder()}
	so.Clock = h.clk
	h.sim = cloudsim.Start(t, so)
	h.client = h.newClient(t)
	h.m = NewManager(ManagerOptions{Config: cfg, Clock: h.clk, OnEvent: h.rec.on})
	h.m.SetAPI(h.client)
	closeAtCleanup(t, h.m, h.rec)
	return h
}

// newClient is a client with a fresh key for the simulated user.
func (h *mgrSim) newClient(t *testing.T) *Client {
	t.Helper()
	c, err := NewClient(ClientOptions{BaseURL: h.sim.URL(), APIKey: h.sim.NewAPIKey(),
		RootCAs: h.sim.CertPool(), AllowLoopback: true, Clock: h.clk})
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func (h *mgrSim) createAgent(t *testing.T, name string) string {
	t.Helper()
	a, err := h.client.CreateAgent(context.Background(), CreateAgentRequest{AgentName: name})
	if err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	return a.ID
}

// connect connects on a sync-mode simulator (no clock needed) and waits for
// the session's two timers.
func (h *mgrSim) connect(t *testing.T, id string) {
	t.Helper()
	if err := h.m.Connect(context.Background(), id); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if !h.clk.WaitFor(2, mgrHangGuard) {
		t.Fatalf("session timers not armed (%d)", h.clk.Pending())
	}
}

// bridgeCalls counts JSON-RPC bridge requests (heartbeats, chat, status).
func (h *mgrSim) bridgeCalls(id string) int {
	return h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/bridge")
}

// step advances the clock by d once n timers are armed, then waits for the
// armed count to come back to n (the woken goroutines re-armed).
func (h *mgrSim) step(t *testing.T, n int, d time.Duration) {
	t.Helper()
	if !h.clk.WaitFor(n, mgrHangGuard) {
		t.Fatalf("expected %d armed timers, have %d", n, h.clk.Pending())
	}
	h.clk.Advance(d)
	if !h.clk.WaitFor(n, mgrHangGuard) {
		t.Fatalf("timers not re-armed after %v: %d", d, h.clk.Pending())
	}
}

// mgrDrive advances the clock by step whenever at least n timers are armed,
// until done is closed (the client's job polling runs on the same clock).
func mgrDrive(t *testing.T, clk *clock.Fake, n int, step time.Duration, done <-chan error) error {
	t.Helper()
	deadline := time.After(mgrHangGuard)
	for {
		select {
		case err := <-done:
			return err
		case <-deadline:
			t.Fatalf("not finished after driving the clock to %v", clk.Now())
		default:
		}
		stop := make(chan struct{})
		armed := make(chan bool, 1)
		go func() { armed <- clk.BlockUntil(n, stop) }()
		select {
		case err := <-done:
			close(stop)
			<-armed
			return err
		case ok := <-armed:
			if ok {
				clk.Advance(step)
			}
		case <-deadline:
			close(stop)
			t.Fatalf("neither finished nor armed %d timers", n)
		}
	}
}

func TestSimConnectSyncProvisioning(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync, ProvisionDelay: 20 * time.Second}, ManagerConfig{})
	id := h.createAgent(t, "Sync Agent")
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(context.Background(), id) }()
	// The sync provision holds the request for 20 s of simulator time.
	h.rec.waitState(t, "connecting", func(s State) bool { return s.State == StateConnecting })
	if _, err := h.m.Proxy(); !errors.Is(err, ErrReconnecting) {
		t.Fatalf("Proxy() while connecting = %v", err)
	}
	if err := mgrDrive(t, h.clk, 1, 20*time.Second, done); err != nil {
		t.Fatal(err)
	}
	if got, want := h.rec.states(), []ConnState{StateConnecting, StateConnected}; !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	st := h.m.State()
	if st.AgentID != id || st.AgentName != "Sync Agent" {
		t.Fatalf("state = %+v", st)
	}
	if s, _ := h.sim.AgentStatus(id); s != "running" {
		t.Fatalf("simulator says %q", s)
	}
}

func TestSimConnectQueuedJob(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 30 * time.Second, JobPollIntervalMs: 1000}, ManagerConfig{})
	id := h.createAgent(t, "Queued Agent")
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(context.Background(), id) }()
	// The client waits with two timers (job deadline, next poll).
	if err := mgrDrive(t, h.clk, 2, time.Second, done); err != nil {
		t.Fatal(err)
	}
	if got, want := h.rec.states(), []ConnState{StateConnecting, StateConnected}; !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if polls := h.sim.CountRequests(http.MethodGet, "/api/v1/jobs/"); polls < 25 {
		t.Fatalf("%d job polls; the manager did not wait for the queued job", polls)
	}
	if s, _ := h.sim.AgentStatus(id); s != "running" {
		t.Fatalf("simulator says %q", s)
	}
	if st := h.m.State(); st.State != StateConnected || st.AgentName != "Queued Agent" {
		t.Fatalf("state = %+v", st)
	}
}

func TestSimConnectFailure(t *testing.T) {
	cases := []struct {
		name  string
		setup func(h *mgrSim) string
		kind  error
		msg   string
	}{
		{"unknown agent 404", func(*mgrSim) string { return "00000000-0000-4000-8000-000000000000" }, ErrNotFound, ""},
		{"no credits 402", func(h *mgrSim) string {
			id := h.createAgent(t, "Broke")
			h.sim.SetBalance(0)
			return id
		}, ErrInsufficientCredits, "Insufficient credits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
			id := tc.setup(h)
			h.client.CloseIdleConnections()
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

			err := h.m.Connect(context.Background(), id)
			if !errors.Is(err, tc.kind) {
				t.Fatalf("Connect = %v, want %v", err, tc.kind)
			}
			if tc.kind == ErrInsufficientCredits {
				var ice *InsufficientCreditsError
				if !errors.As(err, &ice) || ice.RequiredBalance != 5 {
					t.Fatalf("402 not typed: %#v", err)
				}
			}
			want := []ConnState{StateConnecting, StateError, StateDisconnected}
			if got := h.rec.states(); !statesEqual(got, want) {
				t.Fatalf("states = %v, want %v", got, want)
			}
			st := h.m.State()
			if st.State != StateDisconnected || st.LastError == "" || !strings.Contains(st.LastError, tc.msg) {
				t.Fatalf("state = %+v", st)
			}
			if h.clk.Pending() != 0 || h.sim.SnapshotCount(id) != 0 {
				t.Fatal("a failed connect left timers or took a snapshot")
			}
			h.client.CloseIdleConnections()
		})
	}
}

func TestSimConnectWhileConnectedDisconnectsOldAgent(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
	a, b := h.createAgent(t, "A"), h.createAgent(t, "B")
	h.connect(t, a)
	h.connect(t, b)
	if n := h.sim.SnapshotCount(a); n != 1 {
		t.Fatalf("agent A has %d snapshots, want the 1 final", n)
	}
	if n := h.sim.SnapshotCount(b); n != 0 {
		t.Fatalf("agent B has %d snapshots", n)
	}
	want := []ConnState{StateConnecting, StateConnected, StateDisconnected, StateConnecting, StateConnected}
	if got := h.rec.states(); !statesEqual(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if st := h.m.State(); st.AgentID != b || st.AgentName != "B" {
		t.Fatalf("state = %+v", st)
	}
}

func TestSimDisconnectStopsHeartbeatsAndBackups(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
	id := h.createAgent(t, "Agent")
	h.connect(t, id)
	h.step(t, 2, 30*time.Second) // heartbeat 1
	h.step(t, 2, 30*time.Second) // heartbeat 2 + backup 1
	h.rec.waitCount(t, EventBackup, 1)
	h.rec.waitCount(t, EventHeartbeat, 2)
	if n := h.sim.SnapshotCount(id); n != 1 {
		t.Fatalf("%d snapshots after one backup interval", n)
	}
	if err := h.m.Disconnect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := h.sim.SnapshotCount(id); n != 2 {
		t.Fatalf("%d snapshots, want 1 scheduled + exactly 1 final", n)
	}
	b := h.rec.backups()
	if last := b[len(b)-1]; !last.Final || !last.OK || last.BackupID == "" {
		t.Fatalf("final backup = %+v", last)
	}
	bridge, snaps := h.bridgeCalls(id), h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/snapshot")
	if h.clk.Pending() != 0 {
		t.Fatalf("%d timers armed after Disconnect", h.clk.Pending())
	}
	for range 120 {
		h.clk.Advance(time.Minute)
	}
	if h.bridgeCalls(id) != bridge || h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/snapshot") != snaps {
		t.Fatal("requests continued after Disconnect")
	}
}

func TestSimBackupsEveryIntervalAndFailuresDoNotStop(t *testing.T) {
	// The plain schedule: skipping idle ticks is TestSimBackupsSkipWhenIdle.
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{HeartbeatInterval: 24 * time.Hour, SkipWhenIdle: new(false)})
	id := h.createAgent(t, "Agent")
	h.connect(t, id)
	h.sim.InjectFault(cloudsim.Fault{Method: http.MethodPost, Path: "/api/v1/milady/agents/" + id + "/snapshot", Count: 1, Status: 500})
	for i := 1; i <= 3; i++ {
		h.step(t, 2, time.Minute)
		h.rec.waitCount(t, EventBackup, i)
	}
	b := h.rec.backups()
	if b[0].OK || !strings.Contains(b[0].Error, "Injected failure") || !b[1].OK || !b[2].OK {
		t.Fatalf("backups = %+v, want fail, ok, ok", b)
	}
	if n := h.sim.SnapshotCount(id); n != 2 {
		t.Fatalf("simulator stored %d snapshots, want 2", n)
	}
	if st := h.m.State(); st.State != StateConnected || st.LastBackupAt == nil || !st.LastBackupAt.Equal(b[2].At) {
		t.Fatalf("state = %+v", st)
	}
}

func TestSimHeartbeatRPCErrorReconnects(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{BackupInterval: 24 * time.Hour})
	id := h.createAgent(t, "Agent")
	h.connect(t, id)
	h.sim.FailHeartbeats(3) // HTTP 200 with a JSON-RPC error body
	h.step(t, 2, 30*time.Second)
	h.step(t, 2, 30*time.Second)
	if st := h.m.State(); st.State != StateConnected {
		t.Fatalf("after 2 failed heartbeats: %s", st.State)
	}
	h.step(t, 2, 30*time.Second)
	st := h.rec.waitState(t, "reconnecting", func(s State) bool { return s.State == StateReconnecting })
	if st.ReconnectAttempt != 1 || st.MaxReconnect != 10 || !strings.Contains(st.LastError, "Sandbox is not running") {
		t.Fatalf("reconnecting state = %+v", st)
	}
	if _, err := h.m.Proxy(); !errors.Is(err, ErrReconnecting) {
		t.Fatalf("Proxy() = %v", err)
	}
	if d, _ := h.clk.NextDeadline(); d != 3*time.Second {
		t.Fatalf("first reconnect wait = %v", d)
	}
	if n := h.bridgeCalls(id); n != 3 {
		t.Fatalf("%d bridge calls, want 3 heartbeats", n)
	}
	h.clk.Advance(3 * time.Second) // attempt 1: provision (running) + heartbeat (ok now)
	h.rec.waitState(t, "connected again", func(s State) bool { return s.State == StateConnected && s.LastHeartbeatAt != nil })
	if n := h.bridgeCalls(id); n != 4 {
		t.Fatalf("%d bridge calls, want 4", n)
	}
	if p := h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/provision"); p != 2 {
		t.Fatalf("%d provisions, want connect + 1 attempt", p)
	}
	h.step(t, 2, 30*time.Second)
	h.rec.waitCount(t, EventHeartbeat, 1)
}

func TestSimReconnectBackoffThenGiveUp(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{BackupInterval: 24 * time.Hour})
	id := h.createAgent(t, "Agent")
	h.connect(t, id)
	h.sim.FailHeartbeats(-1)
	for range 3 {
		h.step(t, 2, 30*time.Second)
	}
	for i, d := range []time.Duration{3, 6, 12, 24, 48, 60, 60, 60, 60, 60} {
		attempt := i + 1
		h.rec.waitState(t, "attempt", func(s State) bool { return s.ReconnectAttempt == attempt })
		if !h.clk.WaitFor(2, mgrHangGuard) {
			t.Fatal("reconnect timer not armed")
		}
		if got, _ := h.clk.NextDeadline(); got != d*time.Second {
			t.Fatalf("wait before attempt %d = %v, want %v", attempt, got, d*time.Second)
		}
		if n := h.bridgeCalls(id); n != 3+i {
			t.Fatalf("before attempt %d: %d bridge calls, want %d (no heartbeat while reconnecting)", attempt, n, 3+i)
		}
		h.clk.Advance(d * time.Second)
	}
	st := h.rec.waitState(t, "gave up", func(s State) bool { return s.State == StateDisconnected && s.LastError != "" })
	if !strings.Contains(st.LastError, "after 10 attempts") || !strings.Contains(st.LastError, "Sandbox is not running") {
		t.Fatalf("LastError = %q", st.LastError)
	}
	states := h.rec.states()
	if tail := states[len(states)-2:]; !statesEqual(tail, []ConnState{StateError, StateDisconnected}) {
		t.Fatalf("states end %v", tail)
	}
	if h.clk.Pending() != 0 {
		t.Fatalf("%d timers armed after giving up", h.clk.Pending())
	}
	calls := h.bridgeCalls(id)
	for range 60 {
		h.clk.Advance(time.Minute)
	}
	if h.bridgeCalls(id) != calls || h.sim.SnapshotCount(id) != 0 {
		t.Fatal("requests after giving up")
	}
}

func TestSimChatThroughProxy(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
	id := h.createAgent(t, "Chatty")
	if _, err := h.m.Proxy(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Proxy() before connect = %v", err)
	}
	h.connect(t, id)
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	reply, err := p.Send(ctx, "hello there", "", "")
	if err != nil || reply != "[echo] hello there" {
		t.Fatalf("Send = %q, %v", reply, err)
	}
	var chunks []string
	if err := p.Stream(ctx, "stream this please", "", "", func(c string) error { chunks = append(chunks, c); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 || strings.Join(chunks, "") != "[echo] stream this please" {
		t.Fatalf("chunks = %q", chunks)
	}
	st, err := p.Status(ctx)
	if err != nil || st.Status != "running" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	if err := p.Alive(ctx); err != nil {
		t.Fatalf("Alive = %v", err)
	}
	h.sim.FailHeartbeats(1)
	if err := p.Alive(ctx); !errors.Is(err, ErrUpstream) {
		t.Fatalf("Alive with an RPC error body = %v", err)
	}
}

// TestSimConcurrentLoginLogoutConnect is the concurrency check over real HTTPS: 100
// goroutines connect, disconnect, log out and log in (SetAPI with a fresh
// client) at once. Failures are allowed (the simulator rate-limits); the end
// state must be consistent and no goroutine may be left.
func TestSimConcurrentLoginLogoutConnect(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
	ids := []string{h.createAgent(t, "A"), h.createAgent(t, "B")}
	clients := []*Client{h.client}
	for range 4 {
		clients = append(clients, h.newClient(t))
	}
	closeIdle := func() {
		for _, c := range clients {
			c.CloseIdleConnections()
		}
	}
	closeIdle()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), mgrHangGuard)
			defer cancel()
			switch i % 5 {
			case 0, 1:
				_ = h.m.Connect(ctx, ids[i%2])
			case 2:
				_ = h.m.Disconnect(ctx)
			case 3:
				_ = h.m.Logout(ctx)
			case 4:
				h.m.SetAPI(clients[i%len(clients)])
			}
		}()
	}
	waitGroupOrFail(t, &wg, "operations")

	st := h.m.State()
	p, perr := h.m.Proxy()
	switch st.State {
	case StateConnected:
		if st.AgentID == "" || perr != nil || p.AgentID() != st.AgentID {
			t.Fatalf("connected but agent %q / proxy %v", st.AgentID, perr)
		}
	case StateDisconnected:
		if st.AgentID != "" || perr == nil || h.clk.Pending() != 0 {
			t.Fatalf("disconnected but agent %q, proxy err %v, %d timers", st.AgentID, perr, h.clk.Pending())
		}
	default:
		t.Fatalf("ended in %s", st.State)
	}
	if err := h.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := h.m.State(); st.State != StateDisconnected || h.clk.Pending() != 0 {
		t.Fatalf("after Close: %+v, %d timers", st, h.clk.Pending())
	}
	h.rec.check(t)
	t.Log(fmt.Sprint("states: ", len(h.rec.states())))
	closeIdle()
}
