package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
)

func TestHeartbeat(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()
	a := runningAgent(t, c)
	if err := c.Heartbeat(ctx, a.ID); err != nil {
		t.Fatalf("heartbeat of running agent: %v", err)
	}

	// The cloud answers HTTP 200 with a JSON-RPC error when the sandbox is
	// down: that is a failed heartbeat.
	s.FailHeartbeats(1)
	err := c.Heartbeat(ctx, a.ID)
	var re *RPCError
	if !errors.As(err, &re) || re.Code != -32000 || re.Message != "Sandbox is not running" || !errors.Is(err, ErrUpstream) {
		t.Fatalf("failed heartbeat = %v", err)
	}
	if err := c.Heartbeat(ctx, a.ID); err != nil {
		t.Fatalf("heartbeat after the outage: %v", err)
	}

	pending := newAgent(t, c)
	if err := c.Heartbeat(ctx, pending.ID); !errors.As(err, &re) {
		t.Fatalf("heartbeat of a pending agent = %v, want RPC error", err)
	}

	bridge := "/api/v1/milady/agents/" + a.ID + "/bridge"
	for _, tc := range []struct {
		body string
		ok   bool
		kind error
	}{
		{`{"jsonrpc":"2.0","method":"heartbeat.ack","params":{"timestamp":1}}`, true, nil},
		{`{"jsonrpc":"2.0","id":"1","result":{}}`, true, nil},
		{`{"jsonrpc":"2.0","id":null}`, false, ErrMalformed},
		{`{"jsonrpc":"2.0","method":"heartbeat.ack","error":{"code":1,"message":"x"}}`, false, ErrUpstream},
		{`{"success":false,"error":"Sandbox bridge is unreachable"}`, false, ErrUpstream},
		{`not json`, false, ErrMalformed},
	} {
		s.InjectFault(cloudsim.Fault{Path: bridge, Count: 1, Status: 200, Body: tc.body})
		err := c.Heartbeat(ctx, a.ID)
		if tc.ok != (err == nil) || (tc.kind != nil && !errors.Is(err, tc.kind)) {
			t.Errorf("heartbeat with body %s = %v, want ok=%v kind=%v", tc.body, err, tc.ok, tc.kind)
		}
	}
	s.InjectFault(cloudsim.Fault{Path: bridge, Count: 1, Status: 503, Body: "Service Unavailable"})
	var he *HTTPError
	if err := c.Heartbeat(ctx, a.ID); !errors.As(err, &he) || he.Status != 503 {
		t.Fatalf("heartbeat 503 = %v", err)
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync}, func(o *ClientOptions) {
		o.Timeouts.Heartbeat = 50 * time.Millisecond
	})
	a := runningAgent(t, c)
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + a.ID + "/bridge", Count: 1, Delay: 5 * time.Second})
	assertKind(t, c.Heartbeat(context.Background(), a.ID), ErrTimeout)
}

func TestSendMessage(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()
	a := runningAgent(t, c)
	reply, err := c.SendMessage(ctx, a.ID, Message{Text: "hello there"})
	if err != nil || reply != "[echo] hello there" {
		t.Fatalf("reply = %q, %v", reply, err)
	}
	bridge := "/api/v1/milady/agents/" + a.ID + "/bridge"
	s.InjectFault(cloudsim.Fault{Path: bridge, Count: 1, Status: 200, Body: `{"jsonrpc":"2.0","id":"1","result":{}}`})
	if reply, err := c.SendMessage(ctx, a.ID, Message{Text: "x"}); err != nil || reply != "(no response)" {
		t.Fatalf("empty result = %q, %v", reply, err)
	}
	s.InjectFault(cloudsim.Fault{Path: bridge, Count: 1, Status: 200, Body: `{"jsonrpc":"2.0","id":"1","error":{"code":-32000,"message":"Agent runtime not ready"}}`})
	_, err = c.SendMessage(ctx, a.ID, Message{Text: "x"})
	var re *RPCError
	if !errors.As(err, &re) || re.Message != "Agent runtime not ready" {
		t.Fatalf("RPC error = %v", err)
	}
	stopped := newAgent(t, c)
	if _, err := c.SendMessage(ctx, stopped.ID, Message{Text: "x"}); !errors.As(err, &re) || re.Message != "Sandbox is not running" {
		t.Fatalf("message to a pending agent = %v", err)
	}
}

func TestMessageTimeoutIsSeparateFromREST(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync}, func(o *ClientOptions) {
		o.Timeouts.Message = 50 * time.Millisecond
		o.Timeouts.REST = 10 * time.Second
	})
	a := runningAgent(t, c)
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/milady/agents/" + a.ID + "/bridge", Count: 1, Delay: 5 * time.Second})
	_, err := c.SendMessage(context.Background(), a.ID, Message{Text: "x"})
	assertKind(t, err, ErrTimeout)
}

