package reliability

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// shortTimeout is the client timeout of the call under test in the timeout
// and slow-body cases: short enough to keep the suite quick, long enough
// that the calls around the fault succeed on a loaded machine under -race.
// faultDelay is far beyond it (the simulator stops waiting as soon as the
// client gives up, so it costs nothing).
const (
	shortTimeout = time.Second
	faultDelay   = 10 * time.Second
)

type faultKind int

const (
	kindStatus faultKind = iota
	kindTimeout
	kindSlowBody
	kindMalformed
	kindRedirect
	kindReset
)

// faultCase is one column of the matrix: a fault without its target.
type faultCase struct {
	name   string
	kind   faultKind
	status int // kindStatus only
	fault  cloudsim.Fault
}

// cloudMessage is what the simulator says in a status fault's body, so a
// test can tell the cloud's own words from the app's.
func cloudMessage(status int) string { return fmt.Sprintf("Eliza Cloud says %d", status) }

func faultCases() []faultCase {
	status := func(code int) faultCase {
		return faultCase{name: strconv.Itoa(code), kind: kindStatus, status: code, fault: cloudsim.Fault{
			Status: code, Body: fmt.Sprintf(`{"success":false,"error":%q}`, cloudMessage(code)),
		}}
	}
	return []faultCase{
		status(500), status(502), status(503), status(429),
		{name: "timeout", kind: kindTimeout, fault: cloudsim.Fault{Delay: faultDelay}},
		{name: "slowbody", kind: kindSlowBody, fault: cloudsim.Fault{SlowBody: true, Delay: faultDelay}},
		{name: "malformed", kind: kindMalformed, fault: cloudsim.Fault{Malformed: true}},
		{name: "redirect", kind: kindRedirect, fault: cloudsim.Fault{RedirectTo: "https://elsewhere.example/phish"}},
		{name: "reset", kind: kindReset, fault: cloudsim.Fault{Reset: true}},
	}
}

// slow reports whether the case needs a short client timeout.
func (fc faultCase) slow() bool { return fc.kind == kindTimeout || fc.kind == kindSlowBody }

// at returns the fault aimed at method and path (a path prefix).
func (fc faultCase) at(method, path string) cloudsim.Fault {
	f := fc.fault
	f.Method, f.Path = method, path
	return f
}

// timeouts returns client timeouts where set shortens the call under test
// in the timeout and slow-body cases; nil (the spec's defaults) otherwise.
func (fc faultCase) timeouts(set func(*cloud.Timeouts)) *cloud.Timeouts {
	if !fc.slow() {
		return nil
	}
	var t cloud.Timeouts
	set(&t)
	return &t
}

// upstreamCall is one row of the matrix: it builds its own app and
// simulator, injects fc at its upstream call, and asserts the REST answer
// and the state the app ends in.
type upstreamCall struct {
	name string
	run  func(t *testing.T, fc faultCase)
}

// TestFaultMatrix runs every fault against every upstream call through the
// REST API of the real Service: the app never crashes, answers a clear
// JSON error with the status the REST API documents for that failure, ends
// in the state the state machine names, and recovers once the fault is gone.
func TestFaultMatrix(t *testing.T) {
	calls := []upstreamCall{
		{"login-create", faultLoginCreate},
		{"login-poll", faultLoginPoll},
		{"user", faultUser},
		{"credits", faultCredits},
		{"list-agents", faultListAgents},
		{"create-agent", faultCreateAgent},
		{"provision", faultProvision},
		{"job-poll", faultJobPoll},
		{"snapshot", faultSnapshot},
		{"heartbeat", faultHeartbeat},
		{"heartbeat-outage", faultHeartbeatOutage},
		{"message-send", faultMessageSend},
		{"chat-stream", faultChatStream},
		{"stream", faultStream},
	}
	for _, c := range calls {
		for _, fc := range faultCases() {
			t.Run(c.name+"/"+fc.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, fc)
			})
		}
	}
}

// loggedIn is a harness whose config already holds a key the simulator
// minted (as after a login), with the identity check done.
func loggedIn(t *testing.T, o options) *harness {
	t.Helper()
	if o.sim == nil {
		o.sim = cloudsim.Start(t, cloudsim.Options{JobPollIntervalMs: 10})
	}
	o.key = o.sim.NewAPIKey()
	h := newHarness(t, o)
	apptest.Eventually(t, waitLimit, "identity check", func() bool { return h.svc.Snapshot().IdentityChecked })
	return h
}

// wantCloudError asserts the answer of an agent or chat endpoint to an
// upstream failure: 502 with the cloud's message for HTTP
// errors, 502 for malformed answers, redirects and resets, 504 for
// timeouts, always a JSON {"error"}.
func wantCloudError(t *testing.T, r resp, fc faultCase) {
	t.Helper()
	want := 502
	if fc.slow() {
		want = 504
	}
	if r.status != want {
		t.Fatalf("answer %s, want status %d", r, want)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
	m := r.object(t)
	msg, _ := m["error"].(string)
	wantMessage(t, msg, fc)
}

// wantMessage checks that an error message says what went wrong.
func wantMessage(t *testing.T, msg string, fc faultCase) {
	t.Helper()
	if msg == "" || msg == "Internal server error" {
		t.Fatalf("error message %q is not a clear error", msg)
	}
	var want string
	switch fc.kind {
	case kindStatus:
		if msg != cloudMessage(fc.status) {
			t.Errorf("error %q, want the cloud's message %q", msg, cloudMessage(fc.status))
		}
		return
	case kindTimeout, kindSlowBody:
		want = "did not answer"
	case kindMalformed:
		want = "malformed"
	case kindRedirect:
		want = "redirect"
	case kindReset:
		want = "Failed to reach Eliza Cloud"
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not contain %q", msg, want)
	}
}
