package desktop

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// The test binary is its own fake window process (and, for the test of
// a parent that dies, its own fake parent): TestMain calls
// fakeProcessMain first, which takes over when these variables say so.
const (
	fakeChildEnv  = "MILADY_FAKE_WINDOW_CHILD"  // the fake child's mode
	fakeReportEnv = "MILADY_FAKE_WINDOW_REPORT" // where it reports what it saw
	fakeParentEnv = "MILADY_FAKE_WINDOW_PARENT" // run a Child whose child is in this mode
)

// fakeEvent is one line of the report file the fake child appends to.
type fakeEvent struct {
	PID   int      `json:"pid"`
	Event string   `json:"event"` // start, hello, cmd, eof, sigterm
	Data  string   `json:"data,omitempty"`
	List  []string `json:"list,omitempty"`
}

// fakeProcessMain runs the fake child or parent and exits, or returns when
// this is a normal test run.
func fakeProcessMain() {
	if mode := os.Getenv(fakeChildEnv); mode != "" {
		os.Exit(fakeChild(mode))
	}
	if mode := os.Getenv(fakeParentEnv); mode != "" {
		os.Exit(fakeParent(mode))
	}
}

// fakeChild plays the window process. Modes:
//
//	serve     logs, then obeys show and quit; end of file: exit 0
//	close     exits 0 at once (the user closed the window)
//	crash     writes to stderr and exits 7
//	nowindow  exits ChildExitNoWindow
//	deaf      ignores quit, end of file and SIGTERM (SIGKILL ends it)
//	orphan    ignores end of file; exits 0 on SIGTERM
func fakeChild(mode string) int {
	report := func(ev fakeEvent) {
		ev.PID = os.Getpid()
		b, _ := json.Marshal(ev)
		f, err := os.OpenFile(os.Getenv(fakeReportEnv), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			os.Exit(90)
		}
		_, _ = f.Write(append(b, '\n'))
		_ = f.Close()
	}
	report(fakeEvent{Event: "start", Data: "argv", List: os.Args})
	report(fakeEvent{Event: "start", Data: "env", List: os.Environ()})
	if mode == "deaf" || mode == "orphan" {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		go func() {
			for range sigs {
				report(fakeEvent{Event: "sigterm"})
				if mode == "orphan" {
					os.Exit(0)
				}
			}
		}()
	}
	ctl := bufio.NewReader(os.NewFile(ChildControlFD, "control"))
	hello, err := ctl.ReadString('\n')
	if err != nil {
		report(fakeEvent{Event: "nohello", Data: err.Error()})
		return 91
	}
	report(fakeEvent{Event: "hello", Data: strings.TrimSuffix(hello, "\n")})
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	switch mode {
	case "close":
		return ChildExitClosed
	case "crash":
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(os.Stderr, "boom %d\n", i)
		}
		fmt.Fprint(os.Stderr, "last words without a newline")
		return 7
	case "nowindow":
		log.Error("window: cannot open a window", "err", "no display")
		return ChildExitNoWindow
	case "serve":
		log.Info("window: dashboard ready", "n", 42, slog.Group("grp", "a", "b"))
		log.Warn("window: fake warning", "ok", true)
		fmt.Fprintln(os.Stderr, "(WebKitWebProcess:1): Gtk-WARNING **: a fake GTK warning")
		fmt.Println("a line on stdout")
	}
	for {
		line, err := ctl.ReadString('\n')
		if err == io.EOF {
			report(fakeEvent{Event: "eof"})
			if mode == "deaf" || mode == "orphan" {
				select {} // until a signal ends it
			}
			return ChildExitClosed
		}
		if err != nil {
			report(fakeEvent{Event: "readerr", Data: err.Error()})
			return 92
		}
		cmd := strings.TrimSuffix(line, "\n")
		report(fakeEvent{Event: "cmd", Data: cmd})
		if cmd == ChildCmdQuit && mode != "deaf" {
			return ChildExitClosed
		}
	}
}

// fakeParent plays the app: it runs a Child whose child is in the given
// mode until it is killed.
func fakeParent(mode string) int {
	exe, err := os.Executable()
	if err != nil {
		return 93
	}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, fakeParentEnv+"=") {
			env = append(env, kv)
		}
	}
	c := NewChild(ChildConfig{
		Path:            exe,
		Env:             append(env, fakeChildEnv+"="+mode),
		TrayHostPresent: func() bool { return true },
	})
	_, _ = c.Run(make(chan struct{}), true)
	return 0
}
