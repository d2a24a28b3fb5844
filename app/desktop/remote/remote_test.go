package remote_test

import (
	"context"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/desktop/remote"
	"github.com/milady-ai/milady-cloud/cloud"
)

// TestNewRefusesBadBaseURL: only an absolute http(s) address will do.
func TestNewRefusesBadBaseURL(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"", "127.0.0.1:2138", "ftp://127.0.0.1/", "http://u:p@127.0.0.1/", "http://127.0.0.1/?a=1"} {
		if _, err := remote.New(remote.Config{BaseURL: u}); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
}

// TestHealth reads the parent's version.
func TestHealth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	v, err := h.c.Health(t.Context())
	if err != nil || v != "9.9.9" {
		t.Fatalf("Health = %q, %v; want 9.9.9", v, err)
	}
}

// TestBackend: each desktop.Backend method reaches the fake through its
// route with its arguments, and the answer is decoded whole.
func TestBackend(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()

	snap := app.Snapshot{Seq: 7, Version: "9.9.9", LoggedIn: true, KeyPrefix: "eliza_ab",
		Connection: cloud.State{State: cloud.StateConnected, AgentID: agentID, AgentName: "Milady", Since: testTime},
		Settings:   app.SettingsView{Notifications: true, ConfigPath: "/tmp/milady.json"}}
	h.b.Push(snap)
	sameJSON(t, "Snapshot", h.c.Snapshot(), snap)

	status := app.StatusView{Connected: true, Enabled: true, HasAPIKey: true, TopUpURL: cloud.TopUpURL,
		Connection: cloud.State{State: cloud.StateConnected, AgentID: agentID, Since: testTime}}
	h.b.StatusFn = func(context.Context) app.StatusView { return status }
	sameJSON(t, "Status", h.c.Status(ctx), status)

	start := app.LoginStart{OK: true, SessionID: "sess-1", BrowserURL: "https://cloud.test/auth/cli-login?session=sess-1"}
	h.b.StartLoginFn = func(context.Context) (app.LoginStart, error) { return start, nil }
	got, err := h.c.BeginBrowserLogin(ctx)
	if err != nil || got != start {
		t.Fatalf("BeginBrowserLogin = %+v, %v; want %+v", got, err, start)
	}
	h.lastCall(t, "StartLogin") // the REST login, which opens nothing itself
	if urls := h.opener.URLs(); len(urls) != 1 || urls[0] != start.BrowserURL {
		t.Fatalf("opened %q, want the login page once", urls)
	}

	h.c.CancelLogin()
	h.lastCall(t, "CancelLogin")

	out, err := h.c.Logout(ctx)
	if err != nil || !out.OK || !out.KeyStillValid || out.Status != "disconnected" || out.RevokeURL != cloud.DefaultBaseURL+"/dashboard/api-keys" {
		t.Fatalf("Logout = %+v, %v", out, err)
	}
	h.lastCall(t, "Logout")

	for _, c := range []struct {
		method string
		call   func(bool) error
	}{
		{"SetNotifications", func(on bool) error { return h.c.SetNotifications(ctx, on) }},
		{"SetStartAtLogin", func(on bool) error { return h.c.SetStartAtLogin(ctx, on) }},
		{"SetBackupSkipWhenIdle", func(on bool) error { return h.c.SetBackupSkipWhenIdle(ctx, on) }},
	} {
		for _, on := range []bool{true, false} {
			before := len(h.b.Calls())
			if err := c.call(on); err != nil {
				t.Fatalf("%s(%v): %v", c.method, on, err)
			}
			h.checkArgs(t, c.method, on)
			for _, call := range h.b.Calls()[before:] {
				if strings.HasPrefix(call.Method, "Set") && call.Method != c.method {
					t.Errorf("%s(%v) also called %s", c.method, on, call)
				}
			}
		}
	}

	if err := h.c.OpenTopUp(); err != nil {
		t.Fatalf("OpenTopUp: %v", err)
	}
	h.lastCall(t, "OpenTopUp")
}

