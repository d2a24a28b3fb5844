package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

// fakeEnv records the environment the Service sets instead of touching the
// test process's own.
type fakeEnv struct {
	mu sync.Mutex
	m  map[string]string
}

func (e *fakeEnv) Setenv(k, v string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.m[k] = v
	return nil
}

func (e *fakeEnv) Unsetenv(k string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, k)
	return nil
}

func (e *fakeEnv) get(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[k]
	return v, ok
}

// recOpener records URLs the Service asks to open.
type recOpener struct {
	mu   sync.Mutex
	urls []string
}

func (o *recOpener) Open(u string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.urls = append(o.urls, u)
	return nil
}

// logBuf collects every log line, to prove the key never appears.
type logBuf struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

type harness struct {
	t       *testing.T
	sim     *cloudsim.Server
	svc     *app.Service
	srv     *httptest.Server
	env     *fakeEnv
	opener  *recOpener
	logs    *logBuf
	dir     string
	cfgPath string
	db      *store.DB
	bodies  *logBuf // every response body the test read
	mc      *cloud.ManagerConfig
}

type harnessOpts struct {
	sim        *cloudsim.Server
	dir        string
	configText string
	token      string
	manager    *cloud.ManagerConfig
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, env: &fakeEnv{m: map[string]string{}}, opener: &recOpener{}, logs: &logBuf{}, bodies: &logBuf{}}
	h.sim = o.sim
	if h.sim == nil {
		h.sim = cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	}
	h.dir = o.dir
	if h.dir == "" {
		h.dir = t.TempDir()
	}
	h.cfgPath = filepath.Join(h.dir, "cfg", "milady.json")
	if o.configText != "" {
		if err := os.MkdirAll(filepath.Dir(h.cfgPath), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(h.cfgPath, []byte(o.configText), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	h.mc = o.manager
	h.start(o.token)
	return h
}

func (h *harness) start(token string) {
	t := h.t
	logger := slogTo(h.logs)
	cfg, err := config.Open(h.cfgPath, logger)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(h.dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	h.db = db
	mc := cloud.ManagerConfig{
		HeartbeatInterval:    50 * time.Millisecond,
		ReconnectInterval:    20 * time.Millisecond,
		MaxReconnectDelay:    100 * time.Millisecond,
		MaxReconnectAttempts: 3,
		MaxHeartbeatFailures: 2,
		BackupInterval:       time.Hour,
		FinalSnapshotTimeout: 5 * time.Second,
	}
	if h.mc != nil {
		mc = *h.mc
	}
	svc, err := app.New(app.Options{
		Version:         "test",
		Config:          cfg,
		DB:              db,
		Logger:          logger,
		BaseURL:         h.sim.URL(),
		RootCAs:         h.sim.CertPool(),
		AllowLoopback:   true,
		Sim:             true,
		Opener:          h.opener,
		Env:             h.env,
		LoginPoll:       20 * time.Millisecond,
		ManagerOverride: &mc,
	})
	if err != nil {
		t.Fatal(err)
	}
	h.svc = svc
	svc.Start()
	h.srv = httptest.NewServer(api.New(api.Options{Backend: svc, Token: token, Logger: logger, PingInterval: 50 * time.Millisecond}))
	t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = h.svc.Shutdown(ctx)
	h.srv.Close()
	_ = h.db.Close()
	h.srv = nil
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (h *harness) do(method, path string, body string, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	_, _ = h.bodies.Write(b)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// expect asserts a status and returns the JSON body.
func (h *harness) expect(method, path, body string, want int) map[string]any {
	h.t.Helper()
	r := h.do(method, path, body)
	if r.status != want {
		h.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	if len(r.body) == 0 || r.body[0] != '{' {
		return nil
	}
	return r.json(h.t)
}

// eventually polls cond until it holds or 10 s pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// login runs the whole REST login through the simulator's Approve step and
// returns the key the simulator minted.
func (h *harness) login() string {
	h.t.Helper()
	m := h.expect("POST", "/api/cloud/login", "", 200)
	sid, _ := m["sessionId"].(string)
	if sid == "" || !strings.Contains(m["browserUrl"].(string), "/auth/cli-login?session="+sid) {
		h.t.Fatalf("login answer %v", m)
	}
	if err := h.sim.ApproveSession(sid); err != nil {
		h.t.Fatal(err)
	}
	var st map[string]any
	eventually(h.t, "authenticated", func() bool {
		st = h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
		return st["status"] == "authenticated"
	})
	key, _ := h.env.get("ELIZAOS_CLOUD_API_KEY")
	if key == "" || !strings.HasPrefix(key, st["keyPrefix"].(string)) {
		h.t.Fatalf("environment key %q does not match keyPrefix %v", key, st["keyPrefix"])
	}
	eventually(h.t, "identity", func() bool { return h.svc.Snapshot().IdentityChecked })
	return key
}

// sseReader reads the events endpoint.
type sseReader struct {
	res *http.Response
	sc  *bufio.Scanner
}

func (h *harness) events() *sseReader {
	h.t.Helper()
	res, err := http.Get(h.srv.URL + "/api/cloud/events")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { res.Body.Close() })
	return &sseReader{res: res, sc: bufio.NewScanner(res.Body)}
}

// next returns the next event's type and data (skipping comments).
func (r *sseReader) next() (string, string) {
	var typ, data string
	for r.sc.Scan() {
		line := r.sc.Text()
		switch {
		case line == "":
			if typ != "" || data != "" {
				return typ, data
			}
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			typ = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
	return "", ""
}

// newUnstarted builds a Service that has not been started.
func newUnstarted(t *testing.T) *app.Service {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Open(filepath.Join(dir, "milady.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	svc, err := app.New(app.Options{Config: cfg, DB: db, BaseURL: "https://www.elizacloud.ai"})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}
