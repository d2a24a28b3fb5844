package app_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// waitLimit bounds every wait for something the app does on its own time.
const waitLimit = 10 * time.Second

type harness struct {
	t       *testing.T
	sim     *cloudsim.Server
	svc     *app.Service
	srv     *httptest.Server
	env     *apptest.Env
	opener  *apptest.Opener
	logs    *apptest.Buffer
	dir     string
	cfgPath string
	db      *store.DB
	bodies  *apptest.Buffer // every response body the test read
	mc      *cloud.ManagerConfig
	clk     clock.Clock // nil: the real clock
	alerts  app.Sender  // nil: notifications go to the log
}

type harnessOpts struct {
	sim        *cloudsim.Server
	dir        string
	configText string
	token      string
	manager    *cloud.ManagerConfig
	clk        clock.Clock // the app's clock (nil: real); share it with the sim for time-driven tests
	alerts     app.Sender  // receives the desktop notifications
}

func newHarness(t *testing.T, o harnessOpts) *harness {
	t.Helper()
	h := &harness{t: t, env: &apptest.Env{}, opener: &apptest.Opener{}, logs: &apptest.Buffer{}, bodies: &apptest.Buffer{}}
	h.sim = o.sim
	if h.sim == nil {
		h.sim = apptest.StartSim(t)
	}
	h.dir = o.dir
	if h.dir == "" {
		h.dir = t.TempDir()
	}
	h.cfgPath = filepath.Join(h.dir, "cfg", "milady.json")
	if o.configText != "" {
		apptest.WriteConfig(t, h.cfgPath, o.configText)
	}
	h.mc, h.clk, h.alerts = o.manager, o.clk, o.alerts
	h.start(o.token)
	return h
}

func (h *harness) start(token string) {
	logger := apptest.Logger(h.logs, slog.LevelDebug)
	mc := apptest.FastManager()
	if h.mc != nil {
		mc = *h.mc
	}
	h.svc, h.db = apptest.NewService(h.t, apptest.ServiceConfig{
		ConfigPath: h.cfgPath,
		StateDir:   filepath.Join(h.dir, "state"),
		Sim:        h.sim,
		Options: app.Options{
			Version:         "test",
			Logger:          logger,
			Sim:             true,
			Opener:          h.opener,
			Env:             h.env,
			LoginPoll:       20 * time.Millisecond,
			ManagerOverride: &mc,
			Clock:           h.clk,
			Notifier:        h.alerts,
		},
	})
	h.svc.Start()
	h.srv = httptest.NewServer(api.New(api.Options{Backend: h.svc, Agents: h.svc.Agents(), Chat: h.svc.Chat(), Billing: h.svc.Billing(), Token: token, Logger: logger, PingInterval: 50 * time.Millisecond}))
	h.t.Cleanup(h.stop)
}

// serve starts svc, built by a test itself, and serves its REST API like
// a harness; cleanup shuts both down and closes db.
func serve(t *testing.T, svc *app.Service, db *store.DB, logger *slog.Logger) *harness {
	t.Helper()
	svc.Start()
	h := &harness{t: t, svc: svc, db: db, bodies: &apptest.Buffer{}}
	h.srv = httptest.NewServer(api.New(api.Options{Backend: svc, Agents: svc.Agents(), Chat: svc.Chat(), Billing: svc.Billing(), Logger: logger}))
	t.Cleanup(h.stop)
	return h
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
	apptest.Eventually(h.t, waitLimit, "authenticated", func() bool {
		st = h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
		return st["status"] == "authenticated"
	})
	key := h.env.Get("ELIZAOS_CLOUD_API_KEY")
	if key == "" || !strings.HasPrefix(key, st["keyPrefix"].(string)) {
		h.t.Fatalf("environment key %q does not match keyPrefix %v", key, st["keyPrefix"])
	}
	apptest.Eventually(h.t, waitLimit, "identity", func() bool { return h.svc.Snapshot().IdentityChecked })
	return key
}

// events opens the events endpoint.
func (h *harness) events() *apptest.SSE {
	h.t.Helper()
	res, err := http.Get(h.srv.URL + "/api/cloud/events")
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { res.Body.Close() })
	return apptest.NewSSE(h.t, res.Body)
}

// newUnstarted builds a Service that has not been started.
func newUnstarted(t *testing.T) *app.Service {
	t.Helper()
	dir := t.TempDir()
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: filepath.Join(dir, "milady.json"),
		StateDir:   filepath.Join(dir, "state"),
		Options:    app.Options{BaseURL: "https://www.elizacloud.ai"},
	})
	t.Cleanup(func() { _ = db.Close() })
	return svc
}
