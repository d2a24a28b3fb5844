package traytest

import (
	"context"
	"fmt"
	"sync"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// FakeBackend is the shared apptest.Backend set up the way the tray tests
// need it: snapshots are published with Push, ListAgents answers SetAgents,
// ShowWindow answers SetWindow, a method fails after FailWith, and
// ConnectLastAgent and SetStartAtLogin behave as the Service's do (the
// former through the fake's own ListAgents and ConnectAgentAsync, so a test
// sees which agent was chosen; the latter through an in-memory switch that
// the snapshots report).
type FakeBackend struct {
	*apptest.Backend

	mu     sync.Mutex
	agents []cloud.Agent
	errs   map[string]error
	window bool
	as     *apptest.Autostart
}

// NewFakeBackend starts with snapshot s and start at login off.
func NewFakeBackend(s app.Snapshot) *FakeBackend {
	f := &FakeBackend{Backend: apptest.NewBackend(s), errs: map[string]error{}, as: &apptest.Autostart{}}
	b := f.Backend
	b.OnCall = func(c apptest.Call) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.errs[c.Method]
	}
	b.BeginBrowserLoginFn = func(context.Context) (app.LoginStart, error) {
		return app.LoginStart{OK: true, SessionID: "s-1", BrowserURL: "https://example.test/login"}, nil
	}
	b.ListAgentsFn = func(context.Context) ([]cloud.Agent, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return append([]cloud.Agent(nil), f.agents...), nil
	}
	b.ConnectLastAgentFn = func(ctx context.Context) (app.ConnectResult, error) {
		id := f.Current().LastAgentID
		if id == "" {
			agents, err := b.Agents().List(ctx)
			if err != nil {
				return app.ConnectResult{}, fmt.Errorf("%w: %w", app.ErrChooseAgent, err)
			}
			if len(agents) != 1 {
				return app.ConnectResult{}, app.ErrChooseAgent
			}
			id = agents[0].ID
		}
		return b.Agents().ConnectAsync(ctx, id)
	}
	b.ShowWindowFn = func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.window
	}
	b.SnapshotFn = f.Current
	b.SetFn = func(_ context.Context, method string, on bool) error {
		if method != "SetStartAtLogin" {
			return nil
		}
		f.mu.Lock()
		as := f.as
		f.mu.Unlock()
		var err error
		if on {
			err = as.Enable()
		} else {
			err = as.Disable()
		}
		if err != nil {
			return fmt.Errorf("change start at login: %w", err)
		}
		f.Push(f.Current()) // the Service publishes a settings event
		return nil
	}
	return f
}

// Current is the last pushed snapshot with start at login read from the
// switch, as the Service reads the autostart file for every snapshot. It
// is not recorded as a call.
func (f *FakeBackend) Current() app.Snapshot {
	s := f.Backend.Current()
	f.mu.Lock()
	as := f.as
	f.mu.Unlock()
	s.Settings.StartAtLogin = as.Enabled()
	return s
}

// Push publishes s, with start at login read from the switch as the
// Service's snapshots have it.
func (f *FakeBackend) Push(s app.Snapshot) {
	f.mu.Lock()
	as := f.as
	f.mu.Unlock()
	s.Settings.StartAtLogin = as.Enabled()
	f.Backend.Push(s)
}

// UseAutostart makes SetStartAtLogin and the snapshots use as.
func (f *FakeBackend) UseAutostart(as *apptest.Autostart) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.as = as
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
