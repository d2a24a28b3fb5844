package app

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrChooseAgent is ConnectLastAgent's answer when it cannot tell which
// agent the user means (none remembered and zero or several in the account,
// or the list could not be fetched): the face lets the user choose, e.g. by
// opening the dashboard.
var ErrChooseAgent = errors.New("choose an agent to connect")

// ConnectLastAgent is the tray's one-click Connect: it reconnects the agent
// remembered in desktop.lastAgentId; with none remembered it connects the
// account's only agent. With zero or several agents it returns
// ErrChooseAgent rather than guessing, so the user picks (or creates) one.
// The connection itself runs in the background, as ConnectAgentAsync.
func (s *Service) ConnectLastAgent(ctx context.Context) (ConnectResult, error) {
	s.mu.Lock()
	id := s.lastAgentID
	s.mu.Unlock()
	if id == "" {
		agents, err := s.ListAgents(ctx)
		if err != nil {
			return ConnectResult{}, fmt.Errorf("list agents to connect: %w: %w", ErrChooseAgent, err)
		}
		if len(agents) != 1 {
			return ConnectResult{}, fmt.Errorf("%w: the account has %d agents", ErrChooseAgent, len(agents))
		}
		id = agents[0].ID
	}
	return s.ConnectAgentAsync(ctx, id)
}

// resolveLastAgentName looks up the name of the agent remembered in the
// config (desktop.lastAgentId), which keeps only its id. Without it a
// restarted app that does not reconnect by itself offered "Connect to
// 229bacf6-…" in the tray instead of "Connect to Remilia" until the first
// connection. A failure keeps the id: the agent may be gone or the cloud
// unreachable, and connecting will say so.
func (s *Service) resolveLastAgentName(ctx context.Context) {
	s.mu.Lock()
	id, name, c := s.lastAgentID, s.lastAgentName, s.client
	s.mu.Unlock()
	if id == "" || name != "" || c == nil || ValidAgentID(id) != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	a, err := c.GetAgent(ctx, id)
	if err != nil {
		s.log.Debug("look up the last agent's name", "agentId", id, "err", err)
		return
	}
	s.mu.Lock()
	changed := a.AgentName != "" && s.lastAgentID == id && s.lastAgentName == "" && s.client == c
	if changed {
		s.lastAgentName = a.AgentName
	}
	s.mu.Unlock()
	if changed {
		s.publish(EventSnapshot, nil)
	}
}
