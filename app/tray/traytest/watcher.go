package traytest

import (
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/prop"

	"github.com/milady-ai/milady-cloud/internal/dbustest"
)

// Names of the StatusNotifierWatcher protocol.
const (
	WatcherName  = "org.kde.StatusNotifierWatcher"
	WatcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	ItemIface    = "org.kde.StatusNotifierItem"
	MenuIface    = "com.canonical.dbusmenu"
	DefaultItem  = dbus.ObjectPath("/StatusNotifierItem")
	DefaultMenu  = dbus.ObjectPath("/StatusNotifierItem/menu")
	waitDeadline = 10 * time.Second
)

// Registration is one RegisterStatusNotifierItem call.
type Registration struct {
	Sender  string // unique bus name of the caller
	Service string // what it passed: a bus name or an object path
}

// FakeWatcher owns org.kde.StatusNotifierWatcher on a test bus, says a host
// is registered, and records item registrations.
type FakeWatcher struct {
	conn  *dbus.Conn
	props *prop.Properties
	mu    sync.Mutex
	regs  []Registration
	got   chan struct{} // closed and replaced on every registration
}

// NewFakeWatcher exports the watcher on its own connection; it disappears
// from the bus at cleanup.
func NewFakeWatcher(t testing.TB, b *dbustest.Bus) *FakeWatcher {
	t.Helper()
	w := &FakeWatcher{conn: b.Conn(t), got: make(chan struct{})}
	if err := w.conn.Export(watcherMethods{w}, WatcherPath, WatcherName); err != nil {
		t.Fatalf("export watcher: %v", err)
	}
	var err error
	w.props, err = prop.Export(w.conn, WatcherPath, prop.Map{
		WatcherName: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		t.Fatalf("export watcher properties: %v", err)
	}
	reply, err := w.conn.RequestName(WatcherName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: reply %v, err %v", WatcherName, reply, err)
	}
	return w
}

// watcherMethods is the exported method set (kept apart so FakeWatcher's
// own methods are not exported on the bus).
type watcherMethods struct{ w *FakeWatcher }

// RegisterStatusNotifierItem records the caller; systray passes its object
// path, so the sender is what identifies it.
func (m watcherMethods) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	m.w.mu.Lock()
	m.w.regs = append(m.w.regs, Registration{Sender: string(sender), Service: service})
	close(m.w.got)
	m.w.got = make(chan struct{})
	m.w.mu.Unlock()
	return nil
}

// RegisterStatusNotifierHost accepts and ignores hosts.
func (m watcherMethods) RegisterStatusNotifierHost(string) *dbus.Error { return nil }

// SetHostRegistered changes IsStatusNotifierHostRegistered, e.g. to model
// a watcher whose panel has gone away.
func (w *FakeWatcher) SetHostRegistered(on bool) {
	w.props.SetMust(WatcherName, "IsStatusNotifierHostRegistered", on)
}

// Registrations returns every registration so far.
func (w *FakeWatcher) Registrations() []Registration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Registration(nil), w.regs...)
}

// WaitRegistered waits for the first registration.
func (w *FakeWatcher) WaitRegistered(t testing.TB) Registration {
	t.Helper()
	deadline := time.NewTimer(waitDeadline)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		regs, got := w.regs, w.got
		w.mu.Unlock()
		if len(regs) > 0 {
			return regs[0]
		}
		select {
		case <-got:
		case <-deadline.C:
			t.Fatalf("no StatusNotifierItem registered within %s", waitDeadline)
		}
	}
}
