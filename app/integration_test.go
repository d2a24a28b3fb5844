package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

const userConfig = `{
  // Milady's own settings: must survive every write
  "agents": { "defaults": { "model": "gpt-x", "temperature": 0.7 } },
  "ui": { "theme": "dark", },
  "cloud": { "baseUrl": "https://www.elizacloud.ai/api/v1/", "bridge": { "heartbeatIntervalMs": 30000 } },
}
`

func TestLoginPersistsKeyEverywhereButResponses(t *testing.T) {
	h := newHarness(t, harnessOpts{configText: userConfig})
	ev := h.events()
	if first := ev.Event(); first.Event != "snapshot" {
		t.Fatalf("first event %q, want snapshot", first.Event)
	}
	var events strings.Builder
	var evMu sync.Mutex
	go func() {
		for {
			e, err := ev.Next()
			if err != nil {
				return
			}
			evMu.Lock()
			events.WriteString(e.Event + " " + e.Data + "\n")
			evMu.Unlock()
		}
	}()

	key := h.login()

	// (1) milady.json: key saved, enabled, mode 0600, every other key kept.
	cfg := testbin.ReadConfig(t, h.cfgPath)
	if testbin.Get(cfg, "cloud", "apiKey") != key || testbin.Get(cfg, "cloud", "enabled") != true {
		t.Fatalf("config cloud section = %v", cfg["cloud"])
	}
	if testbin.Get(cfg, "agents", "defaults", "model") != "gpt-x" || testbin.Get(cfg, "ui", "theme") != "dark" ||
		testbin.Get(cfg, "cloud", "bridge", "heartbeatIntervalMs") != float64(30000) {
		t.Fatalf("config lost keys it does not own: %v", cfg)
	}
	raw, _ := os.ReadFile(h.cfgPath)
	if !strings.Contains(string(raw), "// Milady's own settings") {
		t.Errorf("the user's comment was not kept:\n%s", raw)
	}
	if fi, _ := os.Stat(h.cfgPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", fi.Mode().Perm())
	}
	// (2) environment, (3) local agent record.
	if v, _ := h.env.Lookup("ELIZAOS_CLOUD_ENABLED"); v != "true" {
		t.Errorf("ELIZAOS_CLOUD_ENABLED=%q", v)
	}
	if v, ok, err := h.db.Secret(context.Background(), "ELIZAOS_CLOUD_API_KEY"); err != nil || !ok || v != key {
		t.Errorf("database secret = %q %v %v", v, ok, err)
	}
	// A completed session answers authenticated again.
	st := h.svc.Snapshot().Login
	again := h.expect("GET", "/api/cloud/login/status?sessionId="+st.SessionID, "", 200)
	if again["status"] != "authenticated" || again["keyPrefix"] != key[:12] {
		t.Errorf("second poll = %v", again)
	}
	// Status: identity verified.
	s := h.expect("GET", "/api/cloud/status", "", 200)
	if s["connected"] != true || s["hasApiKey"] != true || s["enabled"] != true || s["reason"] != nil || s["userId"] == "" || s["organizationId"] == nil {
		t.Errorf("status after login = %v", s)
	}
	apptest.Eventually(t, waitLimit, "login event", func() bool {
		evMu.Lock()
		defer evMu.Unlock()
		return strings.Contains(events.String(), `"status":"authenticated"`)
	})
	h.expect("GET", "/api/cloud/credits", "", 200)
	h.stop()
	evMu.Lock()
	defer evMu.Unlock()
	for what, text := range map[string]string{"log": h.logs.String(), "responses": h.bodies.String(), "events": events.String()} {
		if strings.Contains(text, key) || strings.Contains(text, key[12:]) {
			t.Errorf("the API key appears in the %s", what)
		}
	}
}

