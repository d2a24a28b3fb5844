package reliability

// The rows of TestFaultMatrix: one function per upstream call.

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

func faultLoginCreate(t *testing.T, fc faultCase) {
	h := newHarness(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Login = shortTimeout })})
	h.sim.InjectFault(fc.at("POST", "/api/auth/cli-session"))
	r := h.do("POST", "/api/cloud/login", "")
	m := r.object(t)
	var wantStatus int
	var wantMsg string
	switch fc.kind {
	case kindStatus:
		wantStatus, wantMsg = 502, "Failed to create auth session with Eliza Cloud"
	case kindTimeout, kindSlowBody:
		wantStatus, wantMsg = 504, "Eliza Cloud login request timed out"
	case kindReset:
		wantStatus, wantMsg = 502, "Failed to reach Eliza Cloud"
	case kindRedirect:
		wantStatus = 502
	case kindMalformed:
		// Milady reads only the status of this call: a 200 starts the
		// login, and the session the cloud never made ends as expired.
		wantStatus = 200
	}
	if r.status != wantStatus {
		t.Fatalf("login: %s, want status %d", r, wantStatus)
	}
	switch {
	case fc.kind == kindMalformed:
		sid, _ := m["sessionId"].(string)
		h.sim.ClearFaults()
		apptest.Eventually(t, waitLimit, "expired login", func() bool {
			st := h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
			return st["status"] == "expired"
		})
	case fc.kind == kindRedirect:
		if msg, _ := m["error"].(string); !strings.Contains(msg, "redirect") {
			t.Errorf("error %q does not name the redirect", msg)
		}
	case m["error"] != wantMsg:
		t.Errorf("error %v, want %q", m["error"], wantMsg)
	}
	h.alive()
	if h.svc.Snapshot().LoggedIn {
		t.Fatal("logged in after a failed login")
	}
	// The login lock was released: a new login goes through.
	h.sim.ClearFaults()
	h.login()
}

func faultLoginPoll(t *testing.T, fc faultCase) {
	// No background poll during the test: the REST poll meets the fault.
	h := newHarness(t, options{loginPoll: time.Hour, timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Login = shortTimeout })})
	sid, _ := h.expect("POST", "/api/cloud/login", "", 200)["sessionId"].(string)
	h.sim.InjectFault(fc.at("GET", "/api/auth/cli-session/"))
	r := h.do("GET", "/api/cloud/login/status?sessionId="+sid, "")
	m := r.object(t)
	want := map[faultKind]int{kindStatus: 200, kindMalformed: 200, kindTimeout: 504, kindSlowBody: 504, kindRedirect: 502, kindReset: 502}[fc.kind]
	if r.status != want {
		t.Fatalf("login status: %s, want status %d", r, want)
	}
	msg, _ := m["error"].(string)
	if m["status"] != "error" || msg == "" {
		t.Fatalf("login status = %v, want status error with a message", m)
	}
	switch fc.kind {
	case kindStatus:
		if w := fmt.Sprintf("Eliza Cloud returned HTTP %d", fc.status); msg != w {
			t.Errorf("error %q, want %q", msg, w)
		}
	case kindTimeout, kindSlowBody:
		if msg != "Eliza Cloud login request timed out" {
			t.Errorf("error %q", msg)
		}
	case kindReset:
		if msg != "Failed to reach Eliza Cloud" {
			t.Errorf("error %q", msg)
		}
	case kindRedirect:
		if !strings.Contains(msg, "redirect") {
			t.Errorf("error %q does not name the redirect", msg)
		}
	}
	h.alive()
	// The session survives a failed poll: approve it and the next poll logs in.
	h.sim.ClearFaults()
	if err := h.sim.ApproveSession(sid); err != nil {
		t.Fatal(err)
	}
	st := h.expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
	if st["status"] != "authenticated" || !h.svc.Snapshot().LoggedIn {
		t.Fatalf("poll after the fault = %v", st)
	}
}

func faultUser(t *testing.T, fc faultCase) {
	sim := cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	sim.InjectFault(fc.at("GET", "/api/v1/user"))
	h := newHarness(t, options{sim: sim, key: sim.NewAPIKey(),
		timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Account = shortTimeout })})
	apptest.Eventually(t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
	s := h.expect("GET", "/api/cloud/status", "", 200)
	if s["reason"] != "api_key_present_not_authenticated" || s["hasApiKey"] != true || s["connected"] != true || s["userId"] != nil {
		t.Fatalf("status after a failed identity check = %v", s)
	}
	h.alive()
	// The key was kept: agent calls still work once the cloud answers.
	sim.ClearFaults()
	h.expect("GET", "/api/cloud/agents", "", 200)
}

