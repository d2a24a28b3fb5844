package cloud

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// startScheduler starts the backup scheduler of s: a snapshot
// every BackupInterval, the first after one interval.
func (m *Manager) startScheduler(s *connSession) {
	s.schedWG.Add(1)
	go m.runScheduler(s)
}

// runScheduler ticks on the clock and hands each tick to a worker goroutine,
// so the schedule keeps its rhythm while a slow snapshot runs. A tick that
// finds the previous snapshot still running is skipped: snapshots never
// overlap (one of the deliberate differences from Milady, see docs/ARCHITECTURE.md).
func (m *Manager) runScheduler(s *connSession) {
	defer s.schedWG.Done()
	ctx := s.schedCtx
	if !s.waitReady(ctx) {
		return
	}
	for {
		if !clockSleep(ctx, m.clk, m.cfg.BackupInterval) {
			return
		}
		if s.draining.Load() {
			continue // Disconnect is taking the final snapshot
		}
		mark := s.activity.Load()
		if m.cfg.skipIdle() && mark == s.backedUp.Load() {
			m.log.Debug("scheduled snapshot skipped: nothing happened since the last one", "agent", s.agentID)
			continue
		}
		select {
		case s.snapSem <- struct{}{}:
		default:
			m.log.Warn("scheduled snapshot skipped: the previous one is still running", "agent", s.agentID)
			continue
		}
		s.schedWG.Add(1)
		go func() {
			defer s.schedWG.Done()
			b, err := s.api.Snapshot(ctx, s.agentID)
			<-s.snapSem // released before the event, so an observer of it may snapshot again
			if m.observe(s, err) {
				return // the manager stopped; nothing more to report
			}
			if err == nil {
				s.backedUp.Store(mark)
			}
			if err != nil && ctx.Err() != nil {
				// The session is ending; its final snapshot reports instead.
				m.log.Debug("scheduled snapshot cancelled", "agent", s.agentID)
				return
			}
			_, _ = m.recordBackup(s, false, b, err)
		}()
	}
}

// MarkActivity records that something happened to the connected agent
// that a backup should capture (the app saw its status change, or chat
// reached it another way), so the next scheduled backup is not skipped as
// idle. Chat through the Proxy is recorded without it.
func (m *Manager) MarkActivity() {
	m.mu.Lock()
	s := m.sess
	m.mu.Unlock()
	if s != nil {
		s.touch()
	}
}

// SnapshotNow takes a manual snapshot of the active agent, waiting (bounded
// by ctx) for a running scheduled one rather than overlapping it. The result
// is emitted as an EventBackup and returned; a failure is also returned as
// the error.
func (m *Manager) SnapshotNow(ctx context.Context) (*BackupResult, error) {
	m.opMu.Lock()
	defer m.opMu.Unlock()
	m.mu.Lock()
	s, st := m.sess, m.state.State
	m.mu.Unlock()
	switch {
	case s == nil:
		return nil, ErrNotConnected
	case st != StateConnected:
		return nil, ErrReconnecting
	}
	// The snapshot also ends when the monitor gives up on the session.
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(s.ctx, cancel)
	defer stop()
	res, err := m.guardedSnapshot(sctx, s, false)
	if err != nil {
		return res, fmt.Errorf("snapshot agent %s: %w", s.agentID, err)
	}
	return res, nil
}

// finalSnapshot is Disconnect's step (1): one snapshot, waiting for a running
// scheduled one first, all within FinalSnapshotTimeout on the manager's
// clock. The result is emitted (Final=true); a failure is only logged.
func (m *Manager) finalSnapshot(ctx context.Context, s *connSession) {
	timeout := fmt.Errorf("%w: final snapshot took longer than %s", ErrTimeout, m.cfg.FinalSnapshotTimeout)
	fctx, done := withClockTimeout(ctx, m.clk, m.cfg.FinalSnapshotTimeout, timeout)
	defer done()
	_, _ = m.guardedSnapshot(fctx, s, true)
}

// guardedSnapshot takes the no-overlap guard (waiting, bounded by ctx), then
// a snapshot, and records the outcome.
func (m *Manager) guardedSnapshot(ctx context.Context, s *connSession, final bool) (*BackupResult, error) {
	select {
	case s.snapSem <- struct{}{}:
	case <-ctx.Done():
		return m.recordBackup(s, final, nil, fmt.Errorf("wait for the running snapshot: %w", contextCause(ctx)))
	}
	mark := s.activity.Load()
	b, err := s.api.Snapshot(ctx, s.agentID)
	<-s.snapSem
	if err == nil {
		s.backedUp.Store(mark)
	}
	m.observe(s, err)
	if err != nil && ctx.Err() != nil {
		if cause := context.Cause(ctx); cause != nil && !errors.Is(err, cause) {
			err = fmt.Errorf("%w (%w)", cause, err)
		}
	}
	return m.recordBackup(s, final, b, err)
}

// recordBackup turns a snapshot outcome into a BackupResult, logs a failure
// as a warning, updates LastBackupAt on success (if s is still the active
// session) and emits an EventBackup.
func (m *Manager) recordBackup(s *connSession, final bool, b *Backup, err error) (*BackupResult, error) {
	if err == nil && b == nil {
		err = fmt.Errorf("%w: snapshot returned no backup", ErrMalformed)
	}
	at := m.clk.Now()
	res := BackupResult{AgentID: s.agentID, At: at, Final: final}
	if err != nil {
		res.Error = err.Error()
		m.log.Warn("snapshot failed", "agent", s.agentID, "final", final, "err", err)
	} else {
		res.OK = true
		res.BackupID = b.ID
		res.SizeBytes = b.SizeBytes
		m.log.Info("snapshot taken", "agent", s.agentID, "final", final, "backup", b.ID)
	}
	m.mu.Lock()
	if res.OK && m.sess == s {
		m.state.LastBackupAt = &at
	}
	ev := res // the observer gets its own copy
	m.emitLocked(EventBackup, &ev)
	m.mu.Unlock()
	return &res, err
}

// withClockTimeout is context.WithTimeout on an injectable clock, so the
// final snapshot's bound is testable with clock.Fake. The returned release
// stops the timer and waits for the watcher goroutine: nothing outlives it.
func withClockTimeout(parent context.Context, clk clock.Clock, d time.Duration, cause error) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	t := clk.NewTimer(d)
	stop := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-t.C():
			cancel(cause)
		case <-stop:
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		t.Stop()
		close(stop)
		<-exited
		cancel(nil)
	}
}

// contextCause prefers a context's cause (e.g. the final-snapshot timeout) over the
// bare "context canceled".
func contextCause(ctx context.Context) error {
	if c := context.Cause(ctx); c != nil {
		return c
	}
	return ctx.Err()
}