// TestLoginOpens: the login page is opened like the Service opens it: not
// twice within app.OpenInterval, and never an address that is not a web
// page.
func TestLoginOpens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	browser := "https://cloud.test/auth/cli-login?session=s"
	h.b.StartLoginFn = func(context.Context) (app.LoginStart, error) {
		return app.LoginStart{SessionID: "s", BrowserURL: browser}, nil
	}
	for range 2 {
		if _, err := h.c.BeginBrowserLogin(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.opener.URLs()); n != 1 {
		t.Fatalf("a double press opened %d pages, want 1", n)
	}
	h.clk.Advance(app.OpenInterval)
	if _, err := h.c.BeginBrowserLogin(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(h.opener.URLs()); n != 2 {
		t.Fatalf("a press after the interval: %d pages opened, want 2", n)
	}

	h.clk.Advance(app.OpenInterval)
	browser = "file:///etc/passwd"
	if _, err := h.c.BeginBrowserLogin(ctx); err != nil {
		t.Fatal(err)
	}
	if urls := h.opener.URLs(); len(urls) != 2 {
		t.Fatalf("opened %q: a non-web address must not be opened", urls)
	}
}

// TestAgents: each desktop.Agents method.
func TestAgents(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	ag := h.c.Agents()

	h.b.ListAgentsFn = func(context.Context) ([]cloud.Agent, error) { return []cloud.Agent{*testAgent(agentID)}, nil }
	list, err := ag.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "List", list, []cloud.Agent{*testAgent(agentID)})

	in := app.CreateAgentInput{AgentName: "Ada", AgentConfig: map[string]any{"a": float64(1)}, EnvironmentVars: map[string]string{"K": "V"}}
	h.b.CreateAgentFn = func(_ context.Context, in app.CreateAgentInput) (*cloud.Agent, error) {
		a := testAgent(agentID)
		a.AgentName = in.AgentName
		return a, nil
	}
	created, err := ag.Create(ctx, in)
	if err != nil || created == nil || created.AgentName != "Ada" || created.ID != agentID {
		t.Fatalf("Create = %+v, %v", created, err)
	}
	h.checkArgs(t, "CreateAgent", in)

	h.b.GetAgentFn = func(_ context.Context, id string) (*cloud.Agent, error) { return testAgent(id), nil }
	one, err := ag.Get(ctx, agentID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "Get", one, testAgent(agentID))
	h.checkArgs(t, "GetAgent", agentID)

	h.b.ConnectAgentFn = func(_ context.Context, id string) (app.ConnectResult, error) {
		return app.ConnectResult{OK: true, AgentID: id, AgentName: "Milady", Status: "connected"}, nil
	}
	res, err := ag.Connect(ctx, agentID)
	if want := (app.ConnectResult{OK: true, AgentID: agentID, AgentName: "Milady", Status: "connected"}); err != nil || res != want {
		t.Fatalf("Connect = %+v, %v; want %+v", res, err, want)
	}
	h.checkArgs(t, "ConnectAgent", agentID)

	res, err = ag.ConnectAsync(ctx, agentID)
	if want := (app.ConnectResult{OK: true, AgentID: agentID, Status: "connecting"}); err != nil || res != want {
		t.Fatalf("ConnectAsync = %+v, %v; want %+v", res, err, want)
	}
	h.checkArgs(t, "ConnectAgentAsync", agentID)

	for method, call := range map[string]func(context.Context, string) error{
		"DisconnectAgent": ag.Disconnect,
		"ShutdownAgent":   ag.Shutdown,
		"SuspendAgent":    ag.Suspend,
		"ResumeAgent":     ag.Resume,
		"OpenAgent":       ag.Open,
	} {
		if err := call(ctx, agentID); err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		h.checkArgs(t, method, agentID)
	}

	size := int64(42)
	backups := []cloud.Backup{{ID: "bk-1", SnapshotType: "auto", SizeBytes: &size, CreatedAt: testTime}}
	h.b.ListBackupsFn = func(context.Context, string) ([]cloud.Backup, error) { return backups, nil }
	gotBackups, err := ag.Backups(ctx, agentID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "Backups", gotBackups, backups)
	h.checkArgs(t, "ListBackups", agentID)

	h.b.SnapshotAgentFn = func(context.Context, string) (*cloud.Backup, error) { return &backups[0], nil }
	bk, err := ag.Backup(ctx, agentID)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "Backup", bk, &backups[0])
	h.checkArgs(t, "SnapshotAgent", agentID)

	for _, backupID := range []string{"bk-7", ""} {
		r, err := ag.Restore(ctx, agentID, backupID)
		if err != nil || r == nil || r.RestoredFromBackupID != backupID {
			t.Fatalf("Restore(%q) = %+v, %v", backupID, r, err)
		}
		h.checkArgs(t, "RestoreAgent", agentID, backupID)
	}
}

