package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/esiqveland/notify"
	"github.com/godbus/dbus/v5"
)

// Sender delivers alerts; the app picks DBusSender in desktop mode and
// LogSender headless.
type Sender interface {
	Send(Alert) error
}

// DBusSender shows alerts through the freedesktop notification service
// (org.freedesktop.Notifications) on the session bus.
//
// It uses its own bus connection: the tray library closes the shared one
// when it stops, which would silence notifications sent through it.
type DBusSender struct {
	conn    *dbus.Conn
	appName string
	icon    string

	mu sync.Mutex
	// ids maps Alert.ID to the id the server gave the last notification
	// of that id, sent as replaces_id so a new alert replaces the old one
	// on screen instead of stacking beside it.
	ids    map[string]uint32
	closed bool
}

var (
	_ Sender = (*DBusSender)(nil)
	_ Sender = LogSender{}
)

// NewDBusSender connects to the session bus. appName is shown as the
// sender; icon is an icon name or an absolute file path ("" for none).
func NewDBusSender(appName, icon string) (*DBusSender, error) {
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("connect session bus for notifications: %w", err)
	}
	return newDBusSender(conn, appName, icon), nil
}

func newDBusSender(conn *dbus.Conn, appName, icon string) *DBusSender {
	return &DBusSender{conn: conn, appName: appName, icon: icon, ids: map[string]uint32{}}
}

// errClosed is returned by Send after Close.
var errClosed = errors.New("notification sender is closed")

// Send shows a, replacing the previous alert with the same ID, with the
// urgency hint set (critical alerts stay until dismissed on most desktops).
func (s *DBusSender) Send(a Alert) error {
	s.mu.Lock()
	defer s.mu.Unlock() // one at a time, so replaces_id is always the latest
	if s.closed {
		return errClosed
	}
	n := notify.Notification{
		AppName:       s.appName,
		ReplacesID:    s.ids[a.ID],
		AppIcon:       s.icon,
		Summary:       a.Title,
		Body:          a.Body,
		ExpireTimeout: notify.ExpireTimeoutSetByNotificationServer,
	}
	n.SetUrgency(notify.Urgency(a.Urgency))
	n.AddHint(notify.Hint{ID: "desktop-entry", Variant: dbus.MakeVariant("milady-cloud")})
	if c := category(a); c != "" {
		n.AddHint(notify.Hint{ID: "category", Variant: dbus.MakeVariant(c)})
	}
	id, err := notify.SendNotification(s.conn, n)
	if err != nil {
		return fmt.Errorf("send notification %s: %w", a.ID, err)
	}
	if a.ID != "" {
		s.ids[a.ID] = id
	}
	return nil
}

// category is the freedesktop category hint for an alert; none of the
// standard categories fits a credit balance, so credits get none.
func category(a Alert) string {
	if a.Kind != KindConnection {
		return ""
	}
	if a.Urgency == UrgencyLow {
		return "network.connected"
	}
	return "network.disconnected"
}

// Close closes the bus connection; later Sends fail.
func (s *DBusSender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.conn.Close(); err != nil {
		return fmt.Errorf("close notification bus connection: %w", err)
	}
	return nil
}

// LogSender writes alerts to the log, for headless mode (the dashboard shows
// them from the event stream).
type LogSender struct {
	Log *slog.Logger
}

// Send logs a at warning level (info for good news).
func (l LogSender) Send(a Alert) error {
	log := l.Log
	if log == nil {
		log = slog.Default()
	}
	level := slog.LevelWarn
	if a.Urgency == UrgencyLow {
		level = slog.LevelInfo
	}
	log.Log(context.Background(), level, "notification", "kind", a.Kind, "level", a.Level, "title", a.Title, "body", a.Body)
	return nil
}
