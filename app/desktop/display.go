package desktop

import (
	"fmt"
	"net"
	"os"
	"path"
	"strconv"
	"strings"
	"time"
)

// DisplayAvailable reports whether a window can be opened here, and if not,
// a one-line reason. On Linux and the BSDs, wails.Run panics ("failed to
// init GTK") without a display, so main checks first and runs headless
// instead. macOS and Windows always have one.
func DisplayAvailable() (bool, string) {
	return displayAvailable(displayEnv{
		getenv: os.Getenv,
		exists: func(p string) bool { _, err := os.Stat(p); return err == nil },
		dial: func(network, addr string) bool {
			c, err := net.DialTimeout(network, addr, 300*time.Millisecond)
			if err != nil {
				return false
			}
			_ = c.Close()
			return true
		},
	})
}

// displayEnv is what the display check reads, injectable for tests.
type displayEnv struct {
	getenv func(string) string
	exists func(path string) bool
	dial   func(network, addr string) bool
}

// checkDisplay is the Unix check: a Wayland socket, or an X11 display
// whose socket is there (a file in /tmp/.X11-unix, Linux's abstract
// socket of the same name, or TCP for "host:n" displays such as SSH
// forwarding). A set but dead DISPLAY would still make GTK fail.
func checkDisplay(env displayEnv) (bool, string) {
	wayland := env.getenv("WAYLAND_DISPLAY")
	x11 := env.getenv("DISPLAY")
	if wayland == "" && x11 == "" {
		return false, "no display (DISPLAY and WAYLAND_DISPLAY are unset)"
	}
	var reasons []string
	if wayland != "" {
		sock := wayland
		if !strings.HasPrefix(sock, "/") {
			sock = path.Join(env.getenv("XDG_RUNTIME_DIR"), wayland)
		}
		if env.exists(sock) {
			return true, ""
		}
		reasons = append(reasons, fmt.Sprintf("WAYLAND_DISPLAY=%s: no socket at %s", wayland, sock))
	}
	if x11 != "" {
		ok, why := checkX11(env, x11)
		if ok {
			return true, ""
		}
		reasons = append(reasons, why)
	}
	return false, "no display (" + strings.Join(reasons, "; ") + ")"
}

// checkX11 checks DISPLAY=[host]:n[.screen].
func checkX11(env displayEnv, display string) (bool, string) {
	colon := strings.LastIndex(display, ":")
	if colon < 0 {
		return false, fmt.Sprintf("DISPLAY=%s is not of the form [host]:n", display)
	}
	host, rest := display[:colon], display[colon+1:]
	if dot := strings.Index(rest, "."); dot >= 0 {
		rest = rest[:dot]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 {
		return false, fmt.Sprintf("DISPLAY=%s is not of the form [host]:n", display)
	}
	if strings.HasPrefix(host, "/") { // XQuartz-style launchd socket path
		if env.exists(display) {
			return true, ""
		}
		return false, fmt.Sprintf("DISPLAY=%s: no such socket", display)
	}
	if host == "" || host == "unix" {
		sock := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		if env.exists(sock) || env.dial("unix", "@"+sock) {
			return true, ""
		}
		return false, fmt.Sprintf("DISPLAY=%s: no X server socket at %s", display, sock)
	}
	addr := net.JoinHostPort(host, strconv.Itoa(6000+n))
	if env.dial("tcp", addr) {
		return true, ""
	}
	return false, fmt.Sprintf("DISPLAY=%s: no X server answers at %s", display, addr)
}
