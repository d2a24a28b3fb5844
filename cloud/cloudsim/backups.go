package cloudsim

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/google/uuid"
)

// maxBackups is how many backups the server keeps per agent.
const maxBackups = 10

// backup is one stored agent state.
type backup struct {
	id        string
	agentID   string
	typ       string // manual | pre-shutdown
	size      int
	memories  []memory
	createdAt time.Time
}

// addBackupLocked snapshots the simulated sandbox state, stores it, updates
// lastBackupAt and prunes to the newest ten.
func (s *Server) addBackupLocked(a *agent, typ string) *backup {
	mems := append([]memory{}, a.memories...)
	cfg := a.config
	if cfg == nil {
		cfg = map[string]any{}
	}
	state, err := json.Marshal(obj{"memories": mems, "config": cfg, "workspaceFiles": obj{}})
	if err != nil {
		state = []byte("{}")
	}
	now := s.now()
	b := &backup{id: uuid.NewString(), agentID: a.id, typ: typ, size: len(state), memories: mems, createdAt: now}
	list := append(s.st.backups[a.id], b)
	if len(list) > maxBackups {
		list = append([]*backup(nil), list[len(list)-maxBackups:]...)
	}
	s.st.backups[a.id] = list
	a.lastBackupAt = ptr(now)
	a.updatedAt = now
	return b
}

// SnapshotCount is how many backups are stored for the agent (after pruning).
func (s *Server) SnapshotCount(agentID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.backups[agentID])
}

// handleSnapshot is POST /agents/{id}/snapshot: running agents only; a
// missing agent is indistinguishable from a stopped one (409).
func (s *Server) handleSnapshot(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	a := s.st.agents[r.PathValue("id")]
	if a == nil || a.status != "running" {
		plainError(w, http.StatusConflict, "Sandbox is not running")
		return
	}
	if a.dead {
		// Fetching the state from a dead container throws: generic 500.
		plainError(w, http.StatusInternalServerError, msgUnexpected)
		return
	}
	b := s.addBackupLocked(a, "manual")
	writeData(w, http.StatusOK, obj{
		"backupId": b.id, "snapshotType": b.typ, "sizeBytes": b.size, "createdAt": iso(b.createdAt)})
}

// handleBackups is GET /agents/{id}/backups: newest first, and an empty list
// (not 404) for an unknown agent.
func (s *Server) handleBackups(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	s.mu.Lock()
	list := s.st.backups[r.PathValue("id")]
	data := make([]obj, 0, len(list))
	for i := len(list) - 1; i >= 0; i-- {
		b := list[i]
		data = append(data, obj{"id": b.id, "snapshotType": b.typ, "sizeBytes": b.size,
			"vercelSnapshotId": nil, "createdAt": iso(b.createdAt)})
	}
	s.mu.Unlock()
	writeData(w, http.StatusOK, data)
}

// handleRestore is POST /agents/{id}/restore with {} (latest) or
// {"backupId": uuid}. A running agent gets the state pushed in; a stopped
// one is provisioned synchronously, which restores the latest backup, so
// only the latest may be named.
func (s *Server) handleRestore(w http.ResponseWriter, r *http.Request) {
	body, ok := s.keyedJSON(w, r)
	if !ok {
		return
	}
	m, isObj := body.(map[string]any)
	if !isObj {
		writeJSON(w, http.StatusBadRequest, obj{"success": false, "error": "Invalid request",
			"details": []obj{issueType([]any{}, "object", body)}})
		return
	}
	var backupID string
	if v, present := m["backupId"]; present {
		str, isStr := v.(string)
		if !isStr || !isUUID(str) {
			issue := issueType([]any{"backupId"}, "string", v)
			if isStr {
				issue = obj{"code": "invalid_string", "validation": "uuid", "message": "Invalid uuid", "path": []any{"backupId"}}
			}
			writeJSON(w, http.StatusBadRequest, obj{"success": false, "error": "Invalid request", "details": []obj{issue}})
			return
		}
		backupID = str
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	a := s.st.agents[r.PathValue("id")]
	if a == nil {
		plainError(w, http.StatusNotFound, "Agent not found")
		return
	}
	list := s.st.backups[a.id]
	var b *backup
	if backupID == "" {
		if len(list) > 0 {
			b = list[len(list)-1]
		}
	} else {
		b = s.findBackupLocked(backupID)
		if b != nil && b.agentID != a.id {
			plainError(w, http.StatusInternalServerError, "Backup does not belong to this agent")
			return
		}
	}
	if b == nil {
		plainError(w, http.StatusNotFound, "No backup found")
		return
	}
	if a.status == "running" {
		a.memories = append([]memory(nil), b.memories...)
		a.updatedAt = s.now()
	} else {
		if b != list[len(list)-1] {
			plainError(w, http.StatusConflict, "Stopped agents can only restore the latest backup")
			return
		}
		if !startable[a.status] {
			plainError(w, http.StatusInternalServerError, "Agent is already being provisioned")
			return
		}
		// The restore route's provision is synchronous and not a job; the
		// simulator completes it at once rather than waiting ProvisionDelay.
		fail := s.takeProvisionFailureLocked()
		a.jobID = ""
		s.beginProvisionLocked(a)
		s.finishProvisionLocked(a, fail)
		if fail {
			plainError(w, http.StatusInternalServerError, msgHealthTimeout)
			return
		}
	}
	writeData(w, http.StatusOK, obj{
		"restoredFromBackupId": b.id, "snapshotType": b.typ, "createdAt": iso(b.createdAt)})
}

func (s *Server) findBackupLocked(id string) *backup {
	for _, list := range s.st.backups {
		for _, b := range list {
			if b.id == id {
				return b
			}
		}
	}
	return nil
}
