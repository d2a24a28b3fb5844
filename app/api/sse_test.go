package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// openStream starts a streaming request; cancel ends it from the client.
func openStream(t *testing.T, url, method, body string) (*http.Response, *apptest.SSE, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	return resp, apptest.NewSSE(t, resp.Body), cancel
}

func checkSSEHeaders(t *testing.T, resp *http.Response) {
	t.Helper()
	want := map[string]string{"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	for k, v := range want {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
}

// TestEventsStream: the snapshot first, then every event in order, each as
// one event line and one JSON data line; the subscription is closed when
// the client goes away.
func TestEventsStream(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, func(o *Options) { o.PingInterval = time.Hour })
	snap := app.Snapshot{Version: testVersion, Connection: cloud.State{State: cloud.StateDisconnected, Since: testTime}}
	connecting, connected := snap, snap
	connecting.Connection.State = cloud.StateConnecting
	connected.Connection.State = cloud.StateConnected
	sent := []app.Event{
		{Type: app.EventSnapshot, Data: snap, Snapshot: snap},
		{Type: app.EventState, Data: connecting, Snapshot: connecting},
		{Type: app.EventState, Snapshot: connected}, // Data left empty: Snapshot is used
		{Type: app.EventLogin, Data: app.LoginEvent{Status: "authenticated", KeyPrefix: "eliza_ab"}},
		{Type: app.EventBackup, Data: app.BackupEvent{AgentID: testAgentID, OK: false, Error: "line one\nline two"}},
		{Type: app.EventNotice, Data: app.Notice{Kind: "credits", Level: "warning", Message: "Low balance", At: testTime}},
	}
	f.sub.Ch <- sent[0]

	resp, sse, cancel := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	checkSSEHeaders(t, resp)
	first := sse.Event()
	if first.Event != "snapshot" {
		t.Fatalf("first event %q, want snapshot", first.Event)
	}
	for _, ev := range sent[1:] {
		f.sub.Ch <- ev
	}
	for i, ev := range sent {
		var got cloud.SSEEvent
		if i == 0 {
			got = first
		} else {
			got = sse.Event()
		}
		data := ev.Data
		if data == nil {
			data = ev.Snapshot
		}
		want, _ := json.Marshal(data)
		if got.Event != ev.Type || got.Data != string(want) {
			t.Errorf("event %d: got %s %s, want %s %s", i, got.Event, got.Data, ev.Type, want)
		}
	}

	cancel()
	apptest.Receive(t, f.sub.Closed, 10*time.Second, "the subscription to close after the client went away")
}

// TestEventsSnapshotGuaranteed: a subscription that starts with something
// else still yields a snapshot first.
func TestEventsSnapshotGuaranteed(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, nil)
	f.sub.Ch <- app.Event{Type: app.EventCredits, Data: app.CreditsView{Level: "ok"}}
	_, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	if m := sse.Event(); m.Event != "snapshot" || !strings.Contains(m.Data, `"version":"`+testVersion+`"`) {
		t.Fatalf("first event %+v, want the Backend's snapshot", m)
	}
	if m := sse.Event(); m.Event != "credits" {
		t.Fatalf("second event %+v, want credits", m)
	}
}

// TestEventsPing: ": ping" comments at the configured interval, and the
// stream ends when the Backend closes the subscription.
func TestEventsPing(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, func(o *Options) { o.PingInterval = 5 * time.Millisecond })
	f.sub.Ch <- app.Event{Type: app.EventSnapshot, Data: app.Snapshot{}}
	res, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	// The dashboard times the stream out after two silent intervals.
	if got := res.Header.Get("X-Ping-Interval-Ms"); got != "5" {
		t.Fatalf("X-Ping-Interval-Ms = %q, want 5", got)
	}
	comments := make(chan string, 64)
	sse.OnComment = func(c string) {
		select {
		case comments <- c:
		default: // the test has seen enough
		}
	}
	if m := sse.Event(); m.Event != "snapshot" {
		t.Fatalf("first event %+v, want snapshot", m)
	}
	ended := make(chan error, 1)
	go func() { // reads the pings; returns when the stream ends
		ev, err := sse.Next()
		if err == nil {
			err = fmt.Errorf("unexpected event %+v", ev)
		}
		ended <- err
	}()
	for pings := 0; pings < 3; pings++ {
		select {
		case c := <-comments:
			if c != "ping" {
				t.Fatalf("comment %q, want ping", c)
			}
		case err := <-ended:
			t.Fatalf("stream ended before 3 pings: %v", err)
		case <-time.After(10 * time.Second):
			t.Fatalf("only %d pings in 10 s", pings)
		}
	}
	close(f.sub.Ch)
	if err := apptest.Receive(t, ended, 10*time.Second, "the stream to end after the subscription closed"); !errors.Is(err, io.EOF) {
		t.Fatalf("stream ended with %v, want EOF", err)
	}
}

