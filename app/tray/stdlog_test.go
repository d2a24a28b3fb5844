package tray

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestStdlogBridge: systray's raw "systray error: … StatusNotifierWatcher"
// line becomes a plain-words entry in the app's log.
func TestStdlogBridge(t *testing.T) {
	var buf bytes.Buffer
	b := stdlogBridge{log: slog.New(slog.NewTextHandler(&buf, nil))}
	line := "systray error: failed to register: The name org.kde.StatusNotifierWatcher was not provided by any .service files\n"
	if n, err := b.Write([]byte(line)); err != nil || n != len(line) {
		t.Fatalf("Write = %d, %v", n, err)
	}
	out := buf.String()
	if !strings.Contains(out, "no tray host on this desktop") || !strings.Contains(out, "level=INFO") {
		t.Fatalf("log line %q does not say there is no tray host", out)
	}
	buf.Reset()
	_, _ = b.Write([]byte("systray error: failed to set Title prop: boom\n"))
	if !strings.Contains(buf.String(), "tray: failed to set Title prop: boom") {
		t.Fatalf("other systray errors are not kept: %q", buf.String())
	}
}
