package testbin

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// App drives a running app's REST API through the steps a user takes.
type App struct {
	URL  string // e.g. "http://127.0.0.1:43210", no trailing slash
	HTTP *http.Client
	Wait time.Duration // bound for polls
}

// SimClient trusts the simulator certificate in caFile (the sim-ca.pem
// that --sim writes to the state folder), for the /__sim/ control API.
func SimClient(t testing.TB, caFile string) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatalf("read the simulator certificate: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", caFile)
	}
	return &http.Client{Timeout: 10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// Login runs the REST login; approve completes the session on the cloud
// side (the simulator's approve step). It returns the key prefix.
func (a App) Login(t testing.TB, approve func(sessionID string)) string {
	t.Helper()
	start := Call(t, a.HTTP, "POST", a.URL+"/api/cloud/login", map[string]any{}, 200)
	sid, _ := start["sessionId"].(string)
	if start["ok"] != true || sid == "" || !strings.Contains(fmt.Sprint(start["browserUrl"]), "session="+sid) {
		t.Fatalf("login start = %v", start)
	}
	status := a.URL + "/api/cloud/login/status?sessionId=" + sid
	if st := Call(t, a.HTTP, "GET", status, nil, 200); st["status"] != "pending" {
		t.Fatalf("login status before approval = %v, want pending", st)
	}
	approve(sid)
	var prefix string
	apptest.Eventually(t, a.Wait, "login authenticated", func() bool {
		st := Call(t, a.HTTP, "GET", status, nil, 200)
		prefix, _ = st["keyPrefix"].(string)
		return st["status"] == "authenticated"
	})
	if !strings.HasPrefix(prefix, "eliza_") {
		t.Fatalf("keyPrefix = %q", prefix)
	}
	return prefix
}

// CreateAndConnect creates an agent, connects to it and checks the status
// says so; it returns the agent id.
func (a App) CreateAndConnect(t testing.TB, name string) string {
	t.Helper()
	created := Call(t, a.HTTP, "POST", a.URL+"/api/cloud/agents", map[string]any{"agentName": name}, 201)
	id, _ := Get(created, "agent", "id").(string)
	if created["ok"] != true || id == "" || Get(created, "agent", "agentName") != name {
		t.Fatalf("create agent = %v", created)
	}
	conn := Call(t, a.HTTP, "POST", a.URL+"/api/cloud/agents/"+id+"/connect", map[string]any{}, 200)
	if conn["ok"] != true || conn["agentId"] != id || conn["status"] != "connected" {
		t.Fatalf("connect = %v", conn)
	}
	st := Call(t, a.HTTP, "GET", a.URL+"/api/cloud/status", nil, 200)
	if Get(st, "connection", "state") != "connected" || Get(st, "connection", "agentId") != id {
		t.Fatalf("status after connect = %v", st)
	}
	return id
}

// Chat checks a plain and a streamed round trip through the chat proxy to
// the simulator, which echoes the message.
func (a App) Chat(t testing.TB, agentID string) {
	t.Helper()
	msg := "hello from testbin " + strconv.FormatInt(time.Now().UnixNano(), 36)
	reply := Call(t, a.HTTP, "POST", a.URL+"/api/chat", map[string]any{"text": msg}, 200)
	if text, _ := reply["text"].(string); !strings.Contains(text, msg) || reply["agentId"] != agentID {
		t.Fatalf("chat reply = %v, want the simulator's echo of %q from %s", reply, msg, agentID)
	}

	resp, err := a.HTTP.Post(a.URL+"/api/chat/stream", "application/json",
		strings.NewReader(`{"text":"stream `+msg+`"}`))
	if err != nil {
		t.Fatalf("chat stream: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("chat stream: HTTP %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	events := apptest.ReadSSE(t, resp.Body)
	if len(events) < 2 || events[len(events)-1].Event != "done" {
		t.Fatalf("stream events = %v, want chunks then done", events)
	}
	var text strings.Builder
	for _, e := range events[:len(events)-1] {
		var c struct{ Text string }
		if e.Event != "chunk" || json.Unmarshal([]byte(e.Data), &c) != nil {
			t.Fatalf("stream event %q %q before the end, want chunks: %v", e.Event, e.Data, events)
		}
		text.WriteString(c.Text)
	}
	var done struct{ AgentID string }
	_ = json.Unmarshal([]byte(events[len(events)-1].Data), &done)
	if done.AgentID != agentID || !strings.Contains(text.String(), "stream "+msg) {
		t.Fatalf("stream: text %q, done %+v; want the echo of %q from %s", text.String(), done, msg, agentID)
	}
}
