package cloudsim

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

func TestCreditsAndUser(t *testing.T) {
	s := Start(t, Options{InitialBalance: 12.5})
	k := s.NewAPIKey()
	for _, p := range []string{"/api/v1/credits/balance", "/api/credits/balance", "/api/v1/credits/balance?fresh=true"} {
		r := call(t, s, "GET", p, "", "Authorization: Bearer "+k).want(t, 200)
		if len(r.body) != 1 || r.body["balance"] != 12.5 {
			t.Fatalf("%s body = %s", p, r.raw)
		}
		if !strings.Contains(r.header.Get("Cache-Control"), "no-store") || r.header.Get("Pragma") != "no-cache" || r.header.Get("Expires") != "0" {
			t.Fatalf("%s cache headers = %v", p, r.header)
		}
	}
	r := call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 200)
	if r.str("data.id") != SimUserID || r.str("data.organization.id") != SimOrgID ||
		r.str("data.organization.credit_balance") != "12.500000" || !isoMillis.MatchString(r.str("data.created_at")) {
		t.Fatalf("user body = %s", r.raw)
	}
	s.SetBalance(3)
	if s.Balance() != 3 {
		t.Fatal("Balance() did not follow SetBalance")
	}
	r = call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)
	if r.body["balance"] != 3.0 {
		t.Fatalf("balance after SetBalance = %s", r.raw)
	}
}

func TestCreateAgentValidation(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	tests := []struct {
		name, body string
		status     int
		path       string // details[0].path joined
	}{
		{"missing name", `{}`, 400, "agentName"},
		{"empty name", `{"agentName":""}`, 400, "agentName"},
		{"long name", `{"agentName":"` + strings.Repeat("x", 101) + `"}`, 400, "agentName"},
		{"numeric name", `{"agentName":7}`, 400, "agentName"},
		{"bad character id", `{"agentName":"a","characterId":"nope"}`, 400, "characterId"},
		{"config not object", `{"agentName":"a","agentConfig":[1]}`, 400, "agentConfig"},
		{"env not strings", `{"agentName":"a","environmentVars":{"A":1}}`, 400, "environmentVars.A"},
		{"array body", `[1]`, 400, ""},
		{"malformed json", `{"agentName":`, 500, ""},
		{"unknown character", `{"agentName":"a","characterId":"0b6f1b1e-8c1f-4e53-9d0c-2f7d3c1a9b11"}`, 404, ""},
		{"100 chars ok", `{"agentName":"` + strings.Repeat("x", 100) + `"}`, 201, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", "/api/v1/milady/agents", tc.body, key(k)).want(t, tc.status)
			switch tc.status {
			case 400:
				details, _ := r.body["details"].([]any)
				if r.str("error") != "Invalid request data" || len(details) == 0 {
					t.Fatalf("body = %s", r.raw)
				}
				var parts []string
				for _, p := range details[0].(map[string]any)["path"].([]any) {
					parts = append(parts, p.(string))
				}
				if got := strings.Join(parts, "."); got != tc.path {
					t.Fatalf("issue path = %q, want %q", got, tc.path)
				}
			case 500:
				if r.str("error") != "An unexpected error occurred" {
					t.Fatalf("body = %s", r.raw)
				}
			case 404:
				if r.str("error") != "Character not found" {
					t.Fatalf("body = %s", r.raw)
				}
			}
		})
	}
}

func TestCreditGate(t *testing.T) {
	s := Start(t, Options{InitialBalance: 4.5})
	k := s.NewAPIKey()
	check := func(r resp) {
		t.Helper()
		r.want(t, 402)
		want := "Insufficient credits. A minimum balance of $5.00 is required to create or run Milady agents. Please add at least $0.50 to your account at /dashboard/billing."
		if r.str("error") != want || r.body["requiredBalance"] != 5.0 || r.body["currentBalance"] != 4.5 || r.body["success"] != false {
			t.Fatalf("402 body = %s", r.raw)
		}
	}
	check(call(t, s, "POST", "/api/v1/milady/agents", `{"agentName":"poor"}`, key(k)))
	s.SetBalance(5)
	id := createAgent(t, s, k, "rich")
	s.SetBalance(4.5)
	check(call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)))
	check(call(t, s, "POST", "/api/v1/milady/agents/"+id+"/resume", "", key(k)))
}

