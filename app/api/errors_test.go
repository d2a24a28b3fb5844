package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

func notLoggedIn() error { return fmt.Errorf("list agents: %w", app.ErrNotLoggedIn) }

// statusErr is a foreign error type with HTTPStatus, not *app.Error.
type statusErr struct{}

func (statusErr) Error() string   { return "teapot" }
func (statusErr) HTTPStatus() int { return http.StatusTeapot }

// TestClassify is the error mapper's whole table.
func TestClassify(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("connect agent: %w", err) }
	cases := []struct {
		name       string
		err        error
		status     int
		message    string // "" = not checked
		retryAfter bool
	}{
		{"app.Error", &app.Error{Kind: app.KindTimeout, Message: "Eliza Cloud login request timed out", Err: cloud.ErrTimeout}, 504, "Eliza Cloud login request timed out", false},
		{"wrapped app.Error", wrap(app.InvalidInput("bad thing")), 400, "bad thing", false},
		{"app.Error without kind falls through", &app.Error{Message: "x", Err: cloud.ErrNotFound}, 404, "", false},
		{"kind conflict", wrap(&app.Error{Kind: app.KindConflict, Message: "config unreadable"}), 409, "config unreadable", false},
		{"kind not found", &app.Error{Kind: app.KindNotFound, Message: "gone"}, 404, "gone", false},
		{"kind not logged in", &app.Error{Kind: app.KindNotLoggedIn, Message: "log in"}, 401, "log in", false},
		{"kind insufficient credits", &app.Error{Kind: app.KindInsufficientCredits, Message: "top up"}, 402, "top up", false},
		{"kind reconnecting", &app.Error{Kind: app.KindReconnecting, Message: "wait"}, 503, "wait", true},
		{"shutting down", wrap(app.ErrShuttingDown), 503, "Milady Cloud is shutting down", false},
		{"kind upstream", &app.Error{Kind: app.KindUpstream, Message: "Failed to reach Eliza Cloud"}, 502, "Failed to reach Eliza Cloud", false},
		{"HTTPStatus interface", wrap(statusErr{}), 418, "teapot", false},
		{"invalid room id", fmt.Errorf("chat: %w", app.ErrInvalidRoomID), 400, app.ErrInvalidRoomID.Error(), false},
		{"not logged in", notLoggedIn(), 401, "Not connected to Eliza Cloud", false},
		{"not configured", wrap(cloud.ErrNotConfigured), 401, "Not connected to Eliza Cloud", false},
		{"insufficient credits sentinel", wrap(&cloud.HTTPError{Status: 402, Message: "pay up"}), 402, "pay up", false},
		{"cloud not found", wrap(&cloud.HTTPError{Status: 404, Message: "Agent not found"}), 404, "Agent not found", false},
		{"cloud conflict", wrap(&cloud.HTTPError{Status: 409, Message: "provisioning in progress"}), 409, "", false},
		{"not connected", wrap(cloud.ErrNotConnected), 409, "connect agent: not connected to a cloud agent", false},
		{"reconnecting", wrap(cloud.ErrReconnecting), 503, "", true},
		{"reconnecting as app.Error", &app.Error{Kind: app.KindUnavailable, Message: "busy", Err: cloud.ErrReconnecting}, 503, "busy", true},
		{"timeout", wrap(cloud.ErrTimeout), 504, "", false},
		{"deadline", wrap(context.DeadlineExceeded), 504, "", false},
		{"blocked url", wrap(&cloud.URLError{URL: "http://10.0.0.1", Reason: "private address"}), 400, "", false},
		{"cloud unauthorized", wrap(&cloud.HTTPError{Status: 401, Message: "Invalid API key"}), 502, "Invalid API key", false},
		{"key rejected before", wrap(cloud.ErrKeyRejected), 401, cloud.KeyRejectedMessage, false},
		{"redirect", wrap(&cloud.RedirectError{Status: 302, Location: "https://x"}), 502, "", false},
		{"unreachable", wrap(cloud.ErrUnreachable), 502, "", false},
		{"malformed", wrap(cloud.ErrMalformed), 502, "", false},
		{"upstream 500", wrap(&cloud.HTTPError{Status: 500, Message: "HTTP 500: boom"}), 502, "HTTP 500: boom", false},
		{"rpc error", wrap(&cloud.RPCError{Code: -32000, Message: "agent crashed"}), 502, "", false},
		{"key already retrieved", cloud.ErrKeyAlreadyRetrieved, 409, "", false},
		{"session expired", cloud.ErrSessionExpired, 410, "", false},
		{"cancelled", wrap(context.Canceled), 503, "Request cancelled", false},
		{"anything else", errors.New("database is locked at /home/u/.milady/db"), 500, "Internal server error", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := classify(c.err)
			if a.status != c.status {
				t.Errorf("status %d, want %d", a.status, c.status)
			}
			if c.message != "" && a.message != c.message {
				t.Errorf("message %q, want %q", a.message, c.message)
			}
			if a.retryAfter != c.retryAfter {
				t.Errorf("retryAfter %v, want %v", a.retryAfter, c.retryAfter)
			}
		})
	}
}

