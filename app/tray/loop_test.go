package tray

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/tray/traytest"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 5 * time.Second

// applied is one render the loop sent to the view.
type applied struct {
	menu Menu
	icon IconKey
}

// recView records renders; the loop calls apply from its goroutine only.
type recView struct{ ch chan applied }

func (v *recView) apply(m Menu, k IconKey) { v.ch <- applied{m, k} }

// next returns the next render or fails.
func (v *recView) next(t *testing.T) applied {
	t.Helper()
	return apptest.Receive(t, v.ch, wait, "a render")
}

// until skips renders until one satisfies cond.
func (v *recView) until(t *testing.T, what string, cond func(applied) bool) applied {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case a := <-v.ch:
			if cond(a) {
				return a
			}
		case <-deadline:
			t.Fatalf("never rendered %s", what)
		}
	}
}

// harness runs a controller over a FakeBackend with test-driven clicks.
type harness struct {
	b      *traytest.FakeBackend
	as     *apptest.Autostart
	view   *recView
	clicks [numItems]chan struct{}
	logs   *apptest.Buffer // safe for the goroutines clicks run on
	dash   chan struct{}
	quit   chan struct{}
	ctl    *controller
	cancel context.CancelFunc
	done   chan struct{}
}

func loggedIn(conn cloud.State) app.Snapshot {
	return app.Snapshot{
		LoggedIn: true, Connection: conn,
		Credits:     app.CreditsView{Balance: ptr(12.5), Level: "ok"},
		LastAgentID: "a1", LastAgentName: "Remilia",
	}
}

func startHarness(t *testing.T, s app.Snapshot, withAutostart bool) *harness {
	t.Helper()
	h := &harness{
		b:    traytest.NewFakeBackend(s),
		as:   &apptest.Autostart{},
		view: &recView{ch: make(chan applied, 16)},
		logs: &apptest.Buffer{},
		dash: make(chan struct{}, 8),
		quit: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	opts := Options{
		Logger:        slog.New(slog.NewTextHandler(h.logs, nil)),
		OpenDashboard: func() { h.dash <- struct{}{} },
		OnQuit:        func() { h.quit <- struct{}{} },
	}
	opts.StartAtLogin = withAutostart
	h.b.UseAutostart(h.as)
	h.ctl = newController(h.b, h.b.Agents(), opts)
	var cl clicks
	for i := range h.clicks {
		h.clicks[i] = make(chan struct{})
		cl[i] = h.clicks[i]
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	sub := h.b.Subscribe()
	go func() {
		defer close(h.done)
		h.ctl.run(ctx, sub.C(), h.b.Snapshot(), cl, h.view)
	}()
	t.Cleanup(func() {
		cancel()
		<-h.done
		sub.Close()
		h.ctl.drain(wait)
	})
	return h
}

// stop ends the loop and waits for clicks in flight, the order Tray.Stop
// uses (draining while the loop can still spawn would race).
func (h *harness) stop(t *testing.T) {
	t.Helper()
	h.cancel()
	<-h.done
	if !h.ctl.drain(wait) {
		t.Fatal("clicks did not finish")
	}
}

// click delivers a click the way systray does: only if the loop receives.
func (h *harness) click(t *testing.T, id itemID) {
	t.Helper()
	select {
	case h.clicks[id] <- struct{}{}:
	case <-time.After(wait):
		t.Fatalf("loop did not receive click on item %d", id)
	}
}

func (h *harness) waitDashboard(t *testing.T) {
	t.Helper()
	apptest.Receive(t, h.dash, wait, "the dashboard to open")
}

func TestLoopRendersSnapshotsAndSkipsUnchanged(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, true)
	first := h.view.next(t)
	if first.menu.Status.Title != "Not logged in" || first.menu.ActionKind != ActionLogin {
		t.Fatalf("first render = %+v", first.menu)
	}
	// The subscription's initial snapshot equals the one rendered: no
	// second render for it. The next render must be the logged-in one.
	h.b.Push(app.Snapshot{})
	h.b.Push(loggedIn(cloud.State{State: cloud.StateDisconnected}))
	a := h.view.next(t)
	if a.menu.Action.Title != "Connect to Remilia" || a.menu.Balance.Title != "Balance: $12.50" {
		t.Fatalf("after login: %+v", a.menu)
	}
	if a.icon != (IconKey{Base: GlyphDisconnected}) {
		t.Errorf("icon = %v", a.icon)
	}
	h.b.Push(loggedIn(cloud.State{State: cloud.StateDisconnected, LastHeartbeatAt: &time.Time{}})) // same menu
	h.b.Push(loggedIn(cloud.State{State: cloud.StateConnected, AgentID: "a1", AgentName: "Remilia"}))
	a = h.view.next(t)
	if a.menu.Status.Title != "Connected — Remilia" || a.icon.Base != GlyphConnected {
		t.Fatalf("after connect: %+v %v", a.menu, a.icon)
	}
}

func TestLoopClicks(t *testing.T) {
	h := startHarness(t, loggedIn(cloud.State{State: cloud.StateDisconnected}), true)
	h.view.next(t)

	h.click(t, itemAction)
	if c := h.b.WaitCall(t, "ConnectAgentAsync", wait); c.Args[0] != "a1" {
		t.Errorf("connect args = %v", c.Args)
	}

	h.b.Push(loggedIn(cloud.State{State: cloud.StateConnected, AgentID: "a1", AgentName: "Remilia"}))
	h.view.until(t, "connected", func(a applied) bool { return a.menu.ActionKind == ActionDisconnect })
	h.click(t, itemAction)
	if c := h.b.WaitCall(t, "DisconnectAgent", wait); c.Args[0] != "a1" {
		t.Errorf("disconnect args = %v", c.Args)
	}

	h.click(t, itemBalance)
	h.b.WaitCall(t, "OpenTopUp", wait)
	h.click(t, itemTopUp)
	h.b.WaitCall(t, "OpenTopUp", wait)

	h.click(t, itemDashboard)
	h.waitDashboard(t)

	h.click(t, itemStartAtLogin)
	h.view.until(t, "start at login checked", func(a applied) bool { return a.menu.StartAtLogin.Checked })
	if !h.as.Enabled() {
		t.Error("autostart not enabled")
	}
	h.click(t, itemStartAtLogin)
	h.view.until(t, "start at login unchecked", func(a applied) bool { return !a.menu.StartAtLogin.Checked })

	h.click(t, itemStatus) // disabled line: ignored, but received

	h.click(t, itemLogout)
	h.b.WaitCall(t, "Logout", wait)

	h.click(t, itemQuit)
	h.b.WaitCall(t, "Quit", wait)
	apptest.Receive(t, h.quit, wait, "OnQuit")
	if n := len(h.b.CallsTo("ConnectAgentAsync")); n != 1 {
		t.Errorf("ConnectAgentAsync called %d times", n)
	}
}

func TestLoopLoginClick(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, true)
	h.view.next(t)
	h.click(t, itemAction)
	h.b.WaitCall(t, "BeginBrowserLogin", wait)
	h.waitDashboard(t)

	// A failed login start still shows the dashboard, where the error is.
	h.b.FailWith("BeginBrowserLogin", errors.New("offline"))
	h.click(t, itemAction)
	h.b.WaitCall(t, "BeginBrowserLogin", wait)
	h.waitDashboard(t)
	if !strings.Contains(h.logs.String(), "offline") {
		t.Errorf("login error not logged: %s", h.logs)
	}
}

