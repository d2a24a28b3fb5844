package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// ErrManagerClosed is returned by Connect after Close: the app is shutting
// down and must not start a new session.
var ErrManagerClosed = errors.New("cloud manager is closed")

// errConnectAborted is the cancel cause of a Connect that a Disconnect,
// Logout or Close interrupted; it is a user decision, not a failure, so it
// does not pass through the error state. It matches ErrConflict: another
// request changed the connection meanwhile, which the REST layer answers
// with 409 rather than an unexplained 500.
var errConnectAborted error = connectAbortedError{}

type connectAbortedError struct{}

func (connectAbortedError) Error() string { return "connect aborted by a disconnect or log-out" }

// Is reports ErrConflict.
func (connectAbortedError) Is(target error) bool { return target == ErrConflict }

// ManagerConfig holds the manager's timings (milady.json's cloud.bridge and
// cloud.backup keys). A zero field takes its default.
type ManagerConfig struct {
	HeartbeatInterval    time.Duration // default 30s
	ReconnectInterval    time.Duration // first reconnect delay, default 3s
	MaxReconnectDelay    time.Duration // default 60s
	MaxReconnectAttempts int           // default 10
	MaxHeartbeatFailures int           // default 3
	BackupInterval       time.Duration // default 60s
	FinalSnapshotTimeout time.Duration // default 10s (bounded wait of the final backup)
	// JobWait bounds the wait for a provisioning job (default 15 min): the
	// cloud's worker polls every 30 s, health-checks for up to 180 s and
	// tries three times, so a cold start can take ten minutes.
	JobWait time.Duration
	// SkipWhenIdle (nil = true) skips a scheduled backup when no chat went
	// through the proxy and the agent's status did not change since the
	// last one: the cloud keeps only the newest 10 backups, and a plain
	// 60 s schedule would fill them with 10 idle minutes. The final backup
	// at disconnect is always taken.
	SkipWhenIdle *bool
	// ChatViaBridge makes Proxy.Send use message.send on the bridge, which
	// the cloud cuts at 30 s, instead of the stream route (120 s).
	ChatViaBridge bool
}

// skipIdle reports SkipWhenIdle with its default.
func (c ManagerConfig) skipIdle() bool { return c.SkipWhenIdle == nil || *c.SkipWhenIdle }

// DefaultManagerConfig returns Milady's timings (bridge-client.ts,
// reconnect.ts) plus this app's final-snapshot bound.
func DefaultManagerConfig() ManagerConfig {
	return ManagerConfig{
		HeartbeatInterval:    30 * time.Second,
		ReconnectInterval:    3 * time.Second,
		MaxReconnectDelay:    60 * time.Second,
		MaxReconnectAttempts: 10,
		MaxHeartbeatFailures: 3,
		BackupInterval:       60 * time.Second,
		FinalSnapshotTimeout: 10 * time.Second,
		JobWait:              15 * time.Minute,
		SkipWhenIdle:         new(true),
	}
}

// withDefaults fills every non-positive field from DefaultManagerConfig, so a
// config read from a file with missing keys still yields a working manager.
func (c ManagerConfig) withDefaults() ManagerConfig {
	d := DefaultManagerConfig()
	orDefault(&c.HeartbeatInterval, d.HeartbeatInterval)
	orDefault(&c.ReconnectInterval, d.ReconnectInterval)
	orDefault(&c.MaxReconnectDelay, d.MaxReconnectDelay)
	orDefault(&c.MaxReconnectAttempts, d.MaxReconnectAttempts)
	orDefault(&c.MaxHeartbeatFailures, d.MaxHeartbeatFailures)
	orDefault(&c.BackupInterval, d.BackupInterval)
	orDefault(&c.FinalSnapshotTimeout, d.FinalSnapshotTimeout)
	orDefault(&c.JobWait, d.JobWait)
	if c.SkipWhenIdle == nil {
		c.SkipWhenIdle = d.SkipWhenIdle
	}
	return c
}

// orDefault sets *v to d when *v is not positive.
func orDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

