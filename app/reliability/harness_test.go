package reliability

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// waitLimit bounds every wait for something the app should do on its own.
// It is generous because -race on two cores is slow; a test that needs it
// all has failed anyway.
const waitLimit = 20 * time.Second

// quietManager is a manager config for tests that do not exercise the
// monitor or the scheduler: nothing periodic happens during the test, so an
// injected fault only meets the call under test.
func quietManager() cloud.ManagerConfig {
	mc := apptest.FastManager()
	mc.HeartbeatInterval, mc.MaxReconnectDelay = time.Hour, 50*time.Millisecond
	mc.MaxHeartbeatFailures, mc.FinalSnapshotTimeout = 3, 2*time.Second
	return mc
}

// options configures one harness.
type options struct {
	sim            *cloudsim.Server // nil: a fresh simulator for this test
	key            string           // written to milady.json before start: logged in without the browser flow
	manager        *cloud.ManagerConfig
	timeouts       *cloud.Timeouts
	rootCAs        *x509.CertPool // nil: trust the simulator
	loginPoll      time.Duration  // background login poll; default 20 ms
	connectTimeout time.Duration
	logLevel       slog.Level
}

// harness is the real Service and REST API (over real HTTP) against the
// simulator, with every log line and response body captured.
type harness struct {
	t        *testing.T
	o        options
	sim      *cloudsim.Server
	svc      *app.Service
	srv      *httptest.Server
	hc       *http.Client
	db       *store.DB
	env      *apptest.Env
	logs     *apptest.Buffer // every log line
	bodies   *apptest.Buffer // every response body the suite read
	root     string
	cfgPath  string
	stateDir string
	stopOnce sync.Once
}

func newHarness(t *testing.T, o options) *harness {
	t.Helper()
	h := &harness{t: t, o: o, env: &apptest.Env{}, logs: &apptest.Buffer{}, bodies: &apptest.Buffer{}}
	h.sim = o.sim
	if h.sim == nil {
		h.sim = apptest.StartSim(t)
	}
	h.root = t.TempDir()
	h.cfgPath = filepath.Join(h.root, "config", "milady.json")
	h.stateDir = filepath.Join(h.root, "state")
	if o.key != "" {
		apptest.WriteConfig(t, h.cfgPath, fmt.Sprintf(`{"cloud":{"enabled":true,"apiKey":%q}}`, o.key))
	}
	h.start()
	return h
}

func (h *harness) start() {
	logger := apptest.Logger(h.logs, h.o.logLevel)
	mc := quietManager()
	if h.o.manager != nil {
		mc = *h.o.manager
	}
	poll := h.o.loginPoll
	if poll <= 0 {
		poll = 20 * time.Millisecond
	}
	h.svc, h.db = apptest.NewService(h.t, apptest.ServiceConfig{
		ConfigPath: h.cfgPath,
		StateDir:   h.stateDir,
		Sim:        h.sim,
		Options: app.Options{
			Version:         "reliability",
			Logger:          logger,
			RootCAs:         h.o.rootCAs, // nil: the simulator's
			Sim:             true,
			Env:             h.env,
			LoginPoll:       poll,
			FreshMinGap:     time.Millisecond,
			ConnectTimeout:  h.o.connectTimeout,
			ClientTimeouts:  h.o.timeouts,
			ManagerOverride: &mc,
		},
	})
	h.svc.Start()
	h.srv = httptest.NewServer(api.New(api.Options{Backend: h.svc, Agents: h.svc.Agents(), Chat: h.svc.Chat(), Billing: h.svc.Billing(), Logger: logger, PingInterval: time.Second}))
	h.hc = &http.Client{Transport: &http.Transport{}, Timeout: waitLimit}
	h.t.Cleanup(h.stop)
}

// stop shuts the app down the way main does: Service (final snapshot), REST
// server, database. Faults are cleared first so that the final snapshot is
// not what a test observes.
func (h *harness) stop() {
	h.stopOnce.Do(func() {
		h.sim.ClearFaults()
		h.sim.FailHeartbeats(0)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.svc.Shutdown(ctx); err != nil {
			h.t.Errorf("shutdown: %v", err)
		}
		h.srv.Close()
		h.hc.CloseIdleConnections()
		if err := h.db.Close(); err != nil {
			h.t.Errorf("close database: %v", err)
		}
	})
}

// resp is one REST answer.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

