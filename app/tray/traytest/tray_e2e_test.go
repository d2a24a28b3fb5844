//go:build linux && traye2e

// These tests start the real systray over a private D-Bus, as a panel
// would see it. Run them without -race (systray v1.12 races internally):
//
//	go test -tags traye2e ./app/tray/traytest/
//
// Each test re-runs itself in its own process: systray starts once per
// process.
package traytest_test

import (
	"bytes"
	"log"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/tray"
	"github.com/milady-ai/milady-cloud/app/tray/traytest"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

const wait = 10 * time.Second

func balance(v float64) *float64 { return &v }

// TestTrayEndToEnd drives the tray as a user would through a panel: reads
// the item and its menu over D-Bus, clicks entries, and checks the Backend
// calls and the menu after each state change.
func TestTrayEndToEnd(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	watcher := traytest.NewFakeWatcher(t, bus)
	b := traytest.NewFakeBackend(app.Snapshot{Version: "test"})
	autostart := &apptest.Autostart{}
	b.UseAutostart(autostart)
	dashboard := make(chan struct{}, 8)
	logs := &apptest.Buffer{}
	tr := tray.New(b, b.Agents(), tray.Options{
		Logger:        apptest.Logger(logs, slog.LevelInfo),
		StartAtLogin:  true,
		OpenDashboard: func() { dashboard <- struct{}{} },
	})
	if !tr.Start() {
		t.Fatalf("Start() = false with a bus; logs:\n%s", logs)
	}
	t.Cleanup(tr.Stop)

	item := traytest.ItemFor(t, bus, watcher.WaitRegistered(t))
	if !tray.TrayHostPresent() {
		t.Error("TrayHostPresent() = false with the fake watcher")
	}

	// Logged out.
	p := item.WaitProps(t, "the logged-out tooltip", func(p traytest.ItemProps) bool { return p.Tooltip == "Not logged in" })
	if p.Title != tray.AppTitle || p.IconW != tray.DefaultIconSize || p.IconH != tray.DefaultIconSize ||
		len(p.IconARGB) != 4*p.IconW*p.IconH || p.Menu != traytest.DefaultMenu {
		t.Errorf("item props: title %q, icon %dx%d (%d bytes), menu %q", p.Title, p.IconW, p.IconH, len(p.IconARGB), p.Menu)
	}
	loggedOutIcon := p.IconARGB
	l := item.WaitMenu(t, "the logged-out menu", func(l traytest.Layout) bool {
		return l.Shows("Not logged in") && l.Shows("Log in to Eliza Cloud…")
	})
	wantLabels := []string{"Not logged in", "---", "Log in to Eliza Cloud…", "Open Dashboard", "---", "Start at login", "---", "Quit"}
	if got := l.VisibleLabels(); strings.Join(got, "|") != strings.Join(wantLabels, "|") {
		t.Errorf("logged-out menu = %q, want %q", got, wantLabels)
	}
	if n := l.Find("Not logged in"); n.Enabled {
		t.Error("status line is enabled")
	}
	if n := l.Find("Start at login"); n.ToggleType != "checkmark" || n.ToggleState != 0 {
		t.Errorf("start at login = %+v, want an unchecked checkmark", n)
	}
	item.ClickLabel(t, l, "Log in to Eliza Cloud…")
	b.WaitCall(t, "BeginBrowserLogin", wait)
	apptest.Receive(t, dashboard, wait, "dashboard after login click")

	// Logged in with a last agent, disconnected, low balance.
	b.Push(app.Snapshot{
		LoggedIn: true, Connection: cloud.State{State: cloud.StateDisconnected},
		Credits:     app.CreditsView{Balance: balance(1.5), Level: "low", Low: true},
		LastAgentID: "agent-1", LastAgentName: "Remilia",
	})
	// The whole menu, not one label: systray updates entries one by one.
	l = item.WaitLabels(t, "Disconnected", "Balance: $1.50 — low", "---", "Connect to Remilia", "Open Dashboard",
		"Top up credits…", "---", "Start at login", "---", "Log out", "Quit")
	item.ClickLabel(t, l, "Connect to Remilia")
	if c := b.WaitCall(t, "ConnectAgentAsync", wait); c.Args[0] != "agent-1" {
		t.Errorf("ConnectAgentAsync%v, want agent-1", c.Args)
	}
	item.ClickLabel(t, l, "Balance: $1.50 — low")
	b.WaitCall(t, "OpenTopUp", wait)

	// Connected.
	b.Push(app.Snapshot{
		LoggedIn:    true,
		Connection:  cloud.State{State: cloud.StateConnected, AgentID: "agent-1", AgentName: "Remilia"},
		Credits:     app.CreditsView{Balance: balance(12.5), Level: "ok"},
		LastAgentID: "agent-1", LastAgentName: "Remilia",
	})
	l = item.WaitMenu(t, "Connected — Remilia", func(l traytest.Layout) bool {
		return l.Shows("Connected — Remilia") && l.Shows("Disconnect from Remilia") && l.Shows("Balance: $12.50")
	})
	p = item.WaitProps(t, "the connected tooltip", func(p traytest.ItemProps) bool { return p.Tooltip == "Connected — Remilia" })
	if bytes.Equal(p.IconARGB, loggedOutIcon) {
		t.Error("icon did not change from logged out to connected")
	}
	item.ClickLabel(t, l, "Disconnect from Remilia")
	if c := b.WaitCall(t, "DisconnectAgent", wait); c.Args[0] != "agent-1" {
		t.Errorf("DisconnectAgent%v, want agent-1", c.Args)
	}

	// Start at login: the autostart switch is the truth.
	item.ClickLabel(t, l, "Start at login")
	item.WaitMenu(t, "start at login checked", func(l traytest.Layout) bool {
		n := l.Find("Start at login")
		return n != nil && n.ToggleState == 1
	})
	if !autostart.Enabled() {
		t.Error("autostart not enabled by the click")
	}

	item.ClickLabel(t, l, "Open Dashboard")
	apptest.Receive(t, dashboard, wait, "dashboard")
	item.ClickLabel(t, l, "Top up credits…")
	b.WaitCall(t, "OpenTopUp", wait)
	item.ClickLabel(t, l, "Log out")
	b.WaitCall(t, "Logout", wait)
	item.ClickLabel(t, l, "Quit")
	b.WaitCall(t, "Quit", wait)

	tr.Stop()
	if n := b.Subscribers(); n != 0 {
		t.Errorf("%d subscriptions left open after Stop", n)
	}
	if strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("unexpected warnings:\n%s", logs)
	}
}

