package desktop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// TestMain first lets the binary play the window process for the Child
// tests (childfake_test.go); a test run goes on to the tests.
func TestMain(m *testing.M) {
	fakeProcessMain()
	goleak.VerifyTestMain(m)
}

// TestMethodsDelegate checks that each bound method calls the matching
// Backend method with its arguments and passes the result through.
func TestMethodsDelegate(t *testing.T) {
	b := newFake(fakeBackend{})
	a := New(b.config(Config{}))
	in := app.CreateAgentInput{AgentName: "milady", EnvironmentVars: map[string]string{"K": "v"}}
	tests := []struct {
		name string
		call func() (any, error)
		want string // the Backend call
		out  any    // the result, when it is worth checking
	}{
		{"GetSnapshot", func() (any, error) { return a.GetSnapshot() }, "Snapshot", app.Snapshot{Version: "test", Sim: true}},
		{"GetStatus", func() (any, error) { return a.GetStatus() }, "Status", app.StatusView{HasAPIKey: true}},
		{"Login", func() (any, error) { return a.Login() }, "BeginBrowserLogin",
			app.LoginStart{OK: true, SessionID: "s1", BrowserURL: "https://sim/auth/cli-login?session=s1"}},
		{"CancelLogin", func() (any, error) { return nil, a.CancelLogin() }, "CancelLogin", nil},
		{"Logout", func() (any, error) { return a.Logout() }, "Logout",
			app.LogoutResponse{OK: true, Status: "disconnected", KeyStillValid: true, RevokeURL: "https://www.elizacloud.ai/dashboard/api-keys"}},
		{"GetCredits", func() (any, error) { return a.GetCredits(true) }, "Credits true", nil},
		{"GetCreditHistory", func() (any, error) { return a.GetCreditHistory() }, "CreditHistory", nil},
		{"ListAgents", func() (any, error) { return a.ListAgents() }, "ListAgents", nil},
		{"CreateAgent", func() (any, error) { return a.CreateAgent(in) }, "CreateAgent milady map[K:v]", nil},
		{"GetAgent", func() (any, error) { return a.GetAgent("a1") }, "GetAgent a1", nil},
		{"ConnectAgent", func() (any, error) { return a.ConnectAgent("a1") }, "ConnectAgent a1",
			app.ConnectResult{OK: true, AgentID: "a1", Status: "connected"}},
		{"ConnectAgentAsync", func() (any, error) { return a.ConnectAgentAsync("a1") }, "ConnectAgentAsync a1", nil},
		{"DisconnectAgent", func() (any, error) { return nil, a.DisconnectAgent("a1") }, "DisconnectAgent a1", nil},
		{"ShutdownAgent", func() (any, error) { return nil, a.ShutdownAgent("a1") }, "ShutdownAgent a1", nil},
		{"SuspendAgent", func() (any, error) { return nil, a.SuspendAgent("a1") }, "SuspendAgent a1", nil},
		{"ResumeAgent", func() (any, error) { return nil, a.ResumeAgent("a1") }, "ResumeAgent a1", nil},
		{"ListBackups", func() (any, error) { return a.ListBackups("a1") }, "ListBackups a1", nil},
		{"SnapshotAgent", func() (any, error) { return a.SnapshotAgent("a1") }, "SnapshotAgent a1", nil},
		{"RestoreAgent", func() (any, error) { return a.RestoreAgent("a1", "b1") }, "RestoreAgent a1 b1", nil},
		{"SendChat", func() (any, error) { return a.SendChat("hello", "room") }, `Chat "hello" "room"`,
			app.ChatReply{Text: "echo hello", AgentID: "a1"}},
		{"ChatHistory", func() (any, error) { return a.ChatHistory("") }, `ChatHistory ""`, nil},
		{"SetNotifications", func() (any, error) { return nil, a.SetNotifications(false) }, "SetNotifications false", nil},
		{"SetStartAtLogin", func() (any, error) { return nil, a.SetStartAtLogin(true) }, "SetStartAtLogin true", nil},
		{"OpenTopUp", func() (any, error) { return nil, a.OpenTopUp() }, "OpenTopUp", nil},
		{"TopUp", func() (any, error) { return a.TopUp(25) }, "TopUp 25",
			app.TopUpResponse{OK: true, URL: "https://www.elizacloud.ai/dashboard/settings?tab=billing"}},
		{"GetUsage", func() (any, error) { return a.GetUsage(48, 5) }, "Usage 48 5", nil},
		{"OpenAgent", func() (any, error) { return nil, a.OpenAgent("a1") }, "OpenAgent a1", nil},
		{"SetBackupSkipWhenIdle", func() (any, error) { return nil, a.SetBackupSkipWhenIdle(false) }, "SetBackupSkipWhenIdle false", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.call()
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got := b.lastCall(); got != tt.want {
				t.Errorf("backend call = %q, want %q", got, tt.want)
			}
			if tt.out != nil && !reflect.DeepEqual(out, tt.out) {
				t.Errorf("result = %#v, want %#v", out, tt.out)
			}
		})
	}
}

