package desktop

import (
	"context"
	"fmt"
	"sync"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// fakeBackend is the shared apptest.Backend set up with the window tests'
// canned answers: err, when set, is returned by every method that can fail
// (beside its value, as the facade must pass either on); chunks is what
// ChatStream streams; sub is the subscription Subscribe hands out.
type fakeBackend struct {
	*apptest.Backend
	err    error
	chunks []string
	sub    *apptest.Sub
}

// newFake builds the fake from the test's settings.
// config fills c's Backend and parts with this fake.
func (f *fakeBackend) config(c Config) Config {
	c.Backend, c.Agents, c.Chat, c.Billing = f, f.Agents(), f.Chat(), f.Billing()
	return c
}

func newFake(cfg fakeBackend) *fakeBackend {
	f := &cfg
	b := apptest.NewBackend(app.Snapshot{})
	f.Backend = b
	b.SnapshotFn = func() app.Snapshot { return app.Snapshot{Version: "test", Sim: true} }
	b.StatusFn = func(context.Context) app.StatusView { return app.StatusView{HasAPIKey: true} }
	b.SubscribeFn = func() app.Subscription { return f.sub }
	b.StartLoginFn = func(context.Context) (app.LoginStart, error) { return app.LoginStart{SessionID: "s-rest"}, f.err }
	b.BeginBrowserLoginFn = func(context.Context) (app.LoginStart, error) {
		return app.LoginStart{OK: true, SessionID: "s1", BrowserURL: "https://sim/auth/cli-login?session=s1"}, f.err
	}
	b.LoginStatusFn = func(context.Context, string) (app.LoginStatus, error) { return app.LoginStatus{}, f.err }
	b.LogoutFn = func(context.Context) error { return f.err }
	b.CreditsFn = func(context.Context, bool) app.CreditsResponse {
		bal := 12.5
		return app.CreditsResponse{Connected: true, Balance: &bal}
	}
	b.CreditHistoryFn = func(context.Context) ([]app.BalanceSample, error) { return []app.BalanceSample{{Balance: 1}}, f.err }
	b.ListAgentsFn = func(context.Context) ([]cloud.Agent, error) { return []cloud.Agent{{ID: "a1"}}, f.err }
	b.CreateAgentFn = func(_ context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
		return &cloud.Agent{ID: "new", AgentName: in.AgentName}, f.err
	}
	b.GetAgentFn = func(_ context.Context, id string) (*cloud.Agent, error) { return &cloud.Agent{ID: id}, f.err }
	b.ConnectAgentFn = func(_ context.Context, id string) (app.ConnectResult, error) {
		return app.ConnectResult{OK: true, AgentID: id, Status: "connected"}, f.err
	}
	b.ConnectAgentAsyncFn = func(_ context.Context, id string) (app.ConnectResult, error) {
		return app.ConnectResult{OK: true, AgentID: id, Status: "connecting"}, f.err
	}
	b.AgentErrFn = func(context.Context, string, string) error { return f.err }
	b.ListBackupsFn = func(context.Context, string) ([]cloud.Backup, error) { return []cloud.Backup{{ID: "b1"}}, f.err }
	b.SnapshotAgentFn = func(context.Context, string) (*cloud.Backup, error) { return &cloud.Backup{ID: "b2"}, f.err }
	b.RestoreAgentFn = func(_ context.Context, _, backupID string) (*cloud.RestoreResult, error) {
		return &cloud.RestoreResult{RestoredFromBackupID: backupID}, f.err
	}
	b.ChatFn = func(_ context.Context, in app.ChatInput) (app.ChatReply, error) {
		return app.ChatReply{Text: "echo " + in.Text, AgentID: "a1"}, f.err
	}
	b.ChatStreamFn = func(_ context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
		if f.err != nil && len(f.chunks) == 0 {
			return f.err
		}
		onStart("a1")
		for _, c := range f.chunks {
			if err := onChunk(c); err != nil {
				return err
			}
		}
		return f.err
	}
	b.ChatHistoryFn = func(context.Context, string) ([]app.ChatMessage, error) {
		return []app.ChatMessage{{Text: "hi"}}, f.err
	}
	b.ShowWindowFn = func() bool { return true }
	b.SetFn = func(context.Context, string, bool) error { return f.err }
	b.OpenTopUpFn = func() error { return f.err }
	return f
}

// calls words every recorded call as the window tests match it, e.g.
// `Chat "hello" "room"`.
func (f *fakeBackend) calls() []string {
	var out []string
	for _, c := range f.Calls() {
		out = append(out, callLine(c))
	}
	return out
}

func callLine(c apptest.Call) string {
	switch c.Method {
	case "Chat", "ChatStream":
		in := c.Args[0].(app.ChatInput)
		return fmt.Sprintf("%s %q %q", c.Method, in.Text, in.RoomID)
	case "ChatHistory":
		return fmt.Sprintf("ChatHistory %q", c.Args[0])
	case "CreateAgent":
		in := c.Args[0].(app.CreateAgentInput)
		return fmt.Sprintf("CreateAgent %s %v", in.AgentName, in.EnvironmentVars)
	}
	line := c.Method
	for _, a := range c.Args {
		line += " " + fmt.Sprint(a)
	}
	return line
}

func (f *fakeBackend) lastCall() string {
	calls := f.calls()
	if len(calls) == 0 {
		return ""
	}
	return calls[len(calls)-1]
}

// lastCtx is the context of the last call (nil for a call without one).
func (f *fakeBackend) lastCtx() context.Context {
	calls := f.Calls()
	return calls[len(calls)-1].Ctx
}

// emitted is one recorded Emit call.
type emitted struct {
	name string
	data any
}

// recordingEmitter records Emit calls and signals each on got.
type recordingEmitter struct {
	mu  sync.Mutex
	evs []emitted
	got chan struct{}
}

func (e *recordingEmitter) Emit(name string, data any) {
	e.mu.Lock()
	e.evs = append(e.evs, emitted{name, data})
	e.mu.Unlock()
	if e.got != nil {
		e.got <- struct{}{}
	}
}

func (e *recordingEmitter) events() []emitted {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]emitted(nil), e.evs...)
}

// fakeWindow records Show/Hide/Quit.
type fakeWindow struct {
	mu    sync.Mutex
	calls []string
	shown chan struct{}
}

func (w *fakeWindow) rec(s string) {
	w.mu.Lock()
	w.calls = append(w.calls, s)
	w.mu.Unlock()
}
func (w *fakeWindow) Show() {
	w.rec("Show")
	if w.shown != nil {
		close(w.shown)
	}
}
func (w *fakeWindow) Hide() { w.rec("Hide") }
func (w *fakeWindow) Quit() { w.rec("Quit") }
func (w *fakeWindow) got() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.calls...)
}

// errBoom is a Backend error worded for a person, as the Service words them.
var errBoom = app.ErrNotLoggedIn