// TestTrayWithoutWatcher: a bus with no StatusNotifierWatcher (GNOME without
// the AppIndicator extension) must not block or fail the app: Start returns,
// systray logs one line, TrayHostPresent is false, and the item registers
// as soon as a watcher appears.
func TestTrayWithoutWatcher(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	stdlog := &apptest.Buffer{}
	log.SetOutput(stdlog) // systray logs through the standard logger
	t.Cleanup(func() { log.SetOutput(os.Stderr) })
	logs := &apptest.Buffer{}
	b := traytest.NewFakeBackend(app.Snapshot{})
	tr := tray.New(b, b.Agents(), tray.Options{Logger: apptest.Logger(logs, slog.LevelInfo)})

	started := make(chan bool, 1)
	go func() { started <- tr.Start() }()
	if !apptest.Receive(t, started, wait, "Start() without a watcher (it must not block)") {
		t.Fatalf("Start() = false with a bus; logs:\n%s", logs)
	}
	t.Cleanup(tr.Stop)
	if tray.TrayHostPresent() {
		t.Error("TrayHostPresent() = true with no watcher")
	}
	watcher := traytest.NewFakeWatcher(t, bus)
	item := traytest.ItemFor(t, bus, watcher.WaitRegistered(t))
	item.WaitMenu(t, "the menu after a late watcher", func(l traytest.Layout) bool { return l.Shows("Not logged in") })
	if !tray.TrayHostPresent() {
		t.Error("TrayHostPresent() = false after the watcher appeared")
	}

	// systray's own line goes to the app's log, in words, once; nothing
	// raw reaches the standard logger's output.
	if s := strings.TrimSpace(stdlog.String()); s != "" {
		t.Errorf("raw systray output escaped the app's log:\n%s", s)
	}
	tr.Stop()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "no tray host on this desktop yet") || !strings.Contains(lines[0], "failed to register") {
		t.Errorf("want one line saying there is no tray host yet, got:\n%s", logs)
	}
}