// TestErrorsPassThrough checks that a Backend error reaches the page with
// its message intact (the promise rejects with err.Error()).
func TestErrorsPassThrough(t *testing.T) {
	b := newFake(fakeBackend{err: errBoom})
	a := New(b.config(Config{}))
	calls := map[string]func() error{
		"Login":         func() error { _, err := a.Login(); return err },
		"Logout":        func() error { _, err := a.Logout(); return err },
		"ListAgents":    func() error { _, err := a.ListAgents(); return err },
		"ConnectAgent":  func() error { _, err := a.ConnectAgent("x"); return err },
		"SendChat":      func() error { _, err := a.SendChat("", ""); return err },
		"StreamChat":    func() error { _, err := a.StreamChat("r", "", ""); return err },
		"RestoreAgent":  func() error { _, err := a.RestoreAgent("a", "b"); return err },
		"OpenTopUp":     a.OpenTopUp,
		"SetStartLogin": func() error { return a.SetStartAtLogin(true) },
	}
	for name, call := range calls {
		err := call()
		if !errors.Is(err, errBoom) || err.Error() != errBoom.Error() {
			t.Errorf("%s: err = %v, want %v unchanged", name, err, errBoom)
		}
	}
}

func TestStreamChatEmitsChunksAndReturnsWhole(t *testing.T) {
	b := newFake(fakeBackend{chunks: []string{"Hel", "lo ", "there"}})
	em := &recordingEmitter{}
	a := New(b.config(Config{Emitter: em}))
	reply, err := a.StreamChat("req-7", "hi", "room-1")
	if err != nil {
		t.Fatal(err)
	}
	if want := (app.ChatReply{Text: "Hello there", AgentID: "a1"}); reply != want {
		t.Errorf("reply = %+v, want %+v", reply, want)
	}
	if got, want := b.lastCall(), `ChatStream "hi" "room-1"`; got != want {
		t.Errorf("backend call = %q, want %q", got, want)
	}
	want := []emitted{
		{EventChatChunk, ChatChunk{RequestID: "req-7", Text: "Hel"}},
		{EventChatChunk, ChatChunk{RequestID: "req-7", Text: "lo "}},
		{EventChatChunk, ChatChunk{RequestID: "req-7", Text: "there"}},
	}
	if got := em.events(); !reflect.DeepEqual(got, want) {
		t.Errorf("emitted %+v, want %+v", got, want)
	}
}

func TestStreamChatFailsMidStream(t *testing.T) {
	b := newFake(fakeBackend{chunks: []string{"par"}, err: errors.New("stream broke")})
	em := &recordingEmitter{}
	a := New(b.config(Config{Emitter: em}))
	reply, err := a.StreamChat("r", "hi", "")
	if err == nil || err.Error() != "stream broke" {
		t.Fatalf("err = %v, want stream broke", err)
	}
	if reply != (app.ChatReply{}) {
		t.Errorf("reply = %+v, want empty on failure", reply)
	}
	if n := len(em.events()); n != 1 {
		t.Errorf("emitted %d chunks, want the 1 received before the failure", n)
	}
}

