package cloud

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// mgrHangGuard bounds every real-time wait in the manager tests. It only
// guards against hangs: no test sleeps, all timing is on clock.Fake.
const mgrHangGuard = 5 * time.Second

// await returns what a call running in the background sent on done; when
// nothing comes within mgrHangGuard the call hangs, which is the bug such
// tests look for, and the test fails with hung.
func await(t *testing.T, done <-chan error, hung string) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(mgrHangGuard):
		t.Fatal(hung)
		return nil
	}
}

// fakeAPI is an in-memory API with per-method hooks and call counters, so
// manager tests do not need the HTTP client or the simulator.
type fakeAPI struct {
	mu    sync.Mutex
	calls map[string][]string // method → agent ids, in call order
	hooks map[string]func(ctx context.Context, agentID string) error

	inSnap, maxInSnap int
	backups           int
	lastMsg           Message
	chunks            []string
	status            string // status.get's answer; "" = running
}

func newFakeAPI() *fakeAPI {
	return &fakeAPI{calls: map[string][]string{}, hooks: map[string]func(context.Context, string) error{}}
}

// on sets the hook of method (provision, get, snapshot, heartbeat, send,
// stream, status); a nil hook means success.
func (f *fakeAPI) on(method string, hook func(ctx context.Context, agentID string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hooks[method] = hook
}

// fail makes method fail with err from now on.
func (f *fakeAPI) fail(method string, err error) {
	f.on(method, func(context.Context, string) error { return err })
}

// failNext makes the next n calls of method fail with err, then succeed.
func (f *fakeAPI) failNext(method string, n int, err error) {
	var left atomic.Int32
	left.Store(int32(n))
	f.on(method, func(context.Context, string) error {
		if left.Add(-1) >= 0 {
			return err
		}
		return nil
	})
}

func (f *fakeAPI) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls[method])
}

func (f *fakeAPI) callsOf(method string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls[method]...)
}

func (f *fakeAPI) call(ctx context.Context, method, agentID string) error {
	f.mu.Lock()
	f.calls[method] = append(f.calls[method], agentID)
	hook := f.hooks[method]
	f.mu.Unlock()
	if hook != nil {
		return hook(ctx, agentID)
	}
	return nil
}

func (f *fakeAPI) Provision(ctx context.Context, agentID string) (*ProvisionResult, error) {
	if err := f.call(ctx, "provision", agentID); err != nil {
		return nil, err
	}
	return &ProvisionResult{AgentID: agentID, Status: "running"}, nil
}

func (f *fakeAPI) GetAgent(ctx context.Context, agentID string) (*Agent, error) {
	if err := f.call(ctx, "get", agentID); err != nil {
		return nil, err
	}
	return &Agent{ID: agentID, AgentName: "name-" + agentID, Status: "running"}, nil
}

func (f *fakeAPI) Snapshot(ctx context.Context, agentID string) (*Backup, error) {
	f.mu.Lock()
	f.inSnap++
	f.maxInSnap = max(f.maxInSnap, f.inSnap)
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.inSnap--
		f.mu.Unlock()
	}()
	if err := f.call(ctx, "snapshot", agentID); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.backups++
	size := int64(100 * f.backups)
	return &Backup{ID: fmt.Sprintf("bk-%d", f.backups), SnapshotType: "manual", SizeBytes: &size}, nil
}

func (f *fakeAPI) maxConcurrentSnapshots() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.maxInSnap
}

func (f *fakeAPI) Heartbeat(ctx context.Context, agentID string) error {
	return f.call(ctx, "heartbeat", agentID)
}

func (f *fakeAPI) SendMessage(ctx context.Context, agentID string, msg Message) (string, error) {
	f.mu.Lock()
	f.lastMsg = msg
	f.mu.Unlock()
	if err := f.call(ctx, "send", agentID); err != nil {
		return "", err
	}
	return "echo: " + msg.Text, nil
}

