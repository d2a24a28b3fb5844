package reliability

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// stateRecorder follows Service.Subscribe() and keeps every event, so a
// test can assert on the sequence of connection states.
type stateRecorder struct {
	sub    app.Subscription
	mu     sync.Mutex
	events []app.Event
	wake   chan struct{}
	done   chan struct{}
}

// record starts recording the Service's events and returns the recorder
// with a mark at its start, for since/states/wait*.
func (h *harness) record() (*stateRecorder, int) {
	r := &stateRecorder{sub: h.svc.Subscribe(), wake: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for ev := range r.sub.C() {
			r.mu.Lock()
			r.events = append(r.events, ev)
			r.mu.Unlock()
			select {
			case r.wake <- struct{}{}:
			default:
			}
		}
	}()
	h.t.Cleanup(r.close)
	return r, r.mark()
}

func (r *stateRecorder) close() {
	r.sub.Close()
	<-r.done
}

// mark returns a position; since(mark) returns the events after it.
func (r *stateRecorder) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

func (r *stateRecorder) since(i int) []app.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]app.Event(nil), r.events[i:]...)
}

// states lists the connection states of the "state" events after mark,
// with the reconnect attempt when there is one ("reconnecting#2").
func (r *stateRecorder) states(mark int) []string {
	var out []string
	for _, ev := range r.since(mark) {
		if ev.Type != app.EventState {
			continue
		}
		c := ev.Snapshot.Connection
		s := string(c.State)
		if c.ReconnectAttempt > 0 {
			s += fmt.Sprintf("#%d", c.ReconnectAttempt)
		}
		out = append(out, s)
	}
	return out
}

// waitState waits until a state event after mark satisfies cond.
func (r *stateRecorder) waitState(t *testing.T, mark int, what string, cond func(cloud.State) bool) cloud.State {
	t.Helper()
	ev := r.waitEvent(t, mark, what, func(ev app.Event) bool {
		return ev.Type == app.EventState && cond(ev.Snapshot.Connection)
	})
	return ev.Snapshot.Connection
}

// waitEvent waits until an event after mark satisfies cond; on timeout the
// failure lists the states seen since mark.
func (r *stateRecorder) waitEvent(t *testing.T, mark int, what string, cond func(app.Event) bool) app.Event {
	t.Helper()
	deadline := time.NewTimer(waitLimit)
	defer deadline.Stop()
	for {
		for _, ev := range r.since(mark) {
			if cond(ev) {
				return ev
			}
		}
		select {
		case <-r.wake:
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s; states since mark: %v", what, r.states(mark))
		}
	}
}

func is(s cloud.ConnState) func(cloud.State) bool {
	return func(c cloud.State) bool { return c.State == s }
}
