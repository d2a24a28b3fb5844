// Package dbustest starts a private D-Bus session bus for a test and plays
// the desktop services on it (a notification server), so tests of
// notifications, the tray and the doctor never touch the desktop's own bus.
// Only tests import it.
package dbustest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// startTimeout bounds how long the private bus may take to come up.
const startTimeout = 10 * time.Second

// busConfig is a minimal session bus: one socket in the test's temp dir, no
// service activation (nothing of the machine may autostart into the test,
// as it could with the stock session.conf), everyone may own any name.
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
	// Address is the bus address, for DBUS_SESSION_BUS_ADDRESS.
	Address string
}

// RequireDaemon returns the path of dbus-daemon. Without it the test is
// skipped, unless CI is set: there a missing daemon means the image is
// broken, which must not pass.
func RequireDaemon(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("dbus-daemon is required when CI is set (apt-get install dbus-daemon): %v", err)
		}
		t.Skipf("dbus-daemon not installed (apt-get install dbus-daemon); set CI=1 to make this a failure: %v", err)
	}
	return path
}

// Start starts a dbus-daemon of the test's own; it stops at cleanup. It does
// not touch DBUS_SESSION_BUS_ADDRESS: callers that want the code under test
// to find the bus set it themselves.
func Start(t testing.TB) *Bus {
	t.Helper()
	daemon := RequireDaemon(t)
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, filepath.Join(dir, "bus")), 0o600); err != nil {
		t.Fatalf("write bus config: %v", err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--print-address=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("pipe dbus-daemon stdout: %v", err)
	}
	// Its warnings (fd limits as non-root…) only matter on failure; they are
	// read after Wait, when nothing writes them any more.
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("dbus-daemon stderr:\n%s", stderr.String())
		}
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
		t.Fatalf("dbus-daemon printed no address within %s", startTimeout)
	}
	if addr == "" {
		t.Fatal("dbus-daemon exited without printing an address")
	}
	return &Bus{Address: addr}
}

// Private starts a bus (Start), claims names on it, standing in for a tray
// host or a notification server that only has to be present, and returns
// its address.
func Private(t testing.TB, names ...string) string {
	t.Helper()
	b := Start(t)
	if len(names) > 0 {
		conn := b.Conn(t)
		for _, n := range names {
			if r, err := conn.RequestName(n, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
				t.Fatalf("claim %s: reply %v, err %v", n, r, err)
			}
		}
	}
	return b.Address
}

// Conn opens a private connection to the bus, closed at cleanup. Tests use
// their own connections: code under test may close the shared one (systray's
// end() does).
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(b.Address)
	if err != nil {
		t.Fatalf("connect to test bus: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
