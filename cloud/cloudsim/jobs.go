package cloudsim

import (
	"net/http"
	"time"

	"github.com/google/uuid"
)

// msgHealthTimeout is the provisioning failure the simulator injects.
const msgHealthTimeout = "Sandbox health check timed out"

// expectedProvisionDuration is what the server announces (90 s estimate).
const expectedProvisionDuration = 90 * time.Second

// job is a milady_provision job. Its progress is evaluated lazily from the
// clock (tickLocked) whenever the simulator is asked anything.
type job struct {
	id          string
	agentID     string
	status      string // pending|in_progress|completed|failed
	fail        bool   // decided at creation from the injected failure count
	deadline    time.Time
	createdAt   time.Time
	updatedAt   time.Time
	startedAt   *time.Time
	completedAt *time.Time
	attempts    int
	result      obj
	errMsg      *string

	// The realistic worker's bookkeeping (worker true).
	worker       bool
	scheduledFor time.Time
	failLeft     int       // attempts still scripted to fail
	procEnd      time.Time // when the current attempt ends
	attemptFails bool
	attemptErr   string
}

func (j *job) finished() bool { return j.status == "completed" || j.status == "failed" }

// newJobLocked creates a job for a and moves the agent to provisioning.
func (s *Server) newJobLocked(a *agent) *job {
	now := s.now()
	j := &job{id: uuid.NewString(), agentID: a.id, status: "pending", createdAt: now, updatedAt: now, scheduledFor: now}
	s.st.jobs[j.id] = j
	a.jobID = j.id
	if s.st.worker != nil {
		// The server leaves the agent as it is until the worker takes the
		// job up.
		j.worker = true
		j.failLeft = s.scriptedFailuresLocked()
		return j
	}
	j.deadline = now.Add(s.st.provisionDelay)
	j.fail = s.takeProvisionFailureLocked()
	s.beginProvisionLocked(a)
	return j
}

// takeProvisionFailureLocked uses up one injected provisioning failure.
func (s *Server) takeProvisionFailureLocked() bool {
	if s.st.provisionFail > 0 {
		s.st.provisionFail--
		return true
	}
	return false
}

// beginProvisionLocked is the CAS to provisioning.
func (s *Server) beginProvisionLocked(a *agent) {
	a.status = "provisioning"
	a.databaseStatus = "provisioning"
	a.errorMessage = nil
	a.updatedAt = s.now()
}

// finishProvisionLocked ends a provisioning attempt: running with the latest
// backup restored into the fresh sandbox, or error.
func (s *Server) finishProvisionLocked(a *agent, fail bool) {
	now := s.now()
	a.updatedAt = now
	if fail {
		a.status = "error"
		a.databaseStatus = "ready"
		a.errorMessage = ptr(msgHealthTimeout)
		a.errorCount++
		return
	}
	a.status = "running"
	a.databaseStatus = "ready"
	a.bridgeURL = ptr("http://sandbox-" + a.id[:8] + ".sim.internal:18790")
	a.healthURL = ptr("http://sandbox-" + a.id[:8] + ".sim.internal:2138/health")
	a.lastHeartbeatAt = ptr(now)
	a.errorMessage = nil
	a.startedAt = now
	a.dead = a.deadSticky
	a.memories = nil
	if bs := s.st.backups[a.id]; len(bs) > 0 {
		a.memories = append([]memory(nil), bs[len(bs)-1].memories...)
	}
}

// tickLocked advances every unfinished job to where the clock says it is:
// pending until time moves past its creation, in_progress until its
// deadline, then completed (or failed when a failure was injected).
func (s *Server) tickLocked() {
	now := s.now()
	s.tickWorkerLocked(now)
	for _, j := range s.st.jobs {
		if j.finished() || j.worker {
			continue
		}
		if now.Before(j.deadline) {
			if j.status == "pending" && now.After(j.createdAt) {
				j.status, j.startedAt, j.attempts, j.updatedAt = "in_progress", ptr(now), 1, now
			}
			continue
		}
		if j.startedAt == nil {
			j.startedAt = ptr(j.createdAt)
		}
		j.attempts = max(j.attempts, 1)
		j.completedAt, j.updatedAt = ptr(now), now
		a := s.st.agents[j.agentID]
		switch {
		case a == nil:
			j.status, j.errMsg = "failed", ptr("Agent not found")
		case j.fail:
			j.status, j.errMsg = "failed", ptr(msgHealthTimeout)
			j.attempts = 3
			s.finishProvisionLocked(a, true)
			j.result = obj{"cloudAgentId": a.id, "status": "error", "error": msgHealthTimeout}
		default:
			j.status = "completed"
			s.finishProvisionLocked(a, false)
			j.result = obj{"cloudAgentId": a.id, "status": "running", "bridgeUrl": *a.bridgeURL, "healthUrl": *a.healthURL}
		}
	}
}

func (j *job) json() obj {
	var result any
	if j.result != nil {
		result = j.result
	}
	return obj{
		"id": j.id, "type": "milady_provision", "status": j.status, "result": result, "error": strPtr(j.errMsg),
		"attempts": j.attempts, "maxAttempts": 3, "estimatedCompletionAt": iso(j.createdAt.Add(expectedProvisionDuration)),
		"scheduledFor": iso(j.scheduledFor), "startedAt": isoPtr(j.startedAt), "completedAt": isoPtr(j.completedAt),
		"createdAt": iso(j.createdAt), "updatedAt": iso(j.updatedAt),
	}
}

// handleJob is GET /api/v1/jobs/{id}.
func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	j, ok := lookup(s, w, r, s.st.jobs, "Job not found")
	if !ok {
		return
	}
	data := j.json()
	polling := obj{"shouldContinue": false}
	if !j.finished() {
		polling = obj{"intervalMs": s.st.pollIntervalMs, "shouldContinue": true}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{"success": true, "data": data, "polling": polling})
}
