package cloud

import (
	"context"
	"time"
)

// Job progress phases, in the order a provisioning job goes through them.
const (
	JobQueued   = "queued"   // waiting for the cloud's worker (it polls every 30 s)
	JobStarting = "starting" // the first attempt is running
	JobRetrying = "retrying" // an attempt failed; waiting for or running the next
	JobDone     = "done"     // completed: the agent is running
	JobFailed   = "failed"   // the last attempt failed
)

// JobProgress is one observed state of a provisioning job. The worker runs
// up to MaxAttempts attempts; Retry counts the retries so far ("retrying 1
// of 3"), and Error is the last failed attempt's message.
type JobProgress struct {
	JobID       string
	Phase       string // JobQueued … JobFailed
	Status      string // the job's own status: pending|in_progress|completed|failed
	Attempts    int
	MaxAttempts int
	Retry       int
	Error       string
}

type progressKey struct{}

// WithJobProgress returns a context whose provisioning waits (Provision,
// ResumeAgent) report each change of the job to fn, so a caller several
// layers up (the connection manager's reconnect) can show progress
// without every layer passing a callback. fn runs on the waiting goroutine
// and must not block.
func WithJobProgress(ctx context.Context, fn func(JobProgress)) context.Context {
	return context.WithValue(ctx, progressKey{}, fn)
}

func progressFrom(ctx context.Context) func(JobProgress) {
	fn, _ := ctx.Value(progressKey{}).(func(JobProgress))
	return fn
}

// jobPhase names the phase of a job answer.
func jobPhase(status string, attempts int, hasErr bool) (phase string, retry int) {
	switch status {
	case "completed":
		return JobDone, max(attempts-1, 0)
	case "failed":
		return JobFailed, max(attempts-1, 0)
	case "in_progress":
		if attempts > 1 {
			return JobRetrying, attempts - 1
		}
		return JobStarting, 0
	}
	if attempts > 0 && hasErr {
		return JobRetrying, attempts
	}
	return JobQueued, 0
}

type jobWaitKey struct{}

// WithJobWait returns a context whose provisioning waits last up to d
// instead of the client's JobTimeout, so the connection manager's own
// bound (the server's worker may take many minutes across its retries)
// governs a client built elsewhere.
func WithJobWait(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, jobWaitKey{}, d)
}
