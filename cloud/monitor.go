package cloud

import (
	"fmt"
)

// startMonitor starts the connection monitor of s.
func (m *Manager) startMonitor(s *connSession) {
	s.wg.Add(1)
	go m.runMonitor(s)
}

// runMonitor sends a heartbeat every HeartbeatInterval (the first after one
// interval). MaxHeartbeatFailures consecutive failures start reconnecting;
// no periodic heartbeat is sent until that ends. The loop takes only the
// state lock, never the operation lock, so Disconnect can cancel it and wait.
func (m *Manager) runMonitor(s *connSession) {
	defer s.wg.Done()
	failures := 0
	if !s.waitReady(s.ctx) {
		return
	}
	for {
		if !clockSleep(s.ctx, m.clk, m.cfg.HeartbeatInterval) {
			return
		}
		err := s.api.Heartbeat(s.ctx, s.agentID)
		if s.ctx.Err() != nil || m.observe(s, err) {
			return
		}
		if err == nil {
			failures = 0
			m.heartbeatOK(s)
			continue
		}
		failures++
		m.log.Warn("heartbeat failed", "agent", s.agentID,
			"failures", failures, "max", m.cfg.MaxHeartbeatFailures, "err", err)
		if failures < m.cfg.MaxHeartbeatFailures {
			continue
		}
		if !m.reconnect(s, err) {
			return
		}
		failures = 0
	}
}

// heartbeatOK records a live heartbeat: LastHeartbeatAt and an
// EventHeartbeat (not a state change: the connection state did not move).
func (m *Manager) heartbeatOK(s *connSession) {
	now := m.clk.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != s || s.ctx.Err() != nil {
		return
	}
	m.state.LastHeartbeatAt = &now
	m.emitLocked(EventHeartbeat, nil)
}

// reconnect runs the reconnect policy after the heartbeat failed with cause:
// state reconnecting at once (no flicker through error), then up to
// MaxReconnectAttempts attempts of provision + heartbeat, each preceded by a
// wait of ReconnectInterval doubling up to MaxReconnectDelay (3, 6, 12, 24,
// 48, 60, 60 … s). Each attempt number is emitted as a state change. It
// returns true when connected again and false when the session ended or the
// manager gave up (error, then disconnected).
func (m *Manager) reconnect(s *connSession, cause error) bool {
	maxAttempts := m.cfg.MaxReconnectAttempts
	delay := min(m.cfg.ReconnectInterval, m.cfg.MaxReconnectDelay)
	last := cause
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		msg := last.Error()
		if !m.updateSession(s, StateReconnecting, func(st *State) {
			st.ReconnectAttempt = attempt
			st.MaxReconnect = maxAttempts
			st.LastError = msg
			st.Progress = nil
		}) {
			return false
		}
		m.log.Info("reconnecting to cloud agent", "agent", s.agentID,
			"attempt", attempt, "max", maxAttempts, "delay", delay)
		if !clockSleep(s.ctx, m.clk, delay) {
			return false
		}
		delay = min(delay*2, m.cfg.MaxReconnectDelay)
		res, err := m.reconnectAttempt(s)
		if s.ctx.Err() != nil || m.observe(s, err) {
			return false
		}
		if err == nil {
			return m.reconnected(s, attempt)
		}
		if res != nil && res.JobID == "" && deadBridge(err) {
			// The cloud says running (no job was needed) but the sandbox
			// does not answer: provisioning again will never change that.
			return m.climbLadder(s, attempt, err)
		}
		last = err
		m.log.Warn("reconnect attempt failed", "agent", s.agentID,
			"attempt", attempt, "max", maxAttempts, "err", err)
	}
	m.giveUp(s, fmt.Errorf("reconnect to agent %s failed after %d attempts: %w", s.agentID, maxAttempts, last))
	return false
}

// reconnected records a successful reconnect (attempt, or the ladder).
// Coming back is a change of the agent's status, so the next scheduled
// backup is taken.
func (m *Manager) reconnected(s *connSession, attempt int) bool {
	now := m.clk.Now()
	ok := m.updateSession(s, StateConnected, func(st *State) {
		st.ReconnectAttempt = 0
		st.MaxReconnect = 0
		st.LastError = ""
		st.LastHeartbeatAt = &now
	})
	if ok {
		s.touch()
		m.log.Info("reconnected to cloud agent", "agent", s.agentID, "attempt", attempt)
	}
	return ok
}

// reconnectAttempt is one attempt: re-provision (the agent may have been
// stopped), then a heartbeat that must succeed. The provision answer is
// returned even when the heartbeat fails, so the caller can tell a dead
// sandbox (answered running at once) from one still starting.
func (m *Manager) reconnectAttempt(s *connSession) (*ProvisionResult, error) {
	res, err := s.api.Provision(m.jobContext(s.ctx, s), s.agentID)
	if err != nil {
		return nil, fmt.Errorf("provision: %w", err)
	}
	if err := s.api.Heartbeat(s.ctx, s.agentID); err != nil {
		return res, fmt.Errorf("heartbeat: %w", err)
	}
	return res, nil
}

// giveUp ends a session whose reconnect attempts are exhausted, from the
// monitor goroutine itself: backups stop (and are waited for), then error
// with the reason, then disconnected with the reason kept for the UI. It
// cannot wait for its own goroutine, so the session is parked in m.retired
// and the next operation waits for it. A concurrent Disconnect wins: if it
// already cancelled the session, giveUp leaves the ending to it.
func (m *Manager) giveUp(s *connSession, reason error) {
	m.mu.Lock()
	live := m.sess == s && s.ctx.Err() == nil
	m.mu.Unlock()
	if !live {
		return
	}
	s.stopScheduler()
	msg := reason.Error()
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != s || s.ctx.Err() != nil {
		return
	}
	s.cancel()
	m.sess = nil
	m.proxy = nil
	m.retired = append(m.retired, s)
	m.transitionLocked(StateError, func(st *State) {
		st.LastError = msg
		st.ReconnectAttempt = 0
		st.MaxReconnect = 0
	})
	m.transitionLocked(StateDisconnected, func(st *State) { *st = State{Since: st.Since, LastError: msg} })
	m.log.Error("gave up reconnecting to cloud agent", "agent", s.agentID, "err", reason)
}
