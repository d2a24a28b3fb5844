package cloudsim

import (
	"strings"
	"testing"
	"time"
)

// The balance route reads a per-key cache for 600 s unless ?fresh=true, and
// nothing clears it when credits change (app/api/v1/credits/balance/route.ts).
func TestBalanceCacheUnlessFresh(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk, BalanceCache: true, InitialBalance: 3})
	k := s.NewAPIKey()
	get := func(q string) any {
		return call(t, s, "GET", "/api/v1/credits/balance"+q, "", "Authorization: Bearer "+k).want(t, 200).get("balance")
	}
	if b := get(""); b != 3.0 {
		t.Fatalf("first read = %v, want 3", b)
	}
	s.SetBalance(50)
	clk.Advance(599 * time.Second)
	if b := get(""); b != 3.0 {
		t.Fatalf("cached read after a credit change = %v, want the stale 3", b)
	}
	if b := get("?fresh=true"); b != 50.0 {
		t.Fatalf("fresh read = %v, want 50", b)
	}
	s.SetBalance(60)
	if b := get(""); b != 50.0 {
		t.Fatalf("read after fresh = %v, want 50 (the fresh read refilled the cache)", b)
	}
	clk.Advance(600 * time.Second)
	if b := get(""); b != 60.0 {
		t.Fatalf("read after 600 s = %v, want 60", b)
	}
	// The cache is per key: a new key reads the live value.
	if b := call(t, s, "GET", "/api/v1/credits/balance", "", key(s.NewAPIKey())).want(t, 200).get("balance"); b != 60.0 {
		t.Fatalf("other key = %v", b)
	}
}

// The worker (packages/scripts/provisioning-worker.ts,
// packages/lib/services/provisioning-jobs.ts) polls every 30 s, leaves the
// agent alone while the job is queued, fails an attempt after the 180 s
// health check, puts the job back to pending with its error, and retries.
func TestWorkerTimingWithOneRetry(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk, Worker: ServerWorker()})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Slow")
	call(t, s, "POST", "/__sim/jobs/script", `{"failures":1}`).want(t, 200)
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202)
	jobID := r.str("data.jobId")
	steps := []struct {
		at       time.Duration // since the start
		job      string
		attempts float64
		hasErr   bool
		agent    string
	}{
		{0, "pending", 0, false, "pending"},
		{29 * time.Second, "pending", 0, false, "pending"},
		{30 * time.Second, "in_progress", 1, false, "provisioning"},
		{209 * time.Second, "in_progress", 1, false, "provisioning"},
		{210 * time.Second, "pending", 1, true, "error"},
		{239 * time.Second, "pending", 1, true, "error"},
		{240 * time.Second, "in_progress", 2, true, "provisioning"},
		{300 * time.Second, "completed", 2, true, "running"},
	}
	start := clk.Now()
	for _, st := range steps {
		clk.Set(start.Add(st.at))
		r = call(t, s, "GET", "/api/v1/jobs/"+jobID, "", key(k)).want(t, 200)
		if r.str("data.status") != st.job || r.get("data.attempts") != st.attempts || (r.get("data.error") != nil) != st.hasErr {
			t.Fatalf("at +%v job = %s, want %s attempts %v error %v", st.at, r.raw, st.job, st.attempts, st.hasErr)
		}
		if st.hasErr && r.str("data.error") != "Health check timed out" {
			t.Fatalf("at +%v job error = %s", st.at, r.raw)
		}
		if got, _ := s.AgentStatus(id); got != st.agent {
			t.Fatalf("at +%v agent = %s, want %s", st.at, got, st.agent)
		}
	}
	if r.get("polling.shouldContinue") != false || r.str("data.result.status") != "running" {
		t.Fatalf("completed job = %s", r.raw)
	}
}

// After the last of three attempts the job is failed and the agent error
// (provisioning-worker.ts markJobFailed / markSandboxError).
func TestWorkerAllAttemptsFail(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk, Worker: ServerWorker()})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Doomed")
	call(t, s, "POST", "/__sim/jobs/script", `{"allFail":true}`).want(t, 200)
	jobID := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202).str("data.jobId")
	start := clk.Now()
	// Attempts at 30 s, 240 s and 450 s, each failing 180 s later.
	clk.Set(start.Add(629 * time.Second))
	r := call(t, s, "GET", "/api/v1/jobs/"+jobID, "", key(k)).want(t, 200)
	if r.str("data.status") != "in_progress" || r.get("data.attempts") != 3.0 {
		t.Fatalf("before the last failure: %s", r.raw)
	}
	clk.Set(start.Add(630 * time.Second))
	r = call(t, s, "GET", "/api/v1/jobs/"+jobID, "", key(k)).want(t, 200)
	if r.str("data.status") != "failed" || r.str("data.error") != "Health check timed out" || r.get("polling.shouldContinue") != false {
		t.Fatalf("after the last failure: %s", r.raw)
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
	if r.str("data.status") != "error" || r.str("data.errorMessage") != "Provisioning permanently failed after 3 attempts: Health check timed out" {
		t.Fatalf("agent = %s", r.raw)
	}
}

