package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

// The manager against the server's unkind behaviours, as the simulator
// models them (cloud-api.md, "Behaviour over time").

// A key revoked while connected: the next heartbeat's 401 stops the
// manager at once (no reconnect, no provision, no backups), Connect is
// refused without calling the cloud, and a new key clears the condition.
func TestSimRevokedKeyStopsTheManager(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{})
	id := h.createAgent(t, "Agent")
	h.connect(t, id)
	h.sim.RevokeKeys()
	h.sim.ResetRequests()

	h.clk.Advance(30 * time.Second) // the first heartbeat answers 401
	st := h.rec.waitState(t, "key rejected", func(s State) bool { return s.KeyRejected })
	if st.State != StateDisconnected || st.LastError != KeyRejectedMessage {
		t.Fatalf("state after the 401 = %+v", st)
	}
	if got := h.rec.states(); !statesEqual(got, []ConnState{StateConnecting, StateConnected, StateDisconnected}) {
		t.Fatalf("states = %v", got)
	}
	h.rec.waitCount(t, EventKeyRejected, 1)
	if n := len(h.sim.Requests()); n != 1 {
		t.Fatalf("%d requests after the revocation, want the one heartbeat: %+v", n, h.sim.Requests())
	}

	// Nothing is scheduled any more: an hour passes without a call.
	if err := h.m.Connect(context.Background(), id); !errors.Is(err, ErrKeyRejected) {
		t.Fatalf("Connect with the rejected key = %v", err)
	}
	h.clk.Advance(time.Hour)
	if p := h.clk.Pending(); p != 0 {
		t.Fatalf("%d timers still armed after the rejection", p)
	}
	if n := h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/provision"); n != 0 {
		t.Fatalf("%d provision calls after the rejection", n)
	}
	if n := len(h.sim.Requests()); n != 1 {
		t.Fatalf("%d requests after the rejection, want 1", n)
	}
	if n := h.rec.count(EventKeyRejected); n != 1 {
		t.Fatalf("%d keyRejected events, want one", n)
	}

	h.m.SetAPI(h.newClient(t))
	if st := h.m.State(); st.KeyRejected || st.LastError != "" {
		t.Fatalf("state after a new key = %+v", st)
	}
	h.connect(t, id)
}

// Any call of the session counts: a scheduled backup's 401 stops the
// monitor too; chat through the proxy does the same; the app reports its
// own calls with ObserveAPIError.
func TestRejectedKeyFromAnyCall(t *testing.T) {
	rejected := &HTTPError{Status: http.StatusUnauthorized, Message: "Invalid or expired API key"}
	t.Run("backup", func(t *testing.T) {
		h := newMgrHarness(t, ManagerConfig{HeartbeatInterval: time.Hour, BackupInterval: time.Minute})
		h.connect(t, "a")
		h.api.fail("snapshot", rejected)
		h.clk.Advance(time.Minute)
		h.rec.waitState(t, "key rejected", func(s State) bool { return s.KeyRejected && s.State == StateDisconnected })
		h.clk.Advance(2 * time.Hour)
		if n := h.api.count("heartbeat"); n != 0 {
			t.Fatalf("%d heartbeats after the rejection", n)
		}
	})
	t.Run("chat", func(t *testing.T) {
		h := newMgrHarness(t, ManagerConfig{})
		h.connect(t, "a")
		p, err := h.m.Proxy()
		if err != nil {
			t.Fatal(err)
		}
		h.api.fail("stream", rejected)
		if _, err := p.Send(context.Background(), "hi", "", ""); !errors.Is(err, ErrKeyRejected) {
			t.Fatalf("Send = %v", err)
		}
		if st := h.m.State(); !st.KeyRejected || st.State != StateDisconnected {
			t.Fatalf("state = %+v", st)
		}
	})
	t.Run("app call while disconnected", func(t *testing.T) {
		h := newMgrHarness(t, ManagerConfig{})
		if h.m.ObserveAPIError(errors.New("boom")) {
			t.Fatal("a plain error counted as a rejected key")
		}
		if !h.m.ObserveAPIError(fmt.Errorf("get balance: %w", rejected)) || !h.m.State().KeyRejected {
			t.Fatal("ObserveAPIError did not reject the key")
		}
		if err := h.m.Connect(context.Background(), "a"); !errors.Is(err, ErrKeyRejected) || h.api.count("provision") != 0 {
			t.Fatalf("Connect = %v after %d provisions", err, h.api.count("provision"))
		}
		h.m.SetAPI(newFakeAPI())
		if h.m.State().KeyRejected {
			t.Fatal("SetAPI did not clear the condition")
		}
	})
	t.Run("while connecting", func(t *testing.T) {
		h := newMgrHarness(t, ManagerConfig{})
		gate := newMgrGate()
		h.api.on("provision", gate.hook)
		done := make(chan error, 1)
		go func() { done <- h.m.Connect(context.Background(), "a") }()
		gate.waitStarted(t)
		h.m.ObserveAPIError(rejected)
		if err := <-done; !errors.Is(err, ErrKeyRejected) {
			t.Fatalf("Connect = %v", err)
		}
		if st := h.m.State(); !st.KeyRejected || st.State != StateDisconnected || st.LastError != KeyRejectedMessage {
			t.Fatalf("state = %+v", st)
		}
	})
}

