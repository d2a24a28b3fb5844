package cloudsim

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestControlAPI(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk})
	k := s.NewAPIKey()

	r := call(t, s, "POST", "/__sim/balance", `{"balance":1.25}`).want(t, 200)
	if s.Balance() != 1.25 || r.body["balance"] != 1.25 {
		t.Fatalf("balance = %v (%s)", s.Balance(), r.raw)
	}
	call(t, s, "POST", "/__sim/balance", `{}`).want(t, 400)
	call(t, s, "POST", "/__sim/balance", `nope`).want(t, 400)
	s.SetBalance(50)

	call(t, s, "POST", "/__sim/mode", `{"mode":"sync","delayMs":0}`).want(t, 200)
	id := createAgent(t, s, k, "ViaControl")
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k)).want(t, 200)
	call(t, s, "POST", "/__sim/mode", `{"mode":"turbo"}`).want(t, 400)
	call(t, s, "POST", "/__sim/mode", `{"mode":"async","delayMs":1500}`).want(t, 200)

	call(t, s, "POST", "/__sim/latency", `{"ms":0}`).want(t, 200)
	call(t, s, "POST", "/__sim/heartbeat", `{"fail":1}`).want(t, 200)
	call(t, s, "POST", "/__sim/provision", `{"fail":2}`).want(t, 200)
	call(t, s, "POST", "/__sim/faults", `{"path":"/api/v1/credits","status":503,"count":1,"delayMs":0}`).want(t, 200)

	st := call(t, s, "GET", "/__sim/state", "").want(t, 200)
	if st.str("mode") != "async" || st.get("provisionDelayMs") != 1500.0 || st.get("heartbeatFail") != 1.0 ||
		st.get("provisionFail") != 2.0 || st.get("balance") != 50.0 || st.str("user.id") != SimUserID {
		t.Fatalf("state = %s", st.raw)
	}
	if faults := st.get("faults").([]any); len(faults) != 1 || faults[0].(map[string]any)["status"] != 503.0 {
		t.Fatalf("state faults = %s", st.raw)
	}
	if agents := st.get("agents").([]any); len(agents) != 1 || agents[0].(map[string]any)["status"] != "running" {
		t.Fatalf("state agents = %s", st.raw)
	}

	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 503)
	call(t, s, "POST", "/__sim/faults", `{"path":"/api/v1/credits","status":500}`).want(t, 200)
	call(t, s, "DELETE", "/__sim/faults", "").want(t, 200)
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)

	r = call(t, s, "GET", "/__sim/requests", "").want(t, 200)
	if reqs := r.get("data").([]any); len(reqs) == 0 || reqs[0].(map[string]any)["auth"] != "x-api-key" {
		t.Fatalf("requests = %s", r.raw)
	}
	call(t, s, "DELETE", "/__sim/requests", "").want(t, 200)
	if len(s.Requests()) != 0 {
		t.Fatal("DELETE /__sim/requests did not clear the log")
	}
	call(t, s, "POST", "/__sim/revoke", "").want(t, 200)
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 401)
	call(t, s, "GET", "/__sim/bogus", "").want(t, 404)
	call(t, s, "GET", "/__sim/balance", "").want(t, 404)
}

func TestControlAPIIsLoopbackOnly(t *testing.T) {
	s := Start(t, Options{})
	for _, path := range []string{"/__sim/state", "/__sim/revoke"} {
		req := httptest.NewRequest("POST", path, nil)
		req.RemoteAddr = "192.0.2.7:5555"
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusForbidden {
			t.Fatalf("%s from remote = %d, want 403", path, rec.Code)
		}
	}
	req := httptest.NewRequest("POST", "/auth/cli-login?session=x", nil)
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("remote page approve = %d, want 403", rec.Code)
	}
}

func TestHandlerNeverPanicsOnOddInput(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	bodies := []string{"", "null", "[]", "0", `"x"`, "{", `{"agentName":null}`, `{"params":{"text":5}}`,
		`{"jsonrpc":"2.0","method":"message.send","params":{"text":["a"]}}`, `{"backupId":5}`, `{"action":5}`}
	paths := []struct{ method, path string }{
		{"POST", "/api/v1/milady/agents"}, {"PATCH", "/api/v1/milady/agents/" + id},
		{"POST", "/api/v1/milady/agents/" + id + "/bridge"}, {"POST", "/api/v1/milady/agents/" + id + "/stream"},
		{"POST", "/api/v1/milady/agents/" + id + "/restore"}, {"POST", "/api/auth/cli-session"},
		{"POST", "/__sim/faults"}, {"POST", "/__sim/mode"},
	}
	for _, p := range paths {
		for _, b := range bodies {
			r := call(t, s, p.method, p.path, b, key(k))
			if r.status == 0 || r.status >= 600 {
				t.Fatalf("%s %s %q -> %d", p.method, p.path, b, r.status)
			}
			if r.status == 500 && r.raw == "" {
				t.Fatalf("%s %s %q -> empty 500", p.method, p.path, b)
			}
		}
	}
	// Still serving.
	call(t, s, "GET", "/api/v1/milady/agents/"+id, "", key(k)).want(t, 200)
}

// TestSetFieldRoutes: the one-field control routes answer with the value
// they set, take an absent field as zero and refuse a value of the wrong
// type.
func TestSetFieldRoutes(t *testing.T) {
	s := Start(t, Options{Clock: newFake()})
	if r := call(t, s, "POST", "/__sim/usage", `{"hours":2.5}`).want(t, 200); r.body["hours"] != 2.5 || r.body["success"] != true {
		t.Errorf("usage answered %s", r.raw)
	}
	if r := call(t, s, "POST", "/__sim/heartbeat", `{}`).want(t, 200); r.body["fail"] != 0.0 {
		t.Errorf("heartbeat without a count answered %s", r.raw)
	}
	call(t, s, "POST", "/__sim/latency", `{"ms":"soon"}`).want(t, 400)
	call(t, s, "POST", "/__sim/timescale", `nope`).want(t, 400)
}