// TimeScale shrinks the worker's timing on a real clock.
func TestWorkerTimeScale(t *testing.T) {
	s := Start(t, Options{Worker: ServerWorker(), TimeScale: 0.0005})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Quick")
	jobID := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202).str("data.jobId")
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := call(t, s, "GET", "/api/v1/jobs/"+jobID, "", key(k)).want(t, 200)
		if r.str("data.status") == "completed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not completed on a 0.0005 time scale: %s", r.raw)
		}
	}
}

// A running agent whose container died: provision's 200 fast path and
// resume's "already running" change nothing, the bridge answers "Sandbox
// bridge is unreachable" (app/api/v1/milady/agents/[agentId]/bridge/route.ts)
// and the stream its error event; suspend + resume starts a new container.
func TestDeadSandbox(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	call(t, s, "POST", "/__sim/dead-sandbox", `{"agentId":"`+id+`","dead":true}`).want(t, 200)
	bridge := func(method string) resp {
		return call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge",
			`{"jsonrpc":"2.0","id":1,"method":"`+method+`","params":{"text":"hi"}}`, key(k)).want(t, 200)
	}
	dead := func(when string) {
		t.Helper()
		for _, m := range []string{"heartbeat", "message.send"} {
			if r := bridge(m); r.get("error.code") != -32000.0 || r.str("error.message") != "Sandbox bridge is unreachable" {
				t.Fatalf("%s: %s = %s", when, m, r.raw)
			}
		}
		r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/stream", `{"jsonrpc":"2.0","method":"message.send","params":{"text":"hi"}}`, key(k)).want(t, 200)
		if !strings.Contains(r.raw, "event: error") || strings.Contains(r.raw, "event: chunk") {
			t.Fatalf("%s: stream = %s", when, r.raw)
		}
	}
	dead("dead")
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 200)
	if r.str("data.status") != "running" {
		t.Fatalf("provision fast path = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 200)
	if r.str("data.message") != "Agent is already running" {
		t.Fatalf("resume = %s", r.raw)
	}
	dead("after provision and resume")
	backups := s.SnapshotCount(id)
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	if s.SnapshotCount(id) != backups {
		t.Fatal("a dead container cannot give a pre-shutdown backup")
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 202)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	if r := bridge("heartbeat"); r.str("method") != "heartbeat.ack" {
		t.Fatalf("after suspend + resume: %s", r.raw)
	}

	// Sticky: the new container is dead too.
	call(t, s, "POST", "/__sim/dead-sandbox", `{"agentId":"`+id+`","dead":true,"sticky":true}`).want(t, 200)
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 202)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	dead("sticky, after suspend + resume")
}

// message.send is aborted at 30 s (AbortSignal.timeout(30_000) in the
// sandbox service) while the stream route (maxDuration 120) waits.
func TestBridgeAbortAndStreamWait(t *testing.T) {
	clk := newFake()
	s, k, id := startRunning(t, Options{Clock: clk})
	call(t, s, "POST", "/__sim/reply-delay", `{"ms":45000}`).want(t, 200)

	done := make(chan resp, 1)
	go func() {
		r, _ := try(s, "POST", "/api/v1/milady/agents/"+id+"/bridge", `{"jsonrpc":"2.0","id":"a","method":"message.send","params":{"text":"slow"}}`, key(k))
		done <- r
	}()
	if !clk.WaitFor(1, 5*time.Second) {
		t.Fatal("bridge never waited on the clock")
	}
	clk.Advance(30 * time.Second)
	r := receive(t, done).want(t, 200)
	if r.get("error.code") != -32000.0 || r.str("error.message") != "Sandbox bridge is unreachable" {
		t.Fatalf("bridge at 30 s = %s", r.raw)
	}

	stream := func(advance time.Duration) string {
		go func() {
			r, _ := try(s, "POST", "/api/v1/milady/agents/"+id+"/stream", `{"jsonrpc":"2.0","id":"b","method":"message.send","params":{"text":"slow reply"}}`, key(k))
			done <- r
		}()
		if !clk.WaitFor(1, 5*time.Second) {
			t.Fatal("stream never waited on the clock")
		}
		clk.Advance(advance)
		return receive(t, done).want(t, 200).raw
	}
	if raw := stream(45 * time.Second); !strings.Contains(raw, `"text":"[echo] "`) || !strings.Contains(raw, "event: done") {
		t.Fatalf("45 s reply through the stream = %s", raw)
	}
	call(t, s, "POST", "/__sim/reply-delay", `{"ms":130000}`).want(t, 200)
	if raw := stream(120 * time.Second); !strings.Contains(raw, "event: connected") || strings.Contains(raw, "event: done") || strings.Contains(raw, "chunk") {
		t.Fatalf("130 s reply, cut at 120 s = %s", raw)
	}
}