// ManagerOptions are NewManager's inputs.
type ManagerOptions struct {
	Config ManagerConfig // zero fields take defaults
	Clock  clock.Clock   // default clock.Real{}
	Logger *slog.Logger  // default: discard
	// OnEvent is called synchronously, in order and never concurrently, for
	// every change. It runs under the manager's state lock, so it must not
	// block; it may call State, Proxy and HasAPI (they are lock-free) but
	// not Connect, Disconnect, Logout, SnapshotNow or Close.
	OnEvent func(Event)
}

// Manager owns the connection to one cloud agent at a time: the state
// machine (docs/ARCHITECTURE.md), the backup scheduler and the heartbeat
// monitor. It is the single owner of State; observers get full
// snapshots through OnEvent or State().
//
// Locking: opMu serialises the user operations (Connect, Disconnect,
// Logout, SnapshotNow, Close), which may take long (provisioning, the final
// snapshot). mu guards the state and the active session; it is held only
// briefly, and the session's goroutines take only mu, never opMu, so
// Disconnect can wait for them without deadlock. State and Proxy read an
// atomically managerSnapshot snapshot and never block.
type Manager struct {
	cfg     ManagerConfig
	clk     clock.Clock
	log     *slog.Logger
	onEvent func(Event)

	opMu sync.Mutex

	apiMu sync.RWMutex
	api   API
	gen   uint64 // counts SetAPI calls; written under mu and apiMu, read under either

	mu           sync.Mutex
	state        State
	proxy        *Proxy
	sess         *connSession   // active session, nil when disconnected
	retired      []*connSession // sessions ended from their own goroutines, which may still be exiting
	abortConnect context.CancelCauseFunc
	closed       bool
	rejected     bool // the key of generation gen was rejected (401)

	pub atomic.Pointer[managerSnapshot]
}

// managerSnapshot is what State and Proxy read without locking; state and proxy
// are stored together so a reader never sees "connected" without a proxy.
type managerSnapshot struct {
	state State
	proxy *Proxy
}

// NewManager returns a disconnected manager.
func NewManager(opts ManagerOptions) *Manager {
	m := &Manager{
		cfg:     opts.Config.withDefaults(),
		clk:     opts.Clock,
		log:     opts.Logger,
		onEvent: opts.OnEvent,
	}
	if m.clk == nil {
		m.clk = clock.Real{}
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	m.state = State{State: StateDisconnected, Since: m.clk.Now()}
	m.pub.Store(&managerSnapshot{state: m.state})
	return m
}

// SetAPI sets the client later connections use; nil means logged out. A
// running session keeps the client it was started with. It clears the
// rejected-key condition: the app calls it with a new key after a login,
// or with nil at log-out.
func (m *Manager) SetAPI(api API) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.apiMu.Lock()
	m.api = api
	m.gen++
	m.apiMu.Unlock()
	if m.rejected {
		m.rejected = false
		m.transitionLocked(m.state.State, func(st *State) {
			if st.LastError == KeyRejectedMessage {
				st.LastError = ""
			}
		})
	}
}

// HasAPI reports whether a client is set (the user is logged in).
func (m *Manager) HasAPI() bool {
	m.apiMu.RLock()
	defer m.apiMu.RUnlock()
	return m.api != nil
}

func (m *Manager) currentAPI() (API, uint64) {
	m.apiMu.RLock()
	defer m.apiMu.RUnlock()
	return m.api, m.gen
}

// State returns a copy of the current state. It never blocks on a running
// operation.
func (m *Manager) State() State {
	return m.pub.Load().state
}

// Proxy returns the chat proxy of the connected agent. It answers
// ErrReconnecting while connecting or reconnecting (the REST layer turns it
// into a 503 with Retry-After) and ErrNotConnected otherwise.
func (m *Manager) Proxy() (*Proxy, error) {
	p := m.pub.Load()
	switch p.state.State {
	case StateConnected:
		if p.proxy != nil {
			return p.proxy, nil
		}
	case StateConnecting, StateReconnecting:
		return nil, ErrReconnecting
	}
	return nil, ErrNotConnected
}

