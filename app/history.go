package app

import (
	"context"
	"log/slog"
	"time"
)

// history is the database write queue: connection events, backups, balance
// samples and chat lines are written in order by one goroutine, so no
// caller (least of all the manager's event callback, which runs under the
// manager's lock) waits on disk. It needs no lock: the channel is the
// whole state.
type history struct {
	q   chan func(context.Context)
	log *slog.Logger
}

func newHistory(log *slog.Logger) history {
	return history{q: make(chan func(context.Context), 1024), log: log}
}

// record queues a write; when the queue is full the write is dropped and
// logged rather than making the caller wait.
func (h *history) record(f func(context.Context)) {
	select {
	case h.q <- f:
	default:
		h.log.Warn("history write dropped: queue full")
	}
}

// run writes until ctx ends, then drains what is queued, each write bounded
// on its own so a stuck disk cannot hold shutdown for long.
func (h *history) run(ctx context.Context) {
	write := func(f func(context.Context)) {
		wctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f(wctx)
		cancel()
	}
	for {
		select {
		case f := <-h.q:
			write(f)
		case <-ctx.Done():
			for {
				select {
				case f := <-h.q:
					write(f)
				default:
					return
				}
			}
		}
	}
}
