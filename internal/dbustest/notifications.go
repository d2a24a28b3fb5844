package dbustest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Names of the freedesktop notification service.
const (
	NotificationsName = "org.freedesktop.Notifications"
	NotificationsPath = dbus.ObjectPath("/org/freedesktop/Notifications")
)

// waitDeadline bounds WaitCalls: long enough for a loaded CI machine, short
// enough that a missing notification fails the test rather than its timeout.
const waitDeadline = 10 * time.Second

// Notification is one Notify call as the server received it, with the id
// the server answered.
type Notification struct {
	ID         uint32
	AppName    string
	ReplacesID uint32
	Icon       string
	Summary    string
	Body       string
	Actions    []string
	Hints      map[string]dbus.Variant
	Timeout    int32
}

// Urgency is the "urgency" hint (0 low, 1 normal, 2 critical); ok is false
// when the hint is missing or not a byte, as the specification requires.
func (n Notification) Urgency() (u byte, ok bool) {
	v, found := n.Hints["urgency"]
	if !found {
		return 0, false
	}
	u, ok = v.Value().(byte)
	return u, ok
}

// String is for failure messages.
func (n Notification) String() string {
	u, _ := n.Urgency()
	return fmt.Sprintf("#%d(replaces %d, urgency %d) %q: %q", n.ID, n.ReplacesID, u, n.Summary, n.Body)
}

// NotificationServer owns org.freedesktop.Notifications on a test bus and
// records every Notify, answering ids as real servers do: a fresh one, or
// replaces_id when one is given.
type NotificationServer struct {
	mu      sync.Mutex
	calls   []Notification
	nextID  uint32
	changed chan struct{} // closed and replaced on every call
}

// NewNotificationServer serves notifications on its own connection to b
// until cleanup.
func NewNotificationServer(t testing.TB, b *Bus) *NotificationServer {
	t.Helper()
	s := &NotificationServer{nextID: 100, changed: make(chan struct{})}
	conn := b.Conn(t)
	if err := conn.Export(notificationMethods{s}, NotificationsPath, NotificationsName); err != nil {
		t.Fatalf("export notification server: %v", err)
	}
	reply, err := conn.RequestName(NotificationsName, dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("own %s: reply %v, err %v", NotificationsName, reply, err)
	}
	return s
}

// notificationMethods is the exported method set, kept apart so the
// server's own helpers are not callable over the bus.
type notificationMethods struct{ s *NotificationServer }

// Notify records the call.
func (m notificationMethods) Notify(appName string, replacesID uint32, icon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	s := m.s
	s.mu.Lock()
	defer s.mu.Unlock()
	id := replacesID
	if id == 0 {
		s.nextID++
		id = s.nextID
	}
	s.calls = append(s.calls, Notification{id, appName, replacesID, icon, summary, body, actions, hints, timeout})
	close(s.changed)
	s.changed = make(chan struct{})
	return id, nil
}

// CloseNotification accepts and ignores closes.
func (notificationMethods) CloseNotification(uint32) *dbus.Error { return nil }

// GetCapabilities says the server shows bodies.
func (notificationMethods) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"body"}, nil
}

// GetServerInformation names the stub.
func (notificationMethods) GetServerInformation() (name, vendor, version, specVersion string, err *dbus.Error) {
	return "dbustest", "milady-cloud tests", "1", "1.2", nil
}

// Calls returns every Notify so far, oldest first.
func (s *NotificationServer) Calls() []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Notification(nil), s.calls...)
}

// WaitCalls waits until at least n Notify calls arrived and returns them
// all; it fails the test after the harness deadline.
func (s *NotificationServer) WaitCalls(t testing.TB, n int) []Notification {
	t.Helper()
	deadline := time.NewTimer(waitDeadline)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		calls, changed := append([]Notification(nil), s.calls...), s.changed
		s.mu.Unlock()
		if len(calls) >= n {
			return calls
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("%d notifications within %s, want %d:\n%s", len(calls), waitDeadline, n, FormatNotifications(calls))
			return nil
		}
	}
}

// FormatNotifications lists calls one per line, for failure messages.
func FormatNotifications(calls []Notification) string {
	lines := make([]string, len(calls))
	for i, c := range calls {
		lines[i] = c.String()
	}
	return strings.Join(lines, "\n")
}
