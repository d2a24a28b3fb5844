package cloudsim

import (
	"encoding/json"
	"net/http"
	"time"
)

// sessionTTL is SESSION_EXPIRY_MINUTES on the server: fixed from creation,
// not extended by polling or completion.
const sessionTTL = 10 * time.Minute

// SessionError is what ApproveSession returns; its text is the complete
// route's, shown on the approve page and by the control API.
type SessionError string

func (e SessionError) Error() string { return string(e) }

// The ApproveSession failures.
const (
	ErrSessionInvalid   SessionError = "Invalid or expired session"
	ErrSessionCompleted SessionError = "Session already authenticated or expired"
)

// cliSession is one CLI login session. apiKey holds the plaintext key only
// between approval and its one-time retrieval.
type cliSession struct {
	id        string
	created   time.Time
	expires   time.Time
	status    string // pending | authenticated
	apiKey    string
	keyPrefix string
	retrieved bool
}

// liveSessionLocked finds a session that has not expired, as the server's
// lookup (expires_at > now) does.
func (s *Server) liveSessionLocked(id string) *cliSession {
	sess := s.st.sessions[id]
	if sess == nil || !s.now().Before(sess.expires) {
		return nil
	}
	return sess
}

// handleCreateSession is POST /api/auth/cli-session.
func (s *Server) handleCreateSession(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.Unmarshal(readBody(r), &body); err != nil {
		// request.json() throws inside the route's try: generic 500.
		bareError(w, http.StatusInternalServerError, "Failed to create authentication session")
		return
	}
	id, ok := body["sessionId"].(string)
	if !ok || id == "" {
		bareError(w, http.StatusBadRequest, "Session ID is required")
		return
	}
	s.mu.Lock()
	if _, dup := s.st.sessions[id]; dup {
		s.mu.Unlock()
		// The column is UNIQUE; the insert fails and the route answers 500.
		bareError(w, http.StatusInternalServerError, "Failed to create authentication session")
		return
	}
	now := s.now()
	sess := &cliSession{id: id, created: now, expires: now.Add(sessionTTL), status: "pending"}
	s.st.sessions[id] = sess
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, obj{"sessionId": id, "status": "pending", "expiresAt": iso(sess.expires)})
}

// handlePollSession is GET /api/auth/cli-session/{id}: pending, then the key
// exactly once, then "already retrieved" until expiry, then 404.
func (s *Server) handlePollSession(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	sess := s.liveSessionLocked(r.PathValue("id"))
	if sess == nil {
		s.mu.Unlock()
		bareError(w, http.StatusNotFound, "Session not found or expired")
		return
	}
	if sess.status != "authenticated" {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, obj{"status": "pending"})
		return
	}
	if sess.retrieved {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, obj{"status": "authenticated", "message": "API key already retrieved"})
		return
	}
	key, prefix := sess.apiKey, sess.keyPrefix
	sess.apiKey, sess.retrieved = "", true
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, obj{"status": "authenticated", "apiKey": key, "keyPrefix": prefix, "expiresAt": nil})
}

// handleCompleteSession is POST /api/auth/cli-session/{id}/complete. It needs
// a browser cookie session, which the simulator never has; the edge already
// rejects keys, so anything reaching here is unauthenticated. Use the
// approve page or /__sim/sessions/{id}/approve instead.
func (s *Server) handleCompleteSession(w http.ResponseWriter, _ *http.Request) {
	apiError(w, http.StatusUnauthorized, "Unauthorized", "authentication_required")
}

// ApproveSession completes a pending CLI session as the simulated user: a
// new key is minted and handed out on the session's next poll. It returns
// ErrSessionInvalid for unknown or expired sessions and ErrSessionCompleted
// when the session is no longer pending.
func (s *Server) ApproveSession(sessionID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.approveLocked(sessionID)
}

func (s *Server) approveLocked(id string) error {
	sess := s.liveSessionLocked(id)
	if sess == nil {
		return ErrSessionInvalid
	}
	if sess.status != "pending" {
		return ErrSessionCompleted
	}
	sess.apiKey, sess.keyPrefix = s.mintKeyLocked()
	sess.status = "authenticated"
	return nil
}

// SessionKeyRetrieved reports whether the session's key has been collected
// by a poll.
func (s *Server) SessionKeyRetrieved(sessionID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.st.sessions[sessionID]
	return sess != nil && sess.retrieved
}
