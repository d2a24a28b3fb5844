// Package traytest is a test harness for the tray over a real, private
// D-Bus: a session bus of its own (dbus-daemon), a fake
// org.kde.StatusNotifierWatcher, readers for the StatusNotifierItem and its
// com.canonical.dbusmenu menu, clicks, and a fake app.Backend. Only tests
// import it.
//
// systray starts once per process and races internally (PLATFORM.md), so
// tests that start a real tray run in their own subprocess (InSubprocess)
// and without -race.
package traytest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// startTimeout bounds how long the private bus may take to come up.
const startTimeout = 10 * time.Second

// busConfig is a minimal session bus: one socket in the test's temp dir, no
// service activation (nothing may autostart into the test), everyone may
// own any name.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// Bus is a private session bus for one test.
type Bus struct {
	// Address is the bus address, also exported as DBUS_SESSION_BUS_ADDRESS.
	Address string
}

// RequireDBusDaemon skips the test when dbus-daemon is not installed, and
// fails it instead when CI=true: on CI a missing daemon is a broken image,
// not a reason to pass.
func RequireDBusDaemon(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("dbus-daemon is required on CI (apt-get install dbus-daemon): %v", err)
		}
		t.Skipf("dbus-daemon not installed: %v", err)
	}
	return path
}

// StartBus starts a private dbus-daemon for the test, points
// DBUS_SESSION_BUS_ADDRESS at it (so the test must not be parallel) and
// stops it at cleanup.
func StartBus(t testing.TB) *Bus {
	t.Helper()
	daemon := RequireDBusDaemon(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, filepath.Join(dir, "bus"))), 0o600); err != nil {
		t.Fatalf("write bus config: %v", err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("pipe dbus-daemon stdout: %v", err)
	}
	stderr := &apptest.Buffer{}
	cmd.Stderr = stderr // it complains about fd limits when not root; shown only on failure
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})

	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		lines <- strings.TrimSpace(line)
	}()
	var addr string
	select {
	case addr = <-lines:
	case <-time.After(startTimeout):
		t.Fatalf("dbus-daemon printed no address within %s: %s", startTimeout, stderr)
	}
	if addr == "" {
		t.Fatalf("dbus-daemon exited without printing an address: %s", stderr)
	}
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return &Bus{Address: addr}
}

// Conn opens a private connection to the bus, closed at cleanup. Tests use
// their own connections: systray's end() closes the shared one.
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatalf("connect to test bus: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
