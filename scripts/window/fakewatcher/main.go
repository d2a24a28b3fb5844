// Command fakewatcher stands in for a desktop panel's tray host in the
// window test: it owns org.kde.StatusNotifierWatcher on the session bus,
// says a host is registered, accepts item registrations, and runs until it
// is killed. With it on the bus the app's TrayHostPresent is true, so
// closing the window must hide it instead of quitting (the tray
// still reaches the app).
//
// It prints "owner <unique name>" once it owns the name (the test waits for
// that line before starting the app) and "registered <sender> <service>"
// for each RegisterStatusNotifierItem. traytest.NewFakeWatcher does the
// same for Go tests but needs a testing.TB, hence these few lines.
//
//	go build -o fakewatcher ./scripts/window/fakewatcher
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"
)

const (
	watcherName = "org.kde.StatusNotifierWatcher"
	watcherPath = dbus.ObjectPath("/StatusNotifierWatcher")
)

// watcher is the exported method set of the StatusNotifierWatcher.
type watcher struct{}

// RegisterStatusNotifierItem logs the caller; systray passes its object
// path, so the sender is what identifies it.
func (watcher) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	fmt.Printf("registered %s %s\n", sender, service)
	return nil
}

// RegisterStatusNotifierHost accepts and ignores hosts.
func (watcher) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "fakewatcher:", err)
		os.Exit(1)
	}
}

func run() error {
	// A private connection that never autostarts a bus: outside the test's
	// dbus-run-session there must be no watcher at all, not a stray daemon.
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return fmt.Errorf("connect to session bus: %w", err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.Auth(nil); err != nil {
		return fmt.Errorf("authenticate to session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		return fmt.Errorf("say hello to session bus: %w", err)
	}
	if err := conn.Export(watcher{}, watcherPath, watcherName); err != nil {
		return fmt.Errorf("export watcher: %w", err)
	}
	if _, err := prop.Export(conn, watcherPath, prop.Map{
		watcherName: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	}); err != nil {
		return fmt.Errorf("export watcher properties: %w", err)
	}
	// Own the name last, so whoever sees it owned finds everything exported.
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("own %s: %w", watcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("own %s: already owned (reply %v)", watcherName, reply)
	}
	fmt.Printf("owner %s\n", conn.Names()[0])

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	<-sigs
	return nil
}