func (f *fakeAPI) Stream(ctx context.Context, agentID string, msg Message, onChunk func(string) error) error {
	f.mu.Lock()
	f.lastMsg = msg
	chunks := append([]string(nil), f.chunks...)
	f.mu.Unlock()
	if err := f.call(ctx, "stream", agentID); err != nil {
		return err
	}
	for _, c := range chunks {
		if err := onChunk(c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeAPI) AgentStatus(ctx context.Context, agentID string) (*AgentStatus, error) {
	if err := f.call(ctx, "status", agentID); err != nil {
		return nil, err
	}
	f.mu.Lock()
	status := f.status
	f.mu.Unlock()
	if status == "" {
		status = "running"
	}
	return &AgentStatus{Status: status, Uptime: 12.5, MemoriesCount: 3}, nil
}

func (f *fakeAPI) message() Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lastMsg
}

// blockUntilCtx is a hook that blocks until ctx ends (a hung cloud call).
func blockUntilCtx(ctx context.Context, _ string) error {
	<-ctx.Done()
	return ctx.Err()
}

// mgrGate is a hook that signals when a call starts and blocks until the
// test releases it (or the call's context ends).
type mgrGate struct {
	started chan string
	release chan struct{}
}

func newMgrGate() *mgrGate {
	return &mgrGate{started: make(chan string, 16), release: make(chan struct{})}
}

func (g *mgrGate) hook(ctx context.Context, agentID string) error {
	g.started <- agentID
	select {
	case <-g.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (g *mgrGate) waitStarted(t *testing.T) {
	t.Helper()
	select {
	case <-g.started:
	case <-time.After(mgrHangGuard):
		t.Fatal("the gated call never started")
	}
}

// mgrRecorder records every event the manager emits and checks, as they
// arrive, that OnEvent is never called concurrently and that every state
// change is a transition the spec allows.
type mgrRecorder struct {
	mu         sync.Mutex
	events     []Event
	changed    chan struct{}
	inCall     atomic.Int32
	violations []string
	last       ConnState
}

func newMgrRecorder() *mgrRecorder {
	return &mgrRecorder{changed: make(chan struct{}), last: StateDisconnected}
}

// mgrAllowed lists the transitions of the state machine
// (docs/ARCHITECTURE.md); reconnecting → reconnecting is a new attempt
// number, disconnected → disconnected a change of the rejected-key flag
// while nothing is connected.
var mgrAllowed = map[ConnState][]ConnState{
	StateDisconnected: {StateConnecting, StateDisconnected},
	StateConnecting:   {StateConnected, StateError, StateDisconnected},
	StateConnected:    {StateReconnecting, StateDisconnected},
	StateReconnecting: {StateReconnecting, StateConnected, StateError, StateDisconnected},
	StateError:        {StateDisconnected},
}

func (r *mgrRecorder) on(e Event) {
	if r.inCall.Add(1) != 1 {
		r.violate("OnEvent called concurrently")
	}
	defer r.inCall.Add(-1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Kind == EventState {
		ok := false
		for _, to := range mgrAllowed[r.last] {
			ok = ok || to == e.State.State
		}
		if !ok {
			r.violations = append(r.violations, fmt.Sprintf("transition %s → %s", r.last, e.State.State))
		}
		if e.State.State == StateConnected && e.State.AgentID == "" {
			r.violations = append(r.violations, "connected without an agent id")
		}
		r.last = e.State.State
	}
	if e.Kind == EventBackup && e.Backup == nil {
		r.violations = append(r.violations, "backup event without a result")
	}
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *mgrRecorder) violate(msg string) {
	r.mu.Lock()
	r.violations = append(r.violations, msg)
	r.mu.Unlock()
}

func (r *mgrRecorder) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// states lists the connection state of every EventState, in order.
func (r *mgrRecorder) states() []ConnState {
	var out []ConnState
	for _, e := range r.all() {
		if e.Kind == EventState {
			out = append(out, e.State.State)
		}
	}
	return out
}

func (r *mgrRecorder) backups() []BackupResult {
	var out []BackupResult
	for _, e := range r.all() {
		if e.Kind == EventBackup {
			out = append(out, *e.Backup)
		}
	}
	return out
}

func (r *mgrRecorder) count(kind EventKind) int {
	n := 0
	for _, e := range r.all() {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

// waitFor waits (real-time hang guard only) until cond holds for the events.
func (r *mgrRecorder) waitFor(t *testing.T, desc string, cond func([]Event) bool) []Event {
	t.Helper()
	deadline := time.After(mgrHangGuard)
	for {
		r.mu.Lock()
		evs := append([]Event(nil), r.events...)
		ch := r.changed
		r.mu.Unlock()
		if cond(evs) {
			return evs
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s; states so far: %v", desc, r.states())
		}
	}
}

// waitState waits for an EventState satisfying cond.
func (r *mgrRecorder) waitState(t *testing.T, desc string, cond func(State) bool) State {
	t.Helper()
	var got State
	r.waitFor(t, desc, func(evs []Event) bool {
		for _, e := range evs {
			if e.Kind == EventState && cond(e.State) {
				got = e.State
				return true
			}
		}
		return false
	})
	return got
}

// waitCount waits until at least n events of kind were emitted.
func (r *mgrRecorder) waitCount(t *testing.T, kind EventKind, n int) {
	t.Helper()
	r.waitFor(t, fmt.Sprintf("%d %s events", n, kind), func(evs []Event) bool {
		c := 0
		for _, e := range evs {
			if e.Kind == kind {
				c++
			}
		}
		return c >= n
	})
}

func (r *mgrRecorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.violations) > 0 {
		t.Errorf("event stream violations:\n%s", strings.Join(r.violations, "\n"))
	}
}

// mgrHarness is a manager on a fake clock with a fakeAPI and a recorder.
type mgrHarness struct {
	m   *Manager
	clk *clock.Fake
	api *fakeAPI
	rec *mgrRecorder
}

// newMgrHarness builds a harness; cfg's zero fields take the defaults.
func newMgrHarness(t *testing.T, cfg ManagerConfig) *mgrHarness {
	t.Helper()
	h := &mgrHarness{clk: clock.NewFake(time.Time{}), api: newFakeAPI(), rec: newMgrRecorder()}
	h.m = NewManager(ManagerOptions{Config: cfg, Clock: h.clk, OnEvent: h.rec.on})
	h.m.SetAPI(h.api)
	closeAtCleanup(t, h.m, h.rec)
	return h
}

// closeAtCleanup closes m when the test ends and then checks the events rec
// saw. After a failed assertion a hook may still hang; the real-time bound
// keeps Close (and its final snapshot) from blocking the whole run.
func closeAtCleanup(t *testing.T, m *Manager, rec *mgrRecorder) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), mgrHangGuard)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("Close: %v", err)
		}
		rec.check(t)
	})
}

// connect connects to id and waits until the session armed its two timers
// (backup scheduler and monitor).
func (h *mgrHarness) connect(t *testing.T, id string) {
	t.Helper()
	if err := h.m.Connect(context.Background(), id); err != nil {
		t.Fatalf("Connect(%s): %v", id, err)
	}
	h.waitTimers(t, 2)
}

func (h *mgrHarness) waitTimers(t *testing.T, n int) {
	t.Helper()
	if !h.clk.WaitFor(n, mgrHangGuard) {
		t.Fatalf("timed out waiting for %d armed timers (have %d)", n, h.clk.Pending())
	}
}

func statesEqual(got, want []ConnState) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
