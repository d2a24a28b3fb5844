package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Reconnect backoff of the event stream: short, since the parent is on the
// same machine and is only ever busy for moments (a GC, a burst of
// events), doubling to a ceiling that still brings the window back within
// seconds of a restarted parent.
const (
	firstRetry = 250 * time.Millisecond
	maxRetry   = 5 * time.Second
)

// subscription reads GET /api/cloud/events into a channel, reopening the
// stream whenever it ends, until Close.
type subscription struct {
	c      *Client
	ch     chan app.Event
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Subscribe opens the parent's event stream. Each server-sent event
// becomes app.Event{Type: its name, Data: its JSON verbatim as a
// json.RawMessage}; the facade passes Data on to the page, which therefore
// receives the very bytes a browser would. Snapshot is left zero (Seq 0:
// unnumbered), as the stream carries the state only inside Data; the
// parent's fan-out already keeps the order and drops stale states. Every
// (re)opened stream starts with a "snapshot" event, so the page is up to
// date again after a reconnect.
func (c *Client) Subscribe() app.Subscription {
	ctx, cancel := context.WithCancel(context.Background())
	s := &subscription{
		c:      c,
		ch:     make(chan app.Event, 16),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go s.run()
	return s
}

func (s *subscription) C() <-chan app.Event { return s.ch }

// Close ends the request under way, waits for the reader to stop and
// closes the channel. It may be called more than once.
func (s *subscription) Close() {
	s.once.Do(s.cancel)
	<-s.done
}

// run keeps a stream open until Close. A stream that was open resets the
// backoff, so a parent that restarts is found again quickly.
func (s *subscription) run() {
	defer close(s.done)
	defer close(s.ch)
	wait := firstRetry
	warned := false // one warning per outage, not one per attempt
	for {
		opened, err := s.stream()
		if s.ctx.Err() != nil {
			return
		}
		if opened {
			wait, warned = firstRetry, false
		}
		if !opened && !warned {
			s.c.log.Warn("remote: could not open the event stream; retrying", "err", err)
			warned = true
		} else {
			s.c.log.Debug("remote: event stream ended; reopening", "err", err, "after", wait)
		}
		t := s.c.clock.NewTimer(wait)
		select {
		case <-s.ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
		wait = min(2*wait, maxRetry)
	}
}

// stream reads one event stream to its end; opened says whether the
// parent answered it with a stream at all.
func (s *subscription) stream() (opened bool, _ error) {
	req, err := s.c.newRequest(s.ctx, http.MethodGet, "/api/cloud/events", nil, "text/event-stream")
	if err != nil {
		return false, err
	}
	res, err := s.c.send(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	if mt, _, _ := mime.ParseMediaType(res.Header.Get("Content-Type")); mt != "text/event-stream" {
		return false, fmt.Errorf("remote: GET /api/cloud/events: answer of type %q, want an event stream", res.Header.Get("Content-Type"))
	}
	r := cloud.NewSSEReader(res.Body) // ": ping" comments are skipped by the reader
	for {
		ev, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return true, errors.New("remote: the parent closed the event stream")
			}
			return true, fmt.Errorf("remote: read event stream: %w", err)
		}
		data := json.RawMessage(ev.Data)
		if len(data) == 0 {
			data = json.RawMessage("null")
		}
		if !json.Valid(data) {
			// Re-emitting it would fail to marshal in the facade.
			s.c.log.Warn("remote: dropping an event whose data is not JSON", "type", ev.Event)
			continue
		}
		select {
		case s.ch <- app.Event{Type: ev.Event, Data: data}:
		case <-s.ctx.Done():
			return true, s.ctx.Err()
		}
	}
}