// Connect connects to agentID: connecting → provision → get agent → proxy →
// scheduler → monitor → connected. Another active agent is disconnected
// first (final snapshot included). On failure whatever was started is
// stopped, the state passes through error to disconnected with LastError
// kept, and the error is returned (errors.Is matches the cloud sentinels).
// Connecting to the agent that is already connected is a no-op; while that
// agent is reconnecting, Connect starts over (final snapshot, provision).
func (m *Manager) Connect(ctx context.Context, agentID string) error {
	if agentID == "" {
		return errors.New("connect to agent: the agent id is empty")
	}
	m.opMu.Lock()
	defer m.opMu.Unlock()

	api, gen := m.currentAPI()
	m.mu.Lock()
	closed, rejected := m.closed, m.rejected && gen == m.gen
	already := m.sess != nil && m.sess.agentID == agentID && m.state.State == StateConnected
	m.mu.Unlock()
	switch {
	case closed:
		return ErrManagerClosed
	case api == nil:
		return ErrNotConfigured
	case rejected:
		// Every call with this key answers 401: calling again only
		// repeats the failure (and provisions nothing).
		return fmt.Errorf("connect to agent %s: %w", agentID, ErrKeyRejected)
	case already:
		return nil
	}
	m.disconnectLocked(ctx)

	cctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	s := newConnSession(api, gen, agentID)
	m.mu.Lock()
	m.abortConnect = abort
	m.sess = s
	m.transitionLocked(StateConnecting, func(st *State) {
		*st = State{State: StateConnecting, AgentID: agentID, Since: st.Since}
	})
	m.mu.Unlock()
	m.log.Info("connecting to cloud agent", "agent", agentID)

	name, step, err := m.prepare(cctx, s)
	if err != nil {
		return m.failConnect(cctx, s, step, err)
	}
	proxy := m.newSessionProxy(s, name)
	m.startScheduler(s)
	m.startMonitor(s)

	m.mu.Lock()
	m.abortConnect = nil
	if cctx.Err() != nil {
		m.mu.Unlock()
		return m.failConnect(cctx, s, "start", cctx.Err())
	}
	m.proxy = proxy
	m.transitionLocked(StateConnected, func(st *State) {
		st.AgentName = name
		st.LastError = ""
	})
	s.touch() // connecting is a change of the agent's status: the first backup is due
	close(s.ready)
	m.mu.Unlock()
	m.log.Info("connected to cloud agent", "agent", agentID, "name", name)
	return nil
}

// prepare runs the network steps of Connect: provision (the client waits for
// a queued job) and get agent for its name. It names the step that failed.
func (m *Manager) prepare(ctx context.Context, s *connSession) (name, step string, err error) {
	if _, err := s.api.Provision(m.jobContext(ctx, s), s.agentID); err != nil {
		return "", "provision", err
	}
	agent, err := s.api.GetAgent(ctx, s.agentID)
	if err != nil {
		return "", "get agent", err
	}
	if agent == nil {
		return "", "get agent", fmt.Errorf("%w: empty agent record", ErrMalformed)
	}
	if err := ctx.Err(); err != nil {
		return "", "connect", err
	}
	return agent.AgentName, "", nil
}

