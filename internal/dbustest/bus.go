// Package dbustest starts a private D-Bus session bus for a test, so tests
// of notifications, the tray host check and the doctor never touch the
// desktop's own bus. Only tests import it.
package dbustest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Private starts a dbus-daemon of the test's own, claims names on it
// (standing in for a tray host or a notification server) and returns its
// address; the daemon stops at cleanup. Without dbus-daemon the test is
// skipped, unless CI is set: there a missing daemon means the test setup is
// broken, which must not pass.
func Private(t testing.TB, names ...string) string {
	t.Helper()
	bin, err := exec.LookPath("dbus-daemon")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("dbus-daemon not installed (apt-get install dbus-daemon); set CI=1 to make this a failure")
		}
		t.Fatalf("dbus-daemon not installed and CI is set: %v", err)
	}
	sock := filepath.Join(t.TempDir(), "bus")
	cmd := exec.Command(bin, "--session", "--print-address", "--nofork", "--address=unix:path="+sock)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer // its warnings (fd limits as non-root…) only matter on failure
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
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	var addr string
	select {
	case addr = <-line:
	case <-time.After(10 * time.Second):
		t.Fatal("dbus-daemon did not print its address within 10 s")
	}
	if addr == "" {
		t.Fatal("dbus-daemon printed no address")
	}
	if len(names) > 0 {
		conn, err := dbus.Connect(addr)
		if err != nil {
			t.Fatalf("connect to the test bus: %v", err)
		}
		t.Cleanup(func() { _ = conn.Close() })
		for _, n := range names {
			if r, err := conn.RequestName(n, dbus.NameFlagDoNotQueue); err != nil || r != dbus.RequestNameReplyPrimaryOwner {
				t.Fatalf("claim %s: %v %v", n, r, err)
			}
		}
	}
	return addr
}
