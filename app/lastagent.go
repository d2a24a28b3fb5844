package app

import (
	"context"
	"time"
)

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
	if id == "" || name != "" || c == nil || validAgentID(id) != nil {
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
