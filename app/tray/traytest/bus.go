// Package traytest is a test harness for the tray over a real, private
// D-Bus: a session bus of its own (internal/dbustest), a fake
// org.kde.StatusNotifierWatcher, readers for the StatusNotifierItem and its
// com.canonical.dbusmenu menu, clicks, and a fake app.Backend. Only tests
// import it.
//
// systray starts once per process and races internally (PLATFORM.md), so
// tests that start a real tray run in their own subprocess (InSubprocess)
// and without -race.
package traytest

import (
	"testing"

	"github.com/milady-ai/milady-cloud/internal/dbustest"
)

// StartBus starts a private session bus for the test and points
// DBUS_SESSION_BUS_ADDRESS at it, because systray and the notifier find
// their bus only through it (so the test must not be parallel).
func StartBus(t testing.TB) *dbustest.Bus {
	t.Helper()
	b := dbustest.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", b.Address)
	return b
}

// TrayProcess is the opening of every test that starts the real tray: it
// needs dbus-daemon (checked in the parent too, so a machine without one
// skips before spawning a child), runs alone in a subprocess
// (InSubprocess), and gets a private session bus there. It returns the bus
// in the child, where the test body runs, and nil in the parent, which
// must return at once.
func TrayProcess(t *testing.T) *dbustest.Bus {
	t.Helper()
	dbustest.RequireDaemon(t)
	if !InSubprocess(t) {
		return nil
	}
	return StartBus(t)
}
