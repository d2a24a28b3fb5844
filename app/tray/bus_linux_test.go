//go:build linux

package tray

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/tray/traytest"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestStartWithoutSessionBus: no bus at all must not start systray (whose
// end() would then panic), must log exactly one line, and must leave Stop
// and TrayHostPresent safe. systray is never started here, so this runs in
// the normal (race-checked) test process.
func TestStartWithoutSessionBus(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(dir, "no-such-bus"))
	t.Setenv("XDG_RUNTIME_DIR", dir)
	logs := &apptest.Buffer{}
	b := traytest.NewFakeBackend(app.Snapshot{})
	tr := New(b, b.Agents(), Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if tr.Start() {
		t.Fatal("Start() = true without a session bus")
	}
	tr.Stop()
	tr.Stop()
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], "no session bus") {
		t.Errorf("want one log line about the missing bus, got:\n%s", logs)
	}
	if TrayHostPresent() {
		t.Error("TrayHostPresent() = true without a bus")
	}
	if len(b.Calls()) != 0 || b.Subscribers() != 0 {
		t.Errorf("backend touched: calls %v, subscribers %d", b.Calls(), b.Subscribers())
	}
	if tr.Start() {
		t.Error("second Start() = true")
	}
}

func TestTrayHostPresent(t *testing.T) {
	bus := traytest.StartBus(t)
	if TrayHostPresent() {
		t.Fatal("TrayHostPresent() = true with no watcher on the bus")
	}
	w := traytest.NewFakeWatcher(t, bus)
	if !TrayHostPresent() {
		t.Fatal("TrayHostPresent() = false with a watcher and a host")
	}
	w.SetHostRegistered(false)
	if TrayHostPresent() {
		t.Error("TrayHostPresent() = true while the watcher has no host")
	}
	if err := preflight(); err != nil {
		t.Errorf("preflight with a bus: %v", err)
	}
}
