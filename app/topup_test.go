package app_test

import (
	"testing"
)

// TestTopUpUnderSimOpensTheSimulator: under --sim, Top up must open the
// simulator's billing page, never the real cloud's, and the snapshot's
// balance must point there too.
func TestTopUpUnderSimOpensTheSimulator(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	want := h.sim.URL() + "/dashboard/settings?tab=billing"
	if err := h.svc.OpenTopUp(); err != nil {
		t.Fatal(err)
	}
	if got := h.opener.URLs(); len(got) != 1 || got[0] != want {
		t.Fatalf("opened %v, want [%s]", got, want)
	}
}