func TestAgentCRUD(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk})
	k := s.NewAPIKey()
	r := call(t, s, "POST", "/api/v1/milady/agents",
		`{"agentName":"First","agentConfig":{"theme":"dark","__miladyManaged":true},"environmentVars":{"A":"b"}}`, key(k)).want(t, 201)
	first := r.str("data.id")
	if r.str("data.status") != "pending" || r.str("data.agentName") != "First" || r.str("data.createdAt") != "2026-04-01T12:00:00.000Z" || len(r.get("data").(map[string]any)) != 4 {
		t.Fatalf("create body = %s", r.raw)
	}
	s.mu.Lock()
	_, reserved := s.st.agents[first].config["__miladyManaged"]
	s.mu.Unlock()
	if reserved {
		t.Fatal("__milady key not stripped from agentConfig")
	}
	clk.Advance(time.Second)
	second := createAgent(t, s, k, "Second")

	// List: newest first, list fields only, via both prefixes.
	for _, prefix := range agentPrefixes {
		r = call(t, s, "GET", prefix, "", key(k)).want(t, 200)
		data := r.get("data").([]any)
		if len(data) != 2 || data[0].(map[string]any)["id"] != second || data[1].(map[string]any)["id"] != first {
			t.Fatalf("%s list = %s", prefix, r.raw)
		}
		item := data[0].(map[string]any)
		if _, has := item["bridgeUrl"]; has {
			t.Fatal("list item has bridgeUrl")
		}
		if v, has := item["lastBackupAt"]; !has || v != nil {
			t.Fatal("nullable lastBackupAt must be present as null")
		}
	}
	r = call(t, s, "GET", "/api/v1/milaidy/agents/"+first, "", key(k)).want(t, 200)
	if r.str("data.databaseStatus") != "none" || r.get("data.errorCount") != 0.0 || r.str("data.walletStatus") != "none" {
		t.Fatalf("detail = %s", r.raw)
	}
	if v, has := r.body["data"].(map[string]any)["bridgeUrl"]; !has || v != nil {
		t.Fatalf("detail bridgeUrl must be null: %s", r.raw)
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/does-not-exist", "", key(k)).want(t, 404)
	if r.str("error") != "Agent not found" {
		t.Fatalf("404 body = %s", r.raw)
	}

	call(t, s, "DELETE", "/api/v1/milady/agents/"+second, "", key(k)).want(t, 200)
	r = call(t, s, "DELETE", "/api/v1/milady/agents/"+second, "", key(k)).want(t, 404)
	if r.str("error") != "Agent not found" {
		t.Fatalf("second delete = %s", r.raw)
	}
}

func TestStopAgent(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", `{"jsonrpc":"2.0","id":1,"method":"message.send","params":{"text":"hi"}}`, key(k)).want(t, 200)

	r := call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `{"action":"shutdown"}`, key(k)).want(t, 200)
	if r.str("data.previousStatus") != "running" || r.str("data.action") != "shutdown" || r.str("data.agentId") != id {
		t.Fatalf("patch = %s", r.raw)
	}
	if st, _ := s.AgentStatus(id); st != "stopped" {
		t.Fatalf("status after shutdown = %s", st)
	}
	r = call(t, s, "GET", "/api/v1/milady/agents/"+id+"/backups", "", key(k)).want(t, 200)
	if b := r.get("data").([]any); len(b) != 1 || b[0].(map[string]any)["snapshotType"] != "pre-shutdown" {
		t.Fatalf("backups after shutdown = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/suspend", "", key(k)).want(t, 200)
	if r.str("data.message") != "Agent is already suspended" {
		t.Fatalf("second suspend = %s", r.raw)
	}
	r = call(t, s, "PATCH", "/api/v1/milady/agents/"+id, `{"action":"explode"}`, key(k)).want(t, 400)
	if r.str("error") != "Invalid request data" || r.get("details") == nil {
		t.Fatalf("bad action = %s", r.raw)
	}
	call(t, s, "PATCH", "/api/v1/milady/agents/missing", `{"action":"suspend"}`, key(k)).want(t, 404)
}

func TestTimestampsAreISOWithMillis(t *testing.T) {
	s, k, id := startRunning(t, Options{}) // real clock: sub-millisecond parts must be cut to 3 digits
	r := call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
	for _, f := range []string{"data.createdAt", "data.updatedAt", "data.lastHeartbeatAt"} {
		if !isoMillis.MatchString(r.str(f)) {
			t.Errorf("%s = %q, not ISO with ms", f, r.str(f))
		}
	}
}
