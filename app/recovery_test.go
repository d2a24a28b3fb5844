package app_test

import (
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// drain reads sub until done says stop, failing after waitLimit.
func drain(t *testing.T, sub app.Subscription, what string, done func(app.Event) bool) {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		select {
		case ev, ok := <-sub.C():
			if !ok {
				t.Fatalf("stream ended before %s", what)
			}
			if done(ev) {
				return
			}
		case <-deadline.C:
			t.Fatalf("no %s within %v", what, waitLimit)
		}
	}
}

// TestDeadSandboxStepsRaiseNotices: each step of the dead-sandbox ladder
// shows in snapshot.connection.recovery and raises a warning notice with
// the step's message; the last step (suspend + resume) brings it back.
func TestDeadSandboxStepsRaiseNotices(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	id := h.connectNew("Dead")
	sub := h.svc.Subscribe()
	defer sub.Close()
	h.sim.SetDeadSandbox(id, true, false)

	steps := map[string]bool{} // recovery messages seen in snapshots
	var notices []string
	drain(t, sub, "the recovered connection", func(ev app.Event) bool {
		if r := ev.Snapshot.Connection.Recovery; r != nil {
			steps[r.Message] = true
		}
		if n, ok := ev.Data.(app.Notice); ok && ev.Type == app.EventNotice && n.Kind == "connection" && n.Level == "warning" {
			notices = append(notices, n.Message)
		}
		return ev.Type == app.EventState && ev.Snapshot.Connection.State == cloud.StateConnected
	})
	if len(notices) != 3 || len(steps) != 3 {
		t.Fatalf("notices %q for recovery steps %v, want one per step of the three", notices, steps)
	}
	for _, n := range notices {
		if !steps[n] {
			t.Errorf("notice %q is no step's message (%v)", n, steps)
		}
	}
}

// TestConnectProgressReachesTheFaces: while a provisioning job runs, the
// faces get snapshots whose connection.progress says where it is.
func TestConnectProgressReachesTheFaces(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"Queued"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	sub := h.svc.Subscribe()
	defer sub.Close()
	h.expect("POST", "/api/cloud/agents/"+id+"/connect?async=1", "", 202)
	var phases []string
	drain(t, sub, "connected", func(ev app.Event) bool {
		if p := ev.Snapshot.Connection.Progress; p != nil && ev.Type == app.EventSnapshot {
			phases = append(phases, p.Phase)
		}
		return ev.Snapshot.Connection.State == cloud.StateConnected
	})
	if len(phases) == 0 || phases[0] != cloud.JobQueued {
		t.Fatalf("progress phases %v, want the job's, starting with queued", phases)
	}
	if h.svc.Snapshot().Connection.Progress != nil {
		t.Fatal("progress kept after connecting")
	}
}