// TestEventsNeedToken: the stream is behind the token like every route.
func TestEventsNeedToken(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{{name: "no token", method: "GET", path: "/api/cloud/events", wantStatus: 401, noCall: true}},
		func(o *Options) { o.Token = testToken })
}

// TestChatStreamFraming: each chunk is flushed on its own — the test reads
// the first chunk before the Backend produces the second — then "done".
func TestChatStreamFraming(t *testing.T) {
	t.Parallel()
	f := newFake()
	next := make(chan struct{})
	f.chatStream = apptest.SteppedChatStream(testAgentID, next)
	srv := newTestServer(t, f, nil)
	resp, sse, _ := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
	checkSSEHeaders(t, resp)
	if got := resp.Header.Get(AgentIDHeader); got != testAgentID {
		t.Errorf("%s = %q, want the agent passed to onStart, %q", AgentIDHeader, got, testAgentID)
	}
	if m := sse.Event(); m.Event != "chunk" || m.Data != `{"text":"Hel"}` {
		t.Fatalf("first message %+v", m)
	}
	close(next)
	if m := sse.Event(); m.Event != "chunk" || m.Data != `{"text":"lo \"world\"\n"}` {
		t.Fatalf("second message %+v", m)
	}
	if m := sse.Event(); m.Event != "done" || m.Data != `{"agentId":"`+testAgentID+`"}` {
		t.Fatalf("last message %+v", m)
	}
}

// TestChatStreamErrors: before onStart an error is plain JSON with its
// status; after it, an "error" event ends the stream.
func TestChatStreamErrors(t *testing.T) {
	t.Parallel()
	t.Run("before start", func(t *testing.T) {
		t.Parallel()
		runCases(t, []apiCase{
			{name: "not connected", method: "POST", path: "/api/chat/stream", body: `{"text":"hi"}`, wantStatus: 409,
				setup:    func(f *fakeBackend) { f.errs["ChatStream"] = fmt.Errorf("chat: %w", cloud.ErrNotConnected) },
				wantJSON: errJSON("chat: not connected to a cloud agent")},
			{name: "reconnecting", method: "POST", path: "/api/chat/stream", body: `{"text":"hi"}`, wantStatus: 503,
				setup:      func(f *fakeBackend) { f.errs["ChatStream"] = cloud.ErrReconnecting },
				wantHeader: map[string]string{"Retry-After": "5", "Content-Type": "application/json; charset=utf-8"}},
			{name: "logged out", method: "POST", path: "/api/chat/stream", body: `{"text":"hi"}`, wantStatus: 401,
				setup: func(f *fakeBackend) { f.errs["ChatStream"] = notLoggedIn() }},
		}, nil)
	})
	t.Run("after start", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		f.chatStream = func(_ context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
			onStart(testAgentID)
			if err := onChunk("partial"); err != nil {
				return err
			}
			return fmt.Errorf("stream: %w", &cloud.RPCError{Code: -32000, Message: "agent crashed"})
		}
		srv := newTestServer(t, f, nil)
		resp, sse, _ := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
		checkSSEHeaders(t, resp)
		if m := sse.Event(); m.Event != "chunk" {
			t.Fatalf("first message %+v", m)
		}
		if m := sse.Event(); m.Event != "error" || m.Data != `{"error":"stream: agent crashed"}` {
			t.Fatalf("second message %+v", m)
		}
	})
	t.Run("internal error after start is generic", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		f.chatStream = func(_ context.Context, _ app.ChatInput, onStart func(string), _ func(string) error) error {
			onStart(testAgentID)
			return fmt.Errorf("store message: sqlite: disk I/O error at /home/u")
		}
		srv := newTestServer(t, f, nil)
		_, sse, _ := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
		if m := sse.Event(); m.Event != "error" || m.Data != `{"error":"Internal server error"}` {
			t.Fatalf("message %+v", m)
		}
	})
	t.Run("client gone stops the backend", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		stopped := make(chan error, 1)
		f.chatStream = apptest.EndlessChatStream(testAgentID, stopped)
		srv := newTestServer(t, f, nil)
		_, sse, cancel := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
		sse.Event()
		cancel()
		apptest.Receive(t, stopped, 10*time.Second, "the backend to stop streaming after the client left")
	})
}

// TestSnapshotRouteMatchesEventStream: GET /api/cloud/snapshot answers
// exactly the data of the stream's first "snapshot" event.
func TestSnapshotRouteMatchesEventStream(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, nil)
	snap := f.Snapshot()
	f.sub.Ch <- app.Event{Type: app.EventSnapshot, Data: snap, Snapshot: snap}
	_, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	first := sse.Event()
	if first.Event != app.EventSnapshot {
		t.Fatalf("first event %q, want snapshot", first.Event)
	}
	resp, body := exchange(t, http.DefaultClient, srv.URL, apiCase{method: "GET", path: "/api/cloud/snapshot"})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/cloud/snapshot: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if string(body) != first.Data {
		t.Fatalf("snapshot route answered\n%s\nthe stream's snapshot event was\n%s", body, first.Data)
	}
}
