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

// checkoutID is the simulator's checkout session in the URL the app opened.
func checkoutID(t *testing.T, sim *cloudsim.Server, url string) string {
	t.Helper()
	prefix := sim.URL() + "/__sim/checkout/"
	if !strings.HasPrefix(url, prefix) {
		t.Fatalf("opened %q, want the simulator's checkout page %s…", url, prefix)
	}
	return strings.TrimPrefix(url, prefix)
}

func balanceOf(t *testing.T, m map[string]any) float64 {
	t.Helper()
	b, ok := m["balance"].(float64)
	if !ok {
		t.Fatalf("no balance in %v", m)
	}
	return b
}

// TestTopUpThenRefreshShowsTheNewBalance: with the server's 10-minute
// balance cache, a top-up paid in the browser shows at the next Refresh
// (?fresh=1), not ten minutes later.
func TestTopUpThenRefreshShowsTheNewBalance(t *testing.T) {
	sim := apptest.StartSim(t)
	sim.SetBalanceCache(true)
	h := newHarness(t, harnessOpts{sim: sim})
	h.login()
	before := balanceOf(t, h.expect("GET", "/api/cloud/credits", "", 200)) // now cached upstream too

	m := h.expect("POST", "/api/cloud/topup", `{"credits":25}`, 200)
	url, _ := m["url"].(string)
	if m["ok"] != true || len(m) != 2 {
		t.Fatalf("top-up answer %v", m)
	}
	if got := h.opener.URLs(); len(got) != 1 || got[0] != url {
		t.Fatalf("opened %v, want [%s]", got, url)
	}
	if !sim.PayCheckout(checkoutID(t, sim, url)) {
		t.Fatal("the checkout the app opened is unknown to the cloud")
	}
	if got := balanceOf(t, h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)); got != before+25 {
		t.Fatalf("balance after paying 25 and Refresh = %v, want %v", got, before+25)
	}
	if n := sim.CountRequests("GET", "/api/v1/credits/balance"); n < 1 {
		t.Fatal("no balance request")
	}
	var fresh int
	for _, r := range sim.Requests() {
		if r.Path == "/api/v1/credits/balance" && r.Query == "fresh=true" {
			fresh++
		}
	}
	if fresh != 1 {
		t.Fatalf("%d fresh balance requests, want the Refresh's one", fresh)
	}
}

// TestTopUpRereadsTheBalanceTwoMinutesLater: after a top-up the app reads
// the balance fresh on its own after 2 minutes (fake clock), so a payment
// made in the browser shows without a click.
func TestTopUpRereadsTheBalanceTwoMinutesLater(t *testing.T) {
	h, clk := timeHarness(t, cloud.ManagerConfig{}, nil)
	h.sim.SetBalanceCache(true)
	h.login()
	before := *h.svc.Snapshot().Credits.Balance
	if !clk.WaitFor(1, waitLimit) { // the credits poll
		t.Fatalf("poll not armed: %d", clk.Pending())
	}
	m := h.expect("POST", "/api/cloud/topup", "", 200) // default amount: 10
	if !h.sim.PayCheckout(checkoutID(t, h.sim, m["url"].(string))) {
		t.Fatal("unknown checkout")
	}
	if !clk.WaitFor(2, waitLimit) { // … and the re-read
		t.Fatalf("no re-read armed after the top-up: %d timers", clk.Pending())
	}
	clk.Advance(2*time.Minute - time.Second)
	if got := *h.svc.Snapshot().Credits.Balance; got != before {
		t.Fatalf("balance changed before the re-read: %v", got)
	}
	clk.Advance(time.Second)
	apptest.Eventually(t, waitLimit, "the paid 10 credits", func() bool {
		b := h.svc.Snapshot().Credits.Balance
		return b != nil && *b == before+10
	})
}

// TestTopUpAnswers: credits are optional and checked; without a checkout
// (logged out, or the cloud refusing it) the billing page opens instead;
// opens stay debounced.
func TestTopUpAnswers(t *testing.T) {
	h, clk := timeHarness(t, cloud.ManagerConfig{}, nil)
	billing := h.sim.URL() + "/dashboard/settings?tab=billing"
	next := func() { clk.Advance(app.OpenInterval) } // past the debounce

	// Logged out: the billing page.
	if m := h.expect("POST", "/api/cloud/topup", `{"credits":50}`, 200); m["url"] != billing || m["ok"] != true {
		t.Fatalf("logged-out top-up %v", m)
	}
	h.login()
	for _, body := range []string{`{"credits":0}`, `{"credits":1001}`, `{"credits":10.5}`, `{"credits":"10"}`, `{"credits":true}`, `{"credits":-1}`} {
		next()
		if r := h.do("POST", "/api/cloud/topup", body); r.status != 400 || string(r.body) != `{"error":"credits must be an integer from 1 to 1000"}` {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	for body, want := range map[string]string{
		`{"credits":`: "Invalid JSON in request body",
		`[10]`:        "Request body must be a JSON object",
		`10`:          "Request body must be a JSON object",
	} {
		if r := h.do("POST", "/api/cloud/topup", body); r.status != 400 || string(r.body) != `{"error":"`+want+`"}` {
			t.Errorf("%s: %d %s", body, r.status, r.body)
		}
	}
	opens := len(h.opener.URLs()) // bad input opened nothing
	if n := h.sim.CountRequests("POST", "/api/v1/credits/checkout"); n != 0 {
		t.Fatalf("%d checkouts started for bad input", n)
	}

	// 1 and 1000 are fine; null means the default.
	for body, credits := range map[string]float64{`{"credits":1}`: 1, `{"credits":1000}`: 1000, `{"credits":null}`: 10, `{}`: 10} {
		next()
		balance := h.sim.Balance()
		m := h.expect("POST", "/api/cloud/topup", body, 200)
		if !h.sim.PayCheckout(checkoutID(t, h.sim, m["url"].(string))) || h.sim.Balance() != balance+credits {
			t.Errorf("%s: paying the checkout added %v, want %v", body, h.sim.Balance()-balance, credits)
		}
	}
	opens += 4

	// Debounced: no second checkout, the same page answered.
	m := h.expect("POST", "/api/cloud/topup", `{"credits":5}`, 200)
	if last := h.opener.URLs()[len(h.opener.URLs())-1]; m["url"] != last || len(h.opener.URLs()) != opens {
		t.Fatalf("debounced top-up answered %v; opens %d, want %d", m, len(h.opener.URLs()), opens)
	}

	// The cloud refuses the checkout: the billing page instead.
	next()
	h.sim.InjectFault(cloudsim.Fault{Path: "/api/v1/credits/checkout", Status: 500})
	if m := h.expect("POST", "/api/cloud/topup", `{"credits":5}`, 200); m["url"] != billing {
		t.Fatalf("top-up with a failing checkout answered %v, want the billing page", m)
	}
	if got := h.opener.URLs(); got[len(got)-1] != billing {
		t.Fatalf("opened %q, want the billing page", got[len(got)-1])
	}
}
