package main

// `milady-cloud login` in a real terminal: tmux gives the command a TTY, so
// the spinner runs, and capture-pane shows what a user sees.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// tmuxBin finds tmux; without it the test skips on a developer machine but
// fails under CI, where a missing package means a broken setup.
func tmuxBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("tmux")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("tmux not installed (apt-get install tmux, or make deps); set CI=true to make this a failure")
		}
		t.Fatalf("tmux not installed and CI is set: %v", err)
	}
	return bin
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func TestLoginInTmux(t *testing.T) {
	t.Parallel()
	tmux := tmuxBin(t)
	h := testbin.NewHome(t)
	app := startApp(t, "app", h, nil, "--headless", "--sim", "--port", "0")
	simURL, sim := simControl(t, app, h)

	// The pane runs a script with exactly the test's environment (tmux
	// would hand it its own), then waits on the TTY so the pane stays.
	dir := t.TempDir()
	var script strings.Builder
	for _, kv := range h.Env(map[string]string{"MILADY_PORT": strconv.Itoa(app.port), "TERM": "xterm-256color", "NO_COLOR": "", "TMUX": ""}) {
		k, v, _ := strings.Cut(kv, "=")
		if regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`).MatchString(k) {
			script.WriteString("export " + k + "=" + shellQuote(v) + "\n")
		}
	}
	script.WriteString(shellQuote(binPath) + " login\necho \"exit=$?\"\nread x\n")
	scriptFile := filepath.Join(dir, "login.sh")
	if err := os.WriteFile(scriptFile, []byte(script.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "tmux.sock")
	tmuxCmd := func(args ...string) (string, error) {
		cmd := exec.Command(tmux, append([]string{"-S", sock, "-f", "/dev/null"}, args...)...)
		cmd.Env = testbin.Env(map[string]string{"TMUX": "", "HOME": h.Root})
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := tmuxCmd("new-session", "-d", "-s", "login", "-x", "120", "-y", "60", "env -i /bin/sh "+shellQuote(scriptFile)); err != nil {
		t.Fatalf("tmux new-session: %v\n%s", err, out)
	}
	t.Cleanup(func() { _, _ = tmuxCmd("kill-server") })
	var screen string
	capture := func() string {
		out, err := tmuxCmd("capture-pane", "-p", "-t", "login")
		if err != nil {
			t.Fatalf("tmux capture-pane: %v\n%s", err, out)
		}
		screen = out
		return out
	}
	url := regexp.MustCompile(`https://127\.0\.0\.1:\d+/\S*[?&]session=([\w-]+)`)
	spin := regexp.MustCompile(`[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for you to approve the login… \(Ctrl\+C cancels\)`)
	defer func() {
		if t.Failed() {
			t.Logf("tmux pane:\n%s", screen)
		}
	}()
	apptest.Eventually(t, pollBound, "the URL, the QR code and the spinner in the pane", func() bool {
		s := capture()
		return url.MatchString(s) && strings.Count(s, "████") >= 10 && spin.MatchString(s)
	})
	// The spinner moves: a later capture shows another frame.
	first := spin.FindString(screen)
	apptest.Eventually(t, pollBound, "the spinner to turn", func() bool {
		f := spin.FindString(capture())
		return f != "" && f != first
	})
	sid := url.FindStringSubmatch(screen)[1]
	call(t, sim, "POST", simURL+"/__sim/sessions/"+sid+"/approve", map[string]any{}, 200)
	done := regexp.MustCompile(`✓ Logged in as (\S+@\S+)`)
	apptest.Eventually(t, pollBound, "Logged in as … and exit 0", func() bool {
		s := capture()
		return done.MatchString(s) && strings.Contains(s, "exit=0")
	})
	if spin.MatchString(screen) {
		t.Fatalf("the spinner line is still on screen after the login:\n%s", screen)
	}
}
