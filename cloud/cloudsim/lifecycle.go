package cloudsim

import (
	"net/http"
)

// provisioningLocked reports whether the agent is being provisioned (status
// or an unfinished job), which blocks delete and stop.
func (s *Server) provisioningLocked(a *agent) bool {
	if a.status == "provisioning" {
		return true
	}
	j := s.st.jobs[a.jobID]
	return j != nil && !j.finished()
}

// stopLocked is the shared shutdown/suspend logic: a pre-shutdown backup if
// the sandbox is up, then status stopped with the sandbox URLs cleared.
func (s *Server) stopLocked(a *agent) (previous string) {
	previous = a.status
	if a.status == "running" && !a.dead {
		s.addBackupLocked(a, "pre-shutdown")
	}
	now := s.now()
	a.status = "stopped"
	a.dead = false
	a.bridgeURL, a.healthURL = nil, nil
	a.memories = nil
	a.updatedAt = now
	return previous
}

// stopAgent answers PATCH {action} and POST …/suspend with the routes'
// texts (app/api/v1/milady/agents/[agentId]/route.ts, …/suspend/route.ts):
// an agent already stopped is answered before the provisioning check.
func (s *Server) stopAgent(w http.ResponseWriter, a *agent, action string) {
	past := map[string]string{"shutdown": "stopped", "suspend": "suspended"}[action]
	if a.status == "stopped" {
		writeData(w, http.StatusOK, obj{
			"agentId": a.id, "action": action, "message": "Agent is already " + past, "previousStatus": a.status})
		return
	}
	if s.provisioningLocked(a) {
		plainError(w, http.StatusConflict, "Agent provisioning is in progress")
		return
	}
	msg := map[string]string{"shutdown": "Agent shutdown complete",
		"suspend": "Agent suspended with snapshot. Use resume or provision to restart."}[action]
	prev := s.stopLocked(a)
	writeData(w, http.StatusOK, obj{
		"agentId": a.id, "action": action, "message": msg, "previousStatus": prev})
}

// handlePatchAgent is PATCH /agents/{id} with {"action":"shutdown"|"suspend"}.
func (s *Server) handlePatchAgent(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	// request.json().catch(() => null): a malformed body is validated as null.
	body, err := parseJSON(r)
	if err != nil {
		body = nil
	}
	m, isObj := body.(map[string]any)
	action, _ := m["action"].(string)
	if !isObj || (action != "shutdown" && action != "suspend") {
		var issue obj
		switch v, present := m["action"]; {
		case !isObj:
			issue = issueType([]any{}, "object", body)
		case !present:
			issue = issueRequired([]any{"action"}, "'shutdown' | 'suspend'")
		default:
			issue = obj{"code": "invalid_enum_value", "options": []string{"shutdown", "suspend"}, "received": v,
				"path": []any{"action"}, "message": "Invalid enum value. Expected 'shutdown' | 'suspend'"}
		}
		writeJSON(w, http.StatusBadRequest, obj{"success": false, "error": "Invalid request data", "details": []obj{issue}})
		return
	}
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	s.stopAgent(w, a, action)
}

// handleSuspend is POST /agents/{id}/suspend.
func (s *Server) handleSuspend(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	s.stopAgent(w, a, "suspend")
}
