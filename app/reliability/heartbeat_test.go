package reliability

import (
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// beatManager beats every few milliseconds with Milady's failure threshold
// of 3 and three reconnect attempts.
func beatManager() *cloud.ManagerConfig {
	mc := apptest.FastManager()
	mc.HeartbeatInterval, mc.ReconnectInterval, mc.MaxReconnectDelay = 40*time.Millisecond, 40*time.Millisecond, 80*time.Millisecond
	mc.MaxHeartbeatFailures, mc.FinalSnapshotTimeout = 3, 2*time.Second
	return &mc
}

func bridgePath(id string) string { return "/api/v1/milady/agents/" + id + "/bridge" }

// TestHeartbeatOutages makes the simulated sandbox miss heartbeats for
// every interesting length and checks the states the Service
// publishes, in order.
func TestHeartbeatOutages(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		beats  int    // failed heartbeats (the reconnect attempts' included); -1: until cleared
		states string // the state events after the outage starts
	}{
		{"1-beat", 1, ""},
		{"2-beats", 2, ""},
		{"3-beats", 3, "reconnecting#1 connected"},
		{"one-reconnect-attempt", 4, "reconnecting#1 reconnecting#2 connected"},
		{"longer-than-all-attempts", -1, "reconnecting#1 reconnecting#2 reconnecting#3 error disconnected"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := loggedIn(t, options{manager: beatManager()})
			id := h.connectedAgent("Beat " + c.name)
			rec, mark := h.record()
			h.sim.FailHeartbeats(c.beats)
			// Every bridge request that arrives from now on meets the
			// outage; the monitor sends one at a time.
			b0 := h.sim.CountRequests("POST", bridgePath(id))
			switch {
			case c.beats < 0:
				rec.waitState(t, mark, "disconnected", is(cloud.StateDisconnected))
			case c.states == "":
				// The outage is over once two more beats went through.
				apptest.Eventually(t, waitLimit, "beats after the outage", func() bool {
					return h.sim.CountRequests("POST", bridgePath(id)) >= b0+c.beats+3
				})
			default:
				rec.waitState(t, mark, "reconnected", is(cloud.StateConnected))
			}
			if got := strings.Join(rec.states(mark), " "); got != c.states {
				t.Fatalf("states %q, want %q", got, c.states)
			}
			if c.beats > 0 {
				if n := strings.Count(h.logs.String(), `msg="heartbeat failed"`); n != min(c.beats, 3) {
					t.Errorf("%d failed heartbeats logged, want %d", n, min(c.beats, 3))
				}
				conn := h.connection()
				if conn["state"] != "connected" || conn["agentId"] != id || conn["lastError"] != nil {
					t.Fatalf("connection after the outage = %v", conn)
				}
				h.expect("POST", "/api/chat", `{"text":"still there?"}`, 200)
				return
			}
			giveUp(t, h, rec, mark, id)
		})
	}
}

// giveUp checks the end of an outage longer than every reconnect attempt:
// the reason is kept, chat is refused, and no heartbeat reaches the cloud
// afterwards (measured against a second agent's heartbeats, so that no
// test waits on the wall clock).
func giveUp(t *testing.T, h *harness, rec *stateRecorder, mark int, id string) {
	t.Helper()
	var errState, last cloud.State
	for _, ev := range rec.since(mark) {
		if ev.Type == "state" {
			if ev.Snapshot.Connection.State == cloud.StateError {
				errState = ev.Snapshot.Connection
			}
			last = ev.Snapshot.Connection
		}
	}
	if errState.LastError == "" || last.LastError != errState.LastError {
		t.Errorf("error %q, then disconnected with %q: the reason must be kept", errState.LastError, last.LastError)
	}
	conn := h.connection()
	if conn["state"] != "disconnected" || conn["lastError"] != errState.LastError {
		t.Errorf("connection after giving up = %v", conn)
	}
	if r := h.do("POST", "/api/chat", `{"text":"anyone?"}`); r.Status != 409 {
		t.Errorf("chat after giving up: %s, want 409", r)
	}
	after := h.sim.CountRequests("POST", bridgePath(id))
	h.sim.FailHeartbeats(0)
	other := h.createAgent("Witness")
	h.connect(other)
	apptest.Eventually(t, waitLimit, "five heartbeats of the second agent", func() bool {
		return h.sim.CountRequests("POST", bridgePath(other)) >= 5
	})
	if n := h.sim.CountRequests("POST", bridgePath(id)); n != after {
		t.Fatalf("%d heartbeats reached the cloud for the agent the monitor gave up on", n-after)
	}
}
