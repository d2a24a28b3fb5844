package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/milady-ai/milady-cloud/app"
)

// MaxEventStreams is how many GET /api/cloud/events streams may be open at
// once; the dashboard, the window and a few tools need one each.
const MaxEventStreams = 64

// sseWriter writes Server-Sent Events and flushes each one, so a chunk or a
// state change reaches the browser as soon as it is written (no buffering
// by this process; X-Accel-Buffering asks reverse proxies for the same).
type sseWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

// startSSE sends the stream's headers at once. It lifts the server's write
// deadline, if any, because a stream outlives any sensible request timeout.
func startSSE(w http.ResponseWriter) *sseWriter {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // not every writer supports it; then there is no deadline to lift
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	h.Del("Content-Length")
	w.WriteHeader(http.StatusOK)
	_ = rc.Flush()
	return &sseWriter{w: w, rc: rc}
}

// event writes one "event: <name>" with one line of JSON data. JSON from
// encoding/json never contains a raw newline, so the data is one line.
func (e *sseWriter) event(name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", name, err)
	}
	if _, err := fmt.Fprintf(e.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return fmt.Errorf("write %s event: %w", name, err)
	}
	if err := e.rc.Flush(); err != nil {
		return fmt.Errorf("flush %s event: %w", name, err)
	}
	return nil
}

// comment writes ": <text>", which EventSource ignores; it keeps idle
// connections open through proxies.
func (e *sseWriter) comment(text string) error {
	if _, err := fmt.Fprintf(e.w, ": %s\n\n", text); err != nil {
		return fmt.Errorf("write comment: %w", err)
	}
	if err := e.rc.Flush(); err != nil {
		return fmt.Errorf("flush comment: %w", err)
	}
	return nil
}

// events is GET /api/cloud/events: the Backend's stream as SSE. The
// subscription yields the snapshot first; if a Backend ever starts with
// something else, a snapshot is written first anyway so clients can rely
// on it. The stream ends when the client goes away or the Backend closes
// the subscription.
func (s *server) events(w http.ResponseWriter, r *http.Request) {
	// Each stream holds a connection, a goroutine and a subscription for
	// as long as the client likes; without a bound, a local program could
	// open them until memory or file descriptors run out.
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
		writeMessage(w, http.StatusServiceUnavailable,
			fmt.Sprintf("Too many open event streams (at most %d); close one and try again", MaxEventStreams))
		return
	}
	sub := s.b.Subscribe()
	defer sub.Close()
	// The dashboard treats a stream silent for two intervals as a hung app
	// ("Lost contact"), so it needs to know the interval.
	w.Header().Set("X-Ping-Interval-Ms", strconv.FormatInt(s.ping.Milliseconds(), 10))
	sse := startSSE(w)
	first := true
	// write sends one event; false ends the stream.
	write := func(ev app.Event) bool {
		if first && ev.Type != app.EventSnapshot {
			if err := sse.event(app.EventSnapshot, s.b.Snapshot()); err != nil {
				return false
			}
		}
		first = false
		if ev.Type == "" || strings.ContainsAny(ev.Type, "\r\n") {
			s.log.Warn("api: dropping event with an invalid type", "type", ev.Type)
			return true
		}
		if err := sse.event(ev.Type, eventData(ev)); err != nil {
			s.log.Debug("api: event stream ended", "err", err)
			return false
		}
		return true
	}
	// The snapshot is the stream's first message, so pings start only
	// after it: on a loaded machine a ping could otherwise come first.
	select {
	case <-r.Context().Done():
		return
	case ev, ok := <-sub.C():
		if !ok || !write(ev) {
			return
		}
	}
	ping := time.NewTicker(s.ping)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if err := sse.comment("ping"); err != nil {
				return
			}
		case ev, ok := <-sub.C():
			if !ok || !write(ev) {
				return
			}
		}
	}
}

// eventData is the event's data; snapshot and state events may leave Data
// empty since Snapshot carries the same thing.
func eventData(ev app.Event) any {
	if ev.Data == nil && (ev.Type == app.EventSnapshot || ev.Type == app.EventState) {
		return ev.Snapshot
	}
	return ev.Data
}
