package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// stormDeadline bounds the concurrent storm; past it the test fails with a
// dump of every goroutine, which is what a deadlock looks like.
const stormDeadline = 60 * time.Second

// storm collects answers that no client should ever get.
type storm struct {
	mu     sync.Mutex
	bad    []string
	counts map[string]int
}

func (s *storm) note(op string, r resp, err error, allowed ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.bad = append(s.bad, fmt.Sprintf("%s: %v", op, err))
		return
	}
	s.counts[fmt.Sprintf("%s %d", op, r.Status)]++
	for _, a := range allowed {
		if r.Status == a {
			return
		}
	}
	s.bad = append(s.bad, fmt.Sprintf("%s: %s", op, r))
}

// TestConcurrentStorm: 100 goroutines log in (REST login, the simulator's
// Approve, status polls), connect, disconnect, log out and chat at once,
// under -race. Nothing deadlocks, no answer is a 500 or otherwise
// unexpected, the state afterwards is consistent everywhere it is kept,
// and after Shutdown no goroutine is left behind.
func TestConcurrentStorm(t *testing.T) {
	before := goleak.IgnoreCurrent()
	goroutinesBefore := runtime.NumGoroutine()
	sim, err := cloudsim.New(cloudsim.Options{JobPollIntervalMs: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	mc := cloud.ManagerConfig{
		HeartbeatInterval:    50 * time.Millisecond,
		ReconnectInterval:    20 * time.Millisecond,
		MaxReconnectDelay:    50 * time.Millisecond,
		MaxReconnectAttempts: 3,
		MaxHeartbeatFailures: 3,
		BackupInterval:       100 * time.Millisecond,
		FinalSnapshotTimeout: 2 * time.Second,
	}
	h := newHarness(t, options{sim: sim, manager: &mc})
	h.login()
	agents := []string{h.createAgent("Storm A"), h.createAgent("Storm B"), h.createAgent("Storm C")}
	h.connect(agents[0])

	// Every worker runs at least minRounds operations and keeps going for
	// stormLength, so that the fast failures (401 while logged out) do not
	// end the storm before the slow operations (login, connect) overlap.
	const workers, minRounds, stormLength = 100, 3, 1500 * time.Millisecond
	st := &storm{counts: map[string]int{}}
	// Worker i runs ops[mix[i%len(mix)]]: per 20 workers 4 log in, 6
	// connect, 3 disconnect, 2 log out and 5 chat, so that log-outs do not
	// leave everyone else logged out most of the time.
	mix := []int{0, 1, 4, 1, 2, 0, 1, 4, 3, 1, 0, 4, 2, 1, 4, 0, 1, 2, 4, 3}
	ops := []func(i int){
		func(int) { stormLogin(h, st) },
		func(i int) {
			r, err := h.try("POST", "/api/cloud/agents/"+agents[i%len(agents)]+"/connect", "")
			if err == nil && r.Status == 409 && !strings.Contains(string(r.Body), "aborted by a disconnect or log-out") {
				err = fmt.Errorf("409 that is not an aborted connect: %s", r)
			}
			// 409: a disconnect or log-out aborted this connect.
			st.note("connect", r, err, 200, 401, 409)
		},
		func(i int) {
			r, err := h.try("POST", "/api/cloud/agents/"+agents[i%len(agents)]+"/disconnect", "")
			st.note("disconnect", r, err, 200, 401)
		},
		func(int) {
			r, err := h.try("POST", "/api/cloud/disconnect", "")
			st.note("log-out", r, err, 200)
		},
		func(int) {
			r, err := h.try("POST", "/api/chat", `{"text":"storm"}`)
			st.note("chat", r, err, 200, 401, 409, 503)
		},
	}
	start := make(chan struct{})
	var begin time.Time
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for r := 0; r < minRounds || time.Since(begin) < stormLength; r++ {
				ops[mix[i%len(mix)]](i)
			}
		}()
	}
	begin = time.Now()
	close(start)
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stormDeadline):
		buf := make([]byte, 16<<20)
		n := runtime.Stack(buf, true)
		t.Fatalf("the storm did not finish in %s (deadlock?); goroutines:\n%s", stormDeadline, buf[:n])
	}
	t.Logf("storm of %d goroutines took %s; answers %v", workers, time.Since(begin).Round(time.Millisecond), st.counts)
	for _, b := range st.bad {
		t.Errorf("unexpected answer: %s", b)
	}
	if len(st.bad) > 0 {
		for _, l := range strings.Split(h.logs.String(), "\n") {
			if strings.Contains(l, "level=ERROR") {
				t.Logf("log: %s", l)
			}
		}
	}

	checkConsistent(t, h, agents[0])
	h.alive()

	h.stop()
	sim.Close()
	goroutinesAfter := runtime.NumGoroutine()
	goleak.VerifyNone(t, before)
	t.Logf("goroutines: %d before the app started, %d right after Shutdown, %d once connections closed",
		goroutinesBefore, goroutinesAfter, runtime.NumGoroutine())
}

