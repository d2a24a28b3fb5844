package cloudsim

import (
	"testing"
)

func TestBridgeWhenNotRunning(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Pending")
	tests := []struct {
		name, agent, body string
		wantID            any
	}{
		{"pending agent", id, `{"jsonrpc":"2.0","id":"r1","method":"message.send","params":{"text":"hi"}}`, "r1"},
		{"unknown agent", "nope", `{"jsonrpc":"2.0","id":7,"method":"status.get"}`, 7.0},
		{"heartbeat without id", id, `{"jsonrpc":"2.0","method":"heartbeat"}`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", "/api/v1/milady/agents/"+tc.agent+"/bridge", tc.body, key(k)).want(t, 200)
			if r.get("error.code") != -32000.0 || r.str("error.message") != "Sandbox is not running" || r.str("jsonrpc") != "2.0" {
				t.Fatalf("body = %s", r.raw)
			}
			if id, has := r.body["id"]; id != tc.wantID || (tc.wantID == nil && has) {
				t.Fatalf("id = %v (present %v), want %v", id, has, tc.wantID)
			}
		})
	}
}

func TestBridgeMethods(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	bridge := func(body string) resp {
		return call(t, s, "POST", "/api/v1/milaidy/agents/"+id+"/bridge", body, "Authorization: Bearer "+k).want(t, 200)
	}
	r := bridge(`{"jsonrpc":"2.0","id":"a","method":"message.send","params":{"text":"hello","roomId":"web-chat","channelType":"DM"}}`)
	if r.str("id") != "a" || r.str("result.text") != "[echo] hello" || r.get("result.metadata.timestamp") == nil {
		t.Fatalf("message.send = %s", r.raw)
	}
	r = bridge(`{"jsonrpc":"2.0","method":"heartbeat"}`)
	if r.str("method") != "heartbeat.ack" || r.get("params.timestamp") == nil || r.get("id") != nil || r.get("result") != nil {
		t.Fatalf("heartbeat = %s", r.raw)
	}
	r = bridge(`{"jsonrpc":"2.0","id":2,"method":"status.get"}`)
	if r.str("result.status") != "running" || r.get("result.memoriesCount") != 2.0 || r.get("result.uptime") == nil || !isoMillis.MatchString(r.str("result.startedAt")) {
		t.Fatalf("status.get = %s", r.raw)
	}
	r = bridge(`{"jsonrpc":"2.0","id":3,"method":"agent.dance"}`)
	if r.get("error.code") != -32601.0 || r.str("error.message") != "Method not found: agent.dance" {
		t.Fatalf("unknown method = %s", r.raw)
	}

	for _, bad := range []string{`{"jsonrpc":"1.0","method":"x"}`, `{"jsonrpc":"2.0","method":""}`, `{"jsonrpc":"2.0","id":{},"method":"x"}`, `{"jsonrpc":"2.0","method":"x","params":[]}`} {
		r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", bad, key(k)).want(t, 400)
		if r.str("error") != "Invalid JSON-RPC request" || r.get("details") == nil {
			t.Fatalf("%s -> %s", bad, r.raw)
		}
	}
	call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", `nope`, key(k)).want(t, 500)
}

func TestFailHeartbeats(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	beat := func() resp {
		return call(t, s, "POST", "/api/v1/milady/agents/"+id+"/bridge", `{"jsonrpc":"2.0","method":"heartbeat"}`, key(k)).want(t, 200)
	}
	alive := func(r resp) bool { return r.str("method") == "heartbeat.ack" }

	s.FailHeartbeats(2)
	// Other methods are unaffected.
	send(t, s, k, id, "still chatting")
	for i := range 2 {
		if r := beat(); alive(r) || r.get("error.code") != -32000.0 {
			t.Fatalf("failing heartbeat %d = %s", i, r.raw)
		}
	}
	if r := beat(); !alive(r) {
		t.Fatalf("heartbeat after failures = %s", r.raw)
	}

	s.FailHeartbeats(-1)
	for range 3 {
		if alive(beat()) {
			t.Fatal("heartbeat alive while failing until cleared")
		}
	}
	call(t, s, "POST", "/__sim/heartbeat", `{"fail":0}`).want(t, 200)
	if !alive(beat()) {
		t.Fatal("heartbeat still failing after clear")
	}
}