func faultCredits(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Account = shortTimeout })})
	apptest.Eventually(t, waitLimit, "first balance", func() bool { return h.svc.Snapshot().Credits.UpdatedAt != nil })
	h.sim.InjectFault(fc.at("GET", "/api/v1/credits/balance"))
	m := h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)
	msg, _ := m["error"].(string)
	if m["connected"] != true || m["balance"] != nil || msg == "" {
		t.Fatalf("credits during the fault = %v", m)
	}
	if fc.kind == kindStatus && !strings.Contains(msg, cloudMessage(fc.status)) {
		t.Errorf("credits error %q does not carry the cloud's message", msg)
	}
	h.alive()
	h.sim.ClearFaults()
	// ?fresh=1 fetches at most once per FreshMinGap, so recovery shows on
	// the first fresh read after the gap, not necessarily on the next one.
	apptest.Eventually(t, waitLimit, "a balance after the fault", func() bool {
		return h.expect("GET", "/api/cloud/credits?fresh=1", "", 200)["balance"] != nil
	})
}

func faultListAgents(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.REST = shortTimeout })})
	h.sim.InjectFault(fc.at("GET", "/api/v1/milady/agents"))
	wantCloudError(t, h.do("GET", "/api/cloud/agents", ""), fc)
	h.alive()
	h.sim.ClearFaults()
	h.expect("GET", "/api/cloud/agents", "", 200)
}

func faultCreateAgent(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.REST = shortTimeout })})
	h.sim.InjectFault(fc.at("POST", "/api/v1/milady/agents"))
	wantCloudError(t, h.do("POST", "/api/cloud/agents", `{"agentName":"Faulty"}`), fc)
	h.alive()
	h.sim.ClearFaults()
	h.createAgent("Fine")
}

// wantFailedConnect asserts that a connect failed as the state machine says: through
// error to disconnected, with the error kept for the UI.
func wantFailedConnect(t *testing.T, h *harness, rec *stateRecorder, mark int) {
	t.Helper()
	rec.waitState(t, mark, "disconnected", is(cloud.StateDisconnected))
	if got := strings.Join(rec.states(mark), " "); got != "connecting error disconnected" {
		t.Errorf("states %q, want connecting error disconnected", got)
	}
	c := h.connection()
	if c["state"] != "disconnected" || c["lastError"] == nil || c["lastError"] == "" {
		t.Errorf("connection after a failed connect = %v", c)
	}
}

func faultProvision(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Provision = shortTimeout })})
	id := h.createAgent("Prov")
	rec := h.record()
	mark := rec.mark()
	h.sim.InjectFault(fc.at("POST", "/api/v1/milady/agents/"+id+"/provision"))
	wantCloudError(t, h.do("POST", "/api/cloud/agents/"+id+"/provision", ""), fc)
	wantFailedConnect(t, h, rec, mark)
	h.alive()
	h.sim.ClearFaults()
	h.expect("POST", "/api/cloud/agents/"+id+"/provision", "", 200)
}

// faultJobPoll: the client retries a failed job poll (the job is polled until
// completed or failed, bounded), so a passing fault only delays the
// connect; a redirect is never retried. A job poll that keeps failing is
// TestJobPollOutageEndsInTimeout.
func faultJobPoll(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.REST = shortTimeout })})
	id := h.createAgent("Job")
	rec := h.record()
	mark := rec.mark()
	f := fc.at("GET", "/api/v1/jobs/")
	if fc.kind != kindRedirect {
		f.Count = 2
	}
	h.sim.InjectFault(f)
	r := h.do("POST", "/api/cloud/agents/"+id+"/connect", "")
	if fc.kind == kindRedirect {
		wantCloudError(t, r, fc)
		wantFailedConnect(t, h, rec, mark)
		h.sim.ClearFaults()
		h.connect(id)
		return
	}
	if r.status != 200 {
		t.Fatalf("connect through a passing job-poll fault: %s", r)
	}
	if n := h.sim.CountRequests("GET", "/api/v1/jobs/"); n < 3 {
		t.Errorf("%d job polls, want the two failed ones retried", n)
	}
	if c := h.connection(); c["state"] != "connected" {
		t.Fatalf("connection = %v", c)
	}
	h.alive()
}

