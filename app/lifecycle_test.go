package app_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// lifecycleRounds is how many Start/Shutdown cycles the request storm runs
// through; each round is a fresh Service over the same files.
const lifecycleRounds = 200

// TestRequestsDuringStartAndShutdown fires REST requests (status, credits,
// login, connect, chat, the event stream) from several goroutines while a
// Service starts and while it shuts down, round after round, under -race.
// Rounds alternate the three ways Start begins: a key in the config with a
// connection to restore, a key only in the local database (restored into
// the config while requests read the settings), and logged out. No request
// may panic (a 500) or race, Shutdown must return, and nothing may be left
// running afterwards.
func TestRequestsDuringStartAndShutdown(t *testing.T) {
	sim := apptest.StartSim(t)
	key := sim.NewAPIKey()
	agentID := lifecycleAgent(t, sim, key)

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "milady.json")
	db, err := store.Open(filepath.Join(dir, "state"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var handler atomic.Pointer[http.Handler]
	var none http.Handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no app yet", http.StatusServiceUnavailable)
	})
	handler.Store(&none)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*handler.Load()).ServeHTTP(w, r)
	}))
	defer srv.Close()
	client := srv.Client()
	before := goleak.IgnoreCurrent()

	logs := &apptest.Buffer{}
	logger := apptest.Logger(logs, slog.LevelWarn)
	mc := apptest.FastManager()
	mc.FinalSnapshotTimeout = 200 * time.Millisecond
	var answers sync.Map // "op status" → count
	var badMu sync.Mutex
	var bad []string
	var round atomic.Int64

	// The storm runs across every round without a pause, so requests also
	// reach each Service before its Start and after its Shutdown. done
	// counts answers, so each phase can wait until the storm has overlapped
	// it.
	var done atomic.Int64
	progress := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range len(stormOps) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				op := stormOps[(w+i)%len(stormOps)]
				status, err := op.do(client, srv.URL, agentID)
				if err != nil || status == http.StatusInternalServerError {
					badMu.Lock()
					bad = append(bad, fmt.Sprintf("round %d %s: status %d err %v", round.Load(), op.name, status, err))
					badMu.Unlock()
				}
				n, _ := answers.LoadOrStore(fmt.Sprintf("%s %d", op.name, status), new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				done.Add(1)
				select {
				case progress <- struct{}{}:
				default:
				}
			}
		}()
	}
	stopStorm := sync.OnceFunc(func() {
		close(stop)
		wg.Wait()
	})
	defer stopStorm()
	// waitFor waits until n more requests have been answered.
	waitFor := func(n int64) {
		target := done.Load() + n
		deadline := time.NewTimer(10 * time.Second)
		defer deadline.Stop()
		for done.Load() < target {
			select {
			case <-progress:
			case <-deadline.C:
				t.Fatalf("round %d: requests stopped being answered", round.Load())
			}
		}
	}

	for r := range lifecycleRounds {
		round.Store(int64(r))
		ctx := context.Background()
		switch r % 3 {
		case 0: // key in the config, reconnect at start
			apptest.WriteConfig(t, cfgPath, fmt.Sprintf(`{"cloud":{"apiKey":%q,"enabled":true},"desktop":{"wasConnected":true,"lastAgentId":%q}}`, key, agentID))
			_ = db.SetFlag(ctx, "logged_out", "0")
		case 1: // key only in the database: Start restores it into the config
			apptest.WriteConfig(t, cfgPath, `{}`)
			_ = db.SetSecret(ctx, "ELIZAOS_CLOUD_API_KEY", key)
			_ = db.SetFlag(ctx, "logged_out", "0")
		case 2: // logged out
			apptest.WriteConfig(t, cfgPath, `{}`)
			_ = db.SetFlag(ctx, "logged_out", "1")
		}
		cfg, err := config.Open(cfgPath, logger)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := app.New(app.Options{
			Version: "test", Config: cfg, DB: db, Logger: logger, Sim: true,
			BaseURL: sim.URL(), RootCAs: sim.CertPool(), AllowLoopback: true,
			Opener: &apptest.Opener{}, Env: &apptest.Env{},
			LoginPoll: 10 * time.Millisecond, ManagerOverride: &mc,
		})
		if err != nil {
			t.Fatal(err)
		}
		var h http.Handler = api.New(api.Options{Backend: svc, Agents: svc.Agents(), Chat: svc.Chat(), Billing: svc.Billing(), Logger: logger, PingInterval: 10 * time.Millisecond})
		handler.Store(&h)
		waitFor(1) // before Start

		svc.Start()
		waitFor(1)
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		shutdownDone := make(chan error, 1)
		go func() { shutdownDone <- svc.Shutdown(sctx) }()
		waitFor(1)
		select {
		case <-shutdownDone:
		case <-time.After(15 * time.Second):
			t.Fatalf("round %d: Shutdown did not return", r)
		}
		cancel()
		waitFor(1) // after Shutdown
		badMu.Lock()
		failed := len(bad) > 0
		badMu.Unlock()
		if failed {
			break
		}
	}
	stopStorm()
	for _, b := range bad {
		t.Error(b)
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("a handler panicked:\n%s", logs.String())
	}
	var counts []string
	answers.Range(func(k, v any) bool {
		counts = append(counts, fmt.Sprintf("%s×%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("answers: %s", strings.Join(counts, ", "))
	// Each round's cloud client keeps idle keep-alive connections to the
	// simulator; closing it ends them, and what is left must be nothing.
	client.CloseIdleConnections()
	srv.Close()
	sim.Close()
	goleak.VerifyNone(t, before)
}

// stormOp is one kind of request of the storm.
type stormOp struct {
	name string
	do   func(c *http.Client, base, agentID string) (int, error)
}

var stormOps = []stormOp{
	{"status", func(c *http.Client, base, _ string) (int, error) {
		return request(c, "GET", base+"/api/cloud/status", "")
	}},
	{"credits", func(c *http.Client, base, _ string) (int, error) {
		return request(c, "GET", base+"/api/cloud/credits?fresh=1", "")
	}},
	{"login", func(c *http.Client, base, _ string) (int, error) {
		return request(c, "POST", base+"/api/cloud/login", "")
	}},
	{"connect", func(c *http.Client, base, id string) (int, error) {
		return request(c, "POST", base+"/api/cloud/agents/"+id+"/connect?async=1", "")
	}},
	{"chat", func(c *http.Client, base, _ string) (int, error) {
		return request(c, "POST", base+"/api/chat", `{"text":"hello"}`)
	}},
	{"events", func(c *http.Client, base, _ string) (int, error) {
		res, err := c.Get(base + "/api/cloud/events")
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		// The first event (the snapshot) proves the stream works; then hang up.
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() && sc.Text() != "" {
		}
		return res.StatusCode, nil
	}},
}

func request(c *http.Client, method, url, body string) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return 0, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// lifecycleAgent creates an agent in the simulator for key and returns its id.
func lifecycleAgent(t *testing.T, sim *cloudsim.Server, key string) string {
	t.Helper()
	c, err := cloud.NewClient(cloud.ClientOptions{BaseURL: sim.URL(), APIKey: key, RootCAs: sim.CertPool(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateAgent(context.Background(), cloud.CreateAgentRequest{AgentName: "Lifecycle"})
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

// TestNoBackgroundWorkAfterShutdown: once Shutdown has begun, a request that
// would start background work (a login poller, an asynchronous connect) is
// refused with 503 instead of starting a goroutine that Shutdown is no
// longer waiting for.
func TestNoBackgroundWorkAfterShutdown(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	id := lifecycleAgent(t, h.sim, h.env.Get("ELIZAOS_CLOUD_API_KEY"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := h.svc.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ method, path string }{
		{"POST", "/api/cloud/login"},
		{"POST", "/api/cloud/agents/" + id + "/connect?async=1"},
	} {
		r := h.do(c.method, c.path, "")
		if r.status != http.StatusServiceUnavailable || !strings.Contains(string(r.body), "shutting down") {
			t.Errorf("%s %s after Shutdown: %d %s, want 503 shutting down", c.method, c.path, r.status, r.body)
		}
	}
	if _, err := h.svc.BeginBrowserLogin(context.Background()); !errors.Is(err, app.ErrShuttingDown) {
		t.Errorf("BeginBrowserLogin after Shutdown: %v, want ErrShuttingDown", err)
	}
	if n := len(h.opener.URLs()); n != 0 {
		t.Errorf("a browser was opened after Shutdown: %v", h.opener.URLs())
	}
}

// TestStartRestoresKeyWhileStatusIsRead: Start brings back a key that only
// the local database still has and rewrites the settings while requests
// read them; under -race that must not be a data race.
func TestStartRestoresKeyWhileStatusIsRead(t *testing.T) {
	sim := apptest.StartSim(t)
	key := sim.NewAPIKey()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "milady.json")
	apptest.WriteConfig(t, cfgPath, `{}`)
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: cfgPath,
		StateDir:   filepath.Join(dir, "state"),
		Sim:        sim,
		Options:    app.Options{Env: &apptest.Env{}},
	})
	defer db.Close()
	if err := db.SetSecret(context.Background(), "ELIZAOS_CLOUD_API_KEY", key); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	reading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for i := 0; ; i++ {
			_ = svc.Status(context.Background())
			_ = svc.Snapshot()
			if i == 0 {
				close(reading)
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	<-reading
	svc.Start()
	close(stop)
	<-readerDone
	if st := svc.Status(context.Background()); !st.HasAPIKey || !st.Enabled {
		t.Errorf("after restoring the key: %+v", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = svc.Shutdown(ctx)
}
