package main

// Tests of the built binary's terminal commands (`milady-cloud status`,
// `login`, …) against a running `--headless --sim` instance, talking to it
// only through its REST API as a user's shell would.

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// loginURLLine is the URL `milady-cloud login` prints, with the session id.
var loginURLLine = regexp.MustCompile(`(?m)^  (https://127\.0\.0\.1:\d+/\S*[?&]session=([\w-]+)\S*)$`)

// cliRun runs `milady-cloud args…` against the instance on port, with
// stdin (may be ""), and returns its exit code and output.
func cliRun(t *testing.T, h testbin.Home, port int, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pollBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = h.Env(map[string]string{"MILADY_PORT": strconv.Itoa(port)})
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("milady-cloud %v did not finish within %s\nstdout: %s\nstderr: %s", args, pollBound, out.String(), errOut.String())
	}
	var ee *exec.ExitError
	if err != nil && !errorsAs(err, &ee) {
		t.Fatalf("milady-cloud %v: %v", args, err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// mustCLI runs a command that must exit 0 and returns its stdout.
func mustCLI(t *testing.T, h testbin.Home, port int, stdin string, args ...string) string {
	t.Helper()
	code, out, errOut := cliRun(t, h, port, stdin, args...)
	if code != 0 {
		t.Fatalf("milady-cloud %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
	}
	return out
}

// statusJSON runs `status --json`.
func statusJSON(t *testing.T, h testbin.Home, port int) map[string]any {
	t.Helper()
	out := mustCLI(t, h, port, "", "status", "--json")
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("status --json is not JSON: %v\n%s", err, out)
	}
	return m
}

// decodeHalfBlocks turns the printed QR code back into modules (true =
// dark): each character is two rows, and an odd last row is printed alone.
func decodeHalfBlocks(t *testing.T, lines []string) [][]bool {
	t.Helper()
	if len(lines) == 0 {
		t.Fatal("no QR code printed")
	}
	width := len([]rune(lines[0]))
	var rows [][]bool
	for i, l := range lines {
		r := []rune(l)
		if len(r) != width {
			t.Fatalf("QR line %d is %d wide, want %d", i, len(r), width)
		}
		single := i == len(lines)-1 && 2*len(lines) > width // the odd last row
		top, bottom := make([]bool, width), make([]bool, width)
		for x, c := range r {
			switch c {
			case ' ':
				top[x], bottom[x] = true, true
			case '█':
			case '▄':
				top[x] = true
			case '▀':
				bottom[x] = !single
			default:
				t.Fatalf("QR line %d has %q", i, c)
			}
		}
		rows = append(rows, top)
		if !single {
			rows = append(rows, bottom)
		}
	}
	return rows
}

// qrLines picks the QR code's lines out of login's output.
func qrLines(out string) []string {
	_, after, _ := strings.Cut(out, "or scan this QR code:\n\n")
	var lines []string
	for _, l := range strings.Split(after, "\n") {
		if l == "" || strings.Trim(l, " █▀▄") != "" {
			break
		}
		lines = append(lines, l)
	}
	return lines
}

// checkQR requires the printed code to hold exactly url's modules.
func checkQR(t *testing.T, out, url string) {
	t.Helper()
	got := decodeHalfBlocks(t, qrLines(out))
	q, err := qrcode.New(url, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := q.Bitmap()
	if len(got) != len(want) {
		t.Fatalf("QR code has %d rows, want %d", len(got), len(want))
	}
	for y := range want {
		for x := range want[y] {
			if got[y][x] != want[y][x] {
				t.Fatalf("QR module (%d,%d) = %t, want %t: the printed code is not the URL's", x, y, got[y][x], want[y][x])
			}
		}
	}
}

// TestCLIAgainstSim walks the terminal through a whole session: status
// (text, JSON), login through the simulator's Approve with a QR code that
// holds the URL, agents, connect by name, chat piped through stdin,
// disconnect and logout.
func TestCLIAgainstSim(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	app := startApp(t, "app", h, nil, "--headless", "--sim", "--port", "0")
	simURL, sim := simControl(t, app, h)

	out := mustCLI(t, h, app.port, "", "status")
	for _, want := range []string{"Instance:   " + app.url + " (simulator)", "State:      disconnected", "Account:    not logged in", "Agent:      none", "Heartbeat:  never"} {
		if !strings.Contains(out, want) {
			t.Fatalf("status lacks %q:\n%s", want, out)
		}
	}
	if st := statusJSON(t, h, app.port); st["instance"] != app.url || st["loggedIn"] != false || st["state"] != "disconnected" || st["sim"] != true {
		t.Fatalf("status --json = %v", st)
	}

	// login: the URL and its QR code, then Approve in the "browser".
	login := testbin.Start(t, "login", binPath, h.Env(map[string]string{"MILADY_PORT": strconv.Itoa(app.port)}), "login")
	lm, err := login.WaitFor(login.Stdout, loginURLLine, startBound)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := login.WaitFor(login.Stdout, regexp.MustCompile(`(?s)QR code:\n\n.*█.*\n\n`), startBound); err != nil {
		t.Fatal(err)
	}
	checkQR(t, login.Stdout.String(), lm[1])
	call(t, sim, "POST", simURL+"/__sim/sessions/"+lm[2]+"/approve", map[string]any{}, 200)
	if code, err := login.Wait(pollBound); err != nil || code != 0 {
		t.Fatalf("login exit %d, %v", code, err)
	}
	if !regexp.MustCompile(`Logged in as \S+@\S+\n`).MatchString(login.Stdout.String()) {
		t.Fatalf("login output lacks `Logged in as …`:\n%s", login.Stdout)
	}
	if st := statusJSON(t, h, app.port); st["loggedIn"] != true || !strings.HasPrefix(st["keyPrefix"].(string), "eliza_") {
		t.Fatalf("status --json after login = %v", st)
	}
	if out := mustCLI(t, h, app.port, "", "credits"); !strings.Contains(out, "Balance: ") || !strings.Contains(out, "credits") {
		t.Fatalf("credits = %q", out)
	}

	// agents: a table with the one created through the API.
	created := call(t, httpc, "POST", app.url+"/api/cloud/agents", map[string]any{"agentName": "cli-bot"}, 201)
	id, _ := get(created, "agent", "id").(string)
	out = mustCLI(t, h, app.port, "", "agents")
	if !regexp.MustCompile(`(?m)^\s*NAME\s+STATUS\s+ID`).MatchString(out) || !regexp.MustCompile(`(?m)^\s+cli-bot\s+\S+\s+`+id).MatchString(out) {
		t.Fatalf("agents table:\n%s", out)
	}

	// connect by name, chat through stdin, disconnect.
	if out := mustCLI(t, h, app.port, "", "connect", "CLI-BOT"); out != "Connected to cli-bot ("+id+")\n" {
		t.Fatalf("connect = %q", out)
	}
	st := statusJSON(t, h, app.port)
	if st["state"] != "connected" || st["agentId"] != id || st["agentName"] != "cli-bot" {
		t.Fatalf("status --json after connect = %v", st)
	}
	msg := "piped hello " + strconv.FormatInt(time.Now().UnixNano(), 36)
	if out := mustCLI(t, h, app.port, msg+"\n", "chat"); !strings.Contains(out, msg) || !strings.HasSuffix(out, "\n") {
		t.Fatalf("chat reply = %q, want the simulator's echo of %q", out, msg)
	}
	if out := mustCLI(t, h, app.port, "", "chat", "cli-bot", "args", "hello"); !strings.Contains(out, "args hello") {
		t.Fatalf("chat with agent and text = %q", out)
	}
	if out := mustCLI(t, h, app.port, "", "agents"); !regexp.MustCompile(`(?m)^\* cli-bot`).MatchString(out) {
		t.Fatalf("agents does not mark the connected agent:\n%s", out)
	}
	if out := mustCLI(t, h, app.port, "", "disconnect"); !strings.Contains(out, "Disconnected from cli-bot") {
		t.Fatalf("disconnect = %q", out)
	}
	if st := statusJSON(t, h, app.port); st["state"] != "disconnected" || st["agentId"] != nil {
		t.Fatalf("status --json after disconnect = %v", st)
	}

	if out := mustCLI(t, h, app.port, "", "logout"); !strings.Contains(out, "Logged out") ||
		!strings.Contains(out, "The key stays valid until you revoke it on the Eliza Cloud dashboard: https://") ||
		!strings.Contains(out, "/dashboard/api-keys") {
		t.Fatalf("logout = %q", out)
	}
	if st := statusJSON(t, h, app.port); st["loggedIn"] != false {
		t.Fatalf("status --json after logout = %v", st)
	}
	if code, _, errOut := cliRun(t, h, app.port, "", "agents"); code != 3 || !strings.Contains(errOut, "milady-cloud login") {
		t.Fatalf("agents after logout: exit %d (want 3), stderr %q", code, errOut)
	}
}

// TestCLILoginCancel: Ctrl+C while waiting cancels the app's login.
func TestCLILoginCancel(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	app := startApp(t, "app", h, nil, "--headless", "--sim", "--port", "0")
	login := testbin.Start(t, "login", binPath, h.Env(map[string]string{"MILADY_PORT": strconv.Itoa(app.port)}), "login")
	if _, err := login.WaitFor(login.Stdout, loginURLLine, startBound); err != nil {
		t.Fatal(err)
	}
	if _, err := login.WaitFor(login.Stderr, regexp.MustCompile(`Waiting for you to approve`), startBound); err != nil {
		t.Fatal(err)
	}
	if err := login.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if code, err := login.Wait(exitBound); err != nil || code != 130 {
		t.Fatalf("login after Ctrl+C: exit %d (want 130), %v", code, err)
	}
	if !strings.Contains(login.Stderr.String(), "Login cancelled.") {
		t.Fatalf("stderr = %q", login.Stderr)
	}
	apptest.Eventually(t, pollBound, "the app's login cancelled", func() bool {
		s := call(t, httpc, "GET", app.url+"/api/cloud/snapshot", nil, 200)
		return get(s, "login", "status") != "pending"
	})
}

// TestCLINoInstance: with nothing listening, every command says so in one
// line with how to start one, and exits 1.
func TestCLINoInstance(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	port := testbin.FreePort(t)
	for _, args := range [][]string{{"status"}, {"status", "--json"}, {"login"}, {"agents"}, {"chat", "hi"}, {"logout"}, {"credits"}, {"connect", "x"}, {"disconnect"}, {"open"}} {
		code, out, errOut := cliRun(t, h, port, "", args...)
		if code != 1 || out != "" || strings.Count(errOut, "\n") != 1 ||
			!strings.Contains(errOut, "no Milady Cloud instance answers on http://127.0.0.1:"+strconv.Itoa(port)) ||
			!strings.Contains(errOut, "milady-cloud --headless") || !strings.Contains(errOut, "systemctl --user start milady-cloud") {
			t.Fatalf("%v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

// TestCLIHelp: the plain command's help lists the subcommands and exit
// codes, each subcommand has its own help, and usage errors exit 2.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	_, _, errOut := runBin(t, "help", h, nil, "--help")
	for _, want := range []string{"-headless", "-hidden", "-sim", "-open", "-port", "-bind", "-version", "Commands", "doctor", "login", "chat [agent] [text…]", "Exit codes: 0 ok"} {
		if !strings.Contains(errOut, want) {
			t.Fatalf("--help lacks %q:\n%s", want, errOut)
		}
	}
	for _, c := range []string{"status", "login", "logout", "credits", "agents", "connect", "disconnect", "chat", "open", "doctor"} {
		code, out, _ := runBin(t, c, h, nil, c, "--help")
		if code != 0 || !strings.HasPrefix(out, "Usage: milady-cloud "+c) {
			t.Fatalf("%s --help: exit %d\n%s", c, code, out)
		}
	}
	if code, _, errOut := runBin(t, "bad", h, nil, "connect"); code != 2 || !strings.Contains(errOut, "usage: milady-cloud connect <name|id>") {
		t.Fatalf("connect without a name: exit %d, %q", code, errOut)
	}
	if code, _, errOut := runBin(t, "bad", h, nil, "status", "--bogus"); code != 2 || !strings.Contains(errOut, "bogus") {
		t.Fatalf("status --bogus: exit %d, %q", code, errOut)
	}
}

// TestCLIDoctorSeesInstance: doctor in the built binary recognises the
// running instance on its port, with an exit code that matches its "ok";
// the config points at the
// real default cloud (unreachable here, so doctor reports it).
func TestCLIDoctorSeesInstance(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	app := startApp(t, "app", h, nil, "--headless", "--port", "0")
	code, out, _ := cliRun(t, h, app.port, "", "doctor", "--json")
	var r struct {
		OK     bool
		Checks []struct{ Name, Status, Detail string }
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("doctor --json: %v\n%s", err, out)
	}
	found := false
	for _, c := range r.Checks {
		if c.Name == "port "+strconv.Itoa(app.port) {
			found = c.Status == "ok" && strings.Contains(c.Detail, "Milady Cloud "+testVersion)
		}
	}
	if !found || r.OK != (code == 0) {
		t.Fatalf("doctor (exit %d) did not see the instance:\n%s", code, out)
	}
}
