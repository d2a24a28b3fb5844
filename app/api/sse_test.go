package api

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// sseMessage is one parsed SSE block: a comment, or an event with data.
type sseMessage struct {
	comment string
	event   string
	data    string
}

// sseReader parses an SSE body block by block, strictly: every event has
// exactly one data line.
type sseReader struct {
	t  *testing.T
	br *bufio.Reader
}

func (r *sseReader) next() sseMessage {
	r.t.Helper()
	var m sseMessage
	for {
		line, err := r.br.ReadString('\n')
		if err != nil {
			r.t.Fatalf("read SSE: %v (partial %q, message so far %+v)", err, line, m)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if m == (sseMessage{}) {
				r.t.Fatalf("empty SSE block")
			}
			return m
		case strings.HasPrefix(line, ": "):
			m.comment = strings.TrimPrefix(line, ": ")
		case strings.HasPrefix(line, "event: "):
			m.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if m.data != "" {
				r.t.Fatalf("two data lines in one event: %q then %q", m.data, line)
			}
			m.data = strings.TrimPrefix(line, "data: ")
		default:
			r.t.Fatalf("unexpected SSE line %q", line)
		}
	}
}

// nextEvent skips comments.
func (r *sseReader) nextEvent() sseMessage {
	r.t.Helper()
	for {
		if m := r.next(); m.comment == "" {
			return m
		}
	}
}

// openStream starts a streaming request; cancel ends it from the client.
func openStream(t *testing.T, url, method, body string) (*http.Response, *sseReader, context.CancelFunc) {
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
	return resp, &sseReader{t: t, br: bufio.NewReader(resp.Body)}, cancel
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
	f.sub.ch <- sent[0]

	resp, sse, cancel := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	checkSSEHeaders(t, resp)
	first := sse.nextEvent()
	if first.event != "snapshot" {
		t.Fatalf("first event %q, want snapshot", first.event)
	}
	for _, ev := range sent[1:] {
		f.sub.ch <- ev
	}
	for i, ev := range sent {
		var got sseMessage
		if i == 0 {
			got = first
		} else {
			got = sse.nextEvent()
		}
		data := ev.Data
		if data == nil {
			data = ev.Snapshot
		}
		want, _ := json.Marshal(data)
		if got.event != ev.Type || got.data != string(want) {
			t.Errorf("event %d: got %s %s, want %s %s", i, got.event, got.data, ev.Type, want)
		}
	}

	cancel()
	select {
	case <-f.sub.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("subscription not closed after the client went away")
	}
}

// TestEventsSnapshotGuaranteed: a subscription that starts with something
// else still yields a snapshot first.
func TestEventsSnapshotGuaranteed(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, nil)
	f.sub.ch <- app.Event{Type: app.EventCredits, Data: app.CreditsView{Level: "ok"}}
	_, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	if m := sse.nextEvent(); m.event != "snapshot" || !strings.Contains(m.data, `"version":"`+testVersion+`"`) {
		t.Fatalf("first event %+v, want the Backend's snapshot", m)
	}
	if m := sse.nextEvent(); m.event != "credits" {
		t.Fatalf("second event %+v, want credits", m)
	}
}

// TestEventsPing: ": ping" comments at the configured interval, and the
// stream ends when the Backend closes the subscription.
func TestEventsPing(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, func(o *Options) { o.PingInterval = 5 * time.Millisecond })
	f.sub.ch <- app.Event{Type: app.EventSnapshot, Data: app.Snapshot{}}
	_, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	pings := 0
	for pings < 3 {
		m := sse.next()
		switch {
		case m.comment == "ping":
			pings++
		case m.event == "snapshot":
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}
	close(f.sub.ch)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := sse.br.ReadString('\n'); err != nil {
			return // the server ended the stream
		}
	}
	t.Fatal("stream did not end after the subscription closed")
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
	f.chatStream = func(ctx context.Context, in app.ChatInput, onStart func(string), onChunk func(string) error) error {
		onStart(testAgentID)
		if err := onChunk("Hel"); err != nil {
			return err
		}
		select {
		case <-next:
		case <-ctx.Done():
			return ctx.Err()
		}
		return onChunk("lo \"world\"\n")
	}
	srv := newTestServer(t, f, nil)
	resp, sse, _ := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
	checkSSEHeaders(t, resp)
	if m := sse.nextEvent(); m.event != "chunk" || m.data != `{"text":"Hel"}` {
		t.Fatalf("first message %+v", m)
	}
	close(next)
	if m := sse.nextEvent(); m.event != "chunk" || m.data != `{"text":"lo \"world\"\n"}` {
		t.Fatalf("second message %+v", m)
	}
	if m := sse.nextEvent(); m.event != "done" || m.data != `{"agentId":"`+testAgentID+`"}` {
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
		if m := sse.nextEvent(); m.event != "chunk" {
			t.Fatalf("first message %+v", m)
		}
		if m := sse.nextEvent(); m.event != "error" || m.data != `{"error":"stream: agent crashed"}` {
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
		if m := sse.nextEvent(); m.event != "error" || m.data != `{"error":"Internal server error"}` {
			t.Fatalf("message %+v", m)
		}
	})
	t.Run("client gone stops the backend", func(t *testing.T) {
		t.Parallel()
		f := newFake()
		stopped := make(chan error, 1)
		f.chatStream = func(ctx context.Context, _ app.ChatInput, onStart func(string), onChunk func(string) error) error {
			onStart(testAgentID)
			for {
				if err := onChunk("x"); err != nil {
					stopped <- err
					return err
				}
				if ctx.Err() != nil {
					stopped <- ctx.Err()
					return ctx.Err()
				}
			}
		}
		srv := newTestServer(t, f, nil)
		_, sse, cancel := openStream(t, srv.URL+"/api/chat/stream", "POST", `{"text":"hi"}`)
		sse.nextEvent()
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Fatal("backend kept streaming after the client left")
		}
	})
}

// TestSnapshotRouteMatchesEventStream: GET /api/cloud/snapshot answers
// exactly the data of the stream's first "snapshot" event.
func TestSnapshotRouteMatchesEventStream(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := newTestServer(t, f, nil)
	snap := f.Snapshot()
	f.sub.ch <- app.Event{Type: app.EventSnapshot, Data: snap, Snapshot: snap}
	_, sse, _ := openStream(t, srv.URL+"/api/cloud/events", "GET", "")
	first := sse.nextEvent()
	if first.event != app.EventSnapshot {
		t.Fatalf("first event %q, want snapshot", first.event)
	}
	resp, body := exchange(t, http.DefaultClient, srv.URL, apiCase{method: "GET", path: "/api/cloud/snapshot"})
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/cloud/snapshot: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if string(body) != first.data {
		t.Fatalf("snapshot route answered\n%s\nthe stream's snapshot event was\n%s", body, first.data)
	}
}