func TestLogoutRemovesKeyFromConfigEnvAndDatabase(t *testing.T) {
	h := newHarness(t, harnessOpts{configText: userConfig})
	h.login()
	for i := 0; i < 2; i++ { // idempotent
		m := h.expect("POST", "/api/cloud/disconnect", "", 200)
		if m["ok"] != true || m["status"] != "disconnected" {
			t.Fatalf("disconnect = %v", m)
		}
	}
	cfg := testbin.ReadConfig(t, h.cfgPath)
	if testbin.Get(cfg, "cloud", "apiKey") != nil || testbin.Get(cfg, "cloud", "enabled") != false || testbin.Get(cfg, "ui", "theme") != "dark" {
		t.Fatalf("config after log-out: %v", cfg)
	}
	if _, ok := h.env.Lookup("ELIZAOS_CLOUD_API_KEY"); ok {
		t.Error("ELIZAOS_CLOUD_API_KEY still set")
	}
	if _, ok := h.env.Lookup("ELIZAOS_CLOUD_ENABLED"); ok {
		t.Error("ELIZAOS_CLOUD_ENABLED still set")
	}
	if _, ok, _ := h.db.Secret(context.Background(), "ELIZAOS_CLOUD_API_KEY"); ok {
		t.Error("database still holds the key")
	}
	m := h.expect("GET", "/api/cloud/agents", "", 401)
	if m["error"] != "Not connected to Eliza Cloud" {
		t.Errorf("agents after log-out: %v", m)
	}
	s := h.expect("GET", "/api/cloud/status", "", 200)
	if s["reason"] != "not_authenticated" || s["hasApiKey"] != false {
		t.Errorf("status after log-out: %v", s)
	}
	c := h.expect("GET", "/api/cloud/credits", "", 200)
	if c["connected"] != false || c["balance"] != nil {
		t.Errorf("credits after log-out: %v", c)
	}
	// After a log-out, a deleted config must not bring the key back.
	h.stop()
	_ = os.Remove(h.cfgPath)
	h.start("")
	if h.svc.Snapshot().LoggedIn {
		t.Error("logged in again after log-out and a config reset")
	}
}

func TestKeySurvivesConfigReset(t *testing.T) {
	h := newHarness(t, harnessOpts{configText: userConfig})
	key := h.login()
	h.stop()
	if err := os.Remove(h.cfgPath); err != nil {
		t.Fatal(err)
	}
	h.start("")
	s := h.expect("GET", "/api/cloud/status", "", 200)
	if s["hasApiKey"] != true {
		t.Fatalf("status after config reset: %v", s)
	}
	if got := testbin.Get(testbin.ReadConfig(t, h.cfgPath), "cloud", "apiKey"); got != key {
		t.Fatal("key not restored to the config file")
	}
	if v, _ := h.env.Lookup("ELIZAOS_CLOUD_API_KEY"); v != key {
		t.Fatal("key not restored to the environment")
	}
}

func TestCorruptConfigIsNeverOverwritten(t *testing.T) {
	corrupt := "{ \"cloud\": { \"apiKey\": \"eliza_x\", \n  oops this is not json ]]\n"
	h := newHarness(t, harnessOpts{configText: corrupt})
	snap := h.svc.Snapshot()
	if snap.LoggedIn || !strings.Contains(snap.ConfigError, h.cfgPath) {
		t.Fatalf("snapshot = loggedIn %v, configError %q", snap.LoggedIn, snap.ConfigError)
	}
	h.login() // works, but cannot be saved
	h.expect("POST", "/api/cloud/disconnect", "", 200)
	b, _ := os.ReadFile(h.cfgPath)
	if string(b) != corrupt {
		t.Fatalf("corrupt config was rewritten:\n%s", b)
	}
}

