package cloud

import (
	"context"
	"fmt"
)

// jobContext is ctx for a provisioning call of s: the job wait is bounded
// by JobWait, and each move of the job becomes an EventProgress.
func (m *Manager) jobContext(ctx context.Context, s *connSession) context.Context {
	ctx = WithJobWait(ctx, m.cfg.JobWait)
	return WithJobProgress(ctx, func(p JobProgress) { m.reportProgress(s, p) })
}

// reportProgress publishes a job's phase while s is connecting or
// reconnecting. Only a new phase or a new retry is emitted (the client
// reports every status change, such as a retry going from pending back to
// in progress); the end of the job shows as the connection state itself.
func (m *Manager) reportProgress(s *connSession, p JobProgress) {
	if p.Phase != JobQueued && p.Phase != JobStarting && p.Phase != JobRetrying {
		return
	}
	pr := &Progress{Phase: p.Phase, Retry: p.Retry, MaxAttempts: p.MaxAttempts, Error: p.Error, JobID: p.JobID,
		Message: progressMessage(p)}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != s || (m.state.State != StateConnecting && m.state.State != StateReconnecting) {
		return
	}
	if cur := m.state.Progress; cur != nil && cur.Phase == pr.Phase && cur.Retry == pr.Retry {
		return
	}
	m.state.Progress = pr
	m.emitLocked(EventProgress, nil)
}

// progressMessage is the sentence the UI shows for a job's phase.
func progressMessage(p JobProgress) string {
	switch p.Phase {
	case JobQueued:
		return "Queued: waiting for Eliza Cloud to start the agent"
	case JobStarting:
		return "Eliza Cloud is starting the agent"
	}
	msg := fmt.Sprintf("Starting the agent failed; retrying %d of %d", p.Retry, p.MaxAttempts)
	if p.Error != "" {
		msg += " (" + p.Error + ")"
	}
	return msg
}
