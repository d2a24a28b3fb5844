package cloudsim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// agent is one Milady Sandbox row plus the in-process sandbox state
// (memories) that a real sandbox would hold.
type agent struct {
	id              string
	name            string
	status          string // pending|provisioning|running|stopped|disconnected|error
	databaseStatus  string // none|provisioning|ready|error
	bridgeURL       *string
	healthURL       *string
	lastBackupAt    *time.Time
	lastHeartbeatAt *time.Time
	errorMessage    *string
	errorCount      int
	createdAt       time.Time
	updatedAt       time.Time
	seq             int64
	config          map[string]any
	startedAt       time.Time // when the current sandbox came up
	memories        []memory
	jobID           string // latest provisioning job
	dead            bool   // the container died while the row says running
	deadSticky      bool   // new containers die too
}

// memory is one chat turn the simulated sandbox remembers.
type memory struct {
	Role      string `json:"role"`
	Text      string `json:"text"`
	Timestamp int64  `json:"timestamp"`
}

func (a *agent) listJSON() obj {
	return obj{
		"id": a.id, "agentName": a.name, "status": a.status, "databaseStatus": a.databaseStatus,
		"lastBackupAt": isoPtr(a.lastBackupAt), "lastHeartbeatAt": isoPtr(a.lastHeartbeatAt),
		"errorMessage": strPtr(a.errorMessage),
		"createdAt":    iso(a.createdAt), "updatedAt": iso(a.updatedAt),
		"token_address": nil, "token_chain": nil, "token_name": nil, "token_ticker": nil,
	}
}

func (a *agent) detailJSON() obj {
	o := a.listJSON()
	o["bridgeUrl"] = strPtr(a.bridgeURL)
	o["errorCount"] = a.errorCount
	o["walletAddress"] = nil
	o["walletProvider"] = nil
	o["walletStatus"] = "none"
	return o
}

// AgentStatus is the current cloud status of an agent (after any job that is
// due has been completed).
func (s *Server) AgentStatus(id string) (status string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	a := s.st.agents[id]
	if a == nil {
		return "", false
	}
	return a.status, true
}

// lookupAgent authenticates, brings jobs up to date and returns the agent
// named in the path; it answers 404 "Agent not found" itself. The caller
// holds s.mu on success.
func (s *Server) lookupAgent(w http.ResponseWriter, r *http.Request) (*agent, bool) {
	return lookup(s, w, r, s.st.agents, "Agent not found")
}

// lookup authenticates, brings jobs up to date and returns the entry of
// table named by the path's {id}, answering 404 with notFound itself. The
// caller holds s.mu on success.
func lookup[T any](s *Server, w http.ResponseWriter, r *http.Request, table map[string]*T, notFound string) (*T, bool) {
	if !s.requireKey(w, r) {
		return nil, false
	}
	s.mu.Lock()
	s.tickLocked()
	v := table[r.PathValue("id")]
	if v == nil {
		s.mu.Unlock()
		plainError(w, http.StatusNotFound, notFound)
		return nil, false
	}
	return v, true
}

// handleListAgents is GET /agents: newest first.
func (s *Server) handleListAgents(w http.ResponseWriter, r *http.Request) {
	if !s.requireKey(w, r) {
		return
	}
	s.mu.Lock()
	s.tickLocked()
	list := make([]*agent, 0, len(s.st.agents))
	for _, a := range s.st.agents {
		list = append(list, a)
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].createdAt.Equal(list[j].createdAt) {
			return list[i].createdAt.After(list[j].createdAt)
		}
		return list[i].seq > list[j].seq
	})
	data := make([]obj, 0, len(list))
	for _, a := range list {
		data = append(data, a.listJSON())
	}
	s.mu.Unlock()
	writeData(w, http.StatusOK, data)
}