func TestStatusReasons(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{sim: sim, dir: dir})
	if s := h.expect("GET", "/api/cloud/status", "", 200); s["reason"] != "not_authenticated" || s["connected"] != false || s["enabled"] != false {
		t.Errorf("logged out: %v", s)
	}
	h.login()
	if s := h.expect("GET", "/api/cloud/status", "", 200); s["reason"] != nil || s["userId"] == nil {
		t.Errorf("verified: %v", s)
	}
	// Key present, before the first check: the identity call is slow.
	h.stop()
	sim.SetLatency(400 * time.Millisecond)
	h.start("")
	if s := h.expect("GET", "/api/cloud/status", "", 200); s["reason"] != "api_key_present_runtime_not_started" || s["connected"] != true {
		t.Errorf("before check: %v", s)
	}
	apptest.Eventually(t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
	sim.SetLatency(0)
	// Key rejected by the cloud.
	h.stop()
	sim.RevokeKeys()
	h.start("")
	apptest.Eventually(t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
	if s := h.expect("GET", "/api/cloud/status", "", 200); s["reason"] != "api_key_present_not_authenticated" || s["userId"] != nil {
		t.Errorf("rejected key: %v", s)
	}
}

func TestStatusBeforeStartIsRuntimeNotStarted(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	// A second service on the same folders that has not been started.
	st := h.svc.Status(context.Background())
	if st.Reason != "not_authenticated" {
		t.Fatalf("started service reason %q", st.Reason)
	}
	fresh := newUnstarted(t)
	if r := fresh.Status(context.Background()).Reason; r != "runtime_not_started" {
		t.Fatalf("unstarted service reason %q", r)
	}
}

func TestAgentLifecycleOverREST(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	for _, body := range []string{`{}`, `{"agentName":"  "}`, `{"agentName":42}`} {
		if m := h.expect("POST", "/api/cloud/agents", body, 400); m["error"] != "agentName is required" {
			t.Errorf("create %s: %v", body, m)
		}
	}
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Ada","environmentVars":{"MODE":"test"}}`, 201)
	agent := m["agent"].(map[string]any)
	id := agent["id"].(string)
	if m["ok"] != true || agent["agentName"] != "Ada" {
		t.Fatalf("create = %v", m)
	}
	list := h.expect("GET", "/api/cloud/agents", "", 200)
	if n := len(list["agents"].([]any)); n != 1 {
		t.Fatalf("list has %d agents", n)
	}
	h.expect("GET", "/api/cloud/agents/"+id, "", 200)
	h.expect("GET", "/api/cloud/agents/00000000-0000-4000-8000-000000000000", "", 404)
	if m := h.expect("POST", "/api/chat", `{"text":"hi"}`, 409); m["error"] == "" {
		t.Error("chat while disconnected has no error")
	}
	c := h.expect("POST", "/api/cloud/agents/"+id+"/provision", "", 200)
	if c["ok"] != true || c["agentId"] != id || c["agentName"] != "Ada" || c["status"] != "connected" {
		t.Fatalf("provision = %v", c)
	}
	s := h.expect("GET", "/api/cloud/status", "", 200)
	conn := s["connection"].(map[string]any)
	if conn["state"] != "connected" || conn["agentId"] != id || conn["agentName"] != "Ada" {
		t.Fatalf("connection = %v", conn)
	}
	reply := h.expect("POST", "/api/chat", `{"text":"hello there"}`, 200)
	if reply["agentId"] != id || !strings.Contains(reply["text"].(string), "hello there") {
		t.Fatalf("chat = %v", reply)
	}
	r := h.do("POST", "/api/chat/stream", `{"text":"stream me"}`)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "text/event-stream") ||
		!strings.Contains(string(r.Body), "event: chunk") || !strings.Contains(string(r.Body), "event: done") {
		t.Fatalf("stream = %d %s", r.Status, r.Body)
	}
	apptest.Eventually(t, waitLimit, "chat history", func() bool {
		hist := h.expect("GET", "/api/chat/history", "", 200)
		return len(hist["messages"].([]any)) == 4
	})
	snap := h.expect("POST", "/api/cloud/agents/"+id+"/snapshot", "", 200)
	if snap["ok"] != true {
		t.Fatalf("snapshot = %v", snap)
	}
	backups := h.expect("GET", "/api/cloud/agents/"+id+"/backups", "", 200)
	if len(backups["backups"].([]any)) < 1 {
		t.Fatalf("backups = %v", backups)
	}
	h.expect("POST", "/api/cloud/agents/"+id+"/restore", `{}`, 200)
	before := h.sim.SnapshotCount(id)
	d := h.expect("POST", "/api/cloud/agents/"+id+"/disconnect", "", 200)
	if d["status"] != "disconnected" || h.sim.SnapshotCount(id) != before+1 {
		t.Fatalf("disconnect = %v (snapshots %d → %d)", d, before, h.sim.SnapshotCount(id))
	}
	h.expect("POST", "/api/cloud/agents/"+id+"/suspend", "", 200)
	h.expect("POST", "/api/cloud/agents/"+id+"/resume", "", 200)
	sd := h.expect("POST", "/api/cloud/agents/"+id+"/shutdown", "", 200)
	if sd["status"] != "stopped" || sd["agentId"] != id {
		t.Fatalf("shutdown = %v", sd)
	}
	if _, ok := h.sim.AgentStatus(id); ok {
		t.Error("agent still exists in the cloud after shutdown")
	}
}

func TestProvisionErrorsMapToStatusCodes(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Bob"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	h.sim.SetBalance(1.25)
	p := h.expect("POST", "/api/cloud/agents/"+id+"/provision", "", 402)
	if p["requiredBalance"] != float64(5) || p["currentBalance"] != 1.25 || !strings.Contains(p["error"].(string), "Insufficient credits") {
		t.Fatalf("402 body = %v", p)
	}
	if st := h.svc.Snapshot().Connection; st.State != cloud.StateDisconnected || st.LastError == "" {
		t.Fatalf("state after failed connect = %+v", st)
	}
	h.expect("POST", "/api/cloud/agents", `{"agentName":"Broke"}`, 402)
	h.sim.SetBalance(20)
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + id + "/provision", Status: 500, Body: `{"success":false,"error":"Sandbox exploded"}`, Count: 1})
	if p := h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 502); p["error"] != "Sandbox exploded" {
		t.Fatalf("502 body = %v", p)
	}
	a := h.expect("POST", "/api/cloud/agents/"+id+"/provision?async=1", "", 202)
	if a["status"] != "connecting" || a["agentId"] != id {
		t.Fatalf("async = %v", a)
	}
	apptest.Eventually(t, waitLimit, "async connect", func() bool { return h.svc.Snapshot().Connection.State == cloud.StateConnected })
}

