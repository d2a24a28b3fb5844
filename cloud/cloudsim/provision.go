package cloudsim

import (
	"net/http"
	"time"
)

// startable are the states the provision CAS accepts.
var startable = map[string]bool{"pending": true, "stopped": true, "disconnected": true, "error": true}

// enqueueLocked reuses the agent's unfinished job or creates one. ok is
// false when the agent is in a state no job can start from (the server's
// "Agent state changed while starting").
func (s *Server) enqueueLocked(a *agent) (j *job, created, ok bool) {
	if j := s.st.jobs[a.jobID]; j != nil && !j.finished() {
		return j, false, true
	}
	if !startable[a.status] {
		return nil, false, false
	}
	return s.newJobLocked(a), true, true
}

// pollingJSON is the polling hint of 202/409 job answers.
func (s *Server) pollingJSON(j *job) obj {
	return obj{"endpoint": "/api/v1/jobs/" + j.id, "intervalMs": s.st.pollIntervalMs,
		"expectedDurationMs": expectedProvisionDuration.Milliseconds()}
}

// syncRequested reports whether this request provisions synchronously: the
// simulator's mode, or ?sync=true (the simulator is a non-production server).
func (s *Server) syncRequested(r *http.Request) bool {
	return s.st.mode == ModeSync || r.URL.Query().Get("sync") == "true"
}

// runSyncLocked provisions a synchronously: it marks it provisioning, waits
// the provisioning delay on the clock without holding the lock, and
// finishes. It is entered and left with s.mu held and reports success.
func (s *Server) runSyncLocked(r *http.Request, a *agent) bool {
	fail := s.takeProvisionFailureLocked()
	delay := s.st.provisionDelay
	a.jobID = ""
	s.beginProvisionLocked(a)
	s.mu.Unlock()
	s.waitClock(r, delay)
	s.mu.Lock()
	s.finishProvisionLocked(a, fail)
	return !fail
}

// waitClock waits d on the simulator clock, giving up early when the request
// or the server goes away (the provisioning still completes, as it would on
// the server).
func (s *Server) waitClock(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := s.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-r.Context().Done():
	case <-s.closed:
	}
}

func runningShape(a *agent) obj {
	return obj{"id": a.id, "agentName": a.name, "status": "running", "bridgeUrl": strPtr(a.bridgeURL), "healthUrl": strPtr(a.healthURL)}
}

// provisionAnswers is what differs between provision and resume, which run
// the same flow: the wording and the "data" of each answer.
type provisionAnswers struct {
	running    func(a *agent) obj // the agent is already running
	ranSync    func(a *agent) obj // a synchronous provision succeeded
	syncFailed string             // a synchronous provision failed (500)
	// queued and inProgress are the messages of the 202 (a new job) and the
	// 409 (the agent's unfinished job) answers; jobData is their "data".
	queued, inProgress string
	jobData            func(a *agent, j *job, msg string) obj
	// topMessage puts the message at the top level too (provision does,
	// resume only inside data).
	topMessage bool
}

// provision is the flow of POST /agents/{id}/provision and /resume: an
// agent already running is answered as such; otherwise, past the credit
// gate, it is provisioned synchronously (sync mode or ?sync=true) or by a
// job, reusing the agent's unfinished one.
func (s *Server) provision(w http.ResponseWriter, r *http.Request, ans provisionAnswers) {
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if a.status == "running" && a.bridgeURL != nil {
		writeData(w, http.StatusOK, ans.running(a))
		return
	}
	if s.creditGateLocked(w) {
		return
	}
	if s.syncRequested(r) {
		if !startable[a.status] {
			plainError(w, http.StatusConflict, "Agent is already being provisioned")
			return
		}
		if !s.runSyncLocked(r, a) {
			plainError(w, http.StatusInternalServerError, ans.syncFailed)
			return
		}
		writeData(w, http.StatusOK, ans.ranSync(a))
		return
	}
	j, created, ok := s.enqueueLocked(a)
	if !ok {
		plainError(w, http.StatusConflict, "Agent state changed while starting")
		return
	}
	status, msg := http.StatusAccepted, ans.queued
	if !created {
		status, msg = http.StatusConflict, ans.inProgress
	}
	out := obj{
		"success": true, "created": created, "alreadyInProgress": !created,
		"data":    ans.jobData(a, j, msg),
		"polling": s.pollingJSON(j),
	}
	if ans.topMessage {
		out["message"] = msg
	}
	writeJSON(w, status, out)
}

// handleProvision is POST /agents/{id}/provision.
func (s *Server) handleProvision(w http.ResponseWriter, r *http.Request) {
	s.provision(w, r, provisionAnswers{
		running:    runningShape,
		ranSync:    runningShape,
		syncFailed: msgHealthTimeout,
		queued:     "Provisioning job created. Poll the job endpoint for status.",
		inProgress: "Provisioning is already in progress. Poll the existing job for status.",
		topMessage: true,
		jobData: func(a *agent, j *job, _ string) obj {
			return obj{"jobId": j.id, "agentId": a.id, "status": j.status,
				"estimatedCompletionAt": iso(j.createdAt.Add(expectedProvisionDuration))}
		},
	})
}

// handleResume is POST /agents/{id}/resume: provision for a stopped agent,
// restoring its latest backup (app/api/v1/milady/agents/[agentId]/resume/
// route.ts). An agent the database calls running is answered "already
// running" even when its container is dead: only suspend + resume starts a
// new one.
func (s *Server) handleResume(w http.ResponseWriter, r *http.Request) {
	s.provision(w, r, provisionAnswers{
		running: func(a *agent) obj {
			return obj{"agentId": a.id, "action": "resume", "message": "Agent is already running", "status": "running"}
		},
		ranSync: func(a *agent) obj {
			return obj{"agentId": a.id, "action": "resume", "message": "Agent resumed from latest snapshot", "status": "running",
				"bridgeUrl": strPtr(a.bridgeURL), "healthUrl": strPtr(a.healthURL)}
		},
		syncFailed: msgHealthTimeout,
		queued:     "Resume job created. Agent will restore from latest snapshot.",
		inProgress: "Resume is already in progress.",
		jobData: func(a *agent, j *job, msg string) obj {
			return obj{"agentId": a.id, "action": "resume", "jobId": j.id, "status": j.status, "message": msg}
		},
	})
}
