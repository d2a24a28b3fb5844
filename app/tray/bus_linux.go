//go:build linux

package tray

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/godbus/dbus/v5"
)

// Well-known names of the StatusNotifierItem protocol.
const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = "/StatusNotifierWatcher"
	itemPath     = "/StatusNotifierItem" // where systray exports the item
	busCallLimit = 2 * time.Second
)

// privateSessionBus opens a connection of our own to the session bus and
// never autostarts one (no dbus-launch): without a bus the tray is skipped,
// it must not conjure a stray daemon. Callers close it. Using our own
// connection also keeps systray's end(), which closes the shared one, from
// pulling the rug out from under us.
func privateSessionBus() (*dbus.Conn, error) {
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("connect to session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("authenticate to session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("say hello to session bus: %w", err)
	}
	return conn, nil
}

// preflight checks that a session bus answers before systray is started:
// with no bus, systray's start() only logs, and its end() then panics on a
// nil connection (PLATFORM.md).
func preflight() error {
	conn, err := privateSessionBus()
	if err != nil {
		return err
	}
	return conn.Close()
}

// TrayHostPresent reports whether a tray icon would be visible: some
// process owns org.kde.StatusNotifierWatcher on the session bus and, if it
// says so, a host is registered with it. The window hides on close only when
// this is true; otherwise closing it would leave the app unreachable
// (GNOME without the AppIndicator extension, bare window managers).
func TrayHostPresent() bool {
	conn, err := privateSessionBus()
	if err != nil {
		return false
	}
	defer func() { _ = conn.Close() }()
	ctx, cancel := context.WithTimeout(context.Background(), busCallLimit)
	defer cancel()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, watcherName).Store(&owned); err != nil || !owned {
		return false
	}
	// A watcher without a host shows nothing. Watchers that do not answer
	// the property are given the benefit of the doubt.
	call := conn.Object(watcherName, watcherPath).CallWithContext(ctx,
		"org.freedesktop.DBus.Properties.Get", 0, watcherName, "IsStatusNotifierHostRegistered")
	if call.Err != nil {
		return true
	}
	var v dbus.Variant
	if err := call.Store(&v); err != nil {
		return true
	}
	if registered, ok := v.Value().(bool); ok {
		return registered
	}
	return true
}

// startRegistrar works around a race in systray v1.12.2: it tries to
// register once, and only then starts listening for a watcher to appear, so
// a watcher that appears in between (a panel starting together with the
// app at login, which is exactly when autostart runs us) never hears of the
// item. The registrar listens from before systray starts and, whenever the
// watcher gets a new owner, registers the item again from systray's own
// connection (the shared session bus), so the watcher sees the same sender
// and path and treats a double registration as one.
//
// It returns a function that stops it and waits for it; a registrar that
// cannot listen logs once and does nothing.
func startRegistrar(log *slog.Logger) (stop func()) {
	conn, err := privateSessionBus()
	if err != nil {
		log.Debug("tray: registrar not started", "err", err)
		return func() {}
	}
	match := []dbus.MatchOption{
		dbus.WithMatchObjectPath("/org/freedesktop/DBus"),
		dbus.WithMatchInterface("org.freedesktop.DBus"),
		dbus.WithMatchMember("NameOwnerChanged"),
		dbus.WithMatchArg(0, watcherName),
	}
	if err := conn.AddMatchSignal(match...); err != nil {
		_ = conn.Close()
		log.Debug("tray: registrar cannot watch the watcher", "err", err)
		return func() {}
	}
	signals := make(chan *dbus.Signal, 8)
	conn.Signal(signals)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-ctx.Done():
				return
			case sig := <-signals:
				if sig == nil || len(sig.Body) < 3 {
					continue
				}
				if owner, _ := sig.Body[2].(string); owner != "" {
					registerItem(ctx, log)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		_ = conn.Close()
	}
}

// registerItem registers systray's item with the watcher on systray's
// connection (dbus.SessionBus is the shared one it uses).
func registerItem(ctx context.Context, log *slog.Logger) {
	shared, err := dbus.SessionBus()
	if err != nil {
		log.Debug("tray: register item", "err", err)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, busCallLimit)
	defer cancel()
	call := shared.Object(watcherName, watcherPath).CallWithContext(ctx,
		watcherName+".RegisterStatusNotifierItem", 0, itemPath)
	if call.Err != nil {
		log.Debug("tray: register item", "err", call.Err)
	}
}
