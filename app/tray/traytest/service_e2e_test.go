//go:build linux && traye2e

// These tests run the real composition of desktop mode: app.Service over
// the cloud simulator, the real tray on a private D-Bus, the real
// notification sender and the real autostart file, and drive them the way
// a panel, a notification daemon and a user would. Run without -race:
//
//	go test -count=1 -tags traye2e ./app/tray/traytest/
package traytest_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"os"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/autostart"
	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/app/tray"
	"github.com/milady-ai/milady-cloud/app/tray/traytest"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/dbustest"
)

// TestServiceTrayLoginConnectDisconnect: a panel (the fake watcher) sees
// the item register, reads it and its menu, and the user logs in, connects
// and disconnects through the menu; the simulator sees the provisioning
// and the final snapshot, and the menu follows every step.
func TestServiceTrayLoginConnectDisconnect(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	watcher := traytest.NewFakeWatcher(t, bus)
	r := startService(t, rigOptions{Autostart: tempAutostart(t)})
	if !r.startTray() {
		t.Fatalf("tray Start() = false on a bus; logs:\n%s", r.logs)
	}

	reg := watcher.WaitRegistered(t)
	if reg.Sender == "" || reg.Service != string(traytest.DefaultItem) {
		t.Errorf("registration = %+v, want the item path from a unique name", reg)
	}
	if !r.svc.Snapshot().TrayAvailable {
		t.Error("Service says no tray is available though a watcher with a host is on the bus")
	}
	item := traytest.ItemFor(t, bus, reg)

	// Logged out.
	p := item.WaitProps(t, "the logged-out tooltip", func(p traytest.ItemProps) bool { return p.Tooltip == "Not logged in" })
	if p.Title != tray.AppTitle || p.Menu != traytest.DefaultMenu || p.IconW != tray.DefaultIconSize ||
		p.IconH != tray.DefaultIconSize || len(p.IconARGB) != 4*p.IconW*p.IconH {
		t.Errorf("item: title %q, menu %q, icon %dx%d with %d bytes", p.Title, p.Menu, p.IconW, p.IconH, len(p.IconARGB))
	}
	loggedOutIcon := p.IconARGB
	l := item.WaitLabels(t, "Not logged in", "---", "Log in to Eliza Cloud…", "Open Dashboard", "---", "Start at login", "---", "Quit")
	if n := l.Find("Not logged in"); n.Enabled {
		t.Error("the status line is clickable")
	}

	// Log in from the menu: the Service starts the CLI login and opens the
	// browser, the tray shows the dashboard; the user approves in the
	// browser (the simulator).
	item.ClickLabel(t, l, "Log in to Eliza Cloud…")
	apptest.Receive(t, r.dashboard, wait, "dashboard after the login click")
	r.approvePendingLogin()
	if urls := r.opener.URLs(); len(urls) != 1 || !strings.Contains(urls[0], "/auth/cli-login?session=") {
		t.Errorf("browser asked to open %q, want the one login page", urls)
	}
	l = item.WaitMenu(t, "the logged-in menu", func(l traytest.Layout) bool {
		return l.Shows("Disconnected") && l.Shows("Connect…") && l.Shows("Balance: $25.00") && l.Shows("Log out")
	})

	ctx := context.Background()
	agent, err := r.svc.Agents().Create(ctx, app.CreateAgentInput{AgentName: "Remilia"})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	provisionPath := "/api/v1/milady/agents/" + agent.ID + "/provision"

	// First connect: no last agent yet, so "Connect…" connects the
	// account's only agent.
	item.ClickLabel(t, l, "Connect…")
	l = waitConnected(t, item, "Remilia")
	if n := r.sim.CountRequests("POST", provisionPath); n != 1 {
		t.Errorf("simulator got %d provision requests after the first connect, want 1", n)
	}
	snaps := r.sim.SnapshotCount(agent.ID)
	item.ClickLabel(t, l, "Disconnect from Remilia")
	disconnected := []string{"Disconnected", "Balance: $25.00", "---", "Connect to Remilia", "Open Dashboard",
		"Top up credits…", "---", "Start at login", "---", "Log out", "Quit"}
	l = item.WaitLabels(t, disconnected...)
	if n := r.sim.SnapshotCount(agent.ID); n != snaps+1 {
		t.Errorf("snapshots after the first disconnect: %d, want %d (one final snapshot)", n, snaps+1)
	}

	// Reconnect through "Connect to Remilia", as a user does every day.
	item.ClickLabel(t, l, "Connect to Remilia")
	apptest.Eventually(t, wait, "the second provision request", func() bool { return r.sim.CountRequests("POST", provisionPath) == 2 })
	l = item.WaitLabels(t, "Connected — Remilia", "Balance: $25.00", "---", "Disconnect from Remilia", "Open Dashboard",
		"Top up credits…", "---", "Start at login", "---", "Log out", "Quit")
	p = item.WaitProps(t, "the connected tooltip", func(p traytest.ItemProps) bool { return p.Tooltip == "Connected — Remilia" })
	if bytes.Equal(p.IconARGB, loggedOutIcon) {
		t.Error("the icon did not change from logged out to connected")
	}
	if s := r.svc.Snapshot(); s.Connection.AgentID != agent.ID || s.LastAgentID != agent.ID {
		t.Errorf("snapshot connection %+v, last agent %q; want %s", s.Connection, s.LastAgentID, agent.ID)
	}

	// Disconnect: the simulator receives the final snapshot.
	snaps = r.sim.SnapshotCount(agent.ID)
	item.ClickLabel(t, l, "Disconnect from Remilia")
	item.WaitLabels(t, disconnected...)
	item.WaitProps(t, "the disconnected tooltip", func(p traytest.ItemProps) bool { return p.Tooltip == "Disconnected" })
	if n := r.sim.SnapshotCount(agent.ID); n != snaps+1 {
		t.Errorf("snapshots after disconnect: %d, want %d (one final snapshot)", n, snaps+1)
	}
	if st := r.svc.Snapshot().Connection.State; st != cloud.StateDisconnected {
		t.Errorf("Service connection state = %s after Disconnect", st)
	}
	if n := r.sim.CountRequests("POST", provisionPath); n != 2 {
		t.Errorf("simulator got %d provision requests, want 2", n)
	}
	r.checkLogs()
}

