package cloud

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

func TestAgentLifecycleSync(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()

	list, err := c.ListAgents(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("empty list = %v, %v", list, err)
	}
	a, err := c.CreateAgent(ctx, CreateAgentRequest{AgentName: "Milady", AgentConfig: map[string]any{"k": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	if a.ID == "" || a.AgentName != "Milady" || a.Status != "pending" || a.CreatedAt.IsZero() {
		t.Fatalf("created %+v", a)
	}
	list, err = c.ListAgents(ctx)
	if err != nil || len(list) != 1 || list[0].ID != a.ID {
		t.Fatalf("list = %+v, %v", list, err)
	}

	res, err := c.Provision(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.AgentID != a.ID || res.Status != "running" || res.JobID != "" || res.AgentName != "Milady" {
		t.Fatalf("provision = %+v", res)
	}
	if n := s.CountRequests("GET", "/api/v1/jobs/"); n != 0 {
		t.Fatalf("sync provisioning polled %d jobs", n)
	}
	got, err := c.GetAgent(ctx, a.ID)
	if err != nil || got.Status != "running" || got.BridgeURL == nil || got.LastHeartbeatAt == nil {
		t.Fatalf("get = %+v, %v", got, err)
	}
	// Provisioning a running agent is the idempotent 200.
	if res, err := c.Provision(ctx, a.ID); err != nil || res.Status != "running" {
		t.Fatalf("second provision = %+v, %v", res, err)
	}

	b, err := c.Snapshot(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if b.ID == "" || b.SnapshotType != "manual" || b.SizeBytes == nil || b.CreatedAt.IsZero() {
		t.Fatalf("snapshot = %+v", b)
	}
	backups, err := c.ListBackups(ctx, a.ID)
	if err != nil || len(backups) != 1 || backups[0].ID != b.ID {
		t.Fatalf("backups = %+v, %v", backups, err)
	}
	rr, err := c.Restore(ctx, a.ID, "")
	if err != nil || rr.RestoredFromBackupID != b.ID {
		t.Fatalf("restore latest = %+v, %v", rr, err)
	}
	rr, err = c.Restore(ctx, a.ID, b.ID)
	if err != nil || rr.RestoredFromBackupID != b.ID {
		t.Fatalf("restore by id = %+v, %v", rr, err)
	}

	sr, err := c.SuspendAgent(ctx, a.ID)
	if err != nil || sr.AgentID != a.ID || sr.PreviousStatus != "running" {
		t.Fatalf("suspend = %+v, %v", sr, err)
	}
	if st, _ := s.AgentStatus(a.ID); st != "stopped" {
		t.Fatalf("after suspend the simulator says %q", st)
	}
	// Snapshot needs a running agent: 409.
	_, err = c.Snapshot(ctx, a.ID)
	assertKind(t, err, ErrConflict)
	if !strings.Contains(err.Error(), "Sandbox is not running") {
		t.Fatalf("snapshot of stopped agent: %v", err)
	}

	rs, err := c.ResumeAgent(ctx, a.ID)
	if err != nil || rs.Status != "running" || rs.AgentID != a.ID {
		t.Fatalf("resume = %+v, %v", rs, err)
	}
	if err := c.DeleteAgent(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetAgent(ctx, a.ID)
	assertKind(t, err, ErrNotFound)
	assertKind(t, c.DeleteAgent(ctx, a.ID), ErrNotFound)
	_, err = c.Provision(ctx, a.ID)
	assertKind(t, err, ErrNotFound)
}

func TestEmptyAgentIDIsRefusedLocally(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	ctx := context.Background()
	if _, err := c.Provision(ctx, ""); err == nil {
		t.Fatal("Provision(\"\") succeeded")
	}
	if _, err := c.GetAgent(ctx, ""); err == nil {
		t.Fatal("GetAgent(\"\") succeeded")
	}
	if err := c.Heartbeat(ctx, ""); err == nil {
		t.Fatal("Heartbeat(\"\") succeeded")
	}
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests for empty ids", n)
	}
}

func TestSyncProvisionWaitsOnTheClock(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync, ProvisionDelay: 20 * time.Second})
	a := newAgent(t, c)
	var res *ProvisionResult
	var err error
	done := async(func() { res, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 1, 20*time.Second, done)
	if err != nil || res.Status != "running" {
		t.Fatalf("provision = %+v, %v", res, err)
	}
	if st, _ := s.AgentStatus(a.ID); st != "running" {
		t.Fatalf("simulator says %q", st)
	}
}

// TestQueuedProvisioning: 202 → the job is polled at its announced
// interval on the fake clock until it completes.
func TestQueuedProvisioning(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 30 * time.Second, JobPollIntervalMs: 1000})
	a := newAgent(t, c)
	start := f.Now()
	var res *ProvisionResult
	var err error
	done := async(func() { res, err = c.Provision(context.Background(), a.ID) })
	// Two timers while waiting: the JobTimeout deadline and the next poll.
	steps := drive(t, f, 2, time.Second, done)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != "running" || res.AgentID != a.ID || res.JobID == "" {
		t.Fatalf("provision = %+v", res)
	}
	if elapsed := f.Now().Sub(start); elapsed < 30*time.Second || elapsed > 32*time.Second {
		t.Fatalf("finished after %v of fake time (%d steps), want ~30s", elapsed, steps)
	}
	if polls := s.CountRequests("GET", "/api/v1/jobs/"+res.JobID); polls != steps {
		t.Fatalf("%d job polls for %d one-second steps", polls, steps)
	}
	if f.Pending() != 0 {
		t.Fatalf("%d timers left armed", f.Pending())
	}
	if st, _ := s.AgentStatus(a.ID); st != "running" {
		t.Fatalf("simulator says %q", st)
	}
}

// TestAlreadyInProgress: a second provision while the job runs gets 409
// with alreadyInProgress and waits for the same job.
func TestAlreadyInProgress(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 10 * time.Second, JobPollIntervalMs: 2000})
	a := newAgent(t, c)
	ctx, cancel := context.WithCancel(context.Background())
	var err1 error
	first := async(func() { _, err1 = c.Provision(ctx, a.ID) })
	if !f.WaitFor(2, 5*time.Second) {
		t.Fatal("first provision did not start waiting")
	}
	cancel()
	<-first
	if !errors.Is(err1, context.Canceled) {
		t.Fatalf("cancelled provision = %v", err1)
	}
	if f.Pending() != 0 {
		t.Fatalf("cancelled wait left %d timers", f.Pending())
	}
	var res *ProvisionResult
	var err error
	done := async(func() { res, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 2, 2*time.Second, done)
	if err != nil || res.Status != "running" || res.JobID == "" {
		t.Fatalf("provision after 409 = %+v, %v", res, err)
	}
	if n := s.CountRequests("POST", "/api/v1/milady/agents/"+a.ID+"/provision"); n != 2 {
		t.Fatalf("%d provision requests", n)
	}
}

func TestQueuedProvisioningFails(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 3 * time.Second, JobPollIntervalMs: 1000})
	a := newAgent(t, c)
	s.FailProvisioning(1)
	var err error
	done := async(func() { _, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 2, time.Second, done)
	var je *JobFailedError
	if !errors.As(err, &je) || !errors.Is(err, ErrUpstream) || je.Message != "Sandbox health check timed out" || je.JobID == "" {
		t.Fatalf("failed job = %v", err)
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			t.Fatalf("job failure matches %v", k)
		}
	}
	if st, _ := s.AgentStatus(a.ID); st != "error" {
		t.Fatalf("simulator says %q", st)
	}
}

