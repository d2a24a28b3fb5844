package app_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// TestUsageSumsTheCloudsTransactions: GET /api/cloud/usage lists the
// cloud's transactions newest first and adds them up: spent and added, and
// the burn rate over the hours the debits span (null with fewer than two).
func TestUsageSumsTheCloudsTransactions(t *testing.T) {
	h, clk := timeHarness(t, cloud.ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: 24 * time.Hour}, nil)
	h.login()
	h.connectNew("Spender") // running: billed $0.01 an hour

	h.sim.ChargeRunningHours(2) // -0.02
	var one app.UsageResponse
	if err := json.Unmarshal(h.do("GET", "/api/cloud/usage", "").body, &one); err != nil {
		t.Fatal(err)
	}
	if one.BurnRatePerHour != nil || one.Spent != 0.02 || one.Hours != 24 {
		t.Fatalf("one debit: %+v, want spent 0.02 over 24 h and no rate", one)
	}
	clk.Advance(4 * time.Hour)
	h.sim.ChargeRunningHours(4) // -0.04, four hours later
	m := h.expect("POST", "/api/cloud/topup", `{"credits":30}`, 200)
	if !h.sim.PayCheckout(checkoutID(t, h.sim, m["url"].(string))) { // +30
		t.Fatal("unknown checkout")
	}

	r := h.do("GET", "/api/cloud/usage?hours=48&limit=50", "")
	var u app.UsageResponse
	if err := json.Unmarshal(r.body, &u); r.status != 200 || err != nil {
		t.Fatalf("usage: %d %s", r.status, r.body)
	}
	if u.Hours != 48 || u.Spent != 0.06 || u.Added != 30 || u.BurnRatePerHour == nil || *u.BurnRatePerHour != 0.015 {
		t.Fatalf("usage = %+v (rate %v), want spent 0.06, added 30, 0.015/h over the 4 h the debits span", u, u.BurnRatePerHour)
	}
	if len(u.Transactions) != 3 || u.Transactions[0].Amount != 30 || u.Transactions[2].Amount != -0.02 ||
		u.Transactions[0].ID == "" || u.Transactions[0].CreatedAt.IsZero() || u.Transactions[0].Type == "" {
		t.Fatalf("transactions %+v, want the three newest first", u.Transactions)
	}
	for _, k := range []string{`"burnRatePerHour":`, `"createdAt":`, `"description":`} {
		if !strings.Contains(string(r.body), k) {
			t.Errorf("usage JSON lacks %s: %s", k, r.body)
		}
	}
	var asked bool
	for _, req := range h.sim.Requests() {
		asked = asked || (req.Path == "/api/credits/transactions" && req.Query == "hours=48&limit=50")
	}
	if !asked {
		t.Error("the cloud was not asked for hours=48&limit=50")
	}
	if u := h.expect("GET", "/api/cloud/usage?limit=1", "", 200); len(u["transactions"].([]any)) != 1 {
		t.Errorf("limit=1 answered %v", u["transactions"])
	}
}

// TestUsageInput: bad hours or limit are 400 before the cloud is asked;
// logged out is 401 like every cloud route.
func TestUsageInput(t *testing.T) {
	h := newHarness(t, harnessOpts{})
	if r := h.do("GET", "/api/cloud/usage", ""); r.status != 401 || string(r.body) != `{"error":"Not connected to Eliza Cloud"}` {
		t.Fatalf("logged out: %d %s", r.status, r.body)
	}
	h.login()
	for q, msg := range map[string]string{
		"hours=0": "hours must be an integer from 1 to 720", "hours=721": "hours must be an integer from 1 to 720",
		"hours=abc": "hours must be an integer from 1 to 720", "hours=1.5": "hours must be an integer from 1 to 720",
		"limit=0": "limit must be an integer from 1 to 1000", "limit=1001": "limit must be an integer from 1 to 1000",
		"limit=-3": "limit must be an integer from 1 to 1000",
	} {
		if r := h.do("GET", "/api/cloud/usage?"+q, ""); r.status != 400 || string(r.body) != `{"error":"`+msg+`"}` {
			t.Errorf("?%s: %d %s", q, r.status, r.body)
		}
	}
	if n := h.sim.CountRequests("GET", "/api/credits/transactions"); n != 0 {
		t.Fatalf("%d transaction requests for bad input", n)
	}
	if r := h.do("POST", "/api/cloud/usage", ""); r.status != 405 {
		t.Fatalf("POST usage: %d", r.status)
	}
}

// TestOpenAgentUI: POST /api/cloud/agents/:id/open opens the pairing
// token's redirect URL in the browser and answers {ok:true} alone: the URL
// is a credential, so it is in no answer and no log line. An agent that is
// not running gets the cloud's 400.
func TestOpenAgentUI(t *testing.T) {
	h, clk := timeHarness(t, cloud.ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: 24 * time.Hour}, nil)
	h.login()
	id := h.connectNew("Open")
	opens := len(h.opener.URLs())

	r := h.do("POST", "/api/cloud/agents/"+id+"/open", "")
	if r.status != 200 || string(r.body) != `{"ok":true}` {
		t.Fatalf("open: %d %s", r.status, r.body)
	}
	urls := h.opener.URLs()
	if len(urls) != opens+1 || !strings.HasPrefix(urls[opens], h.sim.URL()+"/__sim/agent-ui/"+id+"?token=") {
		t.Fatalf("opened %v, want the agent's pairing URL", urls[opens:])
	}
	token := urls[opens][strings.Index(urls[opens], "token=")+len("token="):]
	if strings.Contains(h.logs.String(), token) || strings.Contains(h.bodies.String(), token) {
		t.Fatal("the pairing token leaked into a log line or an answer")
	}

	// Debounced: no second token, no second tab.
	h.expect("POST", "/api/cloud/agents/"+id+"/open", "", 200)
	if n := h.sim.CountRequests("POST", "/api/v1/milady/agents/"+id+"/pairing-token"); n != 1 || len(h.opener.URLs()) != opens+1 {
		t.Fatalf("a repeated open within %v: %d tokens, %d opens", app.OpenInterval, n, len(h.opener.URLs())-opens)
	}

	clk.Advance(app.OpenInterval)
	h.expect("POST", "/api/cloud/agents/"+id+"/suspend", "", 200)
	r = h.do("POST", "/api/cloud/agents/"+id+"/open", "")
	if r.status != 400 || !strings.Contains(string(r.body), "must be running") {
		t.Fatalf("open a suspended agent: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/cloud/agents/not-a-uuid/open", ""); r.status != 400 {
		t.Fatalf("bad id: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/api/cloud/agents/"+id+"/open", ""); r.status != 405 {
		t.Fatalf("GET open: %d", r.status)
	}
}
