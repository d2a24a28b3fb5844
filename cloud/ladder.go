package cloud

import (
	"context"
	"errors"
	"fmt"
)

// SandboxControl is what the dead-sandbox ladder needs beyond API: resume
// and suspend. *Client implements it; an API without it stops the ladder
// after its provision step.
type SandboxControl interface {
	ResumeAgent(ctx context.Context, agentID string) (*ProvisionResult, error)
	SuspendAgent(ctx context.Context, agentID string) (*AgentActionResult, error)
}

// ladderSteps is the dead-sandbox ladder, gentlest first.
var ladderSteps = []struct{ step, message string }{
	{RecoveryProvision, "The agent's sandbox is not answering although Eliza Cloud reports it running: provisioning it again"},
	{RecoveryResume, "The agent's sandbox is still not answering: asking Eliza Cloud to resume it"},
	{RecoveryRestart, "The agent's sandbox is still not answering: suspending and resuming it (its state is backed up first)"},
}

// deadBridge reports the cloud's answer for a sandbox it believes running
// but cannot reach ("Sandbox bridge is unreachable", at once: a slow agent
// is an AgentTooSlowError instead).
func deadBridge(err error) bool {
	var re *RPCError
	var slow *AgentTooSlowError
	return errors.As(err, &re) && re.Message == msgBridgeUnreachable && !errors.As(err, &slow)
}

// climbLadder brings back a sandbox whose container died while the cloud's
// database still says running: nothing on the server notices, provision
// answers its "already running" fast path, and the bridge stays dead. Each
// step is tried once, announced by an EventRecovery, and followed by a
// heartbeat that must succeed; the server's resume answers "already
// running" for such an agent, so suspend + resume is the step that usually
// works. When every step fails, the manager gives up (error, then
// disconnected) with a reason naming what was tried. It returns true when
// connected again.
func (m *Manager) climbLadder(s *connSession, attempt int, cause error) bool {
	m.log.Warn("the agent's sandbox is dead although the cloud reports it running; climbing the recovery ladder",
		"agent", s.agentID, "err", cause)
	last := cause
	for i, st := range ladderSteps {
		rec := &Recovery{Step: st.step, N: i + 1, Of: len(ladderSteps), Message: st.message}
		if !m.announceRecovery(s, rec) {
			return false
		}
		err := m.ladderStep(s, st.step)
		if err == nil {
			err = s.api.Heartbeat(s.ctx, s.agentID)
			if err != nil {
				err = fmt.Errorf("heartbeat: %w", err)
			}
		}
		if s.ctx.Err() != nil || m.observe(s, err) {
			return false
		}
		if err == nil {
			m.log.Info("the agent's sandbox is back", "agent", s.agentID, "step", st.step)
			return m.reconnected(s, attempt)
		}
		last = err
		m.log.Warn("recovery step failed", "agent", s.agentID, "step", st.step, "err", err)
		if errors.Is(err, errNoSandboxControl) {
			break
		}
	}
	m.giveUp(s, fmt.Errorf("the agent's sandbox does not answer although Eliza Cloud reports it running; "+
		"provision, resume and suspend + resume did not bring it back: %w", last))
	return false
}

// errNoSandboxControl ends the ladder for an API without resume/suspend.
var errNoSandboxControl = errors.New("this connection cannot resume or suspend the agent")

// ladderStep runs one step's cloud calls.
func (m *Manager) ladderStep(s *connSession, step string) error {
	ctx := m.jobContext(s.ctx, s)
	if step == RecoveryProvision {
		if _, err := s.api.Provision(ctx, s.agentID); err != nil {
			return fmt.Errorf("provision: %w", err)
		}
		return nil
	}
	sc, ok := s.api.(SandboxControl)
	if !ok {
		return errNoSandboxControl
	}
	if step == RecoveryRestart {
		if _, err := sc.SuspendAgent(ctx, s.agentID); err != nil {
			return fmt.Errorf("suspend: %w", err)
		}
	}
	if _, err := sc.ResumeAgent(ctx, s.agentID); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	return nil
}

// announceRecovery publishes the ladder step about to run; false means the
// session ended.
func (m *Manager) announceRecovery(s *connSession, rec *Recovery) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sess != s || s.ctx.Err() != nil {
		return false
	}
	m.state.Recovery = rec
	m.state.Progress = nil
	m.emitLocked(EventRecovery, nil)
	return true
}