func TestQueuedProvisioningTimesOut(t *testing.T) {
	_, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: time.Hour, JobPollIntervalMs: 1000},
		func(o *ClientOptions) { o.JobTimeout = 5 * time.Second })
	a := newAgent(t, c)
	start := f.Now()
	var err error
	done := async(func() { _, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 2, time.Second, done)
	assertKind(t, err, ErrTimeout)
	if f.Now().Sub(start) != 5*time.Second {
		t.Fatalf("gave up after %v, want 5s", f.Now().Sub(start))
	}
	if f.Pending() != 0 {
		t.Fatalf("%d timers left armed", f.Pending())
	}
}

// TestJobPollRetriesTransientErrors: a 500 while polling is retried; a
// vanished job (404) ends the wait.
func TestJobPollErrors(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 5 * time.Second, JobPollIntervalMs: 1000})
	a := newAgent(t, c)
	s.InjectFault(cloudsim.Fault{Method: "GET", Path: "/api/v1/jobs/", Status: 500, Count: 2})
	var res *ProvisionResult
	var err error
	done := async(func() { res, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 2, time.Second, done)
	if err != nil || res.Status != "running" {
		t.Fatalf("provision through transient job errors = %+v, %v", res, err)
	}

	b := newAgent(t, c)
	s.InjectFault(cloudsim.Fault{Method: "GET", Path: "/api/v1/jobs/", Status: 404, Body: `{"success":false,"error":"Job not found"}`})
	done = async(func() { _, err = c.Provision(context.Background(), b.ID) })
	drive(t, f, 2, time.Second, done)
	assertKind(t, err, ErrNotFound)
}

