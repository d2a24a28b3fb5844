package desktop

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// fakeBackend records every call as "Method arg…" and answers from its
// fields. err, when set, is returned by every method that can fail.
type fakeBackend struct {
	mu    sync.Mutex
	calls []string
	ctxs  []context.Context
	err   error

	chunks []string // what ChatStream streams
	sub    *apptest.Sub
}

var _ app.Backend = (*fakeBackend)(nil)

func (b *fakeBackend) record(ctx context.Context, format string, args ...any) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, strings.TrimSpace(fmt.Sprintf(format, args...)))
	b.ctxs = append(b.ctxs, ctx)
	return b.err
}

func (b *fakeBackend) lastCall() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.calls) == 0 {
		return ""
	}
	return b.calls[len(b.calls)-1]
}

func (b *fakeBackend) lastCtx() context.Context {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ctxs[len(b.ctxs)-1]
}

func (b *fakeBackend) Version() string { return "test" }
func (b *fakeBackend) Snapshot() app.Snapshot {
	_ = b.record(context.TODO(), "Snapshot")
	return app.Snapshot{Version: "test", Sim: true}
}
func (b *fakeBackend) Status(ctx context.Context) app.StatusView {
	_ = b.record(ctx, "Status")
	return app.StatusView{HasAPIKey: true}
}
func (b *fakeBackend) Subscribe() app.Subscription {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, "Subscribe")
	b.ctxs = append(b.ctxs, nil)
	return b.sub
}
func (b *fakeBackend) StartLogin(ctx context.Context) (app.LoginStart, error) {
	return app.LoginStart{SessionID: "s-rest"}, b.record(ctx, "StartLogin")
}
func (b *fakeBackend) BeginBrowserLogin(ctx context.Context) (app.LoginStart, error) {
	return app.LoginStart{OK: true, SessionID: "s1", BrowserURL: "https://sim/auth/cli-login?session=s1"}, b.record(ctx, "BeginBrowserLogin")
}
func (b *fakeBackend) CancelLogin() { _ = b.record(context.TODO(), "CancelLogin") }
func (b *fakeBackend) LoginStatus(ctx context.Context, id string) (app.LoginStatus, error) {
	return app.LoginStatus{}, b.record(ctx, "LoginStatus %s", id)
}
func (b *fakeBackend) Logout(ctx context.Context) error { return b.record(ctx, "Logout") }
func (b *fakeBackend) Credits(ctx context.Context, fresh bool) app.CreditsResponse {
	_ = b.record(ctx, "Credits %v", fresh)
	bal := 12.5
	return app.CreditsResponse{Connected: true, Balance: &bal}
}
func (b *fakeBackend) CreditHistory(ctx context.Context) ([]app.BalanceSample, error) {
	return []app.BalanceSample{{Balance: 1}}, b.record(ctx, "CreditHistory")
}
func (b *fakeBackend) ListAgents(ctx context.Context) ([]cloud.Agent, error) {
	return []cloud.Agent{{ID: "a1"}}, b.record(ctx, "ListAgents")
}
func (b *fakeBackend) CreateAgent(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
	return &cloud.Agent{ID: "new", AgentName: in.AgentName}, b.record(ctx, "CreateAgent %s %v", in.AgentName, in.EnvironmentVars)
}
func (b *fakeBackend) GetAgent(ctx context.Context, id string) (*cloud.Agent, error) {
	return &cloud.Agent{ID: id}, b.record(ctx, "GetAgent %s", id)
}
func (b *fakeBackend) ConnectAgent(ctx context.Context, id string) (app.ConnectResult, error) {
	return app.ConnectResult{OK: true, AgentID: id, Status: "connected"}, b.record(ctx, "ConnectAgent %s", id)
}
func (b *fakeBackend) ConnectAgentAsync(ctx context.Context, id string) (app.ConnectResult, error) {
	return app.ConnectResult{OK: true, AgentID: id, Status: "connecting"}, b.record(ctx, "ConnectAgentAsync %s", id)
}
func (b *fakeBackend) DisconnectAgent(ctx context.Context, id string) error {
	return b.record(ctx, "DisconnectAgent %s", id)
}
func (b *fakeBackend) ShutdownAgent(ctx context.Context, id string) error {
	return b.record(ctx, "ShutdownAgent %s", id)
}
func (b *fakeBackend) SuspendAgent(ctx context.Context, id string) error {
	return b.record(ctx, "SuspendAgent %s", id)
}
func (b *fakeBackend) ResumeAgent(ctx context.Context, id string) error {
	return b.record(ctx, "ResumeAgent %s", id)
}
func (b *fakeBackend) ListBackups(ctx context.Context, id string) ([]cloud.Backup, error) {
	return []cloud.Backup{{ID: "b1"}}, b.record(ctx, "ListBackups %s", id)
}
func (b *fakeBackend) SnapshotAgent(ctx context.Context, id string) (*cloud.Backup, error) {
	return &cloud.Backup{ID: "b2"}, b.record(ctx, "SnapshotAgent %s", id)
}
func (b *fakeBackend) RestoreAgent(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	return &cloud.RestoreResult{RestoredFromBackupID: backupID}, b.record(ctx, "RestoreAgent %s %s", id, backupID)
}
func (b *fakeBackend) Chat(ctx context.Context, in app.ChatInput) (app.ChatReply, error) {
	return app.ChatReply{Text: "echo " + in.Text, AgentID: "a1"}, b.record(ctx, "Chat %q %q", in.Text, in.RoomID)
}
func (b *fakeBackend) ChatStream(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
	if err := b.record(ctx, "ChatStream %q %q", in.Text, in.RoomID); err != nil && len(b.chunks) == 0 {
		return err
	}
	onStart("a1")
	for _, c := range b.chunks {
		if err := onChunk(c); err != nil {
			return err
		}
	}
	return b.err
}
func (b *fakeBackend) ChatHistory(ctx context.Context, roomID string) ([]app.ChatMessage, error) {
	return []app.ChatMessage{{Text: "hi"}}, b.record(ctx, "ChatHistory %q", roomID)
}
func (b *fakeBackend) ShowWindow() bool { _ = b.record(context.TODO(), "ShowWindow"); return true }
func (b *fakeBackend) SetNotifications(ctx context.Context, on bool) error {
	return b.record(ctx, "SetNotifications %v", on)
}
func (b *fakeBackend) SetStartAtLogin(ctx context.Context, on bool) error {
	return b.record(ctx, "SetStartAtLogin %v", on)
}
func (b *fakeBackend) OpenTopUp() error { return b.record(context.TODO(), "OpenTopUp") }
func (b *fakeBackend) Quit()            { _ = b.record(context.TODO(), "Quit") }

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
