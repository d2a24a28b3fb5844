package apptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

// REST calls a Service's REST API served over real HTTP, the way the app
// tests and app/reliability drive it. Every body read is kept in Bodies, so
// a test can check afterwards that no answer ever carried the API key.
type REST struct {
	T      testing.TB
	URL    string       // the server's base URL
	Client *http.Client // nil: http.DefaultClient
	Bodies *Buffer      // nil: bodies are not kept
}

// Resp is one REST answer.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// String is for failure messages.
func (r Resp) String() string { return fmt.Sprintf("%d %s", r.Status, r.Body) }

// Object decodes the body as a JSON object, failing the test otherwise.
func (r Resp) Object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.Body)
	}
	return m
}

// Do sends a request (a non-empty body as JSON; hdr are name, value pairs)
// and fails the test when there is no answer.
func (c *REST) Do(method, path, body string, hdr ...string) Resp {
	c.T.Helper()
	r, err := c.Try(method, path, body, hdr...)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// Try is Do without failing the test, for use off the test goroutine.
func (c *REST) Try(method, path, body string, hdr ...string) (Resp, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return Resp{}, fmt.Errorf("build request: %w", err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	res, err := hc.Do(req)
	if err != nil {
		return Resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if c.Bodies != nil {
		_, _ = c.Bodies.Write(b)
		_, _ = c.Bodies.Write([]byte("\n"))
	}
	if err != nil {
		return Resp{}, fmt.Errorf("read answer: %w", err)
	}
	return Resp{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// Expect asserts the status and returns the body as a JSON object: nil for
// an empty body, a failure for anything else that is not an object.
func (c *REST) Expect(method, path, body string, want int) map[string]any {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status != want {
		c.T.Fatalf("%s %s: got %s, want status %d", method, path, r, want)
	}
	if len(r.Body) == 0 {
		return nil
	}
	return r.Object(c.T)
}

// Login runs the whole REST login through the simulator's Approve step and
// returns the key the Service adopted (read from its environment seam env),
// after checking that the answers point at the session and at that key and
// that the identity check ran.
func (c *REST) Login(sim *cloudsim.Server, env *Env, svc *app.Service, within time.Duration) string {
	c.T.Helper()
	m := c.Expect("POST", "/api/cloud/login", "", 200)
	sid, _ := m["sessionId"].(string)
	browser, _ := m["browserUrl"].(string)
	if sid == "" || !strings.Contains(browser, "/auth/cli-login?session="+sid) {
		c.T.Fatalf("login answer %v", m)
	}
	if err := sim.ApproveSession(sid); err != nil {
		c.T.Fatal(err)
	}
	var st map[string]any
	Eventually(c.T, within, "authenticated", func() bool {
		st = c.Expect("GET", "/api/cloud/login/status?sessionId="+sid, "", 200)
		return st["status"] == "authenticated"
	})
	key := env.Get("ELIZAOS_CLOUD_API_KEY")
	prefix, _ := st["keyPrefix"].(string)
	if key == "" || prefix == "" || !strings.HasPrefix(key, prefix) {
		c.T.Fatalf("environment key %q does not match keyPrefix %v", key, st["keyPrefix"])
	}
	Eventually(c.T, within, "identity check", func() bool { return svc.Snapshot().IdentityChecked })
	return key
}