// TestServiceTrayRestoresLastAgent: after a restart with a key and a last
// agent in milady.json (the user disconnected before quitting, so nothing
// reconnects by itself), the menu offers that agent by name.
func TestServiceTrayRestoresLastAgent(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	sim := apptest.StartSim(t)
	key := sim.NewAPIKey()
	c, err := cloud.NewClient(cloud.ClientOptions{BaseURL: sim.URL(), APIKey: key, RootCAs: sim.CertPool(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	agent, err := c.CreateAgent(context.Background(), cloud.CreateAgentRequest{AgentName: "Remilia"})
	if err != nil {
		t.Fatalf("create agent in the simulator: %v", err)
	}

	watcher := traytest.NewFakeWatcher(t, bus)
	r := startService(t, rigOptions{
		Sim:       sim,
		Autostart: tempAutostart(t),
		Config:    fmt.Sprintf(`{"cloud": {"apiKey": %q}, "desktop": {"lastAgentId": %q}}`, key, agent.ID),
	})
	if !r.startTray() {
		t.Fatalf("tray Start() = false on a bus; logs:\n%s", r.logs)
	}
	item := traytest.ItemFor(t, bus, watcher.WaitRegistered(t))
	l := item.WaitLabels(t, "Disconnected", "Balance: $25.00", "---", "Connect to Remilia", "Open Dashboard",
		"Top up credits…", "---", "Start at login", "---", "Log out", "Quit")
	provisionPath := "/api/v1/milady/agents/" + agent.ID + "/provision"
	item.ClickLabel(t, l, "Connect to Remilia")
	l = waitConnected(t, item, "Remilia")
	if n := sim.CountRequests("POST", provisionPath); n != 1 {
		t.Errorf("simulator got %d provision requests, want 1", n)
	}
	snaps := sim.SnapshotCount(agent.ID)
	item.ClickLabel(t, l, "Disconnect from Remilia")
	item.WaitMenu(t, "Disconnected", func(l traytest.Layout) bool { return l.Shows("Disconnected") })
	if n := sim.SnapshotCount(agent.ID); n != snaps+1 {
		t.Errorf("snapshots after disconnect: %d, want %d", n, snaps+1)
	}
	r.checkLogs()
}

// waitConnected waits for the connected menu of agent.
func waitConnected(t *testing.T, item *traytest.Item, agent string) traytest.Layout {
	t.Helper()
	return item.WaitMenu(t, "Connected — "+agent, func(l traytest.Layout) bool {
		return l.Shows("Connected — "+agent) && l.Shows("Disconnect from "+agent) && !l.Shows("Connect to "+agent)
	})
}

// TestServiceLowBalanceNotifications: the real Service with the real
// D-Bus sender against a notification server on the bus notifies once on
// falling into low, once on falling into critical (critical urgency,
// replacing the low one), nothing while the balance stays there, once more
// after the balance recovered and fell again, and nothing at all with
// desktop.notifications off. The tray's balance line follows.
func TestServiceLowBalanceNotifications(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	server := dbustest.NewNotificationServer(t, bus)
	watcher := traytest.NewFakeWatcher(t, bus)
	sender, err := notify.NewDBusSender("Milady Cloud", "milady-cloud")
	if err != nil {
		t.Fatalf("connect the notification sender to the test bus: %v", err)
	}
	t.Cleanup(func() { _ = sender.Close() })
	r := startService(t, rigOptions{
		Notifier:    sender,
		FreshMinGap: 1,
		// The background poll runs too, as in the app; the last step
		// relies on it alone.
		Config: `{"desktop": {"creditsPollIntervalMs": 100}}`,
	})
	if !r.startTray() {
		t.Fatalf("tray Start() = false on a bus; logs:\n%s", r.logs)
	}
	item := traytest.ItemFor(t, bus, watcher.WaitRegistered(t))
	r.login()
	item.WaitMenu(t, "the balance line", func(l traytest.Layout) bool { return l.Shows("Balance: $25.00") })

	ctx := context.Background()
	// setBalance changes the simulator's balance and has the Service fetch
	// it (a forced refresh, as the dashboard's refresh button does). A
	// refresh may join a poll that left before the change, hence the loop.
	setBalance := func(v float64) {
		t.Helper()
		r.sim.SetBalance(v)
		apptest.Eventually(t, wait, fmt.Sprintf("the Service to see a balance of %.2f", v), func() bool {
			got := r.svc.Billing().Credits(ctx, true)
			return got.Balance != nil && *got.Balance == v
		})
	}

	setBalance(1.50)
	server.WaitCalls(t, 1)
	item.WaitMenu(t, "the low balance line", func(l traytest.Layout) bool { return l.Shows("Balance: $1.50 — low") })
	setBalance(0.30)
	server.WaitCalls(t, 2)
	item.WaitMenu(t, "the critical balance line", func(l traytest.Layout) bool { return l.Shows("Balance: $0.30 — critical") })
	// Staying critical (the same balance, and a different critical one)
	// is not news.
	setBalance(0.30)
	setBalance(0.25)
	setBalance(0.30)
	// Recovering re-arms; the next fall into low notifies again.
	setBalance(10)
	item.WaitMenu(t, "the recovered balance line", func(l traytest.Layout) bool { return l.Shows("Balance: $10.00") })
	setBalance(1.50)
	// Notifications are delivered in order, so anything the steps above
	// wrongly sent arrives before this third one.
	calls := server.WaitCalls(t, 3)
	if len(calls) != 3 {
		t.Fatalf("notifications = %d, want low, critical, low:\n%s", len(calls), dbustest.FormatNotifications(calls))
	}
	low, crit, again := calls[0], calls[1], calls[2]
	checkNotification(t, "first low", low, 1, "$1.50 left")
	checkNotification(t, "critical", crit, 2, "$0.30 left")
	checkNotification(t, "second low", again, 1, "$1.50 left")
	if low.AppName != "Milady Cloud" || low.ReplacesID != 0 {
		t.Errorf("first notification = %+v, want app Milady Cloud replacing nothing", low)
	}
	if crit.ReplacesID != low.ID || again.ReplacesID != crit.ID {
		t.Errorf("replaces ids: critical %d (low was %d), second low %d (critical was %d); one credits notification must replace the last",
			crit.ReplacesID, low.ID, again.ReplacesID, crit.ID)
	}

	// desktop.notifications=false: the policy still fires (the dashboard
	// shows a notice), but nothing reaches the desktop.
	if err := r.svc.SetNotifications(ctx, false); err != nil {
		t.Fatalf("turn notifications off: %v", err)
	}
	notices := r.svc.Snapshot().NoticeCount
	setBalance(10)
	setBalance(0.20) // critical while silenced
	apptest.Eventually(t, wait, "the silenced critical notice", func() bool { return r.svc.Snapshot().NoticeCount > notices })
	if n := r.svc.Snapshot().LastNotice; n == nil || n.Level != "critical" || !strings.Contains(n.Message, "$0.20") {
		t.Errorf("last notice = %+v, want the critical one for $0.20", n)
	}
	// Back on: the next alert is the first to reach the server since.
	if err := r.svc.SetNotifications(ctx, true); err != nil {
		t.Fatalf("turn notifications on: %v", err)
	}
	setBalance(10)
	setBalance(1.75)
	calls = server.WaitCalls(t, 4)
	if len(calls) != 4 || !strings.Contains(calls[3].Body, "$1.75 left") {
		t.Fatalf("with notifications off the server still got something; calls:\n%s", dbustest.FormatNotifications(calls))
	}

	// The background poll alone (desktop.creditsPollIntervalMs) notices a
	// fall into critical.
	r.sim.SetBalance(0.40)
	calls = server.WaitCalls(t, 5)
	checkNotification(t, "polled critical", calls[4], 2, "$0.40 left")
	item.WaitMenu(t, "the polled critical balance line", func(l traytest.Layout) bool { return l.Shows("Balance: $0.40 — critical") })
	if len(calls) != 5 {
		t.Errorf("notifications = %d, want 5:\n%s", len(calls), dbustest.FormatNotifications(calls))
	}
	r.checkLogs()
}

// checkNotification checks one credits notification's urgency and body.
func checkNotification(t *testing.T, what string, n dbustest.Notification, urgency byte, body string) {
	t.Helper()
	if u, ok := n.Urgency(); !ok || u != urgency {
		t.Errorf("%s notification urgency = %d (present %v), want %d: %s", what, u, ok, urgency, n)
	}
	if !strings.Contains(n.Body, body) {
		t.Errorf("%s notification body = %q, want it to contain %q", what, n.Body, body)
	}
}

// TestServiceTrayStartAtLogin: the "Start at login" checkbox writes and
// removes the real XDG autostart entry through the real Service wiring,
// and follows the file when someone else changes it.
func TestServiceTrayStartAtLogin(t *testing.T) {
	bus := traytest.TrayProcess(t)
	if bus == nil {
		return
	}
	as := tempAutostart(t)
	entry := os.Getenv("XDG_CONFIG_HOME") + "/autostart/" + autostart.FileName
	if as.Path() != entry {
		t.Fatalf("autostart entry at %s, want %s", as.Path(), entry)
	}
	exe := as.Exec

	watcher := traytest.NewFakeWatcher(t, bus)
	r := startService(t, rigOptions{Autostart: as})
	if !r.startTray() {
		t.Fatalf("tray Start() = false on a bus; logs:\n%s", r.logs)
	}
	item := traytest.ItemFor(t, bus, watcher.WaitRegistered(t))
	l := item.WaitMenu(t, "an unchecked start at login", func(l traytest.Layout) bool { return checkbox(l) == 0 })
	if n := l.Find("Start at login"); n.ToggleType != "checkmark" || !n.Visible || !n.Enabled {
		t.Fatalf("start at login entry = %+v, want a visible, enabled checkmark", n)
	}

	// On: the file appears with the absolute binary and --hidden.
	item.ClickLabel(t, l, "Start at login")
	l = item.WaitMenu(t, "start at login checked", func(l traytest.Layout) bool { return checkbox(l) == 1 })
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatalf("autostart entry after the click: %v", err)
	}
	if want := "\nExec=" + exe + " --hidden\n"; !strings.Contains(string(data), want) {
		t.Errorf("autostart entry lacks %q:\n%s", strings.TrimSpace(want), data)
	}
	if !r.svc.Snapshot().Settings.StartAtLogin {
		t.Error("Service snapshot says start at login is off with the file present")
	}

	// Off: the file goes.
	item.ClickLabel(t, l, "Start at login")
	item.WaitMenu(t, "start at login unchecked", func(l traytest.Layout) bool { return checkbox(l) == 0 })
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("autostart entry still there after unchecking (stat: %v)", err)
	}

	// The file is the truth: someone else creates it (the dashboard's
	// Settings, a user with a shell)…
	if err := r.svc.SetStartAtLogin(context.Background(), true); err != nil {
		t.Fatalf("turn start at login on through the Service: %v", err)
	}
	item.WaitMenu(t, "the checkbox following the Service", func(l traytest.Layout) bool { return checkbox(l) == 1 })
	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	// …or removes it by hand: the menu is right the next time it opens.
	openMenu(t, item)
	item.WaitMenu(t, "the checkbox following a removed file", func(l traytest.Layout) bool { return checkbox(l) == 0 })
	if err := as.Enable(); err != nil {
		t.Fatal(err)
	}
	openMenu(t, item)
	item.WaitMenu(t, "the checkbox following a created file", func(l traytest.Layout) bool { return checkbox(l) == 1 })

	// A click on a checkbox that has not caught up with the file yet does
	// what the user saw: unchecking a checked box turns start at login off,
	// even though the file was already gone.
	if err := os.Remove(entry); err != nil {
		t.Fatal(err)
	}
	l = item.GetLayout(t)
	if checkbox(l) != 1 {
		t.Fatalf("the menu re-read the file without being opened; this step needs a stale checkbox: %s", l)
	}
	item.ClickLabel(t, l, "Start at login")
	item.WaitMenu(t, "start at login unchecked by the stale click", func(l traytest.Layout) bool { return checkbox(l) == 0 })
	if _, err := os.Stat(entry); !os.IsNotExist(err) {
		t.Errorf("unchecking a checked box wrote the autostart entry (stat: %v)", err)
	}
	r.checkLogs()
}

// checkbox is the toggle-state of "Start at login" (-1 when absent).
func checkbox(l traytest.Layout) int32 {
	if n := l.Find("Start at login"); n != nil {
		return n.ToggleState
	}
	return -1
}

// TestServiceWithoutTrayHost: with no StatusNotifierWatcher (GNOME without
// the AppIndicator extension) the app keeps working: the tray starts and
// logs one line, TrayHostPresent is false (so closing the window quits
// rather than hiding it), and the Service answers.
func TestServiceWithoutTrayHost(t *testing.T) {
	if traytest.TrayProcess(t) == nil {
		return
	}
	stdlog := &apptest.Buffer{}
	log.SetOutput(stdlog) // systray logs through the standard logger
	t.Cleanup(func() { log.SetOutput(os.Stderr) })

	r := startService(t, rigOptions{})
	started := make(chan bool, 1)
	go func() { started <- r.startTray() }()
	if !apptest.Receive(t, started, wait, "tray Start() without a watcher (it must not block)") {
		t.Fatalf("tray Start() = false on a bus; logs:\n%s", r.logs)
	}
	if tray.TrayHostPresent() {
		t.Error("TrayHostPresent() = true with no watcher")
	}
	if r.svc.Snapshot().TrayAvailable {
		t.Error("Service snapshot says a tray is available")
	}

	// The Service works: log in, read the balance, create and list agents.
	r.login()
	ctx := context.Background()
	if c := r.svc.Billing().Credits(ctx, false); c.Balance == nil || *c.Balance != 25 {
		t.Errorf("credits = %+v, want 25", c)
	}
	a, err := r.svc.Agents().Create(ctx, app.CreateAgentInput{AgentName: "Headless"})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	agents, err := r.svc.Agents().List(ctx)
	if err != nil || len(agents) != 1 || agents[0].ID != a.ID {
		t.Errorf("agents = %v, %v; want the one created", agents, err)
	}

	if s := strings.TrimSpace(stdlog.String()); s != "" {
		t.Errorf("raw systray output escaped the app's log:\n%s", s)
	}
	if n := strings.Count(r.logs.String(), "no tray host on this desktop yet"); n != 1 {
		t.Errorf("want one line saying there is no tray host yet, got %d:\n%s", n, r.logs)
	}
	r.checkLogs()
}

// openMenu sends what a host sends when the user opens the menu: the
// "opened" event on the root entry.
func openMenu(t *testing.T, item *traytest.Item) {
	t.Helper()
	if err := item.Event(0, "opened"); err != nil {
		t.Fatalf("open the menu: %v", err)
	}
}

// tempAutostart is the real autostart switch, as main builds it, in a
// temporary XDG_CONFIG_HOME.
func tempAutostart(t *testing.T) *autostart.Autostart {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	return autostart.New(os.Getenv, "/nonexistent-home", exe)
}
