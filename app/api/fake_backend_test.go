package api

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// fakeBackend is a hand-written app.Backend that records every call (name
// and arguments, as one string such as "GetAgent 1234…") and answers with
// canned values. errs makes a method fail; panics makes it panic. Fields
// are set before the server starts; calls are read with Calls().
type fakeBackend struct {
	errs   map[string]error // method name → error it returns
	panics map[string]bool  // method name → it panics

	loginStatus app.LoginStatus
	loggedIn    bool // Snapshot().LoggedIn; true from newFake
	shown       bool
	sub         *apptest.Sub
	// chatStream replaces the default ChatStream (onStart, two chunks).
	chatStream func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error

	mu    sync.Mutex
	calls []string
}

var _ app.Backend = (*fakeBackend)(nil)

const (
	testAgentID = "123e4567-e89b-12d3-a456-426614174000"
	testVersion = "1.2.3-test"
)

var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFake() *fakeBackend {
	return &fakeBackend{
		errs:        map[string]error{},
		panics:      map[string]bool{},
		loginStatus: app.LoginStatus{Status: "pending"},
		loggedIn:    true,
		sub:         apptest.NewSub(8),
	}
}

// record notes a call and returns the error configured for it.
func (f *fakeBackend) record(name string, args ...any) error {
	line := name
	for _, a := range args {
		line += " " + fmt.Sprint(a)
	}
	f.mu.Lock()
	f.calls = append(f.calls, line)
	f.mu.Unlock()
	if f.panics[name] {
		panic("fake " + name + " panicked")
	}
	return f.errs[name]
}

// Calls returns a copy of the recorded calls.
func (f *fakeBackend) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

// mutatingCalls are the recorded calls other than Snapshot, the one
// read-only call a handler may make before validating its input.
func (f *fakeBackend) mutatingCalls() []string {
	var out []string
	for _, c := range f.Calls() {
		if c != "Snapshot" {
			out = append(out, c)
		}
	}
	return out
}

