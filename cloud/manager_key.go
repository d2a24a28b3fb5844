package cloud

import (
	"errors"
	"fmt"
)

// KeyRejectedMessage is the LastError of a manager that stopped because the
// cloud rejected its key.
const KeyRejectedMessage = "Your Eliza Cloud key was rejected (revoked or expired)"

// ObserveAPIError lets the app report the outcome of a call it made itself
// with the current key (identity, balance, the agent list): a rejected key
// (401) puts the manager in the rejected-key condition exactly as one of
// its own calls would. It reports whether err was a rejected key.
func (m *Manager) ObserveAPIError(err error) bool {
	if !errors.Is(err, ErrKeyRejected) {
		return false
	}
	_, gen := m.currentAPI()
	m.rejectKey(gen, err)
	return true
}

// observe is what every call of a session passes its error through: the
// first rejected key stops the manager. It reports whether err was one.
func (m *Manager) observe(s *connSession, err error) bool {
	if !errors.Is(err, ErrKeyRejected) {
		return false
	}
	m.rejectKey(s.gen, err)
	return true
}

// rejectKey enters the rejected-key condition after err, a 401 to a call
// made with the key of generation gen. A revoked or expired key fails
// every later call the same way, so retrying (reconnects, backups,
// provisioning) only repeats the failure: the session ends at once, from
// whichever goroutine saw the 401, and nothing calls the cloud until SetAPI
// brings a new key. A report about an older key is ignored. A Connect in
// progress is aborted and ends the session itself.
func (m *Manager) rejectKey(gen uint64, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if gen != m.gen || m.rejected {
		return
	}
	if m.abortConnect != nil {
		m.abortConnect(fmt.Errorf("stop connecting: %w", err))
		return
	}
	if s := m.sess; s != nil {
		// It cannot wait for its own goroutine: the session is parked and
		// the next operation waits for it.
		s.cancel()
		m.sess, m.proxy = nil, nil
		m.retired = append(m.retired, s)
	}
	m.enterRejectedLocked(err)
}

// enterRejectedLocked records the rejected key: straight to disconnected
// (it is not a failure of the agent, so not through error), with
// KeyRejectedMessage, then one EventKeyRejected. m.mu must be held and the
// session already ended.
func (m *Manager) enterRejectedLocked(err error) {
	m.rejected = true
	m.log.Warn("Eliza Cloud rejected the API key; the manager stops until a new login", "err", err)
	m.transitionLocked(StateDisconnected, func(st *State) { *st = State{Since: st.Since, LastError: KeyRejectedMessage} })
	m.emitLocked(EventKeyRejected, nil)
}
