package app

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
)

// agentCall is the common prologue of agent calls: a valid id and a key.
func (s *Service) agentCall(id string) (*cloud.Client, error) {
	if err := ValidAgentID(id); err != nil {
		return nil, err
	}
	return s.requireClient()
}

// ListAgents lists the org's cloud agents (upstream errors are not hidden).
func (s *Service) ListAgents(ctx context.Context) ([]cloud.Agent, error) {
	c, err := s.requireClient()
	if err != nil {
		return nil, err
	}
	agents, err := c.ListAgents(ctx)
	if err != nil {
		return nil, err
	}
	if agents == nil {
		agents = []cloud.Agent{}
	}
	return agents, nil
}

// CreateAgent creates a cloud agent after validating the input locally, so
// nothing reaches the cloud when validation fails.
func (s *Service) CreateAgent(ctx context.Context, in CreateAgentInput) (*cloud.Agent, error) {
	c, err := s.requireClient()
	if err != nil {
		return nil, err
	}
	if err := ValidAgentName(in.AgentName); err != nil {
		return nil, err
	}
	in.AgentName = strings.TrimSpace(in.AgentName)
	for k := range in.EnvironmentVars {
		if strings.TrimSpace(k) == "" {
			return nil, InvalidInput("environment variable names must not be empty")
		}
	}
	a, err := c.CreateAgent(ctx, in)
	if err != nil {
		return nil, err
	}
	return a, nil
}

// GetAgent returns one agent's detail.
func (s *Service) GetAgent(ctx context.Context, id string) (*cloud.Agent, error) {
	c, err := s.agentCall(id)
	if err != nil {
		return nil, err
	}
	return c.GetAgent(ctx, id)
}

// ConnectAgent provisions and connects; an active agent is disconnected
// first (by the manager, final snapshot included).
func (s *Service) ConnectAgent(ctx context.Context, id string) (ConnectResult, error) {
	if _, err := s.agentCall(id); err != nil {
		return ConnectResult{}, err
	}
	// The connection outlives the request that asked for it.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.ConnectTimeout)
	defer cancel()
	if err := s.mgr.Connect(cctx, id); err != nil {
		return ConnectResult{}, err
	}
	st := s.mgr.State()
	s.mu.Lock()
	s.lastAgentID = id
	if st.AgentName != "" {
		s.lastAgentName = st.AgentName
	}
	s.mu.Unlock()
	if s.configErr == "" {
		if err := s.cfg.SetLastAgent(id); err != nil {
			s.log.Warn("remember last agent failed", "err", err)
		}
		if err := s.cfg.SetWasConnected(true); err != nil {
			s.log.Warn("remember connection failed", "err", err)
		}
	}
	s.refreshCreditsSoon()
	return ConnectResult{OK: true, AgentID: id, AgentName: st.AgentName, Status: "connected"}, nil
}

// ConnectAgentAsync checks the request, then connects in the background.
func (s *Service) ConnectAgentAsync(ctx context.Context, id string) (ConnectResult, error) {
	if _, err := s.agentCall(id); err != nil {
		return ConnectResult{}, err
	}
	started := s.spawn(func() {
		if _, err := s.ConnectAgent(s.ctx, id); err != nil {
			s.log.Warn("connect failed", "agentId", id, "err", err)
		}
	})
	if !started {
		return ConnectResult{}, ErrShuttingDown
	}
	return ConnectResult{OK: true, AgentID: id, Status: "connecting"}, nil
}

// beginUserAction marks a disconnect or log-out the user asked for as
// running until the returned func is called, so that the state changes it
// causes are not taken for a lost connection (no alert).
func (s *Service) beginUserAction() (end func()) {
	s.mu.Lock()
	s.userAction++
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		s.userAction--
		s.mu.Unlock()
	}
}

