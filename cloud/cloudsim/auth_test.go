package cloudsim

import (
	"strings"
	"testing"
	"time"
)

func TestAuthEdgeCases(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	bad := "eliza_" + strings.Repeat("0", 64)
	tests := []struct {
		name    string
		headers []string
		status  int
		errText string
		code    string
	}{
		{"x-api-key", []string{key(k)}, 200, "", ""},
		{"lowercase header name", []string{"x-api-key: " + k}, 200, "", ""},
		{"bearer key", []string{"Authorization: Bearer " + k}, 200, "", ""},
		{"no credentials", nil, 401, "Unauthorized", "authentication_required"},
		{"bearer abc", []string{"Authorization: Bearer abc"}, 401, "Invalid authentication token", "authentication_required"},
		{"bearer jwt-shaped", []string{"Authorization: Bearer aaa.bbb.ccc"}, 401, "Invalid authentication token", "authentication_required"},
		{"bearer empty", []string{"Authorization: Bearer "}, 401, "Invalid authentication token", "authentication_required"},
		{"unknown key", []string{key(bad)}, 401, "Invalid or expired API key", "authentication_required"},
		{"unknown bearer key", []string{"Authorization: Bearer " + bad}, 401, "Invalid or expired API key", "authentication_required"},
		{"x-api-key wins over valid bearer", []string{key(bad), "Authorization: Bearer " + k}, 401, "Invalid or expired API key", "authentication_required"},
		{"valid x-api-key with junk bearer", []string{key(k), "Authorization: Bearer abc"}, 200, "", ""},
		{"basic auth is no credentials", []string{"Authorization: Basic Zm9vOmJhcg=="}, 401, "Unauthorized", "authentication_required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, s, "GET", "/api/v1/milady/agents", "", tc.headers...).want(t, tc.status)
			if tc.status == 200 {
				return
			}
			if r.body["success"] != false || r.str("error") != tc.errText || r.str("code") != tc.code {
				t.Fatalf("body = %s, want error %q code %q", r.raw, tc.errText, tc.code)
			}
		})
	}
}

func TestRevokeKeys(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 200)
	s.RevokeKeys()
	r := call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 401)
	if r.str("error") != "Invalid or expired API key" || r.str("code") != "authentication_required" {
		t.Fatalf("balance after revoke = %s", r.raw)
	}
	// /api/v1/user errors carry no code.
	r = call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 401)
	if _, hasCode := r.body["code"]; hasCode || r.body["success"] != false || r.str("error") != "Invalid or expired API key" {
		t.Fatalf("user after revoke = %s", r.raw)
	}
	call(t, s, "POST", "/__sim/revoke", "").want(t, 200)
}

func TestUserRateLimit(t *testing.T) {
	clk := newFake()
	s := Start(t, Options{Clock: clk})
	k := s.NewAPIKey()
	for i := range 60 {
		r := call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 200)
		if got, want := r.header.Get("X-RateLimit-Remaining"), itoa(59-i); got != want {
			t.Fatalf("request %d remaining = %s, want %s", i+1, got, want)
		}
	}
	r := call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 429)
	if r.str("code") != "rate_limit_exceeded" || r.str("error") != "Too many requests" ||
		r.str("message") != "Rate limit exceeded. Maximum 60 requests per 60 seconds." || r.body["retryAfter"] != 60.0 {
		t.Fatalf("429 body = %s", r.raw)
	}
	if r.header.Get("Retry-After") != "60" || r.header.Get("X-RateLimit-Limit") != "60" {
		t.Fatalf("429 headers = %v", r.header)
	}
	// Other routes are not limited; a new window opens after 60 s.
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)
	clk.Advance(60 * time.Second)
	call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 200)
}

func TestRoutingEdges(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()

	r := call(t, s, "GET", "/api/v1/credits/balance/?fresh=true", "", key(k)).want(t, 308)
	if loc := r.header.Get("Location"); loc != "/api/v1/credits/balance?fresh=true" {
		t.Fatalf("Location = %q", loc)
	}
	r = call(t, s, "GET", "/api/v1/nothing-here", "", key(k)).want(t, 404)
	if r.body["success"] != false {
		t.Fatalf("unknown API path body = %s", r.raw)
	}
	call(t, s, "GET", "/nothing", "").want(t, 404)
	r = call(t, s, "OPTIONS", "/api/v1/milady/agents", "").want(t, 204)
	if r.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight headers = %v", r.header)
	}
	big := `{"agentName":"` + strings.Repeat("a", 1<<20) + `"}`
	r = call(t, s, "POST", "/api/v1/milady/agents", big, key(k)).want(t, 413)
	if r.body["success"] != false {
		t.Fatalf("413 body = %s", r.raw)
	}
}
