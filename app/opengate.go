package app

import (
	"sync"
	"time"
)

// OpenInterval is the least time between two browser opens. A page or a
// program repeating "top up" or "log in" (or a user double-clicking) must
// not flood the desktop with browser tabs.
const OpenInterval = 2 * time.Second

// openGate lets at most one browser open through per OpenInterval. The
// zero value is ready to use.
type openGate struct {
	mu   sync.Mutex
	last time.Time
	used bool
}

// allow reports whether an open at now may go ahead, and if so records it.
func (g *openGate) allow(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.used && now.Sub(g.last) < OpenInterval && !now.Before(g.last) {
		return false
	}
	g.last, g.used = now, true
	return true
}
