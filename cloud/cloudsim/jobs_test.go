package cloudsim

import (
	"testing"
	"time"
)

func TestAsyncProvisionJobLifecycle(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk, ProvisionDelay: 30 * time.Second, JobPollIntervalMs: 10})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Async")

	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202)
	jobID := r.str("data.jobId")
	if r.body["success"] != true || r.body["created"] != true || r.body["alreadyInProgress"] != false ||
		r.str("data.agentId") != id || r.str("data.status") != "pending" ||
		r.str("polling.endpoint") != "/api/v1/jobs/"+jobID || r.get("polling.intervalMs") != 10.0 ||
		r.get("polling.expectedDurationMs") != 90000.0 || r.str("data.estimatedCompletionAt") != "2026-04-01T12:01:30.000Z" {
		t.Fatalf("202 body = %s", r.raw)
	}
	if st, _ := s.AgentStatus(id); st != "provisioning" {
		t.Fatalf("agent status = %s, want provisioning", st)
	}

	// Second provision: 409 with the same job and success:true.
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 409)
	if r.body["success"] != true || r.body["created"] != false || r.body["alreadyInProgress"] != true || r.str("data.jobId") != jobID {
		t.Fatalf("409 body = %s", r.raw)
	}
	// Delete and stop are refused while provisioning.
	r = call(t, s, "DELETE", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 409)
	if r.str("error") != "Agent provisioning is in progress" {
		t.Fatalf("delete while provisioning = %s", r.raw)
	}
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 409)

	steps := []struct {
		advance  time.Duration
		status   string
		cont     bool
		agentNow string
	}{
		{0, "pending", true, "provisioning"},
		{10 * time.Second, "in_progress", true, "provisioning"},
		{19 * time.Second, "in_progress", true, "provisioning"},
		{time.Second, "completed", false, "running"},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		r = call(t, s, "GET", "/api/v1/jobs/"+jobID, "", key(k)).want(t, 200)
		if r.str("data.status") != st.status || r.get("polling.shouldContinue") != st.cont || r.str("data.type") != "milady_provision" {
			t.Fatalf("after +%v job = %s, want %s", st.advance, r.raw, st.status)
		}
		if got, _ := s.AgentStatus(id); got != st.agentNow {
			t.Fatalf("after +%v agent = %s, want %s", st.advance, got, st.agentNow)
		}
	}
	if r.str("data.result.status") != "running" || r.str("data.result.cloudAgentId") != id || r.get("polling.intervalMs") != nil {
		t.Fatalf("completed job = %s", r.raw)
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
	if r.str("data.status") != "running" || r.str("data.lastHeartbeatAt") != "2026-04-01T12:00:30.000Z" || r.str("data.bridgeUrl") == "" {
		t.Fatalf("agent after job = %s", r.raw)
	}
	// Running: idempotent 200 fast path, no new job.
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 200)
	if r.str("data.status") != "running" || r.str("data.bridgeUrl") == "" || r.str("data.healthUrl") == "" {
		t.Fatalf("fast path = %s", r.raw)
	}
	r = call(t, s, "GET", "/api/v1/jobs/not-a-job", "", key(k)).want(t, 404)
	if r.str("error") != "Job not found" {
		t.Fatalf("unknown job = %s", r.raw)
	}
}

func TestProvisionFailureInjection(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Doomed")
	call(t, s, "POST", "/__sim/provision", `{"fail":1}`).want(t, 200)
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202)
	r = call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	if r.str("data.status") != "failed" || r.str("data.error") != "Sandbox health check timed out" {
		t.Fatalf("failed job = %s", r.raw)
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
	if r.str("data.status") != "error" || r.get("data.errorCount") != 1.0 || r.str("data.errorMessage") != "Sandbox health check timed out" {
		t.Fatalf("agent after failure = %s", r.raw)
	}
	// The next attempt succeeds and clears the message.
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 202)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	r = call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
	if r.str("data.status") != "running" || r.get("data.errorMessage") != nil || r.get("data.errorCount") != 1.0 {
		t.Fatalf("agent after retry = %s", r.raw)
	}
}

func TestSyncModeProvision(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk, Mode: ModeSync, ProvisionDelay: 20 * time.Second})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Sync")

	done := make(chan resp, 1)
	go func() {
		r, err := try(s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k))
		if err != nil {
			r.raw = err.Error()
		}
		done <- r
	}()
	if !clk.WaitFor(1, 5*time.Second) {
		t.Fatal("sync provision never waited on the clock")
	}
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 409)
	if r.str("error") != "Agent is already being provisioned" {
		t.Fatalf("concurrent provision = %s", r.raw)
	}
	clk.Advance(20 * time.Second)
	r = (<-done).want(t, 200)
	if r.str("data.status") != "running" || r.str("data.id") != id || r.str("data.bridgeUrl") == "" {
		t.Fatalf("sync provision = %s", r.raw)
	}
	if s.CountRequests("GET", "/api/v1/jobs/") != 0 {
		t.Fatal("sync mode must not need job polls")
	}

	// Injected failure: 500 with the raw message (legacy behaviour).
	s.SetMode(ModeSync, 0)
	s.FailProvisioning(1)
	id2 := createAgent(t, s, k, "SyncFail")
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id2+"/provision", "", key(k)).want(t, 500)
	if r.str("error") != "Sandbox health check timed out" {
		t.Fatalf("sync failure = %s", r.raw)
	}
	if st, _ := s.AgentStatus(id2); st != "error" {
		t.Fatalf("status after sync failure = %s", st)
	}
}

func TestResume(t *testing.T) {
	clk := newFake()
	s, k, id := startRunning(t, Options{Clock: clk})
	s.SetMode(ModeAsync, time.Second)
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 200)
	if r.str("data.message") != "Agent is already running" || r.str("data.action") != "resume" {
		t.Fatalf("resume running = %s", r.raw)
	}
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 202)
	if r.str("data.action") != "resume" || r.str("data.jobId") == "" || r.body["created"] != true || r.get("polling.endpoint") == nil {
		t.Fatalf("resume 202 = %s", r.raw)
	}
	r2 := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)).want(t, 409)
	if r2.body["alreadyInProgress"] != true || r2.str("data.jobId") != r.str("data.jobId") {
		t.Fatalf("resume 409 = %s", r2.raw)
	}
	clk.Advance(time.Second)
	call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	if st, _ := s.AgentStatus(id); st != "running" {
		t.Fatalf("status after resume = %s", st)
	}
}
