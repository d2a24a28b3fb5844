package cloudsim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	const path = "/api/v1/credits/balance"
	tests := []struct {
		name  string
		fault Fault
		check func(t *testing.T, r resp)
	}{
		{"status default body", Fault{Path: path, Status: 503, Count: 1}, func(t *testing.T, r resp) {
			r.want(t, 503)
			if r.raw != `{"success":false,"error":"Injected failure"}` {
				t.Fatalf("body = %s", r.raw)
			}
		}},
		{"status custom body", Fault{Method: "GET", Path: path, Status: 500, Body: `{"error":"boom"}`, Count: 1}, func(t *testing.T, r resp) {
			r.want(t, 500)
			if r.str("error") != "boom" {
				t.Fatalf("body = %s", r.raw)
			}
		}},
		{"redirect", Fault{Path: path, RedirectTo: "https://evil.example/", Count: 1}, func(t *testing.T, r resp) {
			r.want(t, 302)
			if r.header.Get("Location") != "https://evil.example/" {
				t.Fatalf("Location = %q", r.header.Get("Location"))
			}
		}},
		{"malformed", Fault{Path: path, Malformed: true, Count: 1}, func(t *testing.T, r resp) {
			r.want(t, 200)
			var v any
			if json.Unmarshal([]byte(r.raw), &v) == nil {
				t.Fatalf("body %q parses as JSON", r.raw)
			}
		}},
		{"slow body", Fault{Path: path, SlowBody: true, Delay: 20 * time.Millisecond, Count: 1}, func(t *testing.T, r resp) {
			r.want(t, 200)
			if r.body["balance"] != 25.0 {
				t.Fatalf("slow body = %q", r.raw)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.InjectFault(tc.fault)
			tc.check(t, call(t, s, "GET", path, "", key(k)))
			// Count 1: the next request is normal again.
			call(t, s, "GET", path, "", key(k)).want(t, 200)
		})
	}
}

func TestFaultMatchingAndClearing(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	s.InjectFault(Fault{Method: "POST", Path: "/api/v1/milady/agents", Status: 502})
	call(t, s, "GET", "/api/v1/milady/agents", "", key(k)).want(t, 200) // method mismatch
	for range 3 {                                                       // Count 0: until cleared
		call(t, s, "POST", "/api/v1/milady/agents", `{"agentName":"x"}`, key(k)).want(t, 502)
	}
	// Never on control paths or the login page.
	s.InjectFault(Fault{Path: "/", Status: 418})
	call(t, s, "GET", "/__sim/state", "").want(t, 200)
	call(t, s, "GET", "/auth/cli-login?session=x", "").want(t, 404)
	call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 418)
	s.ClearFaults()
	call(t, s, "POST", "/api/v1/milady/agents", `{"agentName":"x"}`, key(k)).want(t, 201)
}

func TestFaultReset(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	s.InjectFault(Fault{Path: "/api/v1/user", Reset: true, Count: 1})
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/user", nil)
	req.Header.Set("X-API-Key", k)
	res, err := s.HTTPClient().Do(req)
	if err == nil {
		res.Body.Close()
		t.Fatalf("reset fault answered %d", res.StatusCode)
	}
	call(t, s, "GET", "/api/v1/user", "", key(k)).want(t, 200)
}

func TestFaultDelayTimesOutClient(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	s.InjectFault(Fault{Path: "/api/v1/credits/balance", Delay: 5 * time.Second, Count: 1})
	c := &http.Client{Transport: s.HTTPClient().Transport, Timeout: 50 * time.Millisecond}
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/credits/balance", nil)
	req.Header.Set("X-API-Key", k)
	start := time.Now()
	res, err := c.Do(req)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		t.Fatalf("delayed request did not time out: %d %s after %v", res.StatusCode, b, time.Since(start))
	}
	var ne interface{ Timeout() bool }
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want timeout", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("client waited for the whole delay")
	}
}

func TestSlowBodyStallsMidBody(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	s.InjectFault(Fault{Path: "/api/v1/user", Status: 200, Body: `{"success":true,"data":{"id":"x"}}`, SlowBody: true, Delay: 5 * time.Second, Count: 1})
	req, _ := http.NewRequest("GET", s.URL()+"/api/v1/user", nil)
	req.Header.Set("X-API-Key", k)
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("headers should arrive: %v", err)
	}
	defer res.Body.Close()
	buf := make([]byte, 64)
	n, _ := io.ReadAtLeast(res.Body, buf, 1)
	if got := string(buf[:n]); !strings.HasPrefix(`{"success":true,"data":{"id":"x"}}`, got) || n >= 34 {
		t.Fatalf("first read = %q, want a strict prefix", got)
	}
}

func TestLatency(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	s.SetLatency(60 * time.Millisecond)
	start := time.Now()
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k)).want(t, 200)
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("answer took %v, want >= 60ms", d)
	}
	start = time.Now()
	call(t, s, "GET", "/__sim/state", "").want(t, 200)
	if d := time.Since(start); d >= 60*time.Millisecond {
		t.Fatalf("control API delayed by latency (%v)", d)
	}
}

func TestRequestLogNeverRecordsKey(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	call(t, s, "GET", "/api/v1/credits/balance", "", key(k))
	call(t, s, "GET", "/api/v1/credits/balance", "", "Authorization: Bearer "+k)
	call(t, s, "GET", "/api/v1/milady/agents?x=1", "")
	call(t, s, "GET", "/__sim/state", "")
	reqs := s.Requests()
	if len(reqs) != 3 {
		t.Fatalf("logged %d requests, want 3 (control calls are not logged): %+v", len(reqs), reqs)
	}
	wantAuth := []string{"x-api-key", "bearer", ""}
	for i, r := range reqs {
		if r.Auth != wantAuth[i] || r.At.IsZero() {
			t.Errorf("request %d = %+v, want auth %q", i, r, wantAuth[i])
		}
	}
	if reqs[2].Query != "x=1" || reqs[2].Path != "/api/v1/milady/agents" {
		t.Errorf("request 2 = %+v", reqs[2])
	}
	if n := s.CountRequests("GET", "/api/v1/credits/"); n != 2 {
		t.Errorf("CountRequests = %d, want 2", n)
	}
	r := call(t, s, "GET", "/__sim/requests", "").want(t, 200)
	state := call(t, s, "GET", "/__sim/state", "").want(t, 200)
	for _, body := range []string{r.raw, state.raw, strings.Join(func() []string {
		var out []string
		for _, q := range reqs {
			out = append(out, q.Method+q.Path+q.Query+q.Auth)
		}
		return out
	}(), " ")} {
		if strings.Contains(body, k) || strings.Contains(body, k[6:20]) {
			t.Fatal("request log or state exposes the API key")
		}
	}
	s.ResetRequests()
	if len(s.Requests()) != 0 {
		t.Fatal("ResetRequests left entries")
	}
}