// TestErrorAnswers: the mapped errors as clients see them over HTTP.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	id := testAgentID
	fail := func(method string, err error) func(*fakeBackend) {
		return func(f *fakeBackend) { f.errs[method] = err }
	}
	runCases(t, []apiCase{
		{name: "login timeout", method: "POST", path: "/api/cloud/login", wantStatus: 504,
			setup:    fail("StartLogin", &app.Error{Kind: app.KindTimeout, Message: "Eliza Cloud login request timed out", Err: cloud.ErrTimeout}),
			wantJSON: errJSON("Eliza Cloud login request timed out")},
		{name: "login unreachable", method: "POST", path: "/api/cloud/login", wantStatus: 502,
			setup:    fail("StartLogin", &app.Error{Kind: app.KindUpstream, Message: "Failed to reach Eliza Cloud"}),
			wantJSON: errJSON("Failed to reach Eliza Cloud")},
		{name: "login status unreachable", method: "GET", path: "/api/cloud/login/status?sessionId=s", wantStatus: 502,
			setup:    fail("LoginStatus", &app.Error{Kind: app.KindUpstream, Message: "Failed to reach Eliza Cloud"}),
			wantJSON: `{"status":"error","error":"Failed to reach Eliza Cloud"}`},
		{name: "login status timeout", method: "GET", path: "/api/cloud/login/status?sessionId=s", wantStatus: 504,
			setup:    fail("LoginStatus", &app.Error{Kind: app.KindTimeout, Message: "Eliza Cloud status request timed out"}),
			wantJSON: `{"status":"error","error":"Eliza Cloud status request timed out"}`},
		{name: "agents logged out", method: "GET", path: "/api/cloud/agents", wantStatus: 401,
			setup: fail("ListAgents", notLoggedIn()), wantJSON: errJSON("Not connected to Eliza Cloud")},
		{name: "agents upstream", method: "GET", path: "/api/cloud/agents", wantStatus: 502,
			setup:    fail("ListAgents", fmt.Errorf("list agents: %w", &cloud.HTTPError{Status: 500, Message: "HTTP 500: boom"})),
			wantJSON: errJSON("HTTP 500: boom")},
		{name: "create insufficient credits", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a"}`, wantStatus: 402,
			setup: fail("CreateAgent", fmt.Errorf("create agent: %w",
				&cloud.InsufficientCreditsError{Message: "Insufficient credits", RequiredBalance: 5, CurrentBalance: 0.25})),
			wantJSON: `{"error":"Insufficient credits","requiredBalance":5,"currentBalance":0.25}`},
		{name: "create logged out", method: "POST", path: "/api/cloud/agents", body: `{"agentName":"a"}`, wantStatus: 401,
			setup: fail("CreateAgent", app.ErrNotLoggedIn), wantJSON: errJSON("Not connected to Eliza Cloud")},
		{name: "create logged out is 401 before the body", method: "POST", path: "/api/cloud/agents", body: `[]`, wantStatus: 401,
			setup: func(f *fakeBackend) { f.loggedIn = false }, wantJSON: errJSON("Not connected to Eliza Cloud"), noCall: true},
		{name: "agent not found", method: "GET", path: agentPath(id, ""), wantStatus: 404,
			setup: fail("GetAgent", &cloud.HTTPError{Status: 404, Message: "Agent not found"}), wantJSON: errJSON("Agent not found")},
		{name: "provision conflict", method: "POST", path: agentPath(id, "provision"), wantStatus: 409,
			setup: fail("ConnectAgent", &cloud.HTTPError{Status: 409, Message: "Provisioning in progress"}), wantJSON: errJSON("Provisioning in progress")},
		{name: "provision timeout", method: "POST", path: agentPath(id, "provision"), wantStatus: 504,
			setup: fail("ConnectAgent", fmt.Errorf("provision: %w", cloud.ErrTimeout))},
		{name: "async validation failure", method: "POST", path: agentPath(id, "connect") + "?async=true", wantStatus: 401,
			setup: fail("ConnectAgentAsync", app.ErrNotLoggedIn)},
		{name: "blocked url", method: "POST", path: agentPath(id, "connect"), wantStatus: 400,
			setup: fail("ConnectAgent", &cloud.URLError{URL: "http://169.254.169.254", Reason: "link-local"})},
		{name: "chat not connected", method: "POST", path: "/api/chat", body: `{"text":"hi"}`, wantStatus: 409,
			setup: fail("Chat", cloud.ErrNotConnected), wantJSON: errJSON("not connected to a cloud agent")},
		{name: "chat reconnecting", method: "POST", path: "/api/chat", body: `{"text":"hi"}`, wantStatus: 503,
			setup: fail("Chat", cloud.ErrReconnecting), wantHeader: map[string]string{"Retry-After": "5"}},
		{name: "snapshot redirect", method: "POST", path: agentPath(id, "snapshot"), wantStatus: 502,
			setup: fail("SnapshotAgent", &cloud.RedirectError{Status: 307, Location: "https://elsewhere"})},
		{name: "restore not found", method: "POST", path: agentPath(id, "restore"), body: `{"backupId":"nope"}`, wantStatus: 404,
			setup: fail("RestoreAgent", &cloud.HTTPError{Status: 404, Message: "Backup not found"})},
		{name: "history failure is generic", method: "GET", path: "/api/chat/history", wantStatus: 500,
			setup:    fail("ChatHistory", errors.New("sqlite: /home/u/.milady/app.db: disk I/O error")),
			wantJSON: errJSON("Internal server error")},
		{name: "credit history failure", method: "GET", path: "/api/cloud/credits/history", wantStatus: 500,
			setup: fail("CreditHistory", errors.New("boom"))},
		{name: "top up failure", method: "POST", path: "/api/cloud/topup", wantStatus: 400,
			setup: fail("TopUp", app.InvalidInput("No browser available")), wantJSON: errJSON("No browser available")},
		{name: "top up page failure", method: "POST", path: "/api/cloud/topup/open", wantStatus: 400,
			setup: fail("OpenTopUp", app.InvalidInput("No browser available")), wantJSON: errJSON("No browser available")},
		{name: "settings failure", method: "POST", path: "/api/settings", body: `{"startAtLogin":true}`, wantStatus: 500,
			setup: fail("SetStartAtLogin", errors.New("write autostart file: permission denied"))},
	}, nil)
}

// TestKindOfInvertsKindStatus: every kind the API maps to a status comes
// back from that status, so a client of the API (the window process) sees
// the kind the Service raised.
func TestKindOfInvertsKindStatus(t *testing.T) {
	for kind, status := range kindStatus {
		retry := kind == app.KindReconnecting
		if got := KindOf(status, retry); got != kind {
			t.Errorf("KindOf(%d, %v) = %v, want %v", status, retry, got, kind)
		}
	}
	for status, want := range map[int]app.Kind{413: app.KindInvalidInput, 500: app.KindUnknown, 403: app.KindUnknown, 405: app.KindUnknown} {
		if got := KindOf(status, false); got != want {
			t.Errorf("KindOf(%d) = %v, want %v", status, got, want)
		}
	}
}
