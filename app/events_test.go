package app

import (
	"testing"
	"time"
)

// A subscriber that stops reading never blocks publish and, when it reads
// again, gets every non-coalescable event and the latest state.
func TestHubSlowSubscriberGetsLatestState(t *testing.T) {
	h := newHub()
	sub := &subscriber{h: h, wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	h.subs[sub] = struct{}{}
	go sub.pump()
	defer sub.Close()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5*subscriberQueue; i++ {
			h.publish(Event{Type: EventState, Data: i})
		}
		h.publish(Event{Type: EventBackup, Data: "b"})
		h.publish(Event{Type: EventState, Data: -1})
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("publish blocked on a subscriber that does not read")
	}
	var last Event
	sawBackup := false
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-sub.C():
			if ev.Type == EventBackup {
				sawBackup = true
			}
			last = ev
			if ev.Type == EventState && ev.Data == -1 {
				if !sawBackup {
					t.Fatal("the backup event was dropped")
				}
				return
			}
		case <-timeout:
			t.Fatalf("latest state never arrived; last %+v", last)
		}
	}
}
