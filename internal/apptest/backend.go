package apptest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Call is one recorded Backend call: the method's name, its arguments (the
// context left out) and the context it ran under (nil for methods without
// one).
type Call struct {
	Method string
	Args   []any
	Ctx    context.Context
}

// String is for failure messages.
func (c Call) String() string { return fmt.Sprintf("%s%v", c.Method, c.Args) }

// Backend is the one fake of the Service that every face test shares (REST,
// window, tray): it implements each face's Backend interface, records every
// call, and answers through the per-method function fields a test sets. A
// method whose field is nil answers a plain success (empty lists, an agent
// or result carrying the id it was given; Snapshot: the last Push;
// Subscribe: a latest-wins subscription fed by Push), except CreateAgent,
// which fails, and ConnectLastAgent, which answers app.ErrChooseAgent.
//
// OnCall, when set, runs first on every call: an error it returns is what the
// method returns (methods that cannot fail ignore it), and it may panic to
// test that a face contains panics.
type Backend struct {
	OnCall func(Call) error

	VersionFn           func() string
	SnapshotFn          func() app.Snapshot
	StatusFn            func(ctx context.Context) app.StatusView
	SubscribeFn         func() app.Subscription
	StartLoginFn        func(ctx context.Context) (app.LoginStart, error)
	BeginBrowserLoginFn func(ctx context.Context) (app.LoginStart, error)
	LoginStatusFn       func(ctx context.Context, sessionID string) (app.LoginStatus, error)
	LogoutFn            func(ctx context.Context) error
	CreditsFn           func(ctx context.Context, fresh bool) app.CreditsResponse
	CreditHistoryFn     func(ctx context.Context) ([]app.BalanceSample, error)
	ListAgentsFn        func(ctx context.Context) ([]cloud.Agent, error)
	CreateAgentFn       func(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error)
	GetAgentFn          func(ctx context.Context, id string) (*cloud.Agent, error)
	ConnectAgentFn      func(ctx context.Context, id string) (app.ConnectResult, error)
	ConnectAgentAsyncFn func(ctx context.Context, id string) (app.ConnectResult, error)
	ConnectLastAgentFn  func(ctx context.Context) (app.ConnectResult, error)
	AgentErrFn          func(ctx context.Context, method, id string) error // Disconnect/Shutdown/Suspend/Resume
	ListBackupsFn       func(ctx context.Context, id string) ([]cloud.Backup, error)
	SnapshotAgentFn     func(ctx context.Context, id string) (*cloud.Backup, error)
	RestoreAgentFn      func(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error)
	ChatFn              func(ctx context.Context, in app.ChatInput) (app.ChatReply, error)
	ChatStreamFn        func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error
	ChatHistoryFn       func(ctx context.Context, roomID string) ([]app.ChatMessage, error)
	ShowWindowFn        func() bool
	SetFn               func(ctx context.Context, method string, on bool) error // SetNotifications/SetStartAtLogin/SetBackupSkipWhenIdle
	OpenTopUpFn         func() error
	TopUpFn             func(ctx context.Context, credits int) (app.TopUpResponse, error)
	UsageFn             func(ctx context.Context, hours, limit int) (app.UsageResponse, error)

	mu      sync.Mutex
	snap    app.Snapshot
	subs    map[*latestSub]struct{}
	calls   []Call
	seen    map[string]int // WaitCall cursor per method
	changed chan struct{}  // closed and replaced on every call
}

// noCtx is what Call.Ctx holds for methods that take no context.
var noCtx context.Context

// NewBackend returns a fake whose Snapshot is s until the next Push.
func NewBackend(s app.Snapshot) *Backend {
	return &Backend{snap: s, subs: map[*latestSub]struct{}{}, seen: map[string]int{}, changed: make(chan struct{})}
}

