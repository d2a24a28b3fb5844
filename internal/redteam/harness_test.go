//go:build redteam

package redteam

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// binPath is the binary under attack: $REDTEAM_BIN (what `make
// test-redteam` passes, the build/bin binary), else one built here.
var binPath string

func TestMain(m *testing.M) {
	binPath = os.Getenv("REDTEAM_BIN")
	var tmp string
	if binPath == "" {
		dir, err := os.MkdirTemp("", "milady-redteam-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "redteam:", err)
			os.Exit(1)
		}
		tmp, binPath = dir, filepath.Join(dir, "milady-cloud")
		if err := testbin.Build("../..", binPath, "-X main.version=redteam"); err != nil {
			fmt.Fprintln(os.Stderr, "redteam:", err)
			_ = os.RemoveAll(dir)
			os.Exit(1)
		}
	} else if _, err := os.Stat(binPath); err != nil {
		fmt.Fprintln(os.Stderr, "redteam: REDTEAM_BIN:", err)
		os.Exit(1)
	}
	fmt.Printf("REDTEAM binary under attack: %s\n", binPath)
	code := m.Run()
	printSummary()
	if tmp != "" {
		_ = os.RemoveAll(tmp)
	}
	os.Exit(code)
}

// The bounds of the waits and the log lines the attacks read.
const exitBound, startBound, pollBound = testbin.ExitBound, testbin.StartBound, testbin.PollBound

var dashboardLine, simLine = testbin.DashboardLine, testbin.SimLine

// verdicts collects every attack's outcome for the summary.
var verdicts struct {
	sync.Mutex
	list []string // "PASS name", "FAIL name", "SKIP name"
}

func printSummary() {
	verdicts.Lock()
	defer verdicts.Unlock()
	count := map[string]int{}
	var failed []string
	sort.Strings(verdicts.list)
	for _, v := range verdicts.list {
		kind, name, _ := strings.Cut(v, " ")
		count[kind]++
		if kind == "FAIL" {
			failed = append(failed, name)
		}
	}
	fmt.Printf("REDTEAM SUMMARY: %d PASS, %d FAIL, %d SKIP of %d attacks\n",
		count["PASS"], count["FAIL"], count["SKIP"], len(verdicts.list))
	if len(failed) > 0 {
		fmt.Printf("REDTEAM FAILED: %s\n", strings.Join(failed, " "))
	}
}

// attack is one replayed attack. Findings are collected (the attack goes
// on, so one run shows every hole); the verdict line is printed when the
// subtest ends, whatever the way it ends.
type attack struct {
	t        *testing.T
	name     string
	mu       sync.Mutex
	findings []string
	passNote string
	skipNote string
}

// run starts the attack as a parallel subtest of t.
func run(t *testing.T, name string, f func(a *attack)) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		a := &attack{t: t, name: name}
		// Registered first, so it runs last: after the processes are
		// stopped and their output logged.
		t.Cleanup(a.report)
		f(a)
	})
}

// fail records a finding; the attack succeeded against the app.
func (a *attack) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	a.mu.Lock()
	a.findings = append(a.findings, msg)
	a.mu.Unlock()
	a.t.Error(msg)
}

// fatal records a finding and ends the attack.
func (a *attack) fatal(format string, args ...any) {
	a.fail(format, args...)
	a.t.FailNow()
}

// pass sets what the PASS verdict says.
func (a *attack) pass(format string, args ...any) { a.passNote = fmt.Sprintf(format, args...) }

// skip ends the attack with a SKIP verdict.
func (a *attack) skip(format string, args ...any) {
	a.skipNote = fmt.Sprintf(format, args...)
	a.t.Skip(a.skipNote)
}