// TestBilling: each desktop.Billing method.
func TestBilling(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	bill := h.c.Billing()

	bal, low := 12.5, false
	credits := app.CreditsResponse{Connected: true, Balance: &bal, Low: &low, Critical: &low, TopUpURL: cloud.TopUpURL}
	h.b.CreditsFn = func(context.Context, bool) app.CreditsResponse { return credits }
	for _, fresh := range []bool{false, true} {
		sameJSON(t, "Credits", bill.Credits(ctx, fresh), credits)
		h.checkArgs(t, "Credits", fresh)
	}

	samples := []app.BalanceSample{{At: testTime, Balance: 12.5}}
	h.b.CreditHistoryFn = func(context.Context) ([]app.BalanceSample, error) { return samples, nil }
	hist, err := bill.CreditHistory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "CreditHistory", hist, samples)

	for _, n := range []int{25, 0} {
		top, err := bill.TopUp(ctx, n)
		if want := (app.TopUpResponse{OK: true, URL: cloud.TopUpURL}); err != nil || top != want {
			t.Fatalf("TopUp(%d) = %+v, %v; want %+v", n, top, err, want)
		}
		h.checkArgs(t, "TopUp", n)
	}

	rate := 0.5
	usage := app.UsageResponse{Hours: 720, Spent: 3, Added: 10, BurnRatePerHour: &rate,
		Transactions: []app.UsageTransaction{{ID: "tx", Amount: -3, Type: "usage", Description: "chat", CreatedAt: testTime}}}
	h.b.UsageFn = func(_ context.Context, hours, _ int) (app.UsageResponse, error) {
		u := usage
		u.Hours = hours
		return u, nil
	}
	for _, c := range [][2]int{{720, 5}, {0, 0}, {0, 1000}} {
		u, err := bill.Usage(ctx, c[0], c[1])
		if err != nil {
			t.Fatalf("Usage%v: %v", c, err)
		}
		want := usage
		want.Hours = c[0]
		sameJSON(t, "Usage", u, want)
		h.checkArgs(t, "Usage", c[0], c[1])
	}
}

// TestChat: Send and History; Stream is in chat_test.go.
func TestChat(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	ctx := t.Context()
	ch := h.c.Chat()

	h.b.ChatFn = func(_ context.Context, in app.ChatInput) (app.ChatReply, error) {
		return app.ChatReply{Text: "echo: " + in.Text, AgentID: agentID}, nil
	}
	in := app.ChatInput{Text: "hi", RoomID: "r1", ChannelType: "GROUP"}
	reply, err := ch.Send(ctx, in)
	if want := (app.ChatReply{Text: "echo: hi", AgentID: agentID}); err != nil || reply != want {
		t.Fatalf("Send = %+v, %v; want %+v", reply, err, want)
	}
	h.checkArgs(t, "Chat", in)

	msgs := []app.ChatMessage{{At: testTime, AgentID: agentID, RoomID: "r9", Role: "agent", Text: "hello"}}
	h.b.ChatHistoryFn = func(context.Context, string) ([]app.ChatMessage, error) { return msgs, nil }
	got, err := ch.History(ctx, "r9")
	if err != nil {
		t.Fatal(err)
	}
	sameJSON(t, "History", got, msgs)
	h.checkArgs(t, "ChatHistory", "r9")
	if _, err := ch.History(ctx, ""); err != nil {
		t.Fatal(err)
	}
	h.checkArgs(t, "ChatHistory", app.DefaultRoom) // "" is the default room, as in the Service
}