// failConnect undoes a Connect that failed at step: it stops the session's
// goroutines (if any were started), moves through error to disconnected
// with LastError kept, and returns the wrapped error. An abort by
// Disconnect/Logout/Close goes straight to disconnected: it is not a failure.
func (m *Manager) failConnect(cctx context.Context, s *connSession, step string, err error) error {
	s.stop()
	cause := context.Cause(cctx)
	aborted := errors.Is(cause, errConnectAborted)
	if !aborted && errors.Is(cause, ErrKeyRejected) {
		err = cause // another call found the key rejected and stopped this one
	}
	m.mu.Lock()
	m.abortConnect = nil
	if m.sess == s {
		m.sess = nil
		m.proxy = nil
		switch {
		case aborted:
			m.transitionLocked(StateDisconnected, func(st *State) { *st = State{Since: st.Since} })
		case errors.Is(err, ErrKeyRejected) && s.gen == m.gen:
			m.enterRejectedLocked(err)
		default:
			msg := err.Error()
			m.transitionLocked(StateError, func(st *State) { st.LastError = msg })
			m.transitionLocked(StateDisconnected, func(st *State) { *st = State{Since: st.Since, LastError: msg} })
		}
	}
	m.mu.Unlock()
	if aborted {
		m.log.Info("connect aborted", "agent", s.agentID)
		return fmt.Errorf("connect to agent %s: %w", s.agentID, errConnectAborted)
	}
	m.log.Warn("connect failed", "agent", s.agentID, "step", step, "err", err)
	return fmt.Errorf("connect to agent %s: %s: %w", s.agentID, step, err)
}

// Disconnect ends the active session: a final snapshot (bounded by
// FinalSnapshotTimeout; a failure is reported as an EventBackup, never
// returned), then the scheduler and monitor stop, the proxy is cleared and
// the state becomes disconnected. Every goroutine of the session has exited
// when it returns. With nothing connected it is a no-op. A Connect still in
// progress is aborted.
func (m *Manager) Disconnect(ctx context.Context) error {
	m.abortInFlightConnect()
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.disconnectLocked(ctx)
	return nil
}

// DisconnectAgent disconnects only when agentID is the agent the manager
// holds (connecting, connected or reconnecting), checked under the operation
// lock so a connect to another agent that slips in between is left alone. It
// reports whether it disconnected.
func (m *Manager) DisconnectAgent(ctx context.Context, agentID string) bool {
	m.mu.Lock()
	connecting := m.state.AgentID == agentID && m.state.State == StateConnecting
	m.mu.Unlock()
	if connecting {
		m.abortInFlightConnect()
	}
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.mu.Lock()
	active := m.state.AgentID == agentID && m.state.State != StateDisconnected
	m.mu.Unlock()
	if !active {
		return false
	}
	m.disconnectLocked(ctx)
	return true
}

// Logout disconnects, then forgets the client: agent calls fail with
// ErrNotConfigured until SetAPI is called again.
func (m *Manager) Logout(ctx context.Context) error {
	m.abortInFlightConnect()
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.disconnectLocked(ctx)
	m.SetAPI(nil)
	return nil
}

// Close is for app shutdown: it disconnects (final snapshot included), waits
// for every goroutine, and makes later Connect calls fail with
// ErrManagerClosed.
func (m *Manager) Close(ctx context.Context) error {
	m.abortInFlightConnect()
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	m.disconnectLocked(ctx)
	return nil
}

// abortInFlightConnect cancels a Connect that is provisioning, so a user who
// clicks Disconnect does not wait for a queued job (up to minutes).
func (m *Manager) abortInFlightConnect() {
	m.mu.Lock()
	if m.abortConnect != nil {
		m.abortConnect(errConnectAborted)
	}
	m.mu.Unlock()
}

// disconnectLocked is Disconnect's body; opMu must be held.
func (m *Manager) disconnectLocked(ctx context.Context) {
	m.mu.Lock()
	s, retired := m.sess, m.retired
	m.retired = nil
	m.mu.Unlock()
	for _, r := range retired {
		r.stop()
	}
	if s == nil {
		return
	}
	m.log.Info("disconnecting from cloud agent", "agent", s.agentID)
	s.draining.Store(true)
	m.finalSnapshot(ctx, s)
	s.stop()
	m.mu.Lock()
	if m.sess == s { // else the monitor gave up meanwhile and already went disconnected
		m.sess = nil
		m.proxy = nil
		m.transitionLocked(StateDisconnected, func(st *State) { *st = State{Since: st.Since} })
	}
	m.mu.Unlock()
}