func TestConnectWithoutLastAgent(t *testing.T) {
	noLast := app.Snapshot{LoggedIn: true, Connection: cloud.State{State: cloud.StateDisconnected}}
	tests := []struct {
		name      string
		agents    []cloud.Agent
		listErr   error
		connectTo string // "" = dashboard opened instead
	}{
		{"only agent is connected", []cloud.Agent{{ID: "solo"}}, nil, "solo"},
		{"no agents opens dashboard", nil, nil, ""},
		{"several agents let the user choose", []cloud.Agent{{ID: "x"}, {ID: "y"}}, nil, ""},
		{"list error opens dashboard", nil, errors.New("boom"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startHarness(t, noLast, true)
			if m := h.view.next(t).menu; m.Action.Title != "Connect…" {
				t.Fatalf("action = %q", m.Action.Title)
			}
			h.b.SetAgents(tt.agents...)
			if tt.listErr != nil {
				h.b.FailWith("ListAgents", tt.listErr)
			}
			h.click(t, itemAction)
			h.b.WaitCall(t, "ListAgents", wait)
			if tt.connectTo != "" {
				if c := h.b.WaitCall(t, "ConnectAgentAsync", wait); c.Args[0] != tt.connectTo {
					t.Errorf("connected %v, want %s", c.Args, tt.connectTo)
				}
				return
			}
			h.waitDashboard(t)
			if n := len(h.b.CallsTo("ConnectAgentAsync")); n != 0 {
				t.Errorf("ConnectAgentAsync called %d times", n)
			}
		})
	}
}

func TestClickErrorsAreLoggedNotFatal(t *testing.T) {
	h := startHarness(t, loggedIn(cloud.State{State: cloud.StateDisconnected}), true)
	h.view.next(t)
	h.b.FailWith("ConnectAgentAsync", errors.New("agent is suspended"))
	h.click(t, itemAction)
	h.b.WaitCall(t, "ConnectAgentAsync", wait)
	h.b.FailWith("OpenTopUp", errors.New("no browser"))
	h.click(t, itemTopUp)
	h.b.WaitCall(t, "OpenTopUp", wait)
	// The loop is still alive and serving clicks.
	h.click(t, itemLogout)
	h.b.WaitCall(t, "Logout", wait)
	h.stop(t)
	logs := h.logs.String()
	for _, want := range []string{"tray: connect agent", "agent is suspended", "tray: open top-up page", "no browser"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestAutostartErrorKeepsTruth(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, true)
	h.view.next(t)
	h.as.Err = errors.New("read-only config dir")
	h.click(t, itemStartAtLogin)
	h.stop(t)
	if h.as.Enabled() {
		t.Error("autostart enabled despite the error")
	}
	if !strings.Contains(h.logs.String(), "read-only config dir") {
		t.Errorf("error not logged: %s", h.logs)
	}
}

func TestNoAutostartHidesCheckbox(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, false)
	m := h.view.next(t).menu
	if m.StartAtLogin.Visible || m.StartAtLogin.Enabled {
		t.Errorf("start at login = %+v, want hidden", m.StartAtLogin)
	}
	h.click(t, itemStartAtLogin) // harmless
	h.stop(t)
}