// progressOf lists the EventProgress payloads as "phase" or "retrying n of m".
func progressOf(events []Event) []string {
	var out []string
	for _, e := range events {
		switch {
		case e.Kind == EventProgress && e.Progress.Phase == JobRetrying:
			out = append(out, fmt.Sprintf("retrying %d of %d", e.Progress.Retry, e.Progress.MaxAttempts))
		case e.Kind == EventProgress:
			out = append(out, e.Progress.Phase)
		case e.Kind == EventState && e.State.State == StateConnected:
			out = append(out, "connected")
		}
	}
	return out
}

// A cold start on the server's worker timing (30 s polls, a 180 s failed
// health check, a retry, a 60 s start): about five minutes, longer than
// the client's own 3-minute default, within the manager's 15.
func TestSimProvisionOnTheWorkersTiming(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Worker: cloudsim.ServerWorker()}, ManagerConfig{})
	id := h.createAgent(t, "Cold")
	h.sim.ScriptJob(1)
	start := h.clk.Now()
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(context.Background(), id) }()
	if err := mgrDrive(t, h.clk, 2, 5*time.Second, done); err != nil {
		t.Fatal(err)
	}
	if took := h.clk.Now().Sub(start); took < 4*time.Minute {
		t.Fatalf("the job took %v of simulated time, want minutes", took)
	}
	want := []string{"queued", "starting", "retrying 1 of 3", "connected"}
	if got := progressOf(h.rec.all()); !slices.Equal(got, want) {
		t.Fatalf("progress = %v, want %v", got, want)
	}
	for _, e := range h.rec.all() {
		if e.Kind == EventProgress && e.Progress.Phase == JobRetrying &&
			(e.Progress.Error != "Health check timed out" || !strings.Contains(e.Progress.Message, "retrying 1 of 3")) {
			t.Errorf("retrying progress = %+v", e.Progress)
		}
	}
	if st := h.m.State(); st.State != StateConnected || st.Progress != nil {
		t.Fatalf("state = %+v", st)
	}
}

// An app restarted mid-job re-attaches: the new manager's provision gets
// 409 alreadyInProgress and waits for the same job.
func TestSimRestartMidJobReattaches(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Worker: cloudsim.ServerWorker()}, ManagerConfig{})
	id := h.createAgent(t, "Restarted")
	done := make(chan error, 1)
	go func() { done <- h.m.Connect(context.Background(), id) }()
	ev := h.rec.waitFor(t, "queued", func(evs []Event) bool { return slices.Contains(progressOf(evs), "queued") })
	var jobID string
	for _, e := range ev {
		if e.Kind == EventProgress {
			jobID = e.Progress.JobID
		}
	}
	// The app quits while the job waits for the worker.
	if err := h.m.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrConflict) {
		t.Fatalf("the first Connect = %v, want aborted", err)
	}

	rec := newMgrRecorder()
	m2 := NewManager(ManagerOptions{Clock: h.clk, OnEvent: rec.on})
	m2.SetAPI(h.newClient(t))
	closeAtCleanup(t, m2, rec)
	go func() { done <- m2.Connect(context.Background(), id) }()
	if err := mgrDrive(t, h.clk, 2, 5*time.Second, done); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for _, e := range rec.all() {
		if e.Kind == EventProgress {
			jobs = append(jobs, e.Progress.JobID)
		}
	}
	if len(jobs) == 0 || jobs[0] != jobID {
		t.Fatalf("the restarted manager followed jobs %v, want the first one %s", jobs, jobID)
	}
	if st := m2.State(); st.State != StateConnected {
		t.Fatalf("state = %+v", st)
	}
}

