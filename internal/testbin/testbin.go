// Package testbin runs the milady-cloud binary as a subprocess for tests: it
// builds the binary once, starts it with a private environment, and waits on
// its output and exit with deadlines instead of sleeps. Only tests import it.
package testbin

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Build compiles the main package in pkgDir to out. It runs the go command
// found on PATH: `go test` puts its own GOROOT/bin first on the PATH of the
// test binary (Go 1.19+), so this is the same toolchain that is running the
// test. No build tags: the tag-free build is the headless-capable one, and
// its compiled packages are usually in the build cache already.
func Build(pkgDir, out, ldflags string) error {
	gobin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("find the go command: %w", err)
	}
	cmd := exec.Command(gobin, "build", "-o", out, "-ldflags", ldflags, ".")
	cmd.Dir = pkgDir
	var msg bytes.Buffer
	cmd.Stdout, cmd.Stderr = &msg, &msg
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s: %w\n%s", pkgDir, err, msg.String())
	}
	return nil
}

// inherited are variables of the test's own environment that would make a
// run depend on the machine (a display, a session bus, the user's config or
// state, a real API key); Env drops them.
var inherited = []string{"DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "HOME",
	"SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"}

// inheritedPrefixes are dropped the same way: the app's own settings, the
// variables login sets, and every XDG base directory.
var inheritedPrefixes = []string{"MILADY_", "ELIZAOS_", "XDG_"}

// Env is the test process's environment without anything machine-specific
// (see inherited), plus set. A value "" in set leaves the variable unset.
func Env(set map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok || dropped(k) {
			continue
		}
		out = append(out, kv)
	}
	for k, v := range set {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// Bounds for waiting on the app binary: ExitBound is the longest a clean
// quit may take (the app bounds its shutdown to about 5 s); the others only
// keep a broken run from hanging on a shared, slow machine.
const (
	ExitBound  = 5 * time.Second
	StartBound = 10 * time.Second
	PollBound  = 15 * time.Second
)

// The log lines that tell where a started app listens: its dashboard, and
// with --sim the simulator.
var (
	DashboardLine = regexp.MustCompile(`Milady Cloud dashboard: (http://127\.0\.0\.1:(\d+))/`)
	SimLine       = regexp.MustCompile(`SIMULATOR MODE[^\n]* url=(https://127\.0\.0\.1:\d+)`)
)

// Home is one user's private folders for a test: HOME, the state folder
// (MILADY_STATE_DIR), the config file (MILADY_CONFIG_PATH) and the XDG
// folders all lie inside Root. Starting the app again on the same Home is a
// restart.
type Home struct{ Root, State, Config string }

// NewHome is a fresh Home in the test's temp dir.
func NewHome(t testing.TB) Home {
	root := t.TempDir()
	return Home{Root: root, State: filepath.Join(root, "state"), Config: filepath.Join(root, "milady.json")}
}

// Env is a clean environment for this home (no display, no session bus,
// nothing of the user's: see Env), plus extra (a value "" unsets).
func (h Home) Env(extra map[string]string) []string {
	set := map[string]string{
		"HOME":               h.Root,
		"MILADY_STATE_DIR":   h.State,
		"MILADY_CONFIG_PATH": h.Config,
		"XDG_CONFIG_HOME":    filepath.Join(h.Root, "xdg-config"),
		"XDG_DATA_HOME":      filepath.Join(h.Root, "xdg-data"),
		"XDG_RUNTIME_DIR":    filepath.Join(h.Root, "xdg-runtime"),
	}
	for k, v := range extra {
		set[k] = v
	}
	return Env(set)
}

// FreePort is a loopback port nobody listens on right now, for a test that
// needs the app to find its port taken or free.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func dropped(k string) bool {
	for _, d := range inherited {
		if k == d {
			return true
		}
	}
	for _, p := range inheritedPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// Output collects what a process writes and wakes up waiters on every write.
type Output struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newOutput() *Output { return &Output{changed: make(chan struct{})} }

// Write implements io.Writer for exec.Cmd's copying goroutine.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.buf.Write(p)
	close(o.changed)
	o.changed = make(chan struct{})
	return len(p), nil
}

// String is everything written so far.
func (o *Output) String() string {
	s, _ := o.snapshot()
	return s
}

// snapshot is the text so far and a channel closed by the next write.
func (o *Output) snapshot() (string, <-chan struct{}) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String(), o.changed
}

// Proc is a running (or finished) subprocess.
type Proc struct {
	Stdout, Stderr *Output

	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait has returned and output is complete
}

// Start runs bin with args and env. When the test ends the process is
// killed if it still runs, and on failure its output is logged.
func Start(t testing.TB, name, bin string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Stdout: newOutput(), Stderr: newOutput(), name: name, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.Stdout, p.Stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.Exited() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("---- %s stdout ----\n%s---- %s stderr ----\n%s", name, p.Stdout, name, p.Stderr)
		}
	})
	return p
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) error {
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.name, err)
	}
	return nil
}

// ErrTimeout is returned when a wait's deadline passes.
var ErrTimeout = errors.New("timed out")

// Wait waits at most d for the process to end and returns its exit code
// (-1 when a signal killed it).
func (p *Proc) Wait(d time.Duration) (int, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return p.cmd.ProcessState.ExitCode(), nil
	case <-timer.C:
		return 0, fmt.Errorf("%s did not exit within %s: %w", p.name, d, ErrTimeout)
	}
}

// WaitFor waits at most d until o (p.Stdout or p.Stderr) matches re and
// returns the submatches. It fails early when the process exits without
// printing a match.
func (p *Proc) WaitFor(o *Output, re *regexp.Regexp, d time.Duration) ([]string, error) {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		text, changed := o.snapshot()
		if m := re.FindStringSubmatch(text); m != nil {
			return m, nil
		}
		select {
		case <-changed:
		case <-p.done:
			// The output is complete once done is closed.
			if m := re.FindStringSubmatch(o.String()); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("%s exited (%s) without printing %q", p.name, p.cmd.ProcessState, re)
		case <-timer.C:
			return nil, fmt.Errorf("%s did not print %q within %s: %w", p.name, re, d, ErrTimeout)
		}
	}
}