func TestReportReadyLogsAndCallsHook(t *testing.T) {
	var buf bytes.Buffer
	called := 0
	a := New(newFake(fakeBackend{}).config(Config{Logger: slog.New(slog.NewTextHandler(&buf, nil)),
		OnReady: func() { called++ },
	}))
	if err := a.ReportReady(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "window: dashboard ready") || !strings.Contains(buf.String(), "level=INFO") {
		t.Errorf("log = %q, want an INFO line 'window: dashboard ready'", buf.String())
	}
	if called != 1 {
		t.Errorf("OnReady called %d times, want 1", called)
	}
	// Without a hook it must not panic.
	if err := New(newFake(fakeBackend{}).config(Config{})).ReportReady(); err != nil {
		t.Fatal(err)
	}
}

func TestOpenURL(t *testing.T) {
	var opened []string
	a := New(newFake(fakeBackend{}).config(Config{Opener: app.OpenerFunc(func(u string) error {
		opened = append(opened, u)
		return nil
	})}))
	for _, bad := range []string{"file:///etc/passwd", "javascript:alert(1)", "mailto:x@y", "https://", "", "::"} {
		if err := a.OpenURL(bad); err == nil {
			t.Errorf("OpenURL(%q) succeeded, want refusal", bad)
		}
	}
	if err := a.OpenURL("https://www.elizacloud.ai/dashboard/billing"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"https://www.elizacloud.ai/dashboard/billing"}; !reflect.DeepEqual(opened, want) {
		t.Errorf("opened %v, want %v", opened, want)
	}

	failing := New(newFake(fakeBackend{}).config(Config{Opener: app.OpenerFunc(func(string) error { return errors.New("no xdg-open") })}))
	if err := failing.OpenURL("https://x.test/"); err == nil || !strings.Contains(err.Error(), "no xdg-open") {
		t.Errorf("err = %v, want the opener's error", err)
	}
	if err := New(newFake(fakeBackend{}).config(Config{})).OpenURL("https://x.test/"); !errors.Is(err, errNoOpener) {
		t.Errorf("err = %v, want errNoOpener", err)
	}
}

// TestEventsForwarded checks the bridge: every Backend event reaches the
// Emitter under its type with its data, in order, until shutdown.
func TestEventsForwarded(t *testing.T) {
	sub := apptest.NewSub(0)
	a, b, em := startForwarding(t, sub)
	a.startup(context.Background()) // idempotent: still one subscription

	snap := app.Snapshot{Version: "v1"}
	evs := []app.Event{
		{Type: app.EventSnapshot, Data: snap},
		{Type: app.EventState, Data: app.Snapshot{Version: "v2"}},
		{Type: app.EventLogin, Data: app.LoginEvent{Status: "pending"}},
		{Type: app.EventNotice, Data: app.Notice{Kind: "credits", Message: "low"}},
	}
	for _, ev := range evs {
		sub.Send(t, ev)
		em.wait(t)
	}
	var want []emitted
	for _, ev := range evs {
		want = append(want, emitted{ev.Type, ev.Data})
	}
	if got := em.events(); !reflect.DeepEqual(got, want) {
		t.Errorf("emitted %+v\nwant %+v", got, want)
	}
	if n := strings.Count(strings.Join(b.calls(), ","), "Subscribe"); n != 1 {
		t.Errorf("Subscribe called %d times, want 1", n)
	}

	a.shutdown(context.Background())
	select {
	case <-sub.Closed:
	default:
		t.Error("subscription not closed at shutdown")
	}
	select {
	case sub.Ch <- app.Event{Type: "late"}:
		t.Error("an event was received after shutdown")
	default:
	}
	a.shutdown(context.Background()) // idempotent
}

