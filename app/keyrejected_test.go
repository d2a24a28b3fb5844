package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestRevokedKeyAsksToLogInAgain: the key revoked on the cloud's dashboard
// is found by the very next call made with it (here the heartbeat); from
// then on the status says keyRejected, the app makes no more calls to the
// agent (no reconnect, no provision, no backup) nor balance polls over a
// whole hour, tells the user once, and a new login clears it.
func TestRevokedKeyAsksToLogInAgain(t *testing.T) {
	alerts := &alertLog{}
	h, clk := timeHarness(t, cloud.ManagerConfig{HeartbeatInterval: 30 * time.Second, BackupInterval: time.Minute}, alerts)
	key := h.login()
	id := h.connectNew("Revoked")
	if !clk.WaitFor(3, waitLimit) { // credits poll, heartbeat, backups
		t.Fatalf("timers not armed: %d", clk.Pending())
	}
	notices := h.svc.Snapshot().NoticeCount
	h.sim.RevokeKey(key)
	h.sim.ResetRequests()

	clk.Advance(30 * time.Second) // the heartbeat: the one call that finds out
	apptest.Eventually(t, waitLimit, "status keyRejected", func() bool {
		return h.expect("GET", "/api/cloud/status", "", 200)["keyRejected"] == true
	})
	st := h.expect("GET", "/api/cloud/status", "", 200)
	if st["connected"] != false || st["hasApiKey"] != true || st["reason"] != "api_key_present_not_authenticated" {
		t.Fatalf("status = %v", st)
	}
	snap := h.svc.Snapshot()
	if !snap.KeyRejected || !snap.LoggedIn || snap.Connection.State != cloud.StateDisconnected {
		t.Fatalf("snapshot keyRejected=%v loggedIn=%v state=%s", snap.KeyRejected, snap.LoggedIn, snap.Connection.State)
	}
	if n := agentCalls(h.sim, id, ""); n != 1 {
		t.Fatalf("%d agent calls until the key was found rejected, want the one heartbeat", n)
	}

	// An hour later: nothing was tried again with the refused key.
	for range 60 {
		tick(t, clk, 1, time.Minute)
	}
	if n := agentCalls(h.sim, id, ""); n != 1 {
		t.Fatalf("%d agent calls after the key was rejected (reconnects, provisions or backups)", n)
	}
	if n := h.sim.CountRequests("GET", "/api/v1/credits/balance"); n != 0 {
		t.Fatalf("%d balance polls with the refused key", n)
	}
	// Connecting says why, without calling the cloud.
	if r := h.do("POST", "/api/cloud/agents/"+id+"/connect", ""); r.Status != 401 {
		t.Fatalf("connect with a refused key: %d %s", r.Status, r.Body)
	}
	if n := agentCalls(h.sim, id, "/provision"); n != 0 {
		t.Fatalf("%d provision calls with the refused key", n)
	}

	// Told once: one notice, one notification.
	snap = h.svc.Snapshot()
	if snap.NoticeCount != notices+1 || snap.LastNotice == nil || snap.LastNotice.Message != app.KeyRejectedNotice ||
		snap.LastNotice.Level != "critical" || snap.LastNotice.Kind != "connection" {
		t.Fatalf("notices %d → %d, last %+v", notices, snap.NoticeCount, snap.LastNotice)
	}
	apptest.Eventually(t, waitLimit, "the notification", func() bool { return len(alerts.bodies()) > 0 })
	if got := alerts.bodies(); len(got) != 1 || got[0] != app.KeyRejectedNotice {
		t.Fatalf("notifications %q, want one %q", got, app.KeyRejectedNotice)
	}

	// A new login clears it, and connecting works again.
	h.login()
	st = h.expect("GET", "/api/cloud/status", "", 200)
	if _, ok := st["keyRejected"]; ok || st["connected"] != true {
		t.Fatalf("status after a new login = %v", st)
	}
	if h.svc.Snapshot().KeyRejected {
		t.Fatal("snapshot still keyRejected after a new login")
	}
	h.expect("POST", "/api/cloud/agents/"+id+"/connect", "", 200)
}

// TestRejectedKeyFoundByTheAppsOwnCall: a 401 to a call the app makes
// itself (a fresh balance) is enough, without any agent connected.
func TestRejectedKeyFoundByTheAppsOwnCall(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	key := h.login()
	h.sim.RevokeKey(key)
	h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)
	st := h.expect("GET", "/api/cloud/status", "", 200)
	if st["keyRejected"] != true || st["reason"] != "api_key_present_not_authenticated" || st["connected"] != false {
		t.Fatalf("status after a 401 to the balance = %v", st)
	}
	if !strings.Contains(h.svc.Snapshot().Connection.LastError, "rejected") {
		t.Fatalf("lastError %q", h.svc.Snapshot().Connection.LastError)
	}
}

// TestKeyRejectedWhileReconnectingIsOneNotification: a key revoked during
// an outage ends the reconnect at its next call; the user is told the key
// was rejected, not also that the connection was lost.
func TestKeyRejectedWhileReconnectingIsOneNotification(t *testing.T) {
	alerts := &alertLog{}
	h, clk := timeHarness(t, cloud.ManagerConfig{HeartbeatInterval: 30 * time.Second, MaxHeartbeatFailures: 1,
		ReconnectInterval: 3 * time.Second, BackupInterval: time.Hour}, alerts)
	key := h.login()
	id := h.connectNew("Outage")
	if !clk.WaitFor(3, waitLimit) {
		t.Fatalf("timers not armed: %d", clk.Pending())
	}
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + id + "/bridge", Status: 503})
	clk.Advance(30 * time.Second) // the heartbeat fails: reconnecting
	apptest.Eventually(t, waitLimit, "reconnecting", func() bool {
		return h.svc.Snapshot().Connection.State == cloud.StateReconnecting
	})
	provisions := agentCalls(h.sim, id, "/provision")
	h.sim.RevokeKey(key)
	clk.Advance(3 * time.Second) // the reconnect attempt meets the 401
	apptest.Eventually(t, waitLimit, "keyRejected", func() bool { return h.svc.Snapshot().KeyRejected })
	if n := agentCalls(h.sim, id, "/provision") - provisions; n != 1 {
		t.Fatalf("%d provision calls, want the one reconnect attempt that met the 401", n)
	}
	for range 10 { // no further attempts
		tick(t, clk, 1, time.Minute)
	}
	if n := agentCalls(h.sim, id, "/provision") - provisions; n != 1 {
		t.Fatalf("%d provision calls after the key was rejected", n-1)
	}
	// The notification is sent off the event path: wait for it, then
	// check it is the only one.
	apptest.Eventually(t, waitLimit, "the notification", func() bool { return len(alerts.bodies()) > 0 })
	if got := alerts.bodies(); len(got) != 1 || got[0] != app.KeyRejectedNotice {
		t.Fatalf("notifications %q, want only %q", got, app.KeyRejectedNotice)
	}
}