func faultSnapshot(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.REST = shortTimeout })})
	id := h.createAgent("Snap")
	h.connect(id)
	rec := h.record()
	mark := rec.mark()
	h.sim.InjectFault(fc.at("POST", "/api/v1/milady/agents/"+id+"/snapshot"))
	wantCloudError(t, h.do("POST", "/api/cloud/agents/"+id+"/snapshot", ""), fc)
	ev := rec.waitEvent(t, mark, "failed backup event", func(ev appEvent) bool { return ev.Type == "backup" })
	if b := backupData(ev); b.OK || b.Error == "" {
		t.Errorf("backup event = %+v, want a failure with its reason", b)
	}
	// A failed backup never stops the agent: backups are a side job.
	if c := h.connection(); c["state"] != "connected" {
		t.Fatalf("connection after a failed snapshot = %v", c)
	}
	if s := rec.states(mark); len(s) != 0 {
		t.Errorf("state changed on a failed snapshot: %v", s)
	}
	h.alive()
	h.sim.ClearFaults()
	h.expect("POST", "/api/cloud/agents/"+id+"/snapshot", "", 200)
}

func faultHeartbeat(t *testing.T, fc faultCase) {
	mc := quietManager()
	mc.HeartbeatInterval = 30 * time.Millisecond
	h := loggedIn(t, options{manager: &mc, timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Heartbeat = shortTimeout })})
	id := h.createAgent("Beat")
	h.connect(id)
	rec := h.record()
	mark := rec.mark()
	// As many failed beats as it takes to reconnect; the reconnect
	// attempt's own heartbeat then succeeds.
	f := fc.at("POST", "/api/v1/milady/agents/"+id+"/bridge")
	f.Count = mc.MaxHeartbeatFailures
	h.sim.InjectFault(f)
	rec.waitState(t, mark, "reconnecting", is(cloud.StateReconnecting))
	h.alive()
	rec.waitState(t, mark, "connected again", is(cloud.StateConnected))
	if got := strings.Join(rec.states(mark), " "); got != "reconnecting#1 connected" {
		t.Errorf("states %q, want reconnecting#1 connected (no flicker through error)", got)
	}
	c := h.connection()
	if c["state"] != "connected" || c["lastHeartbeatAt"] == nil || c["lastError"] != nil {
		t.Fatalf("connection after the outage = %v", c)
	}
	// Heartbeats resumed.
	n := h.sim.CountRequests("POST", "/api/v1/milady/agents/"+id+"/bridge")
	apptest.Eventually(t, waitLimit, "heartbeats after reconnecting", func() bool {
		return h.sim.CountRequests("POST", "/api/v1/milady/agents/"+id+"/bridge") >= n+2
	})
}

// faultHeartbeatOutage: the fault outlasts every reconnect attempt, so the
// monitor gives up: error, then disconnected with the reason kept.
func faultHeartbeatOutage(t *testing.T, fc faultCase) {
	mc := quietManager()
	mc.HeartbeatInterval = 30 * time.Millisecond
	mc.MaxReconnectAttempts = 1 // every attempt count is TestHeartbeatOutages
	h := loggedIn(t, options{manager: &mc, timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Heartbeat = shortTimeout })})
	id := h.createAgent("Gone")
	h.connect(id)
	rec := h.record()
	mark := rec.mark()
	h.sim.InjectFault(fc.at("POST", "/api/v1/milady/agents/"+id+"/bridge"))
	rec.waitState(t, mark, "disconnected", is(cloud.StateDisconnected))
	if got, want := strings.Join(rec.states(mark), " "), "reconnecting#1 error disconnected"; got != want {
		t.Errorf("states %q, want %q", got, want)
	}
	c := h.connection()
	msg, _ := c["lastError"].(string)
	if c["state"] != "disconnected" || msg == "" {
		t.Fatalf("connection after giving up = %v", c)
	}
	if fc.kind == kindStatus && !strings.Contains(msg, cloudMessage(fc.status)) {
		t.Errorf("lastError %q does not carry the cloud's message", msg)
	}
	h.alive()
	h.sim.ClearFaults()
	h.connect(id)
}

// faultMessageSend: POST /api/chat over the bridge's message.send, the
// route the manager keeps behind ManagerConfig.ChatViaBridge.
func faultMessageSend(t *testing.T, fc faultCase) {
	mc := quietManager()
	mc.ChatViaBridge = true
	h := loggedIn(t, options{manager: &mc, timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Message = shortTimeout })})
	faultChat(t, h, fc, "/bridge")
}

