package api

import (
	"context"
	"net/http"

	"github.com/milady-ai/milady-cloud/app"
)

// Agent routes. The router has already checked the exact path, the method
// and that {id} is a UUID; "not logged in" is the Backend's answer.

func (s *server) listAgents(w http.ResponseWriter, r *http.Request) {
	agents, err := s.agents.List(r.Context())
	s.reply(w, r, err, http.StatusOK, AgentsResponse{OK: true, Agents: nonNil(agents)})
}

// createAgent checks in Milady's order: logged in (401), then the body
// (a non-string agentName is a 400 here, not a 500 as in Milady; see the
// deliberate differences in docs/ARCHITECTURE.md).
// The login check only reads the snapshot; nothing that changes state is
// called before the body is valid.
func (s *server) createAgent(w http.ResponseWriter, r *http.Request) {
	if !s.b.Snapshot().LoggedIn {
		s.writeError(w, r, app.ErrNotLoggedIn)
		return
	}
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	name, _, err := body.str("agentName")
	if err != nil {
		name = "" // a non-string name is a missing one
	}
	if err := app.ValidAgentName(name); err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, err := body.jsonObject("agentConfig")
	if badRequest(w, err) {
		return
	}
	env, err := body.stringMap("environmentVars")
	if badRequest(w, err) {
		return
	}
	agent, err := s.agents.Create(r.Context(), app.CreateAgentInput{AgentName: name, AgentConfig: cfg, EnvironmentVars: env})
	s.reply(w, r, err, http.StatusCreated, AgentResponse{OK: true, Agent: agent})
}

func (s *server) getAgent(w http.ResponseWriter, r *http.Request) {
	agent, err := s.agents.Get(r.Context(), r.PathValue("id"))
	s.reply(w, r, err, http.StatusOK, AgentResponse{OK: true, Agent: agent})
}

// connectAgent serves both provision and connect (provision also
// disconnects an active agent first, a deliberate difference from Milady). With ?async=1 it answers 202 as soon
// as the Backend has validated, and the outcome arrives as events.
func (s *server) connectAgent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if queryBool(r, "async") {
		res, err := s.agents.ConnectAsync(r.Context(), id)
		s.reply(w, r, err, http.StatusAccepted, fillConnect(res, id, "connecting"))
		return
	}
	res, err := s.agents.Connect(r.Context(), id)
	s.reply(w, r, err, http.StatusOK, fillConnect(res, id, "connected"))
}

// fillConnect makes the answer's shape independent of how much of
// ConnectResult the Backend filled in.
func fillConnect(res app.ConnectResult, id, status string) app.ConnectResult {
	res.OK = true
	if res.AgentID == "" {
		res.AgentID = id
	}
	if res.Status == "" {
		res.Status = status
	}
	return res
}

func (s *server) disconnectAgent(w http.ResponseWriter, r *http.Request) {
	s.agentAction(w, r, s.agents.Disconnect, "disconnected")
}

func (s *server) shutdownAgent(w http.ResponseWriter, r *http.Request) {
	s.agentAction(w, r, s.agents.Shutdown, "stopped")
}

func (s *server) suspendAgent(w http.ResponseWriter, r *http.Request) {
	s.agentAction(w, r, s.agents.Suspend, "stopped")
}

func (s *server) resumeAgent(w http.ResponseWriter, r *http.Request) {
	s.agentAction(w, r, s.agents.Resume, "running")
}

// agentAction runs a lifecycle call and answers {ok, agentId, status}.
func (s *server) agentAction(w http.ResponseWriter, r *http.Request,
	do func(ctx context.Context, id string) error, status string) {
	id := r.PathValue("id")
	s.reply(w, r, do(r.Context(), id), http.StatusOK, AgentActionResponse{OK: true, AgentID: id, Status: status})
}

func (s *server) listBackups(w http.ResponseWriter, r *http.Request) {
	backups, err := s.agents.Backups(r.Context(), r.PathValue("id"))
	s.reply(w, r, err, http.StatusOK, BackupsResponse{OK: true, Backups: nonNil(backups)})
}

func (s *server) snapshotAgent(w http.ResponseWriter, r *http.Request) {
	backup, err := s.agents.Backup(r.Context(), r.PathValue("id"))
	s.reply(w, r, err, http.StatusOK, BackupResponse{OK: true, Backup: backup})
}

// restoreAgent restores backupId, or the latest backup when it is absent.
func (s *server) restoreAgent(w http.ResponseWriter, r *http.Request) {
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	backupID, _, err := body.str("backupId")
	if badRequest(w, err) {
		return
	}
	res, err := s.agents.Restore(r.Context(), r.PathValue("id"), backupID)
	s.reply(w, r, err, http.StatusOK, RestoreResponse{OK: true, Restore: res})
}

// openAgent opens the agent's own web UI in the browser. The answer is
// {ok:true} alone: the URL opened carries a one-minute credential.
func (s *server) openAgent(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, s.agents.Open(r.Context(), r.PathValue("id")), http.StatusOK, OKResponse{OK: true})
}
