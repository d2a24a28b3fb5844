package remote_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// feed makes the fake hand each new subscription (one per event stream
// the API opens) to the test.
func feed(h *harness) <-chan *apptest.Sub {
	subs := make(chan *apptest.Sub, 4)
	h.b.SubscribeFn = func() app.Subscription {
		s := apptest.NewSub(8)
		subs <- s
		return s
	}
	return subs
}

// expectEvent receives the next event and checks its type and that its
// data is exactly the JSON of want.
func expectEvent(t *testing.T, sub app.Subscription, typ string, want any) {
	t.Helper()
	var (
		ev app.Event
		ok bool
	)
	select {
	case ev, ok = <-sub.C():
	case <-time.After(wait):
		t.Fatalf("no %q event within %s", typ, wait)
	}
	if !ok {
		t.Fatalf("the subscription closed before the %q event", typ)
	}
	raw, isRaw := ev.Data.(json.RawMessage)
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Type != typ || !isRaw || string(raw) != string(w) {
		t.Fatalf("event %q %T %s, want %q json.RawMessage %s", ev.Type, ev.Data, ev.Data, typ, w)
	}
	if ev.Snapshot.Seq != 0 {
		t.Errorf("event %q numbered %d, want 0 (unnumbered)", typ, ev.Snapshot.Seq)
	}
}

// TestSubscribe: the parent's events arrive in order with their type and
// their data verbatim (the snapshot first; keep-alive pings are not
// events); Close ends the request, so the parent lets go of its
// subscription, and closes the channel.
func TestSubscribe(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{ping: time.Millisecond}) // pings between every event
	subs := feed(h)
	sub := h.c.Subscribe()
	parent := apptest.Receive(t, subs, wait, "the event stream to subscribe")

	snap := app.Snapshot{Seq: 3, Version: "9.9.9", LoggedIn: true,
		Connection: cloud.State{State: cloud.StateConnected, AgentID: agentID, Since: testTime}}
	notice := app.Notice{Kind: "credits", Level: "warning", Message: "Balance is low: $1.50", At: testTime}
	beat := app.HeartbeatEvent{AgentID: agentID, At: testTime}
	parent.Send(t, app.Event{Type: app.EventSnapshot, Data: snap, Snapshot: snap})
	expectEvent(t, sub, app.EventSnapshot, snap)
	parent.Send(t, app.Event{Type: app.EventNotice, Data: notice, Snapshot: snap})
	parent.Send(t, app.Event{Type: app.EventHeartbeat, Data: beat, Snapshot: snap})
	expectEvent(t, sub, app.EventNotice, notice)
	expectEvent(t, sub, app.EventHeartbeat, beat)

	sub.Close()
	apptest.Receive(t, parent.Closed, wait, "the parent's subscription to be released after Close")
	if _, ok := <-sub.C(); ok {
		t.Fatal("an event after Close")
	}
	sub.Close() // a second Close is harmless
}

// TestSubscribeReconnects: when the parent ends the stream, the client
// waits a short backoff on its clock and opens a new one, which starts
// with a fresh snapshot; the channel stays open throughout.
func TestSubscribeReconnects(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{})
	subs := feed(h)
	sub := h.c.Subscribe()
	defer sub.Close()

	first := apptest.Receive(t, subs, wait, "the first event stream")
	snap := app.Snapshot{Version: "9.9.9", LoggedIn: true}
	first.Send(t, app.Event{Type: app.EventSnapshot, Data: snap})
	expectEvent(t, sub, app.EventSnapshot, snap)

	for round, backoff := range []time.Duration{250 * time.Millisecond, 250 * time.Millisecond} {
		close(first.Ch) // the parent ends the stream, as a Service shutting down does
		if !h.clk.WaitFor(1, wait) {
			t.Fatalf("round %d: no reconnect timer after the stream ended", round)
		}
		if d, _ := h.clk.NextDeadline(); d != backoff {
			t.Errorf("round %d: reconnect after %s, want %s", round, d, backoff)
		}
		select {
		case s := <-subs:
			t.Fatalf("round %d: reopened before the backoff (%v)", round, s)
		default:
		}
		h.clk.Advance(backoff)
		next := apptest.Receive(t, subs, wait, "the reopened event stream")
		snap.Seq = uint64(round + 10)
		next.Send(t, app.Event{Type: app.EventSnapshot, Data: snap})
		expectEvent(t, sub, app.EventSnapshot, snap)
		// A stream that opened resets the backoff for the next outage.
		first = next
	}
}

// TestSubscribeRetriesARefusedStream: while the parent refuses the stream
// (here: a wrong token), the client keeps trying with a growing backoff
// instead of giving up, and Close stops it.
func TestSubscribeRetriesARefusedStream(t *testing.T) {
	t.Parallel()
	h := newHarness(t, options{serverToken: "s3cret", clientToken: "wrong"})
	sub := h.c.Subscribe()
	for _, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second} {
		if !h.clk.WaitFor(1, wait) {
			t.Fatal("no retry timer after a refused stream")
		}
		if d, _ := h.clk.NextDeadline(); d != want {
			t.Fatalf("retry after %s, want %s", d, want)
		}
		h.clk.Advance(want)
	}
	if !h.clk.WaitFor(1, wait) {
		t.Fatal("no retry timer after a refused stream")
	}
	sub.Close()
	if _, ok := <-sub.C(); ok {
		t.Fatal("an event from a refused stream")
	}
	if h.b.Subscribers() != 0 || len(h.b.CallsTo("Subscribe")) != 0 {
		t.Errorf("the refused streams reached the fake: %v", h.b.CallsTo("Subscribe"))
	}
}