// TestForwarderStopsWhenStreamEnds: when the Backend ends the stream (at
// its shutdown), the forwarder returns on its own, before the window's
// shutdown, releasing the subscription and emitting nothing more (a
// forwarder that kept reading the closed channel would spin, emitting
// empty events).
func TestForwarderStopsWhenStreamEnds(t *testing.T) {
	sub := apptest.NewSub(0)
	em := &recordingEmitter{}
	a := New(newFake(fakeBackend{sub: sub}).config(Config{Emitter: em}))
	a.startup(context.Background())
	defer a.shutdown(context.Background())
	sub.Send(t, app.Event{Type: app.EventSnapshot, Data: app.Snapshot{Version: "v"}})
	close(sub.Ch)
	apptest.Receive(t, sub.Closed, waitLimit, "the forwarder did not release the subscription after the stream ended")
	if got := em.events(); len(got) != 1 || got[0].name != app.EventSnapshot {
		t.Fatalf("emitted %+v, want only the snapshot", got)
	}
}

// TestShutdownCancelsCallsInFlight checks that Backend calls run under a
// context that quitting cancels, so a slow upstream call cannot hold the
// process open.
func TestShutdownCancelsCallsInFlight(t *testing.T) {
	b := newFake(fakeBackend{sub: apptest.NewSub(0)})
	a := New(b.config(Config{}))
	if _, err := a.ListAgents(); err != nil { // before startup: Background
		t.Fatal(err)
	}
	if b.lastCtx() == nil || b.lastCtx().Done() != nil {
		t.Error("before startup, calls should get context.Background")
	}
	a.startup(context.WithValue(context.Background(), ctxKey{}, "wails"))
	if _, err := a.ListAgents(); err != nil {
		t.Fatal(err)
	}
	ctx := b.lastCtx()
	if ctx.Value(ctxKey{}) != "wails" {
		t.Error("calls should carry the startup context's values")
	}
	if ctx.Err() != nil {
		t.Fatal("context already cancelled while running")
	}
	a.shutdown(context.Background())
	if !errors.Is(ctx.Err(), context.Canceled) {
		t.Errorf("after shutdown ctx.Err() = %v, want Canceled", ctx.Err())
	}
}

type ctxKey struct{}

func TestBeforeClose(t *testing.T) {
	tests := []struct {
		name        string
		tray        func() bool
		quit        bool
		wantPrevent bool
		wantWindow  []string
	}{
		{"tray host present: hide instead of quit", func() bool { return true }, false, true, []string{"Hide"}},
		{"no tray host: quit", func() bool { return false }, false, false, nil},
		{"no tray check at all: quit", nil, false, false, nil},
		{"explicit quit wins over the tray", func() bool { return true }, true, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &fakeWindow{}
			a := New(newFake(fakeBackend{}).config(Config{Window: w, TrayHostPresent: tt.tray}))
			if tt.quit {
				a.requestQuit()
			}
			if got := a.beforeClose(context.Background()); got != tt.wantPrevent {
				t.Errorf("prevent = %v, want %v", got, tt.wantPrevent)
			}
			if got := w.got(); !reflect.DeepEqual(got, tt.wantWindow) {
				t.Errorf("window calls = %v, want %v", got, tt.wantWindow)
			}
		})
	}
}