// stormLogin is one login as a browser-driving client does it.
func stormLogin(h *harness, st *storm) {
	r, err := h.try("POST", "/api/cloud/login", "")
	st.note("login", r, err, 200)
	if err != nil || r.Status != 200 {
		return
	}
	var start struct{ SessionID string }
	if err := json.Unmarshal(r.Body, &start); err != nil || start.SessionID == "" {
		st.note("login", r, fmt.Errorf("no sessionId: %v", err))
		return
	}
	_ = h.sim.ApproveSession(start.SessionID) // another worker may have approved it
	for range 50 {
		r, err := h.try("GET", "/api/cloud/login/status?sessionId="+start.SessionID, "")
		st.note("login-status", r, err, 200)
		if err != nil || r.Status != 200 {
			return
		}
		var ls struct{ Status, Error string }
		_ = json.Unmarshal(r.Body, &ls)
		st.mu.Lock()
		st.counts["login-status "+ls.Status]++
		st.mu.Unlock()
		switch ls.Status {
		case "pending":
			continue
		case "authenticated", "cancelled", "expired":
		case "error":
			// The one legitimate error: a log-out cancelled the poll that
			// was collecting the one-time key, so the cloud handed it out
			// to nobody.
			if !strings.Contains(ls.Error, "already retrieved") {
				st.note("login-status", r, fmt.Errorf("login error %q", ls.Error))
			}
		default:
			st.note("login-status", r, fmt.Errorf("unknown login status %q", ls.Status))
		}
		return
	}
}

// checkConsistent waits for the connection to settle and checks that every
// place that keeps the login and the connection agrees.
func checkConsistent(t *testing.T, h *harness, agent string) {
	t.Helper()
	apptest.Eventually(t, waitLimit, "a settled connection", func() bool {
		s := h.svc.Snapshot().Connection.State
		return s == cloud.StateConnected || s == cloud.StateDisconnected
	})
	snap := h.svc.Snapshot()
	status := h.expect("GET", "/api/cloud/status", "", 200)
	envKey := h.env.Get("ELIZAOS_CLOUD_API_KEY")
	dbKey, dbHas, err := h.db.Secret(context.Background(), "ELIZAOS_CLOUD_API_KEY")
	if err != nil {
		t.Fatal(err)
	}
	cfgKey := h.svc.Snapshot().Settings.ConfigPath
	raw := readFile(t, cfgKey)
	t.Logf("after the storm: loggedIn=%v connection=%s agent=%s", snap.LoggedIn, snap.Connection.State, snap.Connection.AgentID)

	if !snap.LoggedIn {
		if status["hasApiKey"] != false || envKey != "" || dbHas || strings.Contains(raw, "eliza_") {
			t.Errorf("logged out, but: status %v, env key set %v, database key %v, config %s", status, envKey != "", dbHas, raw)
		}
		if snap.Connection.State != cloud.StateDisconnected {
			t.Errorf("logged out but the connection is %s", snap.Connection.State)
		}
		if m := h.expect("GET", "/api/cloud/agents", "", 401); m["error"] != "Not connected to Eliza Cloud" {
			t.Errorf("agents after log-out = %v", m)
		}
		// The login lock was released on every path: a new login works.
		h.login()
		return
	}
	if status["hasApiKey"] != true || envKey == "" || !strings.HasPrefix(envKey, snap.KeyPrefix) ||
		!dbHas || dbKey != envKey || !strings.Contains(raw, envKey) {
		t.Errorf("logged in as %s, but: status %v, env key matches %v, database key matches %v, config has it %v",
			snap.KeyPrefix, status, strings.HasPrefix(envKey, snap.KeyPrefix), dbKey == envKey, strings.Contains(raw, envKey))
	}
	h.expect("GET", "/api/cloud/agents", "", 200)
	if snap.Connection.State == cloud.StateDisconnected {
		if r := h.do("POST", "/api/chat", `{"text":"x"}`); r.Status != 409 {
			t.Errorf("chat while disconnected: %s", r)
		}
		// Logged in means the manager holds the same client: connect works.
		h.connect(agent)
		snap = h.svc.Snapshot()
	}
	if snap.Connection.AgentID == "" {
		t.Fatal("connected without an agent id")
	}
	m := h.expect("POST", "/api/chat", `{"text":"after the storm"}`, 200)
	if m["agentId"] != snap.Connection.AgentID {
		t.Errorf("chat answered by %v, connected to %s", m["agentId"], snap.Connection.AgentID)
	}
}