func TestEventsStreamStateTransitionsInOrder(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Eve"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	ev := h.events()
	if first := ev.Event(); first.Event != "snapshot" || !strings.Contains(first.Data, `"loggedIn":true`) {
		t.Fatalf("first event %s %s", first.Event, first.Data)
	}
	go func() {
		res, err := http.Post(h.srv.URL+"/api/cloud/agents/"+id+"/connect", "application/json", nil)
		if err == nil {
			res.Body.Close()
		}
	}()
	var states []string
	for len(states) < 2 {
		e := ev.Event()
		typ, data := e.Event, e.Data
		if typ != "state" {
			continue
		}
		var snap app.Snapshot
		if err := json.Unmarshal([]byte(data), &snap); err != nil {
			t.Fatal(err)
		}
		states = append(states, string(snap.Connection.State))
	}
	if fmt.Sprint(states) != "[connecting connected]" {
		t.Fatalf("states %v", states)
	}
}

func TestHeartbeatOutageReconnects(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Hb"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
	var sawReconnecting atomic.Bool
	sub := h.svc.Subscribe()
	defer sub.Close()
	go func() {
		for e := range sub.C() {
			if e.Type == "state" && e.Snapshot.Connection.State == cloud.StateReconnecting {
				sawReconnecting.Store(true)
			}
		}
	}()
	h.sim.FailHeartbeats(2)
	apptest.Eventually(t, waitLimit, "reconnecting", sawReconnecting.Load)
	apptest.Eventually(t, waitLimit, "connected again", func() bool { return h.svc.Snapshot().Connection.State == cloud.StateConnected })
}

func TestChatWhileReconnectingIs503(t *testing.T) {
	h := newHarness(t, harnessOpts{manager: &cloud.ManagerConfig{
		HeartbeatInterval: 30 * time.Millisecond, ReconnectInterval: time.Minute, MaxReconnectDelay: time.Minute,
		MaxReconnectAttempts: 2, MaxHeartbeatFailures: 1, BackupInterval: time.Hour, FinalSnapshotTimeout: time.Second,
	}})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Re"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
	h.sim.FailHeartbeats(-1)
	apptest.Eventually(t, waitLimit, "reconnecting", func() bool { return h.svc.Snapshot().Connection.State == cloud.StateReconnecting })
	r := h.do("POST", "/api/chat", `{"text":"are you there"}`)
	if r.Status != 503 || r.Header.Get("Retry-After") == "" {
		t.Fatalf("chat while reconnecting: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	h.sim.FailHeartbeats(0)
}

func TestThousandConcurrentCreditReadsCostOneUpstreamCall(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{sim: sim, dir: dir})
	h.login()
	h.stop()
	sim.SetLatency(300 * time.Millisecond)
	// On a fake clock, so the start's own identity check and fresh balance
	// read can finish first and the cache can then be aged past its TTL
	// without sleeping: otherwise the start's fetch could land after the
	// readers' shared fetch and count as a second upstream call.
	clk := clock.NewFake(time.Now())
	h.clk = clk
	h.start("")
	apptest.Eventually(t, waitLimit, "the start's balance read", func() bool {
		s := h.svc.Snapshot()
		return s.IdentityChecked && s.Credits.UpdatedAt != nil
	})
	clk.Advance(30 * time.Second) // past the 15 s cache, before the 60 s poll's first tick
	sim.ResetRequests()
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := h.do("GET", "/api/cloud/credits", "")
			if r.Status != 200 || !strings.Contains(string(r.Body), `"balance":`) {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := sim.CountRequests("GET", "/api/v1/credits/balance"); n > 1 {
		t.Fatalf("%d upstream balance requests for 1,000 concurrent reads", n)
	}
	if bad.Load() > 0 {
		t.Fatalf("%d reads failed", bad.Load())
	}
}

func TestRestoreConnectionAtStart(t *testing.T) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	dir := t.TempDir()
	h := newHarness(t, harnessOpts{sim: sim, dir: dir})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Keep"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
	snaps := sim.SnapshotCount(id)
	h.stop() // graceful: final snapshot, remembered as connected
	if sim.SnapshotCount(id) != snaps+1 {
		t.Fatalf("no final snapshot at shutdown")
	}
	h.start("")
	apptest.Eventually(t, waitLimit, "reconnect at start", func() bool {
		st := h.svc.Snapshot().Connection
		return st.State == cloud.StateConnected && st.AgentID == id
	})
	// A user's disconnect is remembered too: no reconnect next time.
	h.expect("POST", "/api/cloud/agents/"+id+"/disconnect", "", 200)
	h.stop()
	if v := testbin.Get(testbin.ReadConfig(t, h.cfgPath), "desktop", "wasConnected"); v != false {
		t.Fatalf("desktop.wasConnected after a user disconnect = %v", v)
	}
}
