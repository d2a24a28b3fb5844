package app

import "sync"

// life guards the Service's goroutines. A sync.WaitGroup must not gain a
// goroutine while Wait runs ("WaitGroup misuse: Add called concurrently
// with Wait"), and requests keep arriving while Shutdown waits, so every
// background goroutine starts through spawn, which refuses once closing
// has begun. Its lock is a leaf: it may be taken under any other lock.
type life struct {
	mu      sync.Mutex
	closing bool
	wg      sync.WaitGroup
}

// spawn runs f on its own goroutine, counted for Shutdown, unless shutdown
// has begun; it reports whether f was started.
func (s *Service) spawn(f func()) bool {
	s.life.mu.Lock()
	defer s.life.mu.Unlock()
	if s.life.closing {
		return false
	}
	s.life.wg.Add(1)
	go func() {
		defer s.life.wg.Done()
		f()
	}()
	return true
}

// beginClosing refuses every later spawn; it reports whether this call was
// the first, so a second Shutdown does not wait twice.
func (s *Service) beginClosing() bool {
	s.life.mu.Lock()
	defer s.life.mu.Unlock()
	first := !s.life.closing
	s.life.closing = true
	return first
}

// closing reports whether shutdown has begun.
func (s *Service) closing() bool {
	s.life.mu.Lock()
	defer s.life.mu.Unlock()
	return s.life.closing
}