func TestDashboardFallsBackToWindow(t *testing.T) {
	b := traytest.NewFakeBackend(app.Snapshot{})
	a := actions{b: b, ag: b.Agents(), opts: Options{}.withDefaults(), log: Options{}.withDefaults().Logger}
	a.openDashboard()
	if len(b.CallsTo("ShowWindow")) != 1 {
		t.Errorf("calls = %v", b.Calls())
	}
}

func TestDisconnectFallsBackToLastAgent(t *testing.T) {
	b := traytest.NewFakeBackend(app.Snapshot{})
	a := actions{b: b, ag: b.Agents(), opts: Options{}.withDefaults(), log: Options{}.withDefaults().Logger}
	a.disconnect(context.Background(), app.Snapshot{LastAgentID: "last"})
	if c := b.CallsTo("DisconnectAgent"); len(c) != 1 || c[0].Args[0] != "last" {
		t.Errorf("calls = %v", b.Calls())
	}
}

// panicky is a Backend whose OpenTopUp panics.
type panicky struct{ *traytest.FakeBackend }

func (panicky) OpenTopUp() error { panic("kaboom") }

func TestClickPanicIsContained(t *testing.T) {
	logs := &apptest.Buffer{}
	b := panicky{traytest.NewFakeBackend(app.Snapshot{LoggedIn: true})}
	ctl := newController(b, b.Agents(), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ctl.spawn(ctx, func(context.Context) { ctl.act.topUp() })
	if !ctl.drain(wait) {
		t.Fatal("click did not finish")
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Errorf("panic not logged: %s", logs)
	}
}

func TestLoopSurvivesClosedSubscription(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, true)
	h.view.next(t)
	if n := h.b.Subscribers(); n != 1 {
		t.Fatalf("subscribers = %d, want 1", n)
	}
	// Close every subscription the fake handed out: the loop must keep
	// serving clicks (Quit above all).
	h.b.CloseSubscriptions()
	h.click(t, itemQuit)
	h.b.WaitCall(t, "Quit", wait)
}

func TestLoopStopsOnCancel(t *testing.T) {
	h := startHarness(t, app.Snapshot{}, true)
	h.view.next(t)
	h.cancel()
	apptest.Receive(t, h.done, wait, "the loop to stop")
}

func TestDrainTimesOut(t *testing.T) {
	logs := &apptest.Buffer{}
	b := traytest.NewFakeBackend(app.Snapshot{})
	ctl := newController(b, b.Agents(), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	release := make(chan struct{})
	ctl.spawn(context.Background(), func(context.Context) { <-release })
	if ctl.drain(10 * time.Millisecond) {
		t.Error("drain reported done while a click was running")
	}
	close(release)
	if !ctl.drain(wait) {
		t.Error("drain did not finish after release")
	}
	if !strings.Contains(logs.String(), "clicks still running") {
		t.Errorf("timeout not logged: %s", logs)
	}
}

// A snapshot numbered at or below the one rendered last is dropped: the
// tray never goes back to an older state, even when the stream hands it
// one late.
func TestLoopIgnoresOlderSnapshots(t *testing.T) {
	first := app.Snapshot{Seq: 1}
	h := startHarness(t, first, true)
	h.view.next(t) // "Not logged in"
	newer := loggedIn(cloud.State{State: cloud.StateConnected, AgentID: "a1", AgentName: "Remilia"})
	newer.Seq = 5
	stale := loggedIn(cloud.State{State: cloud.StateDisconnected})
	stale.Seq = 4
	h.b.Push(newer)
	if a := h.view.next(t); a.menu.Status.Title != "Connected — Remilia" {
		t.Fatalf("after seq 5: %+v", a.menu.Status)
	}
	h.b.Push(stale)
	same := newer
	same.Seq = 5
	same.Connection.State = cloud.StateError
	h.b.Push(same)
	last := app.Snapshot{Seq: 6}
	h.b.Push(last)
	// The next render must be seq 6's: 4 (older) and a second 5 were dropped.
	if a := h.view.next(t); a.menu.Status.Title != "Not logged in" {
		t.Fatalf("rendered a stale snapshot: %+v", a.menu.Status)
	}
}
