package app

import (
	"testing"
)

// BenchmarkHubPublish measures fanning one state change out to 16
// subscribers that keep up: the cost every state transition pays.
func BenchmarkHubPublish(b *testing.B) {
	h := newHub()
	done := make(chan struct{})
	for i := 0; i < 16; i++ {
		sub := &subscriber{h: h, wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
		h.subs[sub] = struct{}{}
		go sub.pump()
		go func() {
			for {
				select {
				case <-sub.out:
				case <-done:
					return
				}
			}
		}()
		b.Cleanup(sub.Close)
	}
	defer close(done)
	ev := Event{Type: EventState, Data: Snapshot{Version: "bench"}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.publish(ev)
	}
}

// BenchmarkHubPublishStalled shows a stalled subscriber costs the publisher
// nothing extra: its queue is compacted instead of growing or blocking.
func BenchmarkHubPublishStalled(b *testing.B) {
	h := newHub()
	sub := &subscriber{h: h, wake: make(chan struct{}, 1), out: make(chan Event), done: make(chan struct{})}
	h.subs[sub] = struct{}{}
	go sub.pump() // nobody reads sub.out
	b.Cleanup(sub.Close)
	ev := Event{Type: EventState}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.publish(ev)
	}
}