func (a *attack) report() {
	a.mu.Lock()
	defer a.mu.Unlock()
	var kind, what string
	switch {
	case a.t.Skipped():
		kind, what = "SKIP", a.skipNote
	case len(a.findings) > 0:
		kind, what = "FAIL", strings.Join(a.findings, "; ")
	case a.t.Failed():
		kind, what = "FAIL", "aborted (see the test log)"
	default:
		kind, what = "PASS", a.passNote
	}
	fmt.Printf("REDTEAM %s %s: %s\n", kind, a.name, what)
	verdicts.Lock()
	verdicts.list = append(verdicts.list, kind+" "+a.name)
	verdicts.Unlock()
}

// instance is a running app.
type instance struct {
	*testbin.Proc
	url     string
	port    int
	h       testbin.Home
	started time.Time
}

// launch runs the binary without waiting for anything.
func launch(a *attack, h testbin.Home, extra map[string]string, args ...string) *instance {
	return &instance{Proc: testbin.Start(a.t, a.name, binPath, h.Env(extra), args...), h: h, started: time.Now()}
}

// awaitDashboard waits at most d for the dashboard line.
func (in *instance) awaitDashboard(d time.Duration) error {
	m, err := in.WaitFor(in.Stdout, dashboardLine, d)
	if err != nil {
		return err
	}
	in.url = m[1]
	in.port, _ = strconv.Atoi(m[2])
	return nil
}

// start runs the binary headless on a free port and waits until it serves.
func start(a *attack, h testbin.Home, extra map[string]string, args ...string) *instance {
	in := launch(a, h, extra, append([]string{"--headless", "--port", "0"}, args...)...)
	if err := in.awaitDashboard(startBound); err != nil {
		a.fatal("the app did not start: %v (stderr: %s)", err, tail(in.Stderr.String(), 400))
	}
	return in
}

// stop sends SIGTERM and returns a finding when the app does not exit 0
// within 5 s, or "" when it does.
func (in *instance) stop() string {
	if err := in.Signal(sigterm); err != nil {
		return err.Error()
	}
	code, err := in.Wait(exitBound)
	if err != nil {
		return "SIGTERM: " + err.Error()
	}
	if code != 0 {
		return fmt.Sprintf("exit code %d after SIGTERM: %s", code, tail(in.Stderr.String(), 300))
	}
	return ""
}

// simHome is a home whose config points at a simulator in this process
// (which outlives the app, so its request log can be read afterwards), and
// the environment that makes the app trust it.
func simHome(a *attack) (testbin.Home, *cloudsim.Server, map[string]string) {
	sim := cloudsim.Start(a.t, cloudsim.Options{JobPollIntervalMs: 50})
	h := testbin.NewHome(a.t)
	ca := filepath.Join(h.Root, "sim-ca.pem")
	must(a, os.WriteFile(ca, sim.CertPEM(), 0o600))
	must(a, os.WriteFile(h.Config, []byte(`{"cloud": {"baseUrl": "`+sim.URL()+`"}}`), 0o600))
	return h, sim, map[string]string{"SSL_CERT_FILE": ca, "MILADY_CLOUD_ALLOW_LOOPBACK": "1"}
}

func must(a *attack, err error) {
	if err != nil {
		a.fatal("setup: %v", err)
	}
}

var hc = &http.Client{Timeout: 10 * time.Second}

// resp is an answer: status, headers, body.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body as an object (nil when it is not one).
func (r resp) json() map[string]any {
	var o map[string]any
	_ = json.Unmarshal(r.body, &o)
	return o
}

func (r resp) String() string { return fmt.Sprintf("HTTP %d %s", r.status, tail(string(r.body), 200)) }

// do makes one request; body may be nil, a []byte or anything JSON.
func do(c *http.Client, method, url string, headers map[string]string, body any) (resp, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return resp{}, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return resp{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: raw}, err
}

// call is do for setup steps, which must answer want.
func call(a *attack, method, url string, body any, want int) map[string]any {
	r, err := do(hc, method, url, nil, body)
	if err != nil {
		a.fatal("setup %s %s: %v", method, url, err)
	}
	if r.status != want {
		a.fatal("setup %s %s: %s, want %d", method, url, r, want)
	}
	return r.json()
}

// waitUntil polls check every 25 ms for at most d.
func waitUntil(d time.Duration, check func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		<-tick.C
	}
}

