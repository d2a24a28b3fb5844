package app_test

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// alertLog records the desktop notifications the app sends.
type alertLog struct {
	mu  sync.Mutex
	all []notify.Alert
}

func (l *alertLog) Send(a notify.Alert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, a)
	return nil
}

// bodies returns the notifications' texts in order.
func (l *alertLog) bodies() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.all))
	for _, a := range l.all {
		out = append(out, a.Body)
	}
	return out
}

// timeHarness is an app whose clock is a fake shared with a simulator that
// provisions synchronously, so hours of heartbeats, backups and polls pass
// without sleeping. mc is its manager's tuning (zero: the product's).
func timeHarness(t *testing.T, mc cloud.ManagerConfig, alerts *alertLog) (*harness, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sim := cloudsim.Start(t, cloudsim.Options{Mode: cloudsim.ModeSync, Clock: clk})
	o := harnessOpts{sim: sim, clk: clk, manager: &mc}
	if alerts != nil {
		o.alerts = alerts
	}
	return newHarness(t, o), clk
}

// connectNew creates an agent and connects to it through the REST API.
func (h *harness) connectNew(name string) string {
	h.t.Helper()
	m := h.expect("POST", "/api/cloud/agents", `{"agentName":"`+name+`"}`, 201)
	id := m["agent"].(map[string]any)["id"].(string)
	h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
	return id
}

// agentCalls counts the simulator's requests to one agent's route (e.g.
// "/provision", "/snapshot", "/bridge"; "" = all of them).
func agentCalls(sim *cloudsim.Server, id, route string) int {
	return sim.CountRequests(http.MethodPost, "/api/v1/milady/agents/"+id+route)
}

// tick advances the clock by d once at least n timers are armed, then
// waits until n are armed again (the woken goroutines re-armed theirs).
func tick(t *testing.T, clk *clock.Fake, n int, d time.Duration) {
	t.Helper()
	if !clk.WaitFor(n, waitLimit) {
		t.Fatalf("expected %d armed timers, have %d", n, clk.Pending())
	}
	clk.Advance(d)
	if !clk.WaitFor(n, waitLimit) {
		t.Fatalf("timers not re-armed after %v: %d", d, clk.Pending())
	}
}
