package cloudsim

import (
	"bufio"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/milady-ai/milady-cloud/cloud"
)

type sseEvent struct {
	event string
	data  map[string]any
}

// streamRaw posts to the stream route over a raw TLS connection and returns
// the status, headers and the transfer-encoding chunks as written, so the
// test can see that every event was flushed on its own.
func streamRaw(t *testing.T, s *Server, agentID, body, apiKey string) (int, http.Header, []string) {
	t.Helper()
	u, _ := url.Parse(s.URL())
	conn, err := tls.Dial("tcp", u.Host, &tls.Config{RootCAs: s.CertPool(), ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/milady/agents/%s/stream HTTP/1.1\r\nHost: %s\r\nX-API-Key: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		agentID, u.Host, apiKey, len(body), body)
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	if res.TransferEncoding == nil || res.TransferEncoding[0] != "chunked" {
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, []string{string(b)}
	}
	// http.ReadResponse already de-chunks Body; read the raw chunks instead
	// from the underlying reader, which ReadResponse has not consumed.
	var chunks []string
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("read chunk size: %v", err)
		}
		n, err := strconv.ParseInt(strings.TrimSpace(line), 16, 64)
		if err != nil {
			t.Fatalf("chunk size %q: %v", line, err)
		}
		if n == 0 {
			break
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatalf("read chunk: %v", err)
		}
		chunks = append(chunks, string(buf[:n]))
	}
	return res.StatusCode, res.Header, chunks
}

// parseEvents reads raw with the app's own SSE parser; each event's data
// must be JSON.
func parseEvents(t *testing.T, raw string) []sseEvent {
	t.Helper()
	var out []sseEvent
	r := cloud.NewSSEReader(strings.NewReader(raw))
	for {
		e, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("parse events %q: %v", raw, err)
		}
		ev := sseEvent{event: e.Event}
		if err := json.Unmarshal([]byte(e.Data), &ev.data); err != nil {
			t.Fatalf("event data %q: %v", e.Data, err)
		}
		out = append(out, ev)
	}
}

func TestStreamEventsInOrder(t *testing.T) {
	s, k, id := startRunning(t, Options{})
	status, h, chunks := streamRaw(t, s, id,
		`{"jsonrpc":"2.0","id":"s1","method":"message.send","params":{"text":"tell me a story","roomId":"web-chat","mode":"power"}}`, k)
	if status != 200 || h.Get("Content-Type") != "text/event-stream" || h.Get("Cache-Control") != "no-cache, no-transform" || h.Get("X-Accel-Buffering") != "no" {
		t.Fatalf("status %d headers %v", status, h)
	}
	var events []sseEvent
	for _, c := range chunks {
		evs := parseEvents(t, c)
		if len(evs) != 1 {
			t.Fatalf("chunk %q holds %d events; each event must be flushed separately", c, len(evs))
		}
		events = append(events, evs...)
	}
	if len(events) < 4 || len(events) > 5 {
		t.Fatalf("got %d events, want connected + 2–3 chunks + done", len(events))
	}
	if events[0].event != "connected" || events[0].data["rpcId"] != "s1" || events[0].data["timestamp"] == nil {
		t.Fatalf("first event = %+v", events[0])
	}
	last := events[len(events)-1]
	if last.event != "done" || last.data["rpcId"] != "s1" {
		t.Fatalf("last event = %+v", last)
	}
	var text strings.Builder
	for _, ev := range events[1 : len(events)-1] {
		if ev.event != "chunk" {
			t.Fatalf("middle event = %+v", ev)
		}
		text.WriteString(ev.data["text"].(string))
	}
	if text.String() != "[echo] tell me a story" {
		t.Fatalf("reassembled reply = %q", text.String())
	}
	if got := statusMemories(t, s, k, id); got != 2 {
		t.Fatalf("stream not remembered: memories = %d", got)
	}
}

func TestStreamErrors(t *testing.T) {
	s := Start(t, Options{})
	k := s.NewAPIKey()
	id := createAgent(t, s, k, "Down")
	status, h, chunks := streamRaw(t, s, id, `{"jsonrpc":"2.0","id":1,"method":"message.send","params":{"text":"hi"}}`, k)
	events := parseEvents(t, strings.Join(chunks, ""))
	if status != 200 || h.Get("Content-Type") != "text/event-stream" || len(events) != 1 ||
		events[0].event != "error" || events[0].data["message"] != "Sandbox is not running or unreachable" {
		t.Fatalf("not-running stream: %d %v %+v", status, h, events)
	}

	for _, bad := range []string{
		`{"jsonrpc":"2.0","method":"status.get","params":{"text":"x"}}`,
		`{"jsonrpc":"2.0","method":"message.send","params":{"text":""}}`,
		`{"jsonrpc":"2.0","method":"message.send"}`,
	} {
		r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/stream", bad, key(k)).want(t, 400)
		if r.str("error") != "Invalid request" || r.get("details") == nil || r.get("success") != nil {
			t.Fatalf("%s -> %s", bad, r.raw)
		}
	}
	// A body that is not JSON makes request.json() throw before the schema
	// check; the route's catch answers the generic 500
	// (app/api/v1/milady/agents/[agentId]/stream/route.ts).
	r := call(t, s, "POST", "/api/v1/milady/agents/"+id+"/stream", `not json`, key(k)).want(t, 500)
	if r.str("error") != "An unexpected error occurred" || r.body["success"] != false {
		t.Fatalf("bad JSON -> %s", r.raw)
	}
	r = call(t, s, "POST", "/api/v1/milady/agents/"+id+"/stream", `{}`).want(t, 401)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatal("auth error on stream must be JSON")
	}
}

func TestSplitReply(t *testing.T) {
	for _, reply := range []string{"[echo] a", "[echo] ab", "[echo] hello world again", "[echo] ünïcödé", "(no response)", "[echo] "} {
		parts := splitReply(reply)
		if strings.Join(parts, "") != reply {
			t.Errorf("split %q = %q does not reassemble", reply, parts)
		}
		if strings.HasPrefix(reply, "[echo] ") && len(reply) > len("[echo] ") && (len(parts) < 2 || len(parts) > 3) {
			t.Errorf("split %q = %d parts, want 2–3", reply, len(parts))
		}
	}
}