// TestHiddenStartShowsWindowWithoutTray checks that --hidden without a tray
// host shows the window after the grace period, so the app stays reachable.
func TestHiddenStartShowsWindowWithoutTray(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	w := &fakeWindow{shown: make(chan struct{})}
	a := New(newFake(fakeBackend{sub: apptest.NewSub(0)}).config(Config{Window: w, StartHidden: true,
		TrayHostPresent: func() bool { return false }, TrayGrace: 2 * time.Second, Clock: clk,
	}))
	a.startup(context.Background())
	defer a.shutdown(context.Background())
	for i := 0; i < 3; i++ { // 1.5 s: still within the grace period
		if !clk.WaitFor(1, 5*time.Second) {
			t.Fatal("keepReachable did not wait on the clock")
		}
		clk.Advance(trayPollInterval)
	}
	if got := w.got(); len(got) != 0 {
		t.Fatalf("window calls before the grace period ended: %v", got)
	}
	if !clk.WaitFor(1, 5*time.Second) {
		t.Fatal("keepReachable did not wait on the clock")
	}
	clk.Advance(trayPollInterval)
	apptest.Receive(t, w.shown, waitLimit, "window not shown after the grace period without a tray host")
}

func TestHiddenStartStaysHiddenWithTray(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	w := &fakeWindow{}
	checked := make(chan struct{}, 1)
	present := false
	a := New(newFake(fakeBackend{sub: apptest.NewSub(0)}).config(Config{Window: w, StartHidden: true, Clock: clk,
		TrayHostPresent: func() bool {
			select {
			case checked <- struct{}{}:
			default:
			}
			return present
		},
	}))
	a.startup(context.Background())
	<-checked
	if !clk.WaitFor(1, 5*time.Second) {
		t.Fatal("keepReachable did not wait on the clock")
	}
	a.shutdown(context.Background()) // stops the watcher while it waits
	if got := w.got(); len(got) != 0 {
		t.Errorf("window calls = %v, want none", got)
	}
	// And when the tray host is there from the start, nothing waits.
	present = true
	b := New(newFake(fakeBackend{sub: apptest.NewSub(0)}).config(Config{Window: w, StartHidden: true, Clock: clk,
		TrayHostPresent: func() bool { return present },
	}))
	b.startup(context.Background())
	b.shutdown(context.Background())
	if got := w.got(); len(got) != 0 {
		t.Errorf("window calls = %v, want none", got)
	}
}

func TestWailsLoggerLevels(t *testing.T) {
	var buf bytes.Buffer
	l := wailsLogger{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Print("p")
	l.Trace("t")
	l.Debug("d")
	l.Info("i")
	l.Warning("w")
	l.Error("e")
	l.Fatal("f")
	for _, want := range []string{"level=INFO msg=p", "level=DEBUG msg=t", "level=DEBUG msg=d", "level=INFO msg=i",
		"level=WARN msg=w", "level=ERROR msg=e", `level=ERROR msg="fatal: f"`, "source=wails"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestDomReadyLogs(t *testing.T) {
	var buf bytes.Buffer
	a := New(newFake(fakeBackend{}).config(Config{Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}))
	a.domReady(context.Background())
	if !strings.Contains(buf.String(), "window: DOM ready") {
		t.Errorf("log = %q", buf.String())
	}
}

// TestForwarderDropsOlderSnapshots: an event whose snapshot is numbered at
// or below the last forwarded never reaches the page.
func TestForwarderDropsOlderSnapshots(t *testing.T) {
	sub := apptest.NewSub(0)
	a, _, em := startForwarding(t, sub)
	defer a.shutdown(context.Background())

	ev := func(typ string, seq uint64) app.Event {
		s := app.Snapshot{Seq: seq, Version: fmt.Sprint(seq)}
		return app.Event{Type: typ, Data: s, Snapshot: s}
	}
	for _, e := range []app.Event{ev(app.EventSnapshot, 2), ev(app.EventState, 1), ev(app.EventState, 2), ev(app.EventState, 3)} {
		sub.Send(t, e)
	}
	em.wait(t)
	em.wait(t)
	want := []emitted{{app.EventSnapshot, app.Snapshot{Seq: 2, Version: "2"}}, {app.EventState, app.Snapshot{Seq: 3, Version: "3"}}}
	if got := em.events(); !reflect.DeepEqual(got, want) {
		t.Errorf("emitted %+v\nwant %+v", got, want)
	}
}
