package app

import (
	"context"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// connView is the connection part of the state: the manager's latest state
// as its events reported it, the agent to offer next (remembered in the
// config by id; its name looked up), and whether a disconnect the user
// asked for is running.
type connView struct {
	mu            sync.Mutex
	conn          cloud.State
	lastAgentID   string
	lastAgentName string
	userAction    int // >0 while a user-initiated disconnect or log-out runs
}

func (p *connView) init(lastAgentID string, now time.Time) {
	p.lastAgentID = lastAgentID
	p.conn = cloud.State{State: cloud.StateDisconnected, Since: now}
}

// apply records the manager's new state; it returns the previous one and
// whether a user action is running.
func (p *connView) apply(st cloud.State) (prev cloud.State, userAction bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	prev, p.conn = p.conn, st
	if st.AgentName != "" {
		p.lastAgentName = st.AgentName
	}
	return prev, p.userAction > 0
}

func (p *connView) state() cloud.State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conn
}

// lastAgent is the remembered agent's id and (when known) name.
func (p *connView) lastAgent() (id, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastAgentID, p.lastAgentName
}

// agentOrLast is the connected agent, else the last one.
func (p *connView) agentOrLast() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.conn.AgentID != "" {
		return p.conn.AgentID
	}
	return p.lastAgentID
}

// remember makes id (named name, when known) the agent to offer next.
func (p *connView) remember(id, name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastAgentID = id
	if name != "" {
		p.lastAgentName = name
	}
}

// nameIfUnknown sets the name of agent id if it is still the remembered
// one and still unnamed; it reports whether it did.
func (p *connView) nameIfUnknown(id, name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if name == "" || p.lastAgentID != id || p.lastAgentName != "" {
		return false
	}
	p.lastAgentName = name
	return true
}

// beginUserAction marks a disconnect or log-out the user asked for as
// running until the returned func is called, so that the state changes it
// causes are not taken for a lost connection (no alert).
func (p *connView) beginUserAction() (end func()) {
	p.mu.Lock()
	p.userAction++
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.userAction--
		p.mu.Unlock()
	}
}

func (p *connView) fill(snap *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap.Connection = p.conn
	snap.LastAgentID, snap.LastAgentName = p.lastAgentID, p.lastAgentName
	if p.conn.AgentID != "" && p.conn.AgentName != "" {
		snap.LastAgentName = p.conn.AgentName
	}
}

// resolveLastAgentName looks up the name of the agent remembered in the
// config (desktop.lastAgentId), which keeps only its id. Without it a
// restarted app that does not reconnect by itself offered "Connect to
// 229bacf6-…" in the tray instead of "Connect to Remilia" until the first
// connection. A failure keeps the id: the agent may be gone or the cloud
// unreachable, and connecting will say so.
func (s *Service) resolveLastAgentName(ctx context.Context) {
	id, name := s.conn.lastAgent()
	c := s.sess.keyed()
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
	if s.sess.keyed() == c && s.conn.nameIfUnknown(id, a.AgentName) {
		s.publish(EventSnapshot, nil)
	}
}