// deadSandboxSim connects to an agent, kills its container and lets the
// heartbeats notice (reconnecting), returning the recovery steps seen.
func deadSandboxSim(t *testing.T, sticky bool) (*mgrSim, string) {
	t.Helper()
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync},
		ManagerConfig{MaxHeartbeatFailures: 1, BackupInterval: 24 * time.Hour})
	id := h.createAgent(t, "Dead")
	h.connect(t, id)
	h.sim.SetDeadSandbox(id, true, sticky)
	h.step(t, 2, 30*time.Second) // the heartbeat fails: reconnecting
	h.rec.waitState(t, "reconnecting", func(s State) bool { return s.State == StateReconnecting })
	h.clk.Advance(3 * time.Second) // the first attempt
	return h, id
}

func recoverySteps(events []Event) []string {
	var out []string
	for _, e := range events {
		if e.Kind == EventRecovery {
			out = append(out, fmt.Sprintf("%s %d/%d", e.Recovery.Step, e.Recovery.N, e.Recovery.Of))
		}
	}
	return out
}

// The database says running, the container is dead: provision answers
// its fast path, resume "already running", and suspend + resume brings
// the sandbox back.
func TestSimDeadSandboxRecoversThroughTheLadder(t *testing.T) {
	h, id := deadSandboxSim(t, false)
	h.rec.waitFor(t, "connected again", func(evs []Event) bool {
		n := 0
		for _, e := range evs {
			if e.Kind == EventState && e.State.State == StateConnected {
				n++
			}
		}
		return n == 2
	})
	want := []string{"provision 1/3", "resume 2/3", "suspend-resume 3/3"}
	if got := recoverySteps(h.rec.all()); !slices.Equal(got, want) {
		t.Fatalf("recovery steps = %v, want %v", got, want)
	}
	path := "/api/v1/milady/agents/" + id
	if p, r, s := h.sim.CountRequests(http.MethodPost, path+"/provision"), h.sim.CountRequests(http.MethodPost, path+"/resume"),
		h.sim.CountRequests(http.MethodPost, path+"/suspend"); p != 3 || r != 2 || s != 1 {
		t.Fatalf("provision/resume/suspend calls = %d/%d/%d, want 3 (connect, attempt, step 1)/2/1", p, r, s)
	}
	if st, _ := h.sim.AgentStatus(id); st != "running" {
		t.Fatalf("agent status = %s", st)
	}
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	if reply, err := p.Send(context.Background(), "back?", "", ""); err != nil || reply != "[echo] back?" {
		t.Fatalf("chat after the recovery = %q, %v", reply, err)
	}
}

// Every new container dies too: the ladder gives up with a reason naming
// what it tried, and nothing keeps running.
func TestSimStickyDeadSandboxGivesUpCleanly(t *testing.T) {
	h, _ := deadSandboxSim(t, true)
	st := h.rec.waitState(t, "gave up", func(s State) bool { return s.State == StateDisconnected })
	if !strings.Contains(st.LastError, "provision, resume and suspend + resume did not bring it back") ||
		!strings.Contains(st.LastError, "Sandbox bridge is unreachable") {
		t.Fatalf("reason = %q", st.LastError)
	}
	if got := h.rec.states()[2:]; !statesEqual(got, []ConnState{StateReconnecting, StateError, StateDisconnected}) {
		t.Fatalf("states = %v", h.rec.states())
	}
	if n := len(recoverySteps(h.rec.all())); n != 3 {
		t.Fatalf("%d recovery steps", n)
	}
	// Nothing left running: no timer, and an hour brings no call.
	n := len(h.sim.Requests())
	h.clk.Advance(time.Hour)
	if p := h.clk.Pending(); p != 0 {
		t.Fatalf("%d timers armed after giving up", p)
	}
	if len(h.sim.Requests()) != n {
		t.Fatalf("calls after giving up: %d → %d", n, len(h.sim.Requests()))
	}
}

// sendAsync runs Proxy.Send and hands back its outcome.
func sendAsync(p *Proxy, text string) <-chan error {
	done := make(chan error, 1)
	go func() {
		reply, err := p.Send(context.Background(), text, "", "")
		if err == nil && reply != "[echo] "+text {
			err = fmt.Errorf("reply %q", reply)
		}
		done <- err
	}()
	return done
}

