package cloudsim

import (
	"strings"
	"testing"
)

// TestBillingPage: the app's Top up leads here under --sim, so the page
// must exist, need no key, and say it is the simulator.
func TestBillingPage(t *testing.T) {
	s := Start(t, Options{Clock: newFake()})
	r := call(t, s, "GET", "/dashboard/settings?tab=billing", "").want(t, 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("Content-Type %q, want text/html", ct)
	}
	if !strings.Contains(r.raw, "simulator") || strings.Contains(r.raw, "elizacloud.ai") {
		t.Fatalf("the billing page does not say it is the simulator, or links the real cloud:\n%s", r.raw)
	}
}