// transitionLocked applies edit, stamps Since when the connection state
// changes, and emits one EventState. m.mu must be held.
func (m *Manager) transitionLocked(to ConnState, edit func(*State)) {
	prev := m.state.State
	if edit != nil {
		edit(&m.state)
	}
	m.state.State = to
	m.state.KeyRejected = m.rejected
	if to != StateConnecting && to != StateReconnecting {
		m.state.Progress, m.state.Recovery = nil, nil
	}
	if to != prev {
		m.state.Since = m.clk.Now()
	}
	m.emitLocked(EventState, nil)
}

// emitLocked publishes the state for State/Proxy and hands the observer an
// event. Calling OnEvent under m.mu is what keeps events in the order of the
// changes and never concurrent. m.mu must be held.
func (m *Manager) emitLocked(kind EventKind, b *BackupResult) {
	snap := m.state
	m.pub.Store(&managerSnapshot{state: snap, proxy: m.proxy})
	if m.onEvent != nil {
		m.onEvent(Event{Kind: kind, State: snap, Backup: b, Progress: snap.Progress, Recovery: snap.Recovery})
	}
}

// updateSession applies a change made by one of s's goroutines, unless s is
// no longer the active session or is being stopped. It reports whether the
// change was applied.
func (m *Manager) updateSession(s *connSession, to ConnState, edit func(*State)) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != s || s.ctx.Err() != nil {
		return false
	}
	m.transitionLocked(to, edit)
	return true
}

// connSession is one connection to one agent and the goroutines serving it.
type connSession struct {
	agentID string
	api     API
	gen     uint64 // the SetAPI generation api came from

	// activity counts what makes a backup worth taking (chat through the
	// proxy, a change of the agent's status); backedUp is its value when
	// the last successful backup started.
	activity   atomic.Uint64
	backedUp   atomic.Uint64
	lastStatus atomic.Pointer[string] // the agent's last status.get answer

	ctx    context.Context // cancelled when the session ends
	cancel context.CancelFunc
	wg     sync.WaitGroup // the monitor

	schedCtx    context.Context // child of ctx; cancelled to stop backups first
	schedCancel context.CancelFunc
	schedWG     sync.WaitGroup // the scheduler loop and its snapshot worker

	// ready is closed when the session reaches connected; the scheduler and
	// monitor start counting their first interval from there, so nothing
	// they do can precede the connected event.
	ready chan struct{}
	// snapSem (capacity 1) is the "no overlap" guard shared by scheduled,
	// manual and final snapshots.
	snapSem chan struct{}
	// draining is set by Disconnect before the final snapshot so the
	// scheduler does not start another one in between.
	draining atomic.Bool
}

func newConnSession(api API, gen uint64, agentID string) *connSession {
	ctx, cancel := context.WithCancel(context.Background())
	sctx, scancel := context.WithCancel(ctx)
	return &connSession{
		agentID: agentID, api: api, gen: gen,
		ctx: ctx, cancel: cancel,
		schedCtx: sctx, schedCancel: scancel,
		ready:   make(chan struct{}),
		snapSem: make(chan struct{}, 1),
	}
}

// touch records activity that makes the next scheduled backup worth taking.
func (s *connSession) touch() { s.activity.Add(1) }

// stopScheduler cancels backups (a running snapshot included) and waits for
// the scheduler's goroutines.
func (s *connSession) stopScheduler() {
	s.schedCancel()
	s.schedWG.Wait()
}

// stop ends the session: scheduler first, then the monitor, as Disconnect's
// steps (2) and (3). It is idempotent.
func (s *connSession) stop() {
	s.stopScheduler()
	s.cancel()
	s.wg.Wait()
}

// waitReady waits until the session is connected; false means it ended first.
func (s *connSession) waitReady(ctx context.Context) bool {
	select {
	case <-s.ready:
		return true
	case <-ctx.Done():
		return false
	}
}

// clockSleep waits d on clk; false means ctx ended first.
func clockSleep(ctx context.Context, clk clock.Clock, d time.Duration) bool {
	t := clk.NewTimer(d)
	select {
	case <-t.C():
		return true
	case <-ctx.Done():
		t.Stop()
		return false
	}
}
