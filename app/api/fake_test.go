package api

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// fakeBackend is the shared apptest.Backend set up with the REST tests'
// canned answers. errs makes a method fail; panics makes it panic. Fields
// are set before the server starts; calls are read with Calls(), each as
// one string such as "GetAgent 1234…".
type fakeBackend struct {
	*apptest.Backend

	errs   map[string]error // method name → error it returns
	panics map[string]bool  // method name → it panics

	loginStatus app.LoginStatus
	loggedIn    bool // Snapshot().LoggedIn; true from newFake
	shown       bool
	sub         *apptest.Sub
	// chatStream replaces the default ChatStream (onStart, two chunks).
	chatStream func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error
}

const (
	testAgentID = "123e4567-e89b-12d3-a456-426614174000"
	testVersion = "1.2.3-test"
)

var testTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testAgent(id string) *cloud.Agent {
	return &cloud.Agent{ID: id, AgentName: "Milady", Status: "running", CreatedAt: testTime, UpdatedAt: testTime}
}

// options are the server's Options over this fake and its parts.
func (f *fakeBackend) options() Options {
	return Options{Backend: f, Agents: f.Agents(), Chat: f.Chat(), Billing: f.Billing(), Logger: slog.New(slog.DiscardHandler)}
}

func newFake() *fakeBackend {
	f := &fakeBackend{
		Backend:     apptest.NewBackend(app.Snapshot{}),
		errs:        map[string]error{},
		panics:      map[string]bool{},
		loginStatus: app.LoginStatus{Status: "pending"},
		loggedIn:    true,
		sub:         apptest.NewSub(8),
	}
	b := f.Backend
	b.OnCall = func(c apptest.Call) error {
		if f.panics[c.Method] {
			panic("fake " + c.Method + " panicked")
		}
		return f.errs[c.Method]
	}
	b.VersionFn = func() string { return testVersion }
	b.SnapshotFn = func() app.Snapshot {
		return app.Snapshot{Version: testVersion, LoggedIn: f.loggedIn, Settings: app.SettingsView{Notifications: true, ConfigPath: "/tmp/milady.json"}}
	}
	b.StatusFn = func(context.Context) app.StatusView {
		return app.StatusView{Connected: false, Enabled: false, Reason: "not_authenticated",
			Connection: cloud.State{State: cloud.StateDisconnected, Since: testTime}}
	}
	b.SubscribeFn = func() app.Subscription { return f.sub }
	b.StartLoginFn = func(context.Context) (app.LoginStart, error) {
		return app.LoginStart{SessionID: "sess-1", BrowserURL: "https://cloud.test/auth/cli-login?session=sess-1"}, nil
	}
	b.LoginStatusFn = func(context.Context, string) (app.LoginStatus, error) { return f.loginStatus, nil }
	b.CreditsFn = func(context.Context, bool) app.CreditsResponse {
		bal, low := 12.5, false
		return app.CreditsResponse{Connected: true, Balance: &bal, Low: &low, Critical: &low, TopUpURL: cloud.TopUpURL}
	}
	b.CreditHistoryFn = func(context.Context) ([]app.BalanceSample, error) {
		return []app.BalanceSample{{At: testTime, Balance: 12.5}}, nil
	}
	b.ListAgentsFn = func(context.Context) ([]cloud.Agent, error) { return []cloud.Agent{*testAgent(testAgentID)}, nil }
	b.CreateAgentFn = func(_ context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
		a := testAgent(testAgentID)
		a.AgentName = in.AgentName
		return a, nil
	}
	b.GetAgentFn = func(_ context.Context, id string) (*cloud.Agent, error) { return testAgent(id), nil }
	b.ConnectAgentFn = func(_ context.Context, id string) (app.ConnectResult, error) {
		return app.ConnectResult{OK: true, AgentID: id, AgentName: "Milady", Status: "connected"}, nil
	}
	b.ConnectAgentAsyncFn = func(_ context.Context, id string) (app.ConnectResult, error) {
		return app.ConnectResult{AgentID: id}, nil // the REST layer fills ok and status
	}
	b.ListBackupsFn = func(context.Context, string) ([]cloud.Backup, error) { return nil, nil } // answered as [] not null
	b.SnapshotAgentFn = func(context.Context, string) (*cloud.Backup, error) {
		return &cloud.Backup{ID: "bk-1", SnapshotType: "manual", CreatedAt: testTime}, nil
	}
	b.RestoreAgentFn = func(context.Context, string, string) (*cloud.RestoreResult, error) {
		return &cloud.RestoreResult{RestoredFromBackupID: "bk-1", SnapshotType: "manual", CreatedAt: testTime}, nil
	}
	b.ChatFn = func(_ context.Context, in app.ChatInput) (app.ChatReply, error) {
		return app.ChatReply{Text: "echo: " + in.Text, AgentID: testAgentID}, nil
	}
	b.ChatStreamFn = func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
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
	b.ChatHistoryFn = func(_ context.Context, room string) ([]app.ChatMessage, error) {
		return []app.ChatMessage{{At: testTime, AgentID: testAgentID, RoomID: room, Role: "user", Text: "hi"}}, nil
	}
	b.ShowWindowFn = func() bool { return f.shown }
	return f
}

// Calls returns the recorded calls, each as "Method arg…".
func (f *fakeBackend) Calls() []string {
	var out []string
	for _, c := range f.Backend.Calls() {
		out = append(out, callLine(c))
	}
	return out
}

// callLine words a call the way the REST tests match it.
func callLine(c apptest.Call) string {
	args := c.Args
	switch c.Method {
	case "Chat":
		in := args[0].(app.ChatInput)
		args = []any{in.Text, "room=" + in.RoomID, "channel=" + in.ChannelType}
	case "ChatStream":
		args = []any{args[0].(app.ChatInput).Text}
	case "CreateAgent":
		in := args[0].(app.CreateAgentInput)
		args = []any{in.AgentName, len(in.AgentConfig), in.EnvironmentVars}
	case "RestoreAgent":
		args = []any{args[0], "backup=" + args[1].(string)}
	}
	line := c.Method
	for _, a := range args {
		line += " " + fmt.Sprint(a)
	}
	return line
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