// validateCreate checks the create body like the route's zod schema and
// returns the issues (nil when valid).
func validateCreate(body any) []obj {
	m, ok := body.(map[string]any)
	if !ok {
		return []obj{issueType([]any{}, "object", body)}
	}
	var issues []obj
	switch name, present := m["agentName"]; {
	case !present:
		issues = append(issues, issueRequired([]any{"agentName"}, "string"))
	case jsType(name) != "string":
		issues = append(issues, issueType([]any{"agentName"}, "string", name))
	default:
		n := utf8.RuneCountInString(name.(string))
		if n < 1 {
			issues = append(issues, obj{"code": "too_small", "minimum": 1, "type": "string", "inclusive": true, "exact": false,
				"message": "String must contain at least 1 character(s)", "path": []any{"agentName"}})
		} else if n > 100 {
			issues = append(issues, obj{"code": "too_big", "maximum": 100, "type": "string", "inclusive": true, "exact": false,
				"message": "String must contain at most 100 character(s)", "path": []any{"agentName"}})
		}
	}
	if v, ok := m["characterId"]; ok {
		if str, isStr := v.(string); !isStr {
			issues = append(issues, issueType([]any{"characterId"}, "string", v))
		} else if !isUUID(str) {
			issues = append(issues, obj{"code": "invalid_string", "validation": "uuid", "message": "Invalid uuid", "path": []any{"characterId"}})
		}
	}
	if v, ok := m["agentConfig"]; ok && jsType(v) != "object" {
		issues = append(issues, issueType([]any{"agentConfig"}, "object", v))
	}
	if v, ok := m["environmentVars"]; ok {
		env, isObj := v.(map[string]any)
		if !isObj {
			issues = append(issues, issueType([]any{"environmentVars"}, "object", v))
		}
		for k, ev := range env {
			if jsType(ev) != "string" {
				issues = append(issues, issueType([]any{"environmentVars", k}, "string", ev))
			}
		}
	}
	return issues
}

// creditGateLocked answers 402 when the balance is below $5.
func (s *Server) creditGateLocked(w http.ResponseWriter) bool {
	bal := s.st.balance
	if bal >= minBalance {
		return false
	}
	msg := fmt.Sprintf("Insufficient credits. A minimum balance of $5.00 is required to create or run Milady agents. "+
		"Please add at least $%.2f to your account at /dashboard/billing.", minBalance-bal)
	writeJSON(w, http.StatusPaymentRequired, obj{"success": false, "error": msg,
		"requiredBalance": minBalance, "currentBalance": bal})
	return true
}

// handleCreateAgent is POST /agents.
func (s *Server) handleCreateAgent(w http.ResponseWriter, r *http.Request) {
	body, ok := s.keyedJSON(w, r)
	if !ok {
		return
	}
	if issues := validateCreate(body); issues != nil {
		writeJSON(w, http.StatusBadRequest, obj{"success": false, "error": "Invalid request data", "details": issues})
		return
	}
	m := body.(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.creditGateLocked(w) {
		return
	}
	if _, ok := m["characterId"]; ok {
		// The simulated org has no characters.
		plainError(w, http.StatusNotFound, "Character not found")
		return
	}
	cfg := map[string]any{}
	if c, ok := m["agentConfig"].(map[string]any); ok {
		for k, v := range c {
			if !strings.HasPrefix(k, "__milady") {
				cfg[k] = v
			}
		}
	}
	now := s.now()
	s.st.seq++
	a := &agent{id: uuid.NewString(), name: m["agentName"].(string), status: "pending", databaseStatus: "none",
		createdAt: now, updatedAt: now, seq: s.st.seq, config: cfg}
	s.st.agents[a.id] = a
	writeData(w, http.StatusCreated, obj{
		"id": a.id, "agentName": a.name, "status": a.status, "createdAt": iso(a.createdAt)})
}

// handleGetAgent is GET /agents/{id}.
func (s *Server) handleGetAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	data := a.detailJSON()
	s.mu.Unlock()
	writeData(w, http.StatusOK, data)
}

// handleDeleteAgent is DELETE /agents/{id}: destructive, not idempotent.
func (s *Server) handleDeleteAgent(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	defer s.mu.Unlock()
	if s.provisioningLocked(a) {
		plainError(w, http.StatusConflict, "Agent provisioning is in progress")
		return
	}
	delete(s.st.agents, a.id)
	delete(s.st.backups, a.id)
	writeJSON(w, http.StatusOK, obj{"success": true})
}
