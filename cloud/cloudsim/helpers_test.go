package cloudsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	raw    string
	body   map[string]any
}

// call sends one request with optional JSON body and headers ("X-API-Key:
// v" style strings) and decodes a JSON object answer when there is one.
func call(t *testing.T, s *Server, method, path, body string, headers ...string) resp {
	t.Helper()
	r, err := try(s, method, path, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is call without the test: safe from other goroutines.
func try(s *Server, method, path, body string, headers ...string) (resp, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL()+path, rd)
	if err != nil {
		return resp{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := s.HTTPClient().Do(req)
	if err != nil {
		return resp{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return resp{}, err
	}
	out := resp{status: res.StatusCode, header: res.Header, raw: string(b)}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		_ = json.Unmarshal(b, &out.body)
	}
	return out, nil
}

// key is the header carrying k as X-API-Key.
func key(k string) string { return "X-API-Key: " + k }

func (r resp) want(t *testing.T, status int) resp {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r
}

// str digs a string out of the body by a dotted path ("data.id").
func (r resp) get(path string) any {
	var cur any = r.body
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (r resp) str(path string) string {
	s, _ := r.get(path).(string)
	return s
}

func newFake() *clock.Fake { return clock.NewFake(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)) }

// createAgent makes an agent and returns its id.
func createAgent(t *testing.T, s *Server, k, name string) string {
	t.Helper()
	r := call(t, s, "POST", "/api/v1/milady/agents", `{"agentName":"`+name+`"}`, key(k)).want(t, 201)
	return r.str("data.id")
}

// startRunning starts a simulator with o, mints an API key and brings one
// agent to running: the opening of most agent tests. It returns all three.
func startRunning(t *testing.T, o Options) (s *Server, k, id string) {
	t.Helper()
	s = Start(t, o)
	k = s.NewAPIKey()
	return s, k, runningAgent(t, s, k)
}

// runningAgent creates an agent and provisions it to running (async mode,
// zero delay: the first job poll completes it).
func runningAgent(t *testing.T, s *Server, k string) string {
	t.Helper()
	id := createAgent(t, s, k, "Runner")
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/provision", "", key(k))
	if r.status == 202 {
		call(t, s, "GET", "/api/v1/jobs/"+r.str("data.jobId"), "", key(k)).want(t, 200)
	} else {
		r.want(t, 200)
	}
	if st, _ := s.AgentStatus(id); st != "running" {
		t.Fatalf("agent status = %q, want running", st)
	}
	return id
}
