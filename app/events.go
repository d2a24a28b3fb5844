package app

import (
	"sync"
)

// hub fans the Service's events out to subscribers. Publishing never blocks:
// each subscriber has its own bounded queue drained by its own goroutine, and
// when a queue overflows, older coalescable events (state, credits,
// heartbeat, settings) are dropped in favour of the newest, so a slow
// subscriber may miss intermediate states but always sees the latest.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool // after closeAll: new subscriptions end after their snapshot
}

const subscriberQueue = 256

func newHub() *hub { return &hub{subs: make(map[*subscriber]struct{})} }

type subscriber struct {
	h      *hub
	mu     sync.Mutex
	queue  []Event
	wake   chan struct{}
	out    chan Event
	done   chan struct{}
	closed bool
}

// publish appends ev to every subscriber's queue, in order. It holds the hub
// lock only while appending, so it never waits on a reader.
func (h *hub) publish(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.push(ev)
	}
}

// closeAll ends every subscription (at shutdown), so long-lived readers
// such as SSE streams finish instead of holding the server open.
func (h *hub) closeAll() {
	h.mu.Lock()
	h.closed = true
	subs := make([]*subscriber, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	for _, s := range subs {
		s.Close()
	}
}

// subscribe registers a subscriber whose first event is first. After
// closeAll it yields first and then ends, so a stream opened during
// shutdown does not hold the server open.
func (h *hub) subscribe(first Event) *subscriber {
	sub := &subscriber{
		h:     h,
		queue: []Event{first},
		wake:  make(chan struct{}, 1),
		out:   make(chan Event),
		done:  make(chan struct{}),
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		sub.closed = true
		close(sub.done)
		sub.out = make(chan Event, 1)
		sub.out <- first
		close(sub.out)
		return sub
	}
	h.subs[sub] = struct{}{}
	sub.wake <- struct{}{}
	go sub.pump()
	return sub
}

func coalescable(t string) bool {
	switch t {
	case EventState, EventCredits, EventHeartbeat, EventSettings, EventSnapshot:
		return true
	}
	return false
}

func (s *subscriber) push(ev Event) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if len(s.queue) >= subscriberQueue {
		s.queue = compact(s.queue)
		if len(s.queue) >= subscriberQueue {
			s.queue = s.queue[1:]
		}
	}
	s.queue = append(s.queue, ev)
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// compact keeps only the last event of each coalescable type (in place of
// its type's latest position) and every other event.
func compact(q []Event) []Event {
	last := map[string]int{}
	for i, ev := range q {
		if coalescable(ev.Type) {
			last[ev.Type] = i
		}
	}
	out := q[:0:0]
	for i, ev := range q {
		if coalescable(ev.Type) && last[ev.Type] != i {
			continue
		}
		out = append(out, ev)
	}
	return out
}

func (s *subscriber) pump() {
	defer close(s.out)
	for {
		select {
		case <-s.wake:
		case <-s.done:
			return
		}
		for {
			s.mu.Lock()
			if len(s.queue) == 0 {
				s.mu.Unlock()
				break
			}
			ev := s.queue[0]
			s.queue = s.queue[1:]
			s.mu.Unlock()
			select {
			case s.out <- ev:
			case <-s.done:
				return
			}
		}
	}
}

// C yields the events; it is closed after Close.
func (s *subscriber) C() <-chan Event { return s.out }

// Close unsubscribes; safe to call more than once.
func (s *subscriber) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	s.mu.Unlock()
}