// A revoked key gets 401 "Invalid or expired API key" everywhere, in each
// route's body shape (packages/lib/auth.ts; app/api/v1/user/route.ts has
// no code); other keys keep working.
func TestRevokedKey(t *testing.T) {
	s := Start(t, Options{})
	k, other := s.NewAPIKey(), s.NewAPIKey()
	id := runningAgent(t, s, other)
	r := call(t, s, "POST", "/__sim/revoke", `{"key":"`+k+`"}`).want(t, 200)
	if r.body["revoked"] != true {
		t.Fatalf("revoke = %s", r.raw)
	}
	for _, c := range []struct {
		method, path, body string
		code               bool
	}{
		{"GET", "/api/v1/credits/balance", "", true},
		{"GET", "/api/v1/user", "", false},
		{"GET", "/api/v1/milady/agents", "", true},
		{"POST", "/api/v1/milady/agents/" + id + "/provision", "", true},
		{"POST", "/api/v1/milady/agents/" + id + "/bridge", `{"jsonrpc":"2.0","method":"heartbeat"}`, true},
	} {
		r := call(t, s, c.method, c.path, c.body, key(k)).want(t, 401)
		if r.body["success"] != false || r.str("error") != "Invalid or expired API key" || (r.str("code") == "authentication_required") != c.code {
			t.Fatalf("%s %s = %s", c.method, c.path, r.raw)
		}
	}
	call(t, s, "GET", "/api/v1/credits/balance", "", key(other)).want(t, 200)
}

// Checkout, verify and transactions (cloud-api.md "Checkout", "Usage"):
// redirect URLs must be the platform's own, paying adds the credits, and
// the cached balance stays stale until read fresh.
func TestCheckoutAndTransactions(t *testing.T) {
	s := Start(t, Options{BalanceCache: true, InitialBalance: 1})
	k := s.NewAPIKey()
	bal := func(q string) any {
		return call(t, s, "GET", "/api/v1/credits/balance"+q, "", key(k)).want(t, 200).get("balance")
	}
	bal("")
	ok := s.URL() + "/dashboard/billing"
	for _, body := range []string{
		`{"credits":0,"success_url":"` + ok + `","cancel_url":"` + ok + `"}`,
		`{"credits":1001,"success_url":"` + ok + `","cancel_url":"` + ok + `"}`,
		`{"credits":10,"success_url":"https://evil.example/x","cancel_url":"` + ok + `"}`,
		`{"credits":10,"success_url":"` + ok + `"}`,
	} {
		call(t, s, "POST", "/api/v1/credits/checkout", body, key(k)).want(t, 400)
	}
	r := call(t, s, "POST", "/api/v1/credits/checkout", `{"credits":20,"success_url":"`+ok+`?paid=1","cancel_url":"`+ok+`"}`, key(k)).want(t, 200)
	sid, url := r.str("sessionId"), r.str("url")
	if sid == "" || url != s.URL()+"/__sim/checkout/"+sid {
		t.Fatalf("checkout = %s", r.raw)
	}
	if v := call(t, s, "GET", "/api/v1/credits/verify?session_id="+sid, "", key(k)).want(t, 200); v.str("paymentStatus") != "unpaid" {
		t.Fatalf("verify before paying = %s", v.raw)
	}
	page := call(t, s, "GET", "/__sim/checkout/"+sid, "").want(t, 200)
	if !strings.Contains(page.raw, `id="pay"`) {
		t.Fatalf("checkout page = %s", page.raw)
	}
	paid := call(t, s, "POST", "/__sim/checkout/"+sid, "").want(t, 303)
	if paid.header.Get("Location") != ok+"?paid=1" {
		t.Fatalf("after paying: Location %q", paid.header.Get("Location"))
	}
	if pg := call(t, s, "GET", "/dashboard/billing?paid=1", "").want(t, 200); !strings.Contains(pg.raw, "$21.00") {
		t.Fatalf("billing page after paying = %s", pg.raw)
	}
	if v := call(t, s, "GET", "/api/v1/credits/verify?session_id="+sid, "", key(k)).want(t, 200); v.str("paymentStatus") != "paid" || v.get("credits") != 20.0 {
		t.Fatalf("verify after paying = %s", v.raw)
	}
	if b := bal(""); b != 1.0 {
		t.Fatalf("cached balance after the top-up = %v, want the stale 1", b)
	}
	if b := bal("?fresh=true"); b != 21.0 {
		t.Fatalf("fresh balance after the top-up = %v, want 21", b)
	}
	s.ChargeRunningHours(2)
	tr := call(t, s, "GET", "/api/credits/transactions?hours=24&limit=10", "", key(k)).want(t, 200)
	list, _ := tr.get("transactions").([]any)
	if len(list) != 1 || tr.get("total") != 1.0 || tr.get("period.start") == nil {
		t.Fatalf("transactions = %s", tr.raw)
	}
	top := list[0].(map[string]any)
	if top["amount"] != 20.0 || top["type"] != "credit" || top["organization_id"] != SimOrgID {
		t.Fatalf("top-up transaction = %v", top)
	}
	// 60 a minute, then the STANDARD 429 shape.
	for i := 0; i < 59; i++ {
		call(t, s, "GET", "/api/credits/transactions", "", key(k)).want(t, 200)
	}
	r = call(t, s, "GET", "/api/credits/transactions", "", key(k)).want(t, 429)
	if r.str("code") != "rate_limit_exceeded" || r.str("message") != "Rate limit exceeded. Maximum 60 requests per 60 seconds." || r.header.Get("Retry-After") == "" {
		t.Fatalf("61st = %s", r.raw)
	}
}