// login logs the app in through the simulator in this process and returns
// the key it saved.
func login(a *attack, in *instance, sim *cloudsim.Server) string {
	st := call(a, "POST", in.url+"/api/cloud/login", map[string]any{}, 200)
	sid, _ := st["sessionId"].(string)
	if sid == "" {
		a.fatal("setup: login start = %v", st)
	}
	if err := sim.ApproveSession(sid); err != nil {
		a.fatal("setup: approve: %v", err)
	}
	ok := waitUntil(pollBound, func() bool {
		r, err := do(hc, "GET", in.url+"/api/cloud/login/status?sessionId="+sid, nil, nil)
		return err == nil && r.json()["status"] == "authenticated"
	})
	if !ok {
		a.fatal("setup: the login was not authenticated within %s", pollBound)
	}
	key := configKey(in.h.Config)
	if !strings.HasPrefix(key, "eliza_") {
		a.fatal("setup: no key in %s after the login", in.h.Config)
	}
	return key
}

// configKey is cloud.apiKey of the config file ("" when absent).
func configKey(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var cfg struct {
		Cloud struct {
			APIKey string `json:"apiKey"`
		} `json:"cloud"`
	}
	_ = json.Unmarshal(b, &cfg)
	return cfg.Cloud.APIKey
}

// connectAgent creates an agent in the simulator and connects to it.
func connectAgent(a *attack, in *instance) string {
	created := call(a, "POST", in.url+"/api/cloud/agents", map[string]any{"agentName": "redteam"}, 201)
	agent, _ := created["agent"].(map[string]any)
	id, _ := agent["id"].(string)
	if id == "" {
		a.fatal("setup: create agent = %v", created)
	}
	call(a, "POST", in.url+"/api/cloud/agents/"+id+"/connect", map[string]any{}, 200)
	return id
}

// firstSnapshot reads the event stream's first "snapshot" event.
func firstSnapshot(in *instance) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", in.url+"/api/cloud/events", nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("open the event stream: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		return nil, fmt.Errorf("event stream: HTTP %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	var name, data string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
		case line == "" && name == "snapshot":
			var snap map[string]any
			if err := json.Unmarshal([]byte(data), &snap); err != nil {
				return nil, fmt.Errorf("snapshot event: %w", err)
			}
			return snap, nil
		case line == "":
			name, data = "", ""
		}
	}
	return nil, fmt.Errorf("event stream ended without a snapshot: %v", sc.Err())
}

// fakeBrowser puts an xdg-open first on PATH that records its environment,
// one file per call, in the returned folder.
func fakeBrowser(a *attack) (pathEnv, dir string) {
	bin := filepath.Join(a.t.TempDir(), "bin")
	dir = filepath.Join(a.t.TempDir(), "opened")
	must(a, os.MkdirAll(bin, 0o755))
	must(a, os.MkdirAll(dir, 0o755))
	script := "#!/bin/sh\nenv > \"" + dir + "/open.$$.tmp\" && mv \"" + dir + "/open.$$.tmp\" \"" + dir + "/open.$$\"\n"
	for _, name := range []string{"xdg-open", "x-www-browser", "www-browser", "sensible-browser"} {
		must(a, os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755))
	}
	return bin + string(os.PathListSeparator) + os.Getenv("PATH"), dir
}

// opens lists the fake browser's records.
func opens(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "open.*[0-9]"))
	return m
}

// filesContaining lists the files under dir (and extra files) whose bytes
// contain needle.
func filesContaining(needle []byte, dir string, extra ...string) []string {
	var hits []string
	check := func(p string) {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, needle) {
			hits = append(hits, p)
		}
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			check(p)
		}
		return nil
	})
	for _, p := range extra {
		check(p)
	}
	return hits
}

// randomID is 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tail is the end of s, for messages.
func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// rel is p relative to base, for messages.
func rel(base string, ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if r, err := filepath.Rel(base, p); err == nil {
			p = r
		}
		out[i] = p
	}
	return out
}