// object decodes the body as a JSON object, failing the test otherwise.
func (r resp) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (h *harness) do(method, path, body string) resp {
	h.t.Helper()
	r, err := h.try(method, path, body)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do without failing the test, for use off the test goroutine.
func (h *harness) try(method, path, body string) (resp, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		return resp{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := h.hc.Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	_, _ = h.bodies.Write(b)
	_, _ = h.bodies.Write([]byte("\n"))
	if err != nil {
		return resp{}, fmt.Errorf("read answer: %w", err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}, nil
}

// expect asserts the status and returns the JSON object body.
func (h *harness) expect(method, path, body string, want int) map[string]any {
	h.t.Helper()
	r := h.do(method, path, body)
	if r.status != want {
		h.t.Fatalf("%s %s: got %s, want status %d", method, path, r, want)
	}
	return r.object(h.t)
}

// followEvents opens /api/cloud/events with a client that has no timeout
// and copies the stream into w until the app ends it (Shutdown does); the
// channel closes then.
func (h *harness) followEvents(w io.Writer) <-chan struct{} {
	h.t.Helper()
	res, err := (&http.Client{Transport: &http.Transport{}}).Get(h.srv.URL + "/api/cloud/events")
	if err != nil {
		h.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer res.Body.Close()
		_, _ = io.Copy(w, res.Body)
	}()
	return done
}

// alive asserts that the app still answers: health and status.
func (h *harness) alive() {
	h.t.Helper()
	if m := h.expect("GET", "/api/health", "", 200); m["ok"] != true {
		h.t.Fatalf("health = %v", m)
	}
	if m := h.expect("GET", "/api/cloud/status", "", 200); m["connection"] == nil {
		h.t.Fatalf("status has no connection: %v", m)
	}
}

// login runs the REST login through the simulator's Approve step and
// returns the key the Service adopted (read from its environment seam).
func (h *harness) login() string {
	h.t.Helper()
	m := h.expect("POST", "/api/cloud/login", "", 200)
	sid, _ := m["sessionId"].(string)
	if sid == "" {
		h.t.Fatalf("login answer without sessionId: %v", m)
	}
	if err := h.sim.ApproveSession(sid); err != nil {
		h.t.Fatal(err)
	}
	apptest.Eventually(h.t, waitLimit, "authenticated", func() bool {
		return h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)["status"] == "authenticated"
	})
	apptest.Eventually(h.t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
	key := h.env.Get("ELIZAOS_CLOUD_API_KEY")
	if key == "" {
		h.t.Fatal("no key in the environment after login")
	}
	return key
}

// createAgent creates an agent over REST and returns its id.
func (h *harness) createAgent(name string) string {
	h.t.Helper()
	m := h.expect("POST", "/api/cloud/agents", fmt.Sprintf(`{"agentName":%q}`, name), 201)
	agent, _ := m["agent"].(map[string]any)
	id, _ := agent["id"].(string)
	if id == "" {
		h.t.Fatalf("create answer without agent id: %v", m)
	}
	return id
}

// connect connects to id over REST and waits for nothing more: the answer
// comes when the state is connected.
func (h *harness) connect(id string) {
	h.t.Helper()
	m := h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
	if m["status"] != "connected" {
		h.t.Fatalf("connect = %v", m)
	}
}

// connection returns the status endpoint's connection object.
func (h *harness) connection() map[string]any {
	h.t.Helper()
	c, _ := h.expect("GET", "/api/cloud/status", "", 200)["connection"].(map[string]any)
	return c
}

// appEvent is the Service's event, named for brevity in predicates.
type appEvent = app.Event

// backupData returns a "backup" event's data.
func backupData(ev app.Event) app.BackupEvent {
	b, _ := ev.Data.(app.BackupEvent)
	return b
}

// jsonField returns a string field of a one-line JSON object.
func jsonField(t *testing.T, data, field string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("event data is not a JSON object: %v: %s", err, data)
	}
	s, _ := m[field].(string)
	return s
}

// expectStream posts a chat stream and returns its whole SSE body.
func (h *harness) expectStream(body string) []byte {
	h.t.Helper()
	r := h.do("POST", "/api/chat/stream", body)
	if r.status != 200 {
		h.t.Fatalf("chat stream: %s", r)
	}
	return r.body
}

// readFile returns a file's text ("" when it does not exist).
func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}