func TestAgentStatus(t *testing.T) {
	_, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	a := runningAgent(t, c)
	st, err := c.AgentStatus(context.Background(), a.ID)
	if err != nil || st.Status != "running" || st.StartedAt == "" {
		t.Fatalf("status = %+v, %v", st, err)
	}
	p := newAgent(t, c)
	if _, err := c.AgentStatus(context.Background(), p.ID); !errors.Is(err, ErrUpstream) {
		t.Fatalf("status of pending agent = %v", err)
	}
}

func TestStreamFromSimulator(t *testing.T) {
	_, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()
	a := runningAgent(t, c)
	var chunks []string
	err := c.Stream(ctx, a.ID, Message{Text: "hello streaming world"}, func(s string) error {
		chunks = append(chunks, s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) < 2 || strings.Join(chunks, "") != "[echo] hello streaming world" {
		t.Fatalf("chunks = %q", chunks)
	}

	// Not running: HTTP 200 with a single error event, which is an error.
	p := newAgent(t, c)
	err = c.Stream(ctx, p.ID, Message{Text: "x"}, func(string) error { t.Fatal("chunk from a stopped agent"); return nil })
	var re *RPCError
	if !errors.As(err, &re) || re.Message != "Sandbox is not running or unreachable" || !errors.Is(err, ErrUpstream) {
		t.Fatalf("stream to stopped agent = %v", err)
	}

	// A callback error stops the stream and is returned as is.
	stop := errors.New("client went away")
	if err := c.Stream(ctx, a.ID, Message{Text: "a b c d"}, func(string) error { return stop }); err != stop {
		t.Fatalf("callback error = %v", err)
	}

	// Auth errors come back as JSON, not SSE.
	err = c.WithAPIKey("eliza_"+strings.Repeat("1", 64)).Stream(ctx, a.ID, Message{Text: "x"}, func(string) error { return nil })
	assertKind(t, err, ErrUnauthorized)
}

// TestStreamIsIncremental: each chunk reaches the callback while the
// server is still holding the rest of the reply back.
func TestStreamIsIncremental(t *testing.T) {
	release := make(chan struct{})
	c, reqs := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		fmt.Fprint(w, ": keepalive\n\nevent: connected\ndata: {\"rpcId\":\"1\"}\n\n")
		for i := range 3 {
			fmt.Fprintf(w, "event: chunk\r\ndata: {\"text\":\"part%d \"}\r\n\r\n", i)
			fl.Flush()
			select {
			case <-release:
			case <-r.Context().Done():
				return
			case <-time.After(5 * time.Second):
				return // the client never saw the chunk: the test fails below
			}
		}
		fmt.Fprint(w, "event: chunk\ndata: not json\n\nevent: done\ndata: {}\n\nevent: chunk\ndata: {\"text\":\"after done\"}\n\n")
	})
	var got []string
	err := c.Stream(context.Background(), "a", Message{Text: "hi"}, func(s string) error {
		got = append(got, s)
		if len(got) <= 3 {
			select {
			case release <- struct{}{}:
			case <-time.After(5 * time.Second):
			}
		}
		return nil
	})
	if err != nil || strings.Join(got, "") != "part0 part1 part2 " {
		t.Fatalf("chunks %q, %v", got, err)
	}
	r := reqs()[0]
	if r.path != "/api/v1/milady/agents/a/stream" || r.header.Get("Accept") != "text/event-stream" || r.header.Get("X-Api-Key") == "" {
		t.Fatalf("stream request %s %v", r.path, r.header)
	}
	if !strings.Contains(string(r.body), `"method":"message.send"`) || !strings.Contains(string(r.body), `"roomId":"web-chat"`) {
		t.Fatalf("stream body %s", r.body)
	}
}

func TestStreamEndsWithoutDone(t *testing.T) {
	c, _ := recordingServer(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: chunk\ndata: {\"text\":\"half\"}\n\n")
	})
	var got []string
	err := c.Stream(context.Background(), "a", Message{Text: "hi"}, func(s string) error { got = append(got, s); return nil })
	assertKind(t, err, ErrUnreachable)
	if len(got) != 1 {
		t.Fatalf("chunks %q", got)
	}
}

func TestStreamEndsWithContext(t *testing.T) {
	c, _ := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event: chunk\ndata: {\"text\":\"first\"}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	ctx, cancel := context.WithCancel(context.Background())
	err := c.Stream(ctx, "a", Message{Text: "hi"}, func(string) error { cancel(); return nil })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stream after cancel = %v", err)
	}
}