// record appends a call and returns OnCall's verdict.
func (b *Backend) record(ctx context.Context, method string, args ...any) error {
	c := Call{Method: method, Args: args, Ctx: ctx}
	b.mu.Lock()
	b.calls = append(b.calls, c)
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
	if b.OnCall != nil {
		return b.OnCall(c)
	}
	return nil
}

// Calls returns every call so far.
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Call(nil), b.calls...)
}

// ForgetCalls drops the recorded calls (a benchmark keeps memory flat).
func (b *Backend) ForgetCalls() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = nil
	b.seen = map[string]int{}
}

// CallsTo returns the calls to one method.
func (b *Backend) CallsTo(method string) []Call {
	var out []Call
	for _, c := range b.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall waits up to d for the next call to method that an earlier
// WaitCall has not returned yet, and fails the test otherwise.
func (b *Backend) WaitCall(t testing.TB, method string, d time.Duration) Call {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		n := 0
		for _, c := range b.calls {
			if c.Method != method {
				continue
			}
			if n == b.seen[method] {
				b.seen[method]++
				b.mu.Unlock()
				return c
			}
			n++
		}
		changed := b.changed
		b.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no call to %s within %s; calls: %v", method, d, b.Calls())
			return Call{}
		}
	}
}

// Push replaces the snapshot and publishes it as a "snapshot" event to the
// built-in subscriptions.
func (b *Backend) Push(s app.Snapshot) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.snap = s
	for sub := range b.subs {
		sub.send(app.Event{Type: app.EventSnapshot, Data: s, Snapshot: s})
	}
}

// Current is the last pushed snapshot, without recording a call (for
// function fields that decorate it).
func (b *Backend) Current() app.Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap
}

// Subscribers is how many built-in subscriptions are open.
func (b *Backend) Subscribers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// CloseSubscriptions ends every built-in subscription, as a Service shutting
// down would.
func (b *Backend) CloseSubscriptions() {
	b.mu.Lock()
	subs := make([]*latestSub, 0, len(b.subs))
	for s := range b.subs {
		subs = append(subs, s)
	}
	b.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}

// Version implements the faces' Backend; it is not recorded (a constant).
func (b *Backend) Version() string {
	if b.VersionFn != nil {
		return b.VersionFn()
	}
	return "test"
}

