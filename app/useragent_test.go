package app_test

import "testing"

// TestUserAgentCarriesAppVersion: every request the app sends the cloud,
// anonymous (login) and keyed alike, names the app and its version.
func TestUserAgentCarriesAppVersion(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	h.login()
	h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)
	h.expect("GET", "/api/cloud/agents", "", 200)
	reqs := h.sim.Requests()
	if len(reqs) < 3 {
		t.Fatalf("the simulator logged only %d requests", len(reqs))
	}
	for _, r := range reqs {
		if r.UserAgent != "milady-cloud/test" {
			t.Errorf("%s %s: User-Agent %q, want milady-cloud/test", r.Method, r.Path, r.UserAgent)
		}
	}
}
