package cloudsim

import (
	"sort"
	"time"
)

// WorkerTiming is how the server's provisioning worker runs
// (packages/scripts/provisioning-worker.ts): it polls for pending jobs,
// claims up to three at a time and works through them one after another;
// a failed attempt puts the job back to pending with its error and an
// exponential backoff, until the last attempt fails it for good.
type WorkerTiming struct {
	PollInterval  time.Duration // WORKER_POLL_INTERVAL, 30 s: the pause after each poll cycle
	Attempt       time.Duration // how long a successful attempt takes (container start + health check)
	HealthTimeout time.Duration // WORKER_HEALTH_TIMEOUT, 180 s: how long a failing attempt takes
	MaxAttempts   int           // max_attempts, 3
}

// ServerWorker is the server's own timing: 30 s polls, a 60 s start, a
// 180 s health-check timeout, three attempts.
func ServerWorker() *WorkerTiming {
	return &WorkerTiming{PollInterval: 30 * time.Second, Attempt: 60 * time.Second,
		HealthTimeout: 180 * time.Second, MaxAttempts: 3}
}

// msgWorkerHealth is the worker's failure text for a container that never
// became healthy.
const msgWorkerHealth = "Health check timed out"

// workerBatch is the number of jobs one poll claims (WORKER_BATCH_SIZE).
const workerBatch = 3

// workerState is where the simulated worker is on the clock.
type workerState struct {
	next   time.Time // the next poll
	cursor time.Time // when the job at the head of batch started or may start
	batch  []*job    // claimed, processed in order
}

// SetWorker switches the realistic worker on (w non-nil) or back to the
// quick model for jobs created from now on. Its first poll is now.
func (s *Server) SetWorker(w *WorkerTiming) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	if w != nil && w.MaxAttempts <= 0 {
		w.MaxAttempts = 3
	}
	s.st.worker = w
	s.st.workerState = workerState{next: s.now()}
}

// ScriptJob makes the next job created fail its first n attempts (n at or
// over the attempt limit: it fails for good). Scripts queue up, one per job.
func (s *Server) ScriptJob(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.jobScript = append(s.st.jobScript, max(n, 0))
}

// scriptedFailuresLocked is how many attempts a new worker job will fail.
func (s *Server) scriptedFailuresLocked() int {
	if len(s.st.jobScript) > 0 {
		n := s.st.jobScript[0]
		s.st.jobScript = s.st.jobScript[1:]
		return n
	}
	if s.takeProvisionFailureLocked() {
		return s.st.worker.MaxAttempts
	}
	return 0
}

// scaledLocked is scaled for callers holding s.mu.
func (s *Server) scaledLocked(d time.Duration) time.Duration {
	if f := s.st.timeScale; f > 0 && f != 1 {
		return time.Duration(float64(d) * f)
	}
	return d
}

// tickWorkerLocked runs the worker up to now: finishes the attempts whose
// time is up, then makes the polls that are due.
func (s *Server) tickWorkerLocked(now time.Time) {
	w := s.st.worker
	if w == nil {
		return
	}
	ws := &s.st.workerState
	if ws.next.IsZero() {
		ws.next = s.start
	}
	poll := max(s.scaledLocked(w.PollInterval), time.Millisecond)
	for {
		for len(ws.batch) > 0 {
			j := ws.batch[0]
			if j.procEnd.IsZero() {
				s.startAttemptLocked(j, ws.cursor)
			}
			if now.Before(j.procEnd) {
				return
			}
			s.endAttemptLocked(j)
			ws.cursor = j.procEnd
			ws.batch = ws.batch[1:]
			if len(ws.batch) == 0 {
				ws.next = ws.cursor.Add(poll)
			}
		}
		if now.Before(ws.next) {
			return
		}
		var due, waiting []*job
		for _, j := range s.st.jobs {
			if !j.worker || j.status != "pending" {
				continue
			}
			if !j.scheduledFor.After(ws.next) {
				due = append(due, j)
			} else {
				waiting = append(waiting, j)
			}
		}
		if len(due) == 0 {
			// Skip idle polls in one step, but never past a job's time.
			steps := now.Sub(ws.next)/poll + 1
			for _, j := range waiting {
				steps = min(steps, j.scheduledFor.Sub(ws.next)/poll+1)
			}
			ws.next = ws.next.Add(steps * poll)
			continue
		}
		sort.Slice(due, func(a, b int) bool { return due[a].createdAt.Before(due[b].createdAt) })
		if len(due) > workerBatch {
			due = due[:workerBatch]
		}
		for _, j := range due {
			j.status, j.attempts, j.startedAt, j.updatedAt = "in_progress", j.attempts+1, ptr(ws.next), ws.next
			j.procEnd = time.Time{}
		}
		ws.batch, ws.cursor = due, ws.next
	}
}

// startAttemptLocked is the worker taking up a claimed job at t: the agent
// becomes provisioning (the CAS from pending, stopped, disconnected, error)
// and the attempt's end is fixed.
func (s *Server) startAttemptLocked(j *job, t time.Time) {
	w := s.st.worker
	a := s.st.agents[j.agentID]
	j.attemptFails = j.failLeft > 0
	switch {
	case a == nil:
		j.attemptFails, j.attemptErr = true, "Agent not found"
	case a.status == "running" && a.bridgeURL != nil:
		j.attemptFails = false
	case startable[a.status]:
		s.beginProvisionLocked(a)
		a.updatedAt = t
		j.attemptErr = msgWorkerHealth
	default:
		j.attemptFails, j.attemptErr = true, "Agent is already being provisioned or in unexpected state"
	}
	d := w.Attempt
	if j.attemptFails {
		d = w.HealthTimeout
	}
	j.procEnd = t.Add(s.scaledLocked(d))
}

// endAttemptLocked records the attempt's outcome at j.procEnd.
func (s *Server) endAttemptLocked(j *job) {
	t := j.procEnd
	a := s.st.agents[j.agentID]
	j.updatedAt = t
	if !j.attemptFails {
		if a != nil && a.status != "running" {
			s.finishProvisionLocked(a, false)
		}
		j.status, j.completedAt = "completed", ptr(t)
		if a != nil {
			j.result = obj{"cloudAgentId": a.id, "status": "running", "bridgeUrl": strPtr(a.bridgeURL), "healthUrl": strPtr(a.healthURL)}
		}
		return
	}
	j.failLeft = max(j.failLeft-1, 0)
	msg := j.attemptErr
	j.errMsg = ptr(msg)
	if a != nil && a.status == "provisioning" {
		a.status, a.errorMessage, a.updatedAt = "error", ptr(msg), t
		a.errorCount++
	}
	j.result = obj{"cloudAgentId": j.agentID, "status": "error", "error": msg}
	if j.attempts >= s.st.worker.MaxAttempts {
		j.status, j.completedAt = "failed", ptr(t)
		if a != nil {
			a.status = "error"
			a.errorMessage = ptr("Provisioning permanently failed after " + itoa(s.st.worker.MaxAttempts) + " attempts: " + msg)
			a.errorCount++
		}
		return
	}
	// Back to pending with the error kept, after a backoff of 2^attempts
	// seconds (at most 60 s).
	backoff := min(time.Second<<j.attempts, 60*time.Second)
	j.status = "pending"
	j.scheduledFor = t.Add(s.scaledLocked(backoff))
}