// Snapshot implements the faces' Backend.
func (b *Backend) Snapshot() app.Snapshot {
	_ = b.record(noCtx, "Snapshot")
	if b.SnapshotFn != nil {
		return b.SnapshotFn()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snap
}

// Status implements the faces' Backend.
func (b *Backend) Status(ctx context.Context) app.StatusView {
	_ = b.record(ctx, "Status")
	if b.StatusFn != nil {
		return b.StatusFn(ctx)
	}
	return app.StatusView{}
}

// Subscribe implements the faces' Backend: SubscribeFn's, or the current
// snapshot first and then every Push, latest wins.
func (b *Backend) Subscribe() app.Subscription {
	_ = b.record(noCtx, "Subscribe")
	if b.SubscribeFn != nil {
		return b.SubscribeFn()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.subs == nil {
		b.subs = map[*latestSub]struct{}{}
	}
	sub := &latestSub{b: b, c: make(chan app.Event, 1)}
	sub.send(app.Event{Type: app.EventSnapshot, Data: b.snap, Snapshot: b.snap})
	b.subs[sub] = struct{}{}
	return sub
}

// StartLogin implements the faces' Backend.
func (b *Backend) StartLogin(ctx context.Context) (app.LoginStart, error) {
	if err := b.record(ctx, "StartLogin"); err != nil {
		return app.LoginStart{}, err
	}
	if b.StartLoginFn != nil {
		return b.StartLoginFn(ctx)
	}
	return app.LoginStart{}, nil
}

// BeginBrowserLogin implements the faces' Backend.
func (b *Backend) BeginBrowserLogin(ctx context.Context) (app.LoginStart, error) {
	if err := b.record(ctx, "BeginBrowserLogin"); err != nil {
		return app.LoginStart{}, err
	}
	if b.BeginBrowserLoginFn != nil {
		return b.BeginBrowserLoginFn(ctx)
	}
	return app.LoginStart{}, nil
}

// CancelLogin implements the faces' Backend.
func (b *Backend) CancelLogin() { _ = b.record(noCtx, "CancelLogin") }

// LoginStatus implements the faces' Backend.
func (b *Backend) LoginStatus(ctx context.Context, sessionID string) (app.LoginStatus, error) {
	if err := b.record(ctx, "LoginStatus", sessionID); err != nil {
		return app.LoginStatus{}, err
	}
	if b.LoginStatusFn != nil {
		return b.LoginStatusFn(ctx, sessionID)
	}
	return app.LoginStatus{}, nil
}

// Logout implements the faces' Backend; it answers like the Service (the
// revoke page of the real cloud), with LogoutFn's error if any: a log-out
// that reports a problem has still forgotten the key.
func (b *Backend) Logout(ctx context.Context) (app.LogoutResponse, error) {
	res := app.LogoutResponse{OK: true, Status: "disconnected", KeyStillValid: true, RevokeURL: cloud.DefaultBaseURL + "/dashboard/api-keys"}
	if err := b.record(ctx, "Logout"); err != nil {
		return res, err
	}
	if b.LogoutFn != nil {
		return res, b.LogoutFn(ctx)
	}
	return res, nil
}

// ShowWindow implements the faces' Backend (false: headless).
func (b *Backend) ShowWindow() bool {
	_ = b.record(noCtx, "ShowWindow")
	return b.ShowWindowFn != nil && b.ShowWindowFn()
}

func (b *Backend) set(ctx context.Context, method string, on bool) error {
	if err := b.record(ctx, method, on); err != nil {
		return err
	}
	if b.SetFn != nil {
		return b.SetFn(ctx, method, on)
	}
	return nil
}

// SetNotifications implements the faces' Backend.
func (b *Backend) SetNotifications(ctx context.Context, on bool) error {
	return b.set(ctx, "SetNotifications", on)
}

// SetStartAtLogin implements the faces' Backend.
func (b *Backend) SetStartAtLogin(ctx context.Context, on bool) error {
	return b.set(ctx, "SetStartAtLogin", on)
}

// OpenTopUp implements the faces' Backend.
func (b *Backend) OpenTopUp() error {
	if err := b.record(noCtx, "OpenTopUp"); err != nil {
		return err
	}
	if b.OpenTopUpFn != nil {
		return b.OpenTopUpFn()
	}
	return nil
}

// SetBackupSkipWhenIdle implements the faces' Backend.
func (b *Backend) SetBackupSkipWhenIdle(ctx context.Context, on bool) error {
	return b.set(ctx, "SetBackupSkipWhenIdle", on)
}

// Quit implements the faces' Backend.
func (b *Backend) Quit() { _ = b.record(noCtx, "Quit") }

// latestSub is a latest-wins subscription like the Service's.
type latestSub struct {
	b      *Backend
	c      chan app.Event
	closed bool
}

// send replaces a pending event with ev; callers hold b.mu.
func (s *latestSub) send(ev app.Event) {
	if s.closed {
		return
	}
	select {
	case <-s.c:
	default:
	}
	s.c <- ev
}

func (s *latestSub) C() <-chan app.Event { return s.c }

func (s *latestSub) Close() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(s.b.subs, s)
	close(s.c)
}

// Autostart is an in-memory start-at-login switch.
type Autostart struct {
	mu sync.Mutex
	on bool
	// Err, if set, is returned by Enable and Disable (which then change nothing).
	Err error
}

// Enabled reports the switch.
func (a *Autostart) Enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.on
}

// Enable turns it on.
func (a *Autostart) Enable() error { return a.set(true) }

// Disable turns it off.
func (a *Autostart) Disable() error { return a.set(false) }

func (a *Autostart) set(on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Err != nil {
		return a.Err
	}
	a.on = on
	return nil
}