// called reports whether a call starting with prefix was recorded.
func (f *fakeBackend) called(prefix string) bool {
	for _, c := range f.Calls() {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

func testAgent(id string) *cloud.Agent {
	return &cloud.Agent{ID: id, AgentName: "Milady", Status: "running", CreatedAt: testTime, UpdatedAt: testTime}
}

func (f *fakeBackend) Version() string { return testVersion }

func (f *fakeBackend) Snapshot() app.Snapshot {
	_ = f.record("Snapshot")
	return app.Snapshot{Version: testVersion, LoggedIn: f.loggedIn, Settings: app.SettingsView{Notifications: true, ConfigPath: "/tmp/milady.json"}}
}

func (f *fakeBackend) Status(context.Context) app.StatusView {
	_ = f.record("Status")
	return app.StatusView{Connected: false, Enabled: false, Reason: "not_authenticated",
		Connection: cloud.State{State: cloud.StateDisconnected, Since: testTime}}
}

func (f *fakeBackend) Subscribe() app.Subscription {
	_ = f.record("Subscribe")
	return f.sub
}

func (f *fakeBackend) StartLogin(context.Context) (app.LoginStart, error) {
	if err := f.record("StartLogin"); err != nil {
		return app.LoginStart{}, err
	}
	return app.LoginStart{SessionID: "sess-1", BrowserURL: "https://cloud.test/auth/cli-login?session=sess-1"}, nil
}

func (f *fakeBackend) BeginBrowserLogin(context.Context) (app.LoginStart, error) {
	if err := f.record("BeginBrowserLogin"); err != nil {
		return app.LoginStart{}, err
	}
	return app.LoginStart{OK: true, SessionID: "sess-1"}, nil
}

func (f *fakeBackend) CancelLogin() { _ = f.record("CancelLogin") }

func (f *fakeBackend) LoginStatus(_ context.Context, id string) (app.LoginStatus, error) {
	if err := f.record("LoginStatus", id); err != nil {
		return app.LoginStatus{}, err
	}
	return f.loginStatus, nil
}

func (f *fakeBackend) Logout(context.Context) error { return f.record("Logout") }

func (f *fakeBackend) Credits(_ context.Context, fresh bool) app.CreditsResponse {
	_ = f.record("Credits", fresh)
	bal, low := 12.5, false
	return app.CreditsResponse{Connected: true, Balance: &bal, Low: &low, Critical: &low, TopUpURL: cloud.TopUpURL}
}

func (f *fakeBackend) CreditHistory(context.Context) ([]app.BalanceSample, error) {
	if err := f.record("CreditHistory"); err != nil {
		return nil, err
	}
	return []app.BalanceSample{{At: testTime, Balance: 12.5}}, nil
}

func (f *fakeBackend) ListAgents(context.Context) ([]cloud.Agent, error) {
	if err := f.record("ListAgents"); err != nil {
		return nil, err
	}
	return []cloud.Agent{*testAgent(testAgentID)}, nil
}

func (f *fakeBackend) CreateAgent(_ context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
	if err := f.record("CreateAgent", in.AgentName, len(in.AgentConfig), in.EnvironmentVars); err != nil {
		return nil, err
	}
	a := testAgent(testAgentID)
	a.AgentName = in.AgentName
	return a, nil
}

func (f *fakeBackend) GetAgent(_ context.Context, id string) (*cloud.Agent, error) {
	if err := f.record("GetAgent", id); err != nil {
		return nil, err
	}
	return testAgent(id), nil
}

func (f *fakeBackend) ConnectAgent(_ context.Context, id string) (app.ConnectResult, error) {
	if err := f.record("ConnectAgent", id); err != nil {
		return app.ConnectResult{}, err
	}
	return app.ConnectResult{OK: true, AgentID: id, AgentName: "Milady", Status: "connected"}, nil
}

func (f *fakeBackend) ConnectAgentAsync(_ context.Context, id string) (app.ConnectResult, error) {
	if err := f.record("ConnectAgentAsync", id); err != nil {
		return app.ConnectResult{}, err
	}
	return app.ConnectResult{AgentID: id}, nil // the REST layer fills ok and status
}

func (f *fakeBackend) DisconnectAgent(_ context.Context, id string) error {
	return f.record("DisconnectAgent", id)
}

func (f *fakeBackend) ShutdownAgent(_ context.Context, id string) error {
	return f.record("ShutdownAgent", id)
}

func (f *fakeBackend) SuspendAgent(_ context.Context, id string) error {
	return f.record("SuspendAgent", id)
}

func (f *fakeBackend) ResumeAgent(_ context.Context, id string) error {
	return f.record("ResumeAgent", id)
}

func (f *fakeBackend) ListBackups(_ context.Context, id string) ([]cloud.Backup, error) {
	if err := f.record("ListBackups", id); err != nil {
		return nil, err
	}
	return nil, nil // answered as [] not null
}

func (f *fakeBackend) SnapshotAgent(_ context.Context, id string) (*cloud.Backup, error) {
	if err := f.record("SnapshotAgent", id); err != nil {
		return nil, err
	}
	return &cloud.Backup{ID: "bk-1", SnapshotType: "manual", CreatedAt: testTime}, nil
}

func (f *fakeBackend) RestoreAgent(_ context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	if err := f.record("RestoreAgent", id, "backup="+backupID); err != nil {
		return nil, err
	}
	return &cloud.RestoreResult{RestoredFromBackupID: "bk-1", SnapshotType: "manual", CreatedAt: testTime}, nil
}

func (f *fakeBackend) Chat(_ context.Context, in app.ChatInput) (app.ChatReply, error) {
	if err := f.record("Chat", in.Text, "room="+in.RoomID, "channel="+in.ChannelType); err != nil {
		return app.ChatReply{}, err
	}
	return app.ChatReply{Text: "echo: " + in.Text, AgentID: testAgentID}, nil
}

func (f *fakeBackend) ChatStream(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
	if err := f.record("ChatStream", in.Text); err != nil {
		return err
	}
	if f.chatStream != nil {
		return f.chatStream(ctx, in, onStart, onChunk)
	}
	onStart(testAgentID)
	for _, c := range []string{"Hel", "lo"} {
		if err := onChunk(c); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeBackend) ChatHistory(_ context.Context, room string) ([]app.ChatMessage, error) {
	if err := f.record("ChatHistory", room); err != nil {
		return nil, err
	}
	return []app.ChatMessage{{At: testTime, AgentID: testAgentID, RoomID: room, Role: "user", Text: "hi"}}, nil
}

func (f *fakeBackend) ShowWindow() bool { _ = f.record("ShowWindow"); return f.shown }

func (f *fakeBackend) SetNotifications(_ context.Context, on bool) error {
	return f.record("SetNotifications", on)
}

func (f *fakeBackend) SetStartAtLogin(_ context.Context, on bool) error {
	return f.record("SetStartAtLogin", on)
}

func (f *fakeBackend) OpenTopUp() error { return f.record("OpenTopUp") }

func (f *fakeBackend) Quit() { _ = f.record("Quit") }
