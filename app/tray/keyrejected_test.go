package tray

import (
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// rejected is a logged-in snapshot whose key the cloud refused.
func rejected() (s app.Snapshot) {
	s = loggedIn(cloud.State{State: cloud.StateDisconnected, KeyRejected: true, LastError: cloud.KeyRejectedMessage})
	s.KeyRejected = true
	return s
}

// TestKeyRejectedMenu: a refused key replaces Connect with "Log in
// again…" (a login action), says so in the status line and badges the icon
// as an error; Log out stays, since the key is kept until then.
func TestKeyRejectedMenu(t *testing.T) {
	m := MenuFor(rejected(), false)
	if m.ActionKind != ActionLogin || m.Action.Title != LoginAgainTitle || !m.Action.Visible || !m.Action.Enabled {
		t.Errorf("action = %v %+v, want login %q", m.ActionKind, m.Action, LoginAgainTitle)
	}
	if m.Status.Title != "Key rejected — log in again" {
		t.Errorf("status = %q", m.Status.Title)
	}
	if !m.Logout.Visible {
		t.Error("Log out hidden while the refused key is still saved")
	}
	if k := IconFor(rejected()); k.Badge != BadgeError {
		t.Errorf("icon badge = %v, want the error badge", k.Badge)
	}
}

// TestKeyRejectedClickStartsLogin: clicking "Log in again…" starts the
// browser login and shows the dashboard, never a connect; once a new login
// clears the condition the menu offers Connect again.
func TestKeyRejectedClickStartsLogin(t *testing.T) {
	h := startHarness(t, rejected(), true)
	if a := h.view.next(t); a.menu.Action.Title != LoginAgainTitle {
		t.Fatalf("first render's action = %q, want %q", a.menu.Action.Title, LoginAgainTitle)
	}
	h.click(t, itemAction)
	h.b.WaitCall(t, "BeginBrowserLogin", wait)
	h.waitDashboard(t)
	h.b.Push(loggedIn(cloud.State{State: cloud.StateDisconnected}))
	h.view.until(t, "Connect to Remilia after the new login", func(a applied) bool {
		return a.menu.Action.Title == "Connect to Remilia" && a.menu.ActionKind == ActionConnect
	})
	h.stop(t)
	for _, m := range []string{"ConnectLastAgent", "ConnectAgent", "ConnectAgentAsync"} {
		if n := len(h.b.CallsTo(m)); n != 0 {
			t.Errorf("%s called %d times for a refused key", m, n)
		}
	}
}
