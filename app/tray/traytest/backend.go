package traytest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Call is one recorded Backend call.
type Call struct {
	Method string
	Args   []any
}

// FakeBackend is an app.Backend that records what the tray asks of it and
// lets the test publish snapshots. Methods the tray has no business calling
// are left to the embedded nil interface and panic, which fails the test.
type FakeBackend struct {
	app.Backend

	mu      sync.Mutex
	snap    app.Snapshot
	subs    map[*fakeSub]struct{}
	calls   []Call
	seen    map[string]int // WaitCall cursor per method
	changed chan struct{}  // closed and replaced on every call
	agents  []cloud.Agent
	errs    map[string]error
	window  bool
}

// NewFakeBackend starts with snapshot s.
func NewFakeBackend(s app.Snapshot) *FakeBackend {
	return &FakeBackend{
		snap:    s,
		subs:    map[*fakeSub]struct{}{},
		seen:    map[string]int{},
		changed: make(chan struct{}),
		errs:    map[string]error{},
	}
}

// SetAgents sets what ListAgents returns.
func (f *FakeBackend) SetAgents(agents ...cloud.Agent) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents = agents
}

// FailWith makes method return err from now on.
func (f *FakeBackend) FailWith(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[method] = err
}

// SetWindow sets what ShowWindow returns.
func (f *FakeBackend) SetWindow(ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.window = ok
}

// Push replaces the snapshot and publishes it as a "snapshot" event.
func (f *FakeBackend) Push(s app.Snapshot) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.snap = s
	for sub := range f.subs {
		sub.send(app.Event{Type: app.EventSnapshot, Data: s, Snapshot: s})
	}
}

// record appends a call and returns the error configured for it.
func (f *FakeBackend) record(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, Call{Method: method, Args: args})
	close(f.changed)
	f.changed = make(chan struct{})
	return f.errs[method]
}

// Calls returns every call so far.
func (f *FakeBackend) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// CallsTo returns the calls to one method.
func (f *FakeBackend) CallsTo(method string) []Call {
	var out []Call
	for _, c := range f.Calls() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall waits up to d for the next call to method that an earlier
// WaitCall has not returned yet, and fails the test otherwise.
func (f *FakeBackend) WaitCall(t testing.TB, method string, d time.Duration) Call {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		n := 0
		for _, c := range f.calls {
			if c.Method != method {
				continue
			}
			if n == f.seen[method] {
				f.seen[method]++
				f.mu.Unlock()
				return c
			}
			n++
		}
		changed := f.changed
		f.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no call to %s within %s; calls: %v", method, d, f.Calls())
			return Call{}
		}
	}
}

// Version implements app.Backend.
func (f *FakeBackend) Version() string { return "test" }

// Snapshot implements app.Backend.
func (f *FakeBackend) Snapshot() app.Snapshot {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.snap
}

// Subscribe implements app.Backend: the current snapshot first, then every
// Push, latest wins.
func (f *FakeBackend) Subscribe() app.Subscription {
	f.mu.Lock()
	defer f.mu.Unlock()
	sub := &fakeSub{f: f, c: make(chan app.Event, 1)}
	sub.send(app.Event{Type: app.EventSnapshot, Data: f.snap, Snapshot: f.snap})
	f.subs[sub] = struct{}{}
	return sub
}

// Subscribers is how many subscriptions are open (to check Stop closes its).
func (f *FakeBackend) Subscribers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subs)
}

// CloseSubscriptions ends every open subscription, as a Service shutting
// down would.
func (f *FakeBackend) CloseSubscriptions() {
	f.mu.Lock()
	subs := make([]*fakeSub, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}

// BeginBrowserLogin implements app.Backend.
func (f *FakeBackend) BeginBrowserLogin(context.Context) (app.LoginStart, error) {
	if err := f.record("BeginBrowserLogin"); err != nil {
		return app.LoginStart{}, err
	}
	return app.LoginStart{OK: true, SessionID: "s-1", BrowserURL: "https://example.test/login"}, nil
}

// Logout implements app.Backend.
func (f *FakeBackend) Logout(context.Context) error { return f.record("Logout") }

// ListAgents implements app.Backend.
func (f *FakeBackend) ListAgents(context.Context) ([]cloud.Agent, error) {
	if err := f.record("ListAgents"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cloud.Agent(nil), f.agents...), nil
}

// ConnectAgentAsync implements app.Backend.
func (f *FakeBackend) ConnectAgentAsync(_ context.Context, id string) (app.ConnectResult, error) {
	if err := f.record("ConnectAgentAsync", id); err != nil {
		return app.ConnectResult{}, err
	}
	return app.ConnectResult{OK: true, AgentID: id, Status: "connecting"}, nil
}

// DisconnectAgent implements app.Backend.
func (f *FakeBackend) DisconnectAgent(_ context.Context, id string) error {
	return f.record("DisconnectAgent", id)
}

// ShowWindow implements app.Backend.
func (f *FakeBackend) ShowWindow() bool {
	_ = f.record("ShowWindow")
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.window
}

// OpenTopUp implements app.Backend.
func (f *FakeBackend) OpenTopUp() error { return f.record("OpenTopUp") }

// SetStartAtLogin implements app.Backend.
func (f *FakeBackend) SetStartAtLogin(_ context.Context, on bool) error {
	return f.record("SetStartAtLogin", on)
}

// Quit implements app.Backend.
func (f *FakeBackend) Quit() { _ = f.record("Quit") }

// fakeSub is a latest-wins subscription like the Service's.
type fakeSub struct {
	f      *FakeBackend
	c      chan app.Event
	closed bool
}

// send replaces a pending event with ev; callers hold f.mu.
func (s *fakeSub) send(ev app.Event) {
	if s.closed {
		return
	}
	select {
	case <-s.c:
	default:
	}
	s.c <- ev
}

func (s *fakeSub) C() <-chan app.Event { return s.c }

func (s *fakeSub) Close() {
	s.f.mu.Lock()
	defer s.f.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	delete(s.f.subs, s)
	close(s.c)
}

// String is for failure messages.
func (c Call) String() string { return fmt.Sprintf("%s%v", c.Method, c.Args) }

// FakeAutostart is an in-memory start-at-login switch.
type FakeAutostart struct {
	mu sync.Mutex
	on bool
	// Err, if set, is returned by Enable and Disable (which then change nothing).
	Err error
}

// Enabled reports the switch.
func (a *FakeAutostart) Enabled() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.on
}

// Enable turns it on.
func (a *FakeAutostart) Enable() error { return a.set(true) }

// Disable turns it off.
func (a *FakeAutostart) Disable() error { return a.set(false) }

func (a *FakeAutostart) set(on bool) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.Err != nil {
		return a.Err
	}
	a.on = on
	return nil
}