// faultChatStream: POST /api/chat as the app sends it by default, through
// the stream route (the cloud cuts message.send at 30 s, the stream at
// 120). As for /api/chat/stream, a slow body is no error (an open stream
// has no timeout: a reply may take minutes), and a JSON answer where a
// stream was due is reported with the body the client got.
func faultChatStream(t *testing.T, fc faultCase) {
	h := loggedIn(t, options{timeouts: fc.timeouts(func(t *cloud.Timeouts) { t.Message = shortTimeout })})
	faultChat(t, h, fc, "/stream")
}

// faultChat injects fc on the agent's route and sends one chat message:
// a clear error, no state change, and chat works once the fault is gone.
func faultChat(t *testing.T, h *harness, fc faultCase, route string) {
	id := h.createAgent("Chat")
	h.connect(id)
	rec := h.record()
	mark := rec.mark()
	f := fc.at("POST", "/api/v1/milady/agents/"+id+route)
	stream := route == "/stream"
	if stream && fc.kind == kindSlowBody {
		f.Delay = 1500 * time.Millisecond
	}
	h.sim.InjectFault(f)
	r := h.do("POST", "/api/chat", `{"text":"hello?"}`)
	switch {
	case stream && fc.kind == kindSlowBody:
		if m := r.object(t); r.status != 200 || !strings.Contains(fmt.Sprint(m["text"]), "hello?") {
			t.Fatalf("slow stream: %s, want the whole reply", r)
		}
	case stream && fc.kind == kindMalformed:
		if msg, _ := r.object(t)["error"].(string); r.status != 502 || msg == "" || msg == "Internal server error" {
			t.Fatalf("malformed stream: %s, want 502 with the body received", r)
		}
	default:
		wantCloudError(t, r, fc)
	}
	if s := rec.states(mark); len(s) != 0 {
		t.Errorf("state changed on a failed chat: %v", s)
	}
	h.alive()
	h.sim.ClearFaults()
	if m := h.expect("POST", "/api/chat", `{"text":"hello again"}`, 200); !strings.Contains(fmt.Sprint(m["text"]), "hello again") {
		t.Fatalf("chat after the fault = %v", m)
	}
}

// faultStream: the stream answers 200 text/event-stream as soon as the
// agent is known to be connected, so an upstream failure is an
// "error" event carrying what the JSON error would have said. A slow body
// is not an error: an open stream has no timeout (a reply may take minutes) and its chunks
// arrive when the cloud sends them.
func faultStream(t *testing.T, fc faultCase) {
	var timeouts *cloud.Timeouts
	if fc.kind == kindTimeout { // the wait for the headers is bounded
		timeouts = fc.timeouts(func(t *cloud.Timeouts) { t.Message = shortTimeout })
	}
	h := loggedIn(t, options{timeouts: timeouts})
	id := h.createAgent("Stream")
	h.connect(id)
	f := fc.at("POST", "/api/v1/milady/agents/"+id+"/stream")
	if fc.kind == kindSlowBody {
		f.Delay = 1500 * time.Millisecond
	}
	h.sim.InjectFault(f)
	r := h.do("POST", "/api/chat/stream", `{"text":"stream this"}`)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream answer %d %q", r.status, r.header.Get("Content-Type"))
	}
	events := apptest.ReadSSE(t, bytes.NewReader(r.body))
	if len(events) == 0 {
		t.Fatalf("empty stream: %q", r.body)
	}
	last := events[len(events)-1]
	if fc.kind == kindSlowBody {
		var text strings.Builder
		for _, ev := range events {
			if ev.Event == "chunk" {
				text.WriteString(jsonField(t, ev.Data, "text"))
			}
		}
		if last.Event != "done" || !strings.Contains(text.String(), "stream this") {
			t.Fatalf("slow stream = %q", r.body)
		}
	} else {
		if last.Event != "error" {
			t.Fatalf("stream ended with %q, want an error event: %q", last.Event, r.body)
		}
		msg := jsonField(t, last.Data, "error")
		if fc.kind == kindMalformed {
			// The bridge answered JSON where a stream was due: the
			// client reports the body it got.
			if msg == "" {
				t.Fatal("malformed stream answer without an error message")
			}
		} else {
			wantMessage(t, msg, fc)
		}
	}
	if c := h.connection(); c["state"] != "connected" {
		t.Fatalf("connection after a failed stream = %v", c)
	}
	h.alive()
	h.sim.ClearFaults()
	ok := apptest.ReadSSE(t, bytes.NewReader(h.expectStream(`{"text":"again"}`)))
	if len(ok) == 0 || ok[len(ok)-1].Event != "done" {
		t.Fatalf("stream after the fault = %v", ok)
	}
}