// userDisconnect disconnects agent id, if it is the active one, as the
// user's own action (no "connection lost" notification, no reconnect at next
// start).
func (s *Service) userDisconnect(ctx context.Context, id string) {
	defer s.beginUserAction()()
	if s.mgr.DisconnectAgent(context.WithoutCancel(ctx), id) && s.configErr == "" && s.currentClient() != nil {
		_ = s.cfg.SetWasConnected(false)
	}
}

// DisconnectAgent disconnects from id if it is the active agent.
func (s *Service) DisconnectAgent(ctx context.Context, id string) error {
	if _, err := s.agentCall(id); err != nil {
		return err
	}
	s.userDisconnect(ctx, id)
	return nil
}

// ShutdownAgent disconnects if active, then deletes the agent in the cloud
// (Milady's destructive "shutdown").
func (s *Service) ShutdownAgent(ctx context.Context, id string) error {
	c, err := s.agentCall(id)
	if err != nil {
		return err
	}
	s.userDisconnect(ctx, id)
	return c.DeleteAgent(ctx, id)
}

// SuspendAgent is the non-destructive stop.
func (s *Service) SuspendAgent(ctx context.Context, id string) error {
	c, err := s.agentCall(id)
	if err != nil {
		return err
	}
	s.userDisconnect(ctx, id)
	_, err = c.SuspendAgent(ctx, id)
	return err
}

// ResumeAgent starts a stopped agent in the cloud.
func (s *Service) ResumeAgent(ctx context.Context, id string) error {
	c, err := s.agentCall(id)
	if err != nil {
		return err
	}
	_, err = c.ResumeAgent(ctx, id)
	s.refreshCreditsSoon()
	return err
}

// ListBackups lists an agent's snapshots, newest first.
func (s *Service) ListBackups(ctx context.Context, id string) ([]cloud.Backup, error) {
	c, err := s.agentCall(id)
	if err != nil {
		return nil, err
	}
	b, err := c.ListBackups(ctx, id)
	if b == nil && err == nil {
		b = []cloud.Backup{}
	}
	return b, err
}

// SnapshotAgent takes a backup now. For the connected agent it goes through
// the manager so it never overlaps a scheduled one.
func (s *Service) SnapshotAgent(ctx context.Context, id string) (*cloud.Backup, error) {
	c, err := s.agentCall(id)
	if err != nil {
		return nil, err
	}
	if s.isActive(id) {
		r, err := s.mgr.SnapshotNow(ctx)
		if err != nil {
			return nil, err
		}
		return &cloud.Backup{ID: r.BackupID, SnapshotType: "manual", SizeBytes: r.SizeBytes, CreatedAt: r.At}, nil
	}
	b, err := c.Snapshot(ctx, id)
	at := s.clk.Now()
	rec := store.BackupRecord{At: at, AgentID: id, OK: err == nil}
	if err != nil {
		rec.Error = err.Error()
	} else {
		rec.BackupID, rec.SizeBytes = b.ID, b.SizeBytes
	}
	s.record(func(ctx context.Context) { _ = s.db.AddBackup(ctx, rec) })
	return b, err
}

// RestoreAgent restores the latest backup, or backupID.
func (s *Service) RestoreAgent(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	c, err := s.agentCall(id)
	if err != nil {
		return nil, err
	}
	if backupID != "" {
		if _, err := uuid.Parse(backupID); err != nil {
			return nil, InvalidInput("backupId must be a backup's id")
		}
	}
	return c.Restore(ctx, id, backupID)
}

func backupRecord(b cloud.BackupResult) store.BackupRecord {
	return store.BackupRecord{At: b.At, AgentID: b.AgentID, OK: b.OK, BackupID: b.BackupID, SizeBytes: b.SizeBytes, Error: b.Error, Final: b.Final}
}

// isActive reports whether id is the agent the manager holds.
func (s *Service) isActive(id string) bool {
	st := s.mgr.State()
	return st.AgentID == id && st.State != cloud.StateDisconnected
}
