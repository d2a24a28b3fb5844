//go:build linux

package desktop

import (
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// testHello is what the tests' children are told; its token must appear
// nowhere but on the control pipe.
var testHello = ChildHello{URL: "http://127.0.0.1:2138/", Token: "tok-only-on-fd3", Title: "Milady Cloud", Version: "1.2.3"}

func TestChildStartsOnFirstShowOnly(t *testing.T) {
	checked := make(chan struct{}, 1)
	h := newChildHarness(t, "serve", func(c *ChildConfig) {
		c.TrayHostPresent = func() bool {
			select {
			case checked <- struct{}{}:
			default:
			}
			return true
		}
	})
	h.run(false)
	h.c.Hide() // nothing to hide: starts nothing
	apptest.Receive(t, checked, waitLimit, "the first look for a tray host")
	if evs := h.events(); len(evs) != 0 {
		t.Fatalf("a window process started before any Show: %v", evs)
	}

	h.c.Show()
	pid := h.waitStarted(1)
	var hello ChildHello
	if err := json.Unmarshal([]byte(h.waitEvent(fakeEvent{Event: "hello"}).Data), &hello); err != nil {
		t.Fatal(err)
	}
	if hello != testHello {
		t.Errorf("hello = %+v, want %+v", hello, testHello)
	}

	h.c.Show() // running: told to show, no second process
	h.waitEvent(fakeEvent{PID: pid, Event: "cmd", Data: ChildCmdShow})
	if pids := h.helloPIDs(); len(pids) != 1 {
		t.Fatalf("a Show to a running window started another process: %v", pids)
	}

	h.c.Hide() // ends it; the app stays
	h.logs.wait(t, "window: the window process ended")
	if got, want := h.of(pid), []string{"hello", "cmd show", "cmd quit"}; !slices.Equal(got, want) {
		t.Errorf("first process saw %q, want %q", got, want)
	}
	h.running()

	h.c.Show() // a new one
	pid2 := h.waitStarted(2)
	if pid2 == pid {
		t.Fatalf("the second start reused pid %d", pid)
	}
	h.stop()
	if res := h.wait(); !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	if got, want := h.of(pid2), []string{"hello", "cmd quit"}; !slices.Equal(got, want) {
		t.Errorf("second process saw %q, want %q", got, want)
	}
	if r, ok := h.logs.find("window: the window process did not quit; terminating it"); ok {
		t.Errorf("a child that obeyed quit was terminated: %v", r)
	}
}

func TestChildOpenNowStartsAtOnceAndAbsorbsAnEarlyShow(t *testing.T) {
	h := newChildHarness(t, "serve", nil)
	h.c.Show() // before Run: the window opens shown anyway
	h.run(true)
	pid := h.waitStarted(1)
	h.c.Hide()
	h.waitEvent(fakeEvent{PID: pid, Event: "cmd", Data: ChildCmdQuit})
	if got, want := h.of(pid), []string{"hello", "cmd quit"}; !slices.Equal(got, want) {
		t.Errorf("the process saw %q, want %q (no show for a Show made before it started)", got, want)
	}
}

func TestChildQuitMethodEndsRun(t *testing.T) {
	h := newChildHarness(t, "serve", nil)
	h.run(true)
	pid := h.waitStarted(1)
	h.c.Quit()
	if res := h.wait(); !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	if got, want := h.of(pid), []string{"hello", "cmd quit"}; !slices.Equal(got, want) {
		t.Errorf("the process saw %q, want %q", got, want)
	}
	h.c.Show() // after Run: nothing happens, nothing blocks
	if n := len(h.helloPIDs()); n != 1 {
		t.Errorf("%d processes started, want 1", n)
	}
	if _, err := h.c.Run(make(chan struct{}), true); err == nil {
		t.Error("a second Run did not fail")
	}
}

func TestChildQuitBeforeRunStartsNothing(t *testing.T) {
	h := newChildHarness(t, "serve", nil)
	h.c.Quit()
	h.run(true)
	if res := h.wait(); !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	if evs := h.events(); len(evs) != 0 {
		t.Errorf("a window process started although Quit came first: %v", evs)
	}
}

func TestChildClosedWithATrayHostStaysInTheTray(t *testing.T) {
	h := newChildHarness(t, "close", nil)
	h.run(false)
	h.c.Show()
	h.waitStarted(1)
	h.logs.wait(t, "window: closed; the app keeps running in the tray")
	h.running()
	h.c.Show()
	h.waitStarted(2)
}

func TestChildClosedWithoutATrayHostQuitsTheApp(t *testing.T) {
	h := newChildHarness(t, "close", func(c *ChildConfig) { c.TrayHostPresent = nil })
	h.run(true)
	if res := h.wait(); !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	h.logs.wait(t, "window: closed, and no tray host shows the app; quitting")
}

func TestChildHiddenWithoutATrayHostKeepsRunning(t *testing.T) {
	h := newChildHarness(t, "serve", func(c *ChildConfig) { c.TrayHostPresent = func() bool { return false } })
	h.run(true)
	h.waitStarted(1)
	h.c.Hide()
	h.logs.wait(t, "window: the window process ended")
	h.running()
}

func TestChildCrashIsLoggedAndTheNextShowRestarts(t *testing.T) {
	h := newChildHarness(t, "crash", nil)
	h.run(false)
	h.c.Show()
	h.waitStarted(1)
	r := h.logs.wait(t, "window: the window process failed")
	if r.level != slog.LevelWarn || r.attrs["code"] != "7" {
		t.Errorf("failure logged as %v code %q, want WARN code 7", r.level, r.attrs["code"])
	}
	if s := r.attrs["stderr"]; !strings.Contains(s, "boom 3") || !strings.Contains(s, "last words without a newline") {
		t.Errorf("failure log lacks the last stderr lines: %q", s)
	}
	h.running()
	select {
	case <-h.fallbacks:
		t.Error("a crash opened the browser")
	default:
	}
	h.c.Show()
	h.waitStarted(2)
}

func TestChildThatCannotOpenAWindowFallsBack(t *testing.T) {
	h := newChildHarness(t, "nowindow", nil)
	h.run(false)
	h.c.Show()
	apptest.Receive(t, h.fallbacks, waitLimit, "the fallback after exit status 3")
	if r := h.logs.wait(t, "window: cannot open a window"); r.level != slog.LevelError || r.attrs["err"] != "no display" {
		t.Errorf("the child's reason was relayed as %+v", r)
	}
	h.running()
}

func TestChildStartFailureFallsBack(t *testing.T) {
	for _, path := range []string{filepath.Join(t.TempDir(), "missing"), ""} {
		h := newChildHarness(t, "serve", func(c *ChildConfig) { c.Path = path })
		h.run(false)
		h.c.Show()
		apptest.Receive(t, h.fallbacks, waitLimit, "the fallback for path "+path)
		h.logs.wait(t, "window: could not start the window process; opening the dashboard in the browser")
		h.c.Show() // tries again, falls back again
		apptest.Receive(t, h.fallbacks, waitLimit, "the second fallback for path "+path)
		h.running()
		h.stop()
		if res := h.wait(); !res.opened || res.err != nil {
			t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
		}
	}
}

// TestChildCredentialsOnlyOnTheControlPipe: with the app's environment
// holding the API key and the token, the window process's command line
// and environment hold neither; the token reaches it on fd 3.
func TestChildCredentialsOnlyOnTheControlPipe(t *testing.T) {
	h := newChildHarness(t, "serve", func(c *ChildConfig) {
		c.Env = nil // the default: os.Environ()
		c.Hello.Token = "secret-token"
	})
	t.Setenv("ELIZAOS_CLOUD_API_KEY", "secret-key")
	t.Setenv("elizaos_other", "secret-other")
	t.Setenv("MILADY_API_TOKEN", "secret-token")
	t.Setenv(fakeChildEnv, "serve")
	t.Setenv(fakeReportEnv, h.report)
	k, v, _ := strings.Cut(quickRaceExit(), "=")
	t.Setenv(k, v)
	h.run(true)
	h.waitStarted(1)
	exe, _ := os.Executable()
	var argv, env []string
	for _, e := range h.events() {
		switch {
		case e.Event == "start" && e.Data == "argv":
			argv = e.List
		case e.Event == "start" && e.Data == "env":
			env = e.List
		case e.Event == "hello":
			if !strings.Contains(e.Data, `"token":"secret-token"`) {
				t.Errorf("the token did not arrive on fd 3: %s", e.Data)
			}
		}
	}
	if !slices.Equal(argv, []string{exe}) {
		t.Errorf("argv = %q, want just the path", argv)
	}
	if !slices.Contains(env, fakeReportEnv+"="+h.report) {
		t.Errorf("the environment was not passed on: %q", env)
	}
	for _, kv := range append(argv, env...) {
		if strings.Contains(kv, "secret") || strings.HasPrefix(strings.ToUpper(kv), "ELIZAOS_") || strings.HasPrefix(kv, "MILADY_API_TOKEN=") {
			t.Errorf("the window process got %q", kv)
		}
	}
	h.logs.wait(t, "window: dashboard ready")
	h.stop()
	h.wait()
	if s := h.logs.String(); strings.Contains(s, "secret") {
		t.Errorf("the log holds a secret:\n%s", s)
	}
}

// TestChildQuitEndsTheChildInOrder: quitting writes quit (and closes the
// pipe), then after 3 s sends SIGTERM, then after 2 s more SIGKILL, and
// Run returns once the process has gone.
func TestChildQuitEndsTheChildInOrder(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	h := newChildHarness(t, "deaf", func(c *ChildConfig) { c.Clock = clk })
	h.run(true)
	pid := h.waitStarted(1)
	h.stop()
	h.waitEvent(fakeEvent{PID: pid, Event: "eof"})
	if !clk.WaitFor(1, waitLimit) {
		t.Fatal("no wait armed after quit")
	}
	if d, _ := clk.NextDeadline(); d != childQuitWait {
		t.Errorf("SIGTERM is due after %s, want %s", d, childQuitWait)
	}
	clk.Advance(childQuitWait - time.Millisecond)
	h.running()
	clk.Advance(time.Millisecond)
	h.waitEvent(fakeEvent{PID: pid, Event: "sigterm"})
	if !clk.WaitFor(1, waitLimit) {
		t.Fatal("no wait armed after SIGTERM")
	}
	if d, _ := clk.NextDeadline(); d != childTermWait {
		t.Errorf("SIGKILL is due after %s, want %s", d, childTermWait)
	}
	h.running()
	clk.Advance(childTermWait)
	if res := h.wait(); !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	if got, want := h.of(pid), []string{"hello", "cmd quit", "eof", "sigterm"}; !slices.Equal(got, want) {
		t.Errorf("the process saw %q, want %q", got, want)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("the window process is still there after Run returned: kill(0) = %v", err)
	}
	if r := h.logs.wait(t, "window: the window process ended"); r.attrs["status"] != "signal: killed" {
		t.Errorf("ended with %q, want signal: killed", r.attrs["status"])
	}
}

// TestChildShowsWithoutATrayHostAfterTheGrace: started hidden with no tray
// host, the window opens after 10 s so the app stays reachable.
func TestChildShowsWithoutATrayHostAfterTheGrace(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	var present atomic.Bool
	h := newChildHarness(t, "serve", func(c *ChildConfig) {
		c.Clock, c.TrayGrace, c.TrayHostPresent = clk, 10*time.Second, present.Load
	})
	h.run(false)
	for i := 0; i < 19; i++ { // 9.5 s of polls: still nothing
		if !clk.WaitFor(1, waitLimit) {
			t.Fatal("no tray host poll armed")
		}
		clk.Advance(lazyTrayPoll)
	}
	if !clk.WaitFor(1, waitLimit) {
		t.Fatal("no tray host poll armed")
	}
	if h.c.wasAsked() || len(h.events()) != 0 {
		t.Fatal("the window was opened before the grace period ended")
	}
	clk.Advance(lazyTrayPoll)
	h.waitStarted(1)
	h.logs.wait(t, "window: started hidden but no tray host appeared; showing the window so the app stays reachable")
}

// TestChildRelaysItsLog: the child's JSON lines land in the app's log
// with their level, message and attributes; other lines as Debug text.
func TestChildRelaysItsLog(t *testing.T) {
	h := newChildHarness(t, "serve", nil)
	h.run(true)
	r := h.logs.wait(t, "window: dashboard ready")
	if r.level != slog.LevelInfo || r.attrs["n"] != "42" || r.attrs["grp.a"] != "b" {
		t.Errorf("dashboard ready relayed as %+v", r)
	}
	if _, ok := r.attrs["time"]; ok {
		t.Error("the child's time was kept")
	}
	if r := h.logs.wait(t, "window: fake warning"); r.level != slog.LevelWarn || r.attrs["ok"] != "true" {
		t.Errorf("warning relayed as %+v", r)
	}
	if r := h.logs.wait(t, "(WebKitWebProcess:1): Gtk-WARNING **: a fake GTK warning"); r.level != slog.LevelDebug {
		t.Errorf("a GTK line relayed as %+v", r)
	}
	if r := h.logs.wait(t, "a line on stdout"); r.level != slog.LevelDebug {
		t.Errorf("a stdout line relayed as %+v", r)
	}
}

// TestChildDiesWithTheApp: an app killed outright (no quit, no chance to
// end its child) still takes the window process with it, through
// Pdeathsig, even when the child ignores the end of its control pipe.
func TestChildDiesWithTheApp(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := newChildHarness(t, "orphan", nil)
	parent := exec.Command(exe)
	parent.Env = append(os.Environ(), fakeParentEnv+"=orphan", fakeReportEnv+"="+h.report, quickRaceExit())
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	pid := h.waitStarted(1)
	if err := parent.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.Wait()
	h.waitEvent(fakeEvent{PID: pid, Event: "sigterm"})
}

func TestFindWindowBinary(t *testing.T) {
	root := t.TempDir()
	mk := func(p string, mode os.FileMode) string {
		p = filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	beside := mk("a/bin/"+WindowBinaryName, 0o755)
	lib := mk("b/lib/milady-cloud/"+WindowBinaryName, 0o755)
	mk("c/bin/"+WindowBinaryName, 0o644) // not executable
	libC := mk("c/lib/milady-cloud/"+WindowBinaryName, 0o755)
	mk("d/bin/"+WindowBinaryName, 0o644)
	if err := os.MkdirAll(filepath.Join(root, "e/bin/"+WindowBinaryName), 0o755); err != nil { // a folder
		t.Fatal(err)
	}
	override := mk("override/win", 0o755)
	noExec := mk("override/noexec", 0o644)

	for _, tc := range []struct {
		name, env, exe, want string
		errHas               []string
	}{
		{name: "beside the app", exe: filepath.Join(root, "a/bin/milady-cloud"), want: beside},
		{name: "the .deb's lib folder", exe: filepath.Join(root, "b/bin/milady-cloud"), want: lib},
		{name: "beside not executable, lib", exe: filepath.Join(root, "c/bin/milady-cloud"), want: libC},
		{name: "override", env: override, exe: filepath.Join(root, "a/bin/milady-cloud"), want: override},
		{name: "override missing", env: filepath.Join(root, "nope"), exe: filepath.Join(root, "a/bin/milady-cloud"),
			errHas: []string{WindowBinaryEnv, filepath.Join(root, "nope"), "no such file"}},
		{name: "override not executable", env: noExec, exe: filepath.Join(root, "a/bin/milady-cloud"),
			errHas: []string{noExec, "not executable"}},
		{name: "nowhere", exe: filepath.Join(root, "d/bin/milady-cloud"),
			errHas: []string{filepath.Join(root, "d/bin", WindowBinaryName) + ": not executable",
				filepath.Join(root, "d/lib/milady-cloud", WindowBinaryName) + ": no such file"}},
		{name: "a folder", exe: filepath.Join(root, "e/bin/milady-cloud"),
			errHas: []string{filepath.Join(root, "e/bin", WindowBinaryName) + ": not a regular file"}},
		{name: "no exe", errHas: []string{WindowBinaryEnv}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == WindowBinaryEnv {
					return tc.env
				}
				return ""
			}
			got, err := FindWindowBinary(getenv, tc.exe)
			if tc.errHas == nil {
				if err != nil || got != tc.want {
					t.Fatalf("FindWindowBinary = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("FindWindowBinary = %q, want an error", got)
			}
			for _, s := range tc.errHas {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
		})
	}
}