// Chat goes through the stream route: a 45 s reply (past the bridge's 30 s)
// arrives; one the stream route cuts at 120 s fails as the agent being
// slow, not as an unreachable bridge.
func TestSimLongRepliesGoThroughTheStream(t *testing.T) {
	h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync}, ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: 24 * time.Hour})
	id := h.createAgent(t, "Thinker")
	h.connect(t, id)
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	h.sim.SetReplyDelay(45 * time.Second)
	if err := mgrDrive(t, h.clk, 3, 15*time.Second, sendAsync(p, "think")); err != nil {
		t.Fatalf("45 s reply: %v", err)
	}
	if n := h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/stream"); n != 1 {
		t.Fatalf("%d stream calls", n)
	}

	h.sim.SetReplyDelay(130 * time.Second)
	err = mgrDrive(t, h.clk, 3, 15*time.Second, sendAsync(p, "think longer"))
	var slow *AgentTooSlowError
	if !errors.As(err, &slow) || !errors.Is(err, ErrTimeout) || slow.Limit != 120*time.Second ||
		!strings.Contains(err.Error(), "the agent took too long to answer") || strings.Contains(err.Error(), "unreachable") {
		t.Fatalf("130 s reply: %v", err)
	}
	if st := h.m.State(); st.State != StateConnected {
		t.Fatalf("a slow reply changed the connection: %+v", st)
	}
}

// An idle hour makes one backup (the first after connecting); a chat every
// minute makes one a minute; SkipWhenIdle=false restores the plain schedule.
func TestSimBackupsSkipWhenIdle(t *testing.T) {
	cases := []struct {
		name string
		skip *bool
		chat bool
		want int
	}{
		{"idle", nil, false, 1},
		{"active", nil, true, 60},
		{"plain schedule", new(false), false, 60},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newMgrSim(t, cloudsim.Options{Mode: cloudsim.ModeSync},
				ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: time.Minute, SkipWhenIdle: tc.skip})
			id := h.createAgent(t, "Backed")
			h.connect(t, id)
			p, err := h.m.Proxy()
			if err != nil {
				t.Fatal(err)
			}
			taken := 0
			for range 60 {
				if tc.chat {
					if err := <-sendAsync(p, "hello"); err != nil {
						t.Fatal(err)
					}
				}
				h.step(t, 2, time.Minute)
				if taken < tc.want {
					taken++
					h.rec.waitCount(t, EventBackup, taken) // the tick's snapshot finished
				}
			}
			if n := h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/snapshot"); n != tc.want {
				t.Fatalf("%d backups in an hour, want %d", n, tc.want)
			}
			if err := h.m.Disconnect(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := h.sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+"/snapshot"); n != tc.want+1 {
				t.Fatalf("%d snapshot calls with the final one, want %d", n, tc.want+1)
			}
		})
	}
}

// What counts as activity besides chat: a changed status.get answer (the
// same answer again does not) and the app's MarkActivity.
func TestIdleBackupsWakeOnStatusChangeAndMarkActivity(t *testing.T) {
	h := newMgrHarness(t, backupOnlySkipIdle)
	h.connect(t, "a")
	p, err := h.m.Proxy()
	if err != nil {
		t.Fatal(err)
	}
	tick := func(wantSnapshots int) {
		t.Helper()
		h.clk.Advance(time.Minute)
		h.waitTimers(t, 2)
		if wantSnapshots > h.api.count("snapshot") {
			h.rec.waitCount(t, EventBackup, wantSnapshots)
		}
		if n := h.api.count("snapshot"); n != wantSnapshots {
			t.Fatalf("%d snapshots, want %d", n, wantSnapshots)
		}
	}
	tick(1) // connecting counts
	tick(1)
	if _, err := p.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	tick(1) // the first status seen is no change
	h.api.mu.Lock()
	h.api.status = "paused"
	h.api.mu.Unlock()
	if _, err := p.Status(context.Background()); err != nil {
		t.Fatal(err)
	}
	tick(2)
	tick(2)
	h.m.MarkActivity()
	tick(3)
	tick(3)
}

// backupOnlySkipIdle is backupOnly with the default idle skipping.
var backupOnlySkipIdle = ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: time.Minute}
