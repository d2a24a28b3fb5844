package app

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Agents is the part of the Service that manages the organisation's cloud
// agents: listing and creating them, connecting to one, and their backups.
// Its state (the connected and the remembered agent) is the Service's
// connView; reach it with Service.Agents.
type Agents struct{ s *Service }

// Agents is the agent-management part of the Service.
func (s *Service) Agents() *Agents { return &s.agents }

// agentCall is the common prologue of agent calls: a valid id and a key.
func (s *Service) agentCall(id string) (*cloud.Client, error) {
	if err := ValidAgentID(id); err != nil {
		return nil, err
	}
	return s.requireClient()
}

// List lists the org's cloud agents (upstream errors are not hidden).
func (ag *Agents) List(ctx context.Context) ([]cloud.Agent, error) {
	s := ag.s
	c, err := s.requireClient()
	if err != nil {
		return nil, err
	}
	agents, err := c.ListAgents(ctx)
	if err != nil {
		s.observeKey(c, err)
		return nil, err
	}
	if agents == nil {
		agents = []cloud.Agent{}
	}
	return agents, nil
}

// Create creates a cloud agent after validating the input locally, so
// nothing reaches the cloud when validation fails.
func (ag *Agents) Create(ctx context.Context, in CreateAgentInput) (*cloud.Agent, error) {
	s := ag.s
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

// Get returns one agent's detail.
func (ag *Agents) Get(ctx context.Context, id string) (*cloud.Agent, error) {
	s := ag.s
	c, err := s.agentCall(id)
	if err != nil {
		return nil, err
	}
	return c.GetAgent(ctx, id)
}

// Connect provisions and connects; an active agent is disconnected
// first (by the manager, final snapshot included).
func (ag *Agents) Connect(ctx context.Context, id string) (ConnectResult, error) {
	s := ag.s
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
	s.conn.remember(id, st.AgentName)
	if s.settings.configErr == "" {
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

// ErrChooseAgent is ConnectLast's answer when it cannot tell which agent
// the user means (none remembered and zero or several in the account, or
// the list could not be fetched): the face lets the user choose, e.g. by
// opening the dashboard.
var ErrChooseAgent = errors.New("choose an agent to connect")

// ConnectLast is the tray's one-click Connect: it reconnects the agent
// remembered in desktop.lastAgentId; with none remembered it connects the
// account's only agent. With zero or several agents it returns
// ErrChooseAgent rather than guessing, so the user picks (or creates) one.
// The connection itself runs in the background, as ConnectAsync.
func (ag *Agents) ConnectLast(ctx context.Context) (ConnectResult, error) {
	id, _ := ag.s.conn.lastAgent()
	if id == "" {
		agents, err := ag.List(ctx)
		if err != nil {
			return ConnectResult{}, fmt.Errorf("list agents to connect: %w: %w", ErrChooseAgent, err)
		}
		if len(agents) != 1 {
			return ConnectResult{}, fmt.Errorf("%w: the account has %d agents", ErrChooseAgent, len(agents))
		}
		id = agents[0].ID
	}
	return ag.ConnectAsync(ctx, id)
}

// ConnectAsync checks the request, then connects in the background.
func (ag *Agents) ConnectAsync(ctx context.Context, id string) (ConnectResult, error) {
	s := ag.s
	if _, err := s.agentCall(id); err != nil {
		return ConnectResult{}, err
	}
	started := s.spawn(func() {
		if _, err := ag.Connect(s.ctx, id); err != nil {
			s.log.Warn("connect failed", "agentId", id, "err", err)
		}
	})
	if !started {
		return ConnectResult{}, ErrShuttingDown
	}
	return ConnectResult{OK: true, AgentID: id, Status: "connecting"}, nil
}

// userDisconnect disconnects agent id, if it is the active one, as the
// user's own action (no "connection lost" notification, no reconnect at next
// start).
func (s *Service) userDisconnect(ctx context.Context, id string) {
	defer s.conn.beginUserAction()()
	if s.mgr.DisconnectAgent(context.WithoutCancel(ctx), id) && s.settings.configErr == "" && s.sess.keyed() != nil {
		_ = s.cfg.SetWasConnected(false)
	}
}

// Disconnect disconnects from id if it is the active agent.
func (ag *Agents) Disconnect(ctx context.Context, id string) error {
	s := ag.s
	if _, err := s.agentCall(id); err != nil {
		return err
	}
	s.userDisconnect(ctx, id)
	return nil
}

// Shutdown disconnects if active, then deletes the agent in the cloud
// (Milady's destructive "shutdown").
func (ag *Agents) Shutdown(ctx context.Context, id string) error {
	return ag.stop(ctx, id, func(c *cloud.Client) error { return c.DeleteAgent(ctx, id) })
}

// Suspend is the non-destructive stop.
func (ag *Agents) Suspend(ctx context.Context, id string) error {
	return ag.stop(ctx, id, func(c *cloud.Client) error {
		_, err := c.SuspendAgent(ctx, id)
		return err
	})
}

// stop disconnects from agent id, if it is the active one, as the user's
// own action, then asks the cloud to stop it with do.
func (ag *Agents) stop(ctx context.Context, id string, do func(*cloud.Client) error) error {
	c, err := ag.s.agentCall(id)
	if err != nil {
		return err
	}
	ag.s.userDisconnect(ctx, id)
	return do(c)
}

// Resume starts a stopped agent in the cloud.
func (ag *Agents) Resume(ctx context.Context, id string) error {
	s := ag.s
	c, err := s.agentCall(id)
	if err != nil {
		return err
	}
	_, err = c.ResumeAgent(ctx, id)
	s.refreshCreditsSoon()
	return err
}

// Backups lists an agent's snapshots, newest first.
func (ag *Agents) Backups(ctx context.Context, id string) ([]cloud.Backup, error) {
	s := ag.s
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

// Backup takes a backup now. For the connected agent it goes through
// the manager so it never overlaps a scheduled one.
func (ag *Agents) Backup(ctx context.Context, id string) (*cloud.Backup, error) {
	s := ag.s
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
	s.history.record(func(ctx context.Context) { _ = s.db.AddBackup(ctx, rec) })
	return b, err
}

// Restore restores the latest backup, or backupID.
func (ag *Agents) Restore(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error) {
	s := ag.s
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