// Pairing tokens (app/api/v1/milady/agents/[agentId]/pairing-token/route.ts)
// and the API-key route that a key cannot use to revoke itself (proxy.ts).
func TestPairingTokenAndKeySelfRevoke(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	pending := createAgent(t, s, k, "Idle")
	r := call(t, s, "POST", "/api/v1/milady/agents/"+pending+"/pairing-token", "", key(k)).want(t, 400)
	if r.str("error") != "Agent must be running to generate pairing token" {
		t.Fatalf("not running = %s", r.raw)
	}
	call(t, s, "POST", "/api/v1/milady/agents/00000000-0000-4000-8000-000000000000/pairing-token", "", key(k)).want(t, 404)
	id := runningAgent(t, s, k)
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/pairing-token", "", key(k)).want(t, 200)
	if r.str("data.token") == "" || !strings.Contains(r.str("data.redirectUrl"), r.str("data.token")) || r.get("data.expiresIn") != 60.0 {
		t.Fatalf("pairing token = %s", r.raw)
	}
	r = call(t, s, "DELETE", "/api/v1/api-keys/some-key-id", "", key(k)).want(t, 401)
	if r.str("code") != "session_auth_required" {
		t.Fatalf("self revoke = %s", r.raw)
	}
}

// The lifecycle routes' exact texts (app/api/v1/milady/agents/[agentId]/
// route.ts, suspend/route.ts, resume/route.ts).
func TestLifecycleTexts(t *testing.T) {
	clk := newFake()
	s, k, id := startRunning(t, Options{Clock: clk})
	s.SetMode(ModeAsync, time.Second)
	r := call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `not json`, key(k)).want(t, 400)
	if r.str("error") != "Invalid request data" || r.get("details") == nil {
		t.Fatalf("PATCH bad JSON = %s", r.raw)
	}
	r = call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `{"action":"shutdown"}`, key(k)).want(t, 200)
	if r.str("data.message") != "Agent shutdown complete" || r.str("data.previousStatus") != "running" || r.str("data.action") != "shutdown" {
		t.Fatalf("PATCH shutdown = %s", r.raw)
	}
	r = call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `{"action":"shutdown"}`, key(k)).want(t, 200)
	if r.str("data.message") != "Agent is already stopped" || r.str("data.previousStatus") != "stopped" {
		t.Fatalf("PATCH again = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 202)
	if r.str("data.action") != "resume" || r.str("data.agentId") != id || r.str("data.jobId") == "" || r.str("data.status") != "pending" ||
		r.str("data.message") != "Resume job created. Agent will restore from latest snapshot." ||
		r.body["created"] != true || r.body["alreadyInProgress"] != false || r.get("polling.endpoint") == nil || r.get("message") != nil {
		t.Fatalf("resume 202 = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 409)
	if r.body["success"] != true || r.str("data.message") != "Resume is already in progress." || r.body["alreadyInProgress"] != true {
		t.Fatalf("resume 409 = %s", r.raw)
	}
	clk.Advance(time.Second)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	if r.str("data.message") != "Agent suspended with snapshot. Use resume or provision to restart." || r.str("data.previousStatus") != "running" {
		t.Fatalf("suspend = %s", r.raw)
	}
}

// receive waits a few real seconds for an answer, failing instead of hanging
// when the simulator did not answer at the expected simulated time.
func receive(t *testing.T, done <-chan resp) resp {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no answer at the expected simulated time")
		return resp{}
	}
}
