package cloudsim

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var keyFormat = regexp.MustCompile(`^eliza_[0-9a-f]{64}$`)

func TestCLISessionOneTimeKeyRetrieval(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk})
	r := call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"sess-1"}`).want(t, 201)
	if r.str("sessionId") != "sess-1" || r.str("status") != "pending" {
		t.Fatalf("create body = %s", r.raw)
	}
	if got, want := r.str("expiresAt"), "2026-04-01T12:10:00.000Z"; got != want {
		t.Fatalf("expiresAt = %q, want %q", got, want)
	}
	r = call(t, s, "GET", "/api/auth/cli-session/sess-1", "").want(t, 200)
	if r.raw != `{"status":"pending"}` {
		t.Fatalf("pending poll = %s", r.raw)
	}
	if err := s.ApproveSession("sess-1"); err != nil {
		t.Fatalf("approve: %v", err)
	}
	if s.SessionKeyRetrieved("sess-1") {
		t.Fatal("key marked retrieved before any poll")
	}
	r = call(t, s, "GET", "/api/auth/cli-session/sess-1", "").want(t, 200)
	k := r.str("apiKey")
	if r.str("status") != "authenticated" || !keyFormat.MatchString(k) || r.str("keyPrefix") != k[:12] {
		t.Fatalf("authenticated poll = %s", r.raw)
	}
	if v, present := r.body["expiresAt"]; !present || v != nil {
		t.Fatalf("expiresAt must be present and null: %s", r.raw)
	}
	if !s.SessionKeyRetrieved("sess-1") {
		t.Fatal("SessionKeyRetrieved = false after collection")
	}
	// The minted key works.
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)
	// Every later poll: already retrieved, no key.
	for range 2 {
		r = call(t, s, "GET", "/api/auth/cli-session/sess-1", "").want(t, 200)
		if len(r.body) != 2 || r.str("status") != "authenticated" || r.str("message") != "API key already retrieved" {
			t.Fatalf("second poll = %s", r.raw)
		}
		if _, has := r.body["apiKey"]; has {
			t.Fatalf("key handed out twice: %s", r.raw)
		}
	}
	if err := s.ApproveSession("sess-1"); err != ErrSessionCompleted {
		t.Fatalf("second approve = %v, want ErrSessionCompleted", err)
	}
}

func TestCLISessionExpiresAfterTenMinutes(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk})
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"exp"}`).want(t, 201)
	clk.Advance(10*time.Minute - time.Millisecond)
	call(t, s, "GET", "/api/auth/cli-session/exp", "").want(t, 200)
	clk.Advance(time.Millisecond)
	r := call(t, s, "GET", "/api/auth/cli-session/exp", "").want(t, 404)
	if r.raw != `{"error":"Session not found or expired"}` {
		t.Fatalf("expired body = %s", r.raw)
	}
	if err := s.ApproveSession("exp"); err != ErrSessionInvalid {
		t.Fatalf("approve expired = %v, want ErrSessionInvalid", err)
	}
	// Still unique: the row exists until cleanup.
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"exp"}`).want(t, 500)
}

func TestCLISessionCreateErrors(t *testing.T) {
	s := Start(t, Options{})
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"dup"}`).want(t, 201)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"duplicate", `{"sessionId":"dup"}`, 500, `{"error":"Failed to create authentication session"}`},
		{"bad json", `{"sessionId":`, 500, `{"error":"Failed to create authentication session"}`},
		{"empty body", ``, 500, `{"error":"Failed to create authentication session"}`},
		{"missing id", `{}`, 400, `{"error":"Session ID is required"}`},
		{"numeric id", `{"sessionId":5}`, 400, `{"error":"Session ID is required"}`},
		{"empty id", `{"sessionId":""}`, 400, `{"error":"Session ID is required"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "POST", "/api/auth/cli-session", tc.body).want(t, tc.status)
			if r.raw != tc.want {
				t.Fatalf("body = %s, want %s", r.raw, tc.want)
			}
		})
	}
	call(t, s, "GET", "/api/auth/cli-session/nope", "").want(t, 404)
}

func TestCLISessionCompleteNeedsBrowserSession(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"c1"}`).want(t, 201)
	r := call(t, s, "POST", "/api/auth/cli-session/c1/complete", "", key(k)).want(t, 401)
	if r.str("code") != "session_auth_required" || r.body["success"] != false {
		t.Fatalf("complete with key = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/auth/cli-session/c1/complete", "", "Authorization: Bearer "+k).want(t, 401)
	if r.str("code") != "session_auth_required" {
		t.Fatalf("complete with bearer = %s", r.raw)
	}
	r = call(t, s, "POST", "/api/auth/cli-session/c1/complete", "").want(t, 401)
	if r.str("code") != "authentication_required" {
		t.Fatalf("complete without credentials = %s", r.raw)
	}
}

func TestLoginPage(t *testing.T) {
	s := Start(t, Options{})
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"page-1"}`).want(t, 201)
	r := call(t, s, "GET", "/auth/cli-login?session=page-1", "").want(t, 200)
	for _, want := range []string{
		"<title>Eliza Cloud — Approve login (simulator)</title>",
		`<button id="approve"`, `id="result"`, "page-1", "simulator",
		`/__sim/sessions/page-1/approve`, "Login approved. You can close this tab.",
	} {
		if !strings.Contains(r.raw, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("content type = %q", ct)
	}

	// The HTML-escaped session id cannot inject markup.
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"<b>x</b>"}`).want(t, 201)
	r = call(t, s, "GET", "/auth/cli-login?session="+url.QueryEscape("<b>x</b>"), "").want(t, 200)
	if strings.Contains(r.raw, "<b>x</b>") {
		t.Error("session id not escaped")
	}

	r = call(t, s, "GET", "/auth/cli-login?session=unknown", "").want(t, 404)
	if !strings.Contains(r.raw, "not found or has expired") || strings.Contains(r.raw, `id="approve"`) {
		t.Errorf("unknown-session page wrong: %s", r.raw)
	}

	// Approving through the control endpoint the page's script calls.
	r = call(t, s, "POST", "/__sim/sessions/page-1/approve", "").want(t, 200)
	if r.body["success"] != true {
		t.Fatalf("approve = %s", r.raw)
	}
	if strings.Contains(r.raw, "eliza_") {
		t.Fatal("approve endpoint leaked the key")
	}
	r = call(t, s, "GET", "/auth/cli-login?session=page-1", "").want(t, 200)
	if strings.Contains(r.raw, `id="approve"`) || !strings.Contains(r.raw, "Login approved") {
		t.Errorf("approved page still offers the button")
	}
	r = call(t, s, "POST", "/__sim/sessions/page-1/approve", "").want(t, 400)
	if r.str("error") != string(ErrSessionCompleted) {
		t.Fatalf("second approve = %s", r.raw)
	}
	call(t, s, "POST", "/__sim/sessions/missing/approve", "").want(t, 400)

	// The no-JavaScript form path approves too.
	call(t, s, "POST", "/api/auth/cli-session", `{"sessionId":"page-2"}`).want(t, 201)
	r = call(t, s, "POST", "/auth/cli-login?session=page-2", "").want(t, 200)
	if !strings.Contains(r.raw, "Login approved. You can close this tab.") {
		t.Fatalf("form approve page = %s", r.raw)
	}
	r = call(t, s, "GET", "/api/auth/cli-session/page-2", "").want(t, 200)
	if !keyFormat.MatchString(r.str("apiKey")) {
		t.Fatalf("poll after form approve = %s", r.raw)
	}
}
