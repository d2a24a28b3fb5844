//go:build !windows

// The D-Bus sender is the Linux/BSD path; Windows sends toasts (toast_windows_test.go).

package notify

import (
	"bytes"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/dbustest"
)

// urgencyOf is the notification's urgency hint; a missing or mistyped hint
// fails the test.
func urgencyOf(t *testing.T, n dbustest.Notification) byte {
	t.Helper()
	u, ok := n.Urgency()
	if !ok {
		t.Fatalf("no byte urgency hint in %+v", n.Hints)
	}
	return u
}

func TestDBusSenderAgainstStubServer(t *testing.T) {
	bus := dbustest.Start(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", bus.Address)

	s, err := NewDBusSender("Milady Cloud", "milady-cloud")
	if err != nil {
		t.Fatalf("NewDBusSender: %v", err)
	}
	defer s.Close()

	// Nobody serves notifications yet: Send reports it.
	if err := s.Send(lowAlert(1.5)); err == nil {
		t.Fatal("Send with no notification server: no error")
	}

	server := dbustest.NewNotificationServer(t, bus)
	p := NewPolicy()
	for _, step := range []struct{ prev, next Input }{
		{Input{}, bal(1.5)},                     // low
		{bal(1.5), bal(0.3)},                    // critical, replaces low
		{conn("reconnecting"), conn("error")},   // lost
		{conn("connecting"), conn("connected")}, // reconnected, replaces lost
		{bal(10), bal(10)},                      // nothing
	} {
		for _, a := range p.Observe(step.prev, step.next) {
			if err := s.Send(a); err != nil {
				t.Fatalf("Send(%s): %v", a.Title, err)
			}
		}
	}
	calls := server.Calls()
	if len(calls) != 4 {
		t.Fatalf("server got %d Notify calls, want 4: %+v", len(calls), calls)
	}
	low, crit, lost, back := calls[0], calls[1], calls[2], calls[3]
	if low.AppName != "Milady Cloud" || low.Icon != "milady-cloud" || low.ReplacesID != 0 || low.Timeout != -1 {
		t.Errorf("first call = %+v", low)
	}
	if low.Summary != "Eliza Cloud credits are low" ||
		low.Body != "Eliza Cloud credits are low: $1.50 left. Top up to keep your agent running." {
		t.Errorf("low summary/body = %q / %q", low.Summary, low.Body)
	}
	if u := urgencyOf(t, low); u != 1 {
		t.Errorf("low urgency = %d, want 1", u)
	}
	if de, _ := low.Hints["desktop-entry"].Value().(string); de != "milady-cloud" {
		t.Errorf("desktop-entry hint = %v", low.Hints["desktop-entry"])
	}
	if crit.ReplacesID != 101 {
		t.Errorf("critical replaces_id = %d, want the low alert's id 101", crit.ReplacesID)
	}
	if u := urgencyOf(t, crit); u != 2 {
		t.Errorf("critical urgency = %d, want 2", u)
	}
	if !strings.Contains(crit.Body, "$0.30 left") {
		t.Errorf("critical body = %q", crit.Body)
	}
	if lost.ReplacesID != 0 {
		t.Errorf("connection alert replaces_id = %d; it must not replace the credits alert", lost.ReplacesID)
	}
	if back.ReplacesID != 102 || back.Summary != "Reconnected" || urgencyOf(t, back) != 0 {
		t.Errorf("reconnected call = %+v; want replaces_id 102 (the lost alert)", back)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(lowAlert(1)); err == nil {
		t.Error("Send after Close: no error")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestNewDBusSenderWithoutBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(t.TempDir(), "no-bus-here"))
	if s, err := NewDBusSender("x", ""); err == nil {
		_ = s.Close()
		t.Fatal("NewDBusSender with no bus: no error")
	}
}

func TestLogSender(t *testing.T) {
	var buf bytes.Buffer
	s := LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	if err := s.Send(criticalAlert(0.3)); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(reconnectedAlert("Milady")); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"level=WARN", "kind=credits", "$0.30 left", "level=INFO", `"Reconnected to Milady."`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if err := (LogSender{}).Send(lowAlert(1)); err != nil {
		t.Errorf("LogSender with nil logger: %v", err)
	}
}
