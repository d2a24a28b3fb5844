// Package clock is the injectable time source used by every timer in the
// app: the manager's heartbeats and backoff, the backup scheduler, credit
// polling and the simulator's session expiry. Production code uses Real;
// tests use Fake so that a 60 s backoff takes microseconds and no test sleeps.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock is the small seam every timed component takes instead of calling the
// time package directly.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once after d.
	NewTimer(d time.Duration) Timer
	// After is NewTimer(d).C() for callers that never stop the timer.
	After(d time.Duration) <-chan time.Time
}

// Timer mirrors *time.Timer behind an interface so Fake can implement it.
type Timer interface {
	C() <-chan time.Time
	// Stop prevents the timer from firing; it reports whether it was active.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// NewTimer wraps time.NewTimer.
func (Real) NewTimer(d time.Duration) Timer { return realTimer{time.NewTimer(d)} }

// After wraps time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

type realTimer struct{ t *time.Timer }

func (r realTimer) C() <-chan time.Time { return r.t.C }
func (r realTimer) Stop() bool          { return r.t.Stop() }

// Fake is a manually advanced clock. Timers fire (in deadline order) when
// Advance moves the time past their deadline. BlockUntil lets a test wait,
// without sleeping, until the code under test has armed the timers it expects.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever the timer set changes
}

// NewFake returns a Fake clock set to start (or to a fixed date when zero).
func NewFake(start time.Time) *Fake {
	if start.IsZero() {
		start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &Fake{now: start, changed: make(chan struct{})}
}

type fakeTimer struct {
	f        *Fake
	deadline time.Time
	ch       chan time.Time
	active   bool
}

func (t *fakeTimer) C() <-chan time.Time { return t.ch }

func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	was := t.active
	if was {
		t.active = false
		t.f.removeLocked(t)
	}
	return was
}

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// NewTimer arms a timer at Now()+d. A non-positive d fires at once.
func (f *Fake) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{f: f, deadline: f.now.Add(d), ch: make(chan time.Time, 1), active: true}
	if d <= 0 {
		t.active = false
		t.ch <- f.now
		return t
	}
	f.timers = append(f.timers, t)
	f.notifyLocked()
	return t
}

// After is NewTimer(d).C().
func (f *Fake) After(d time.Duration) <-chan time.Time { return f.NewTimer(d).C() }

// Advance moves the clock forward by d, firing every timer whose deadline is
// reached, earliest first, each seeing the time of its own deadline.
func (f *Fake) Advance(d time.Duration) {
	f.mu.Lock()
	end := f.now.Add(d)
	for {
		sort.Slice(f.timers, func(i, j int) bool { return f.timers[i].deadline.Before(f.timers[j].deadline) })
		if len(f.timers) == 0 || f.timers[0].deadline.After(end) {
			break
		}
		t := f.timers[0]
		f.timers = f.timers[1:]
		t.active = false
		if t.deadline.After(f.now) {
			f.now = t.deadline
		}
		select {
		case t.ch <- f.now:
		default:
		}
	}
	f.now = end
	f.notifyLocked()
	f.mu.Unlock()
}

// Set moves the clock to t (forward only), firing timers as Advance does.
func (f *Fake) Set(t time.Time) {
	d := t.Sub(f.Now())
	if d > 0 {
		f.Advance(d)
	}
}

// Pending reports how many timers are armed.
func (f *Fake) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

// NextDeadline returns the earliest armed deadline relative to Now, and false
// when no timer is armed. Tests use it to assert exact backoff delays.
func (f *Fake) NextDeadline() (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.timers) == 0 {
		return 0, false
	}
	min := f.timers[0].deadline
	for _, t := range f.timers[1:] {
		if t.deadline.Before(min) {
			min = t.deadline
		}
	}
	return min.Sub(f.now), true
}

// BlockUntil waits until at least n timers are armed or done is closed. It
// reports whether the count was reached.
func (f *Fake) BlockUntil(n int, done <-chan struct{}) bool {
	for {
		f.mu.Lock()
		if len(f.timers) >= n {
			f.mu.Unlock()
			return true
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-done:
			return false
		}
	}
}

// WaitFor waits (bounded by the real-time limit) until at least n timers are
// armed. It exists for tests: the limit only guards against hangs.
func (f *Fake) WaitFor(n int, limit time.Duration) bool {
	done := make(chan struct{})
	t := time.AfterFunc(limit, func() { close(done) })
	defer t.Stop()
	return f.BlockUntil(n, done)
}

func (f *Fake) removeLocked(t *fakeTimer) {
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			break
		}
	}
	f.notifyLocked()
}

func (f *Fake) notifyLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}