func TestProvisionErrors(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync})
	ctx := context.Background()
	a := newAgent(t, c)

	s.SetBalance(0.25)
	_, err := c.Provision(ctx, a.ID)
	assertKind(t, err, ErrInsufficientCredits)
	var ice *InsufficientCreditsError
	if !errors.As(err, &ice) || ice.RequiredBalance != 5 || ice.CurrentBalance != 0.25 {
		t.Fatalf("402 = %#v", ice)
	}
	s.SetBalance(25)

	// 409 without alreadyInProgress is a conflict, not a job.
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + a.ID + "/provision", Count: 1, Status: 409,
		Body: `{"success":false,"error":"Agent state changed while starting"}`})
	_, err = c.Provision(ctx, a.ID)
	assertKind(t, err, ErrConflict)
	if !strings.Contains(err.Error(), "Agent state changed while starting") {
		t.Fatalf("409: %v", err)
	}

	// Legacy sync failure: 500 with the raw message.
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + a.ID + "/provision", Count: 1, Status: 500,
		Body: `{"success":false,"error":"Health check timed out"}`})
	_, err = c.Provision(ctx, a.ID)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 500 || he.Message != "Health check timed out" {
		t.Fatalf("500: %v", err)
	}

	// A 202 without a job id is malformed.
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + a.ID + "/provision", Count: 1, Status: 202,
		Body: `{"success":true,"created":true,"data":{"agentId":"x"}}`})
	_, err = c.Provision(ctx, a.ID)
	assertKind(t, err, ErrMalformed)
}

func TestSnapshotReadsIDFallbackAndListShapes(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	ctx := context.Background()
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/a1/snapshot", Count: 1, Status: 200,
		Body: `{"success":true,"data":{"id":"bk-1","snapshotType":"manual","sizeBytes":1024,"createdAt":"2026-01-01T00:00:00.000Z"}}`})
	b, err := c.Snapshot(ctx, "a1")
	if err != nil || b.ID != "bk-1" || *b.SizeBytes != 1024 {
		t.Fatalf("snapshot with id = %+v, %v", b, err)
	}
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/a1/snapshot", Count: 1, Status: 200, Body: `{"success":true,"data":{}}`})
	_, err = c.Snapshot(ctx, "a1")
	assertKind(t, err, ErrMalformed)

	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents", Count: 1, Status: 200, Body: `{"success":true}`})
	list, err := c.ListAgents(ctx)
	if err != nil || list == nil || len(list) != 0 {
		t.Fatalf("list without data = %v, %v", list, err)
	}
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents", Count: 1, Status: 200, Body: `{"success":false,"error":"nope"}`})
	_, err = c.ListAgents(ctx)
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("success:false on 200 = %v", err)
	}
	// Unknown agent backups: 200 with an empty list.
	bs, err := c.ListBackups(ctx, "00000000-0000-0000-0000-000000000000")
	if err != nil || len(bs) != 0 || bs == nil {
		t.Fatalf("backups of unknown agent = %v, %v", bs, err)
	}
}

func TestQueuedResume(t *testing.T) {
	s, c, f := simClient(t, cloudsim.Options{Mode: cloudsim.ModeAsync, ProvisionDelay: 4 * time.Second, JobPollIntervalMs: 1000})
	a := newAgent(t, c)
	var err error
	done := async(func() { _, err = c.Provision(context.Background(), a.ID) })
	drive(t, f, 2, time.Second, done)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SuspendAgent(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	var res *ProvisionResult
	done = async(func() { res, err = c.ResumeAgent(context.Background(), a.ID) })
	drive(t, f, 2, time.Second, done)
	if err != nil || res.Status != "running" || res.JobID == "" || res.AgentID != a.ID {
		t.Fatalf("resume = %+v, %v", res, err)
	}
	if st, _ := s.AgentStatus(a.ID); st != "running" {
		t.Fatalf("simulator says %q", st)
	}
	// Resuming a running agent answers 200 at once.
	if res, err := c.ResumeAgent(context.Background(), a.ID); err != nil || res.Status != "running" || res.JobID != "" {
		t.Fatalf("resume of running agent = %+v, %v", res, err)
	}
}
