package cloudsim

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The server's slow and unkind behaviours (cloud-api.md, "Behaviour over
// time"). Each is modelled here so the client can be tested against them;
// the ones that would surprise the demo are switched on by options or the
// control API.

const (
	// balanceCacheTTL is CacheTTL.user.withOrg: the balance route reads the
	// user+org object from this cache unless ?fresh=true, and nothing
	// invalidates it when credits change.
	balanceCacheTTL = 600 * time.Second
	// bridgeTimeout is the AbortSignal.timeout(30_000) around message.send.
	bridgeTimeout = 30 * time.Second
	// streamMaxDuration is the stream route's maxDuration (Vercel cuts the
	// function, and so the response, after it).
	streamMaxDuration = 120 * time.Second
	// msgBridgeUnreachable is the JSON-RPC error the bridge route
	// synthesizes for a network failure or an aborted call.
	msgBridgeUnreachable = "Sandbox bridge is unreachable"
)

// cachedBalance is one API key's cached view of the balance.
type cachedBalance struct {
	value float64
	at    time.Time
}

// scaled shrinks a server duration by the time scale (1 = real).
func (s *Server) scaled(d time.Duration) time.Duration {
	s.mu.Lock()
	f := s.st.timeScale
	s.mu.Unlock()
	if f <= 0 || f == 1 {
		return d
	}
	return time.Duration(float64(d) * f)
}

// SetBalanceCache turns the server's 600 s balance cache on or off.
func (s *Server) SetBalanceCache(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.balanceCache = on
	s.st.balanceCached = map[string]cachedBalance{}
}

// balanceFor is what GET /api/v1/credits/balance reports to the key: the
// live balance when fresh (or the cache is off), else the value cached for
// that key until it is 600 s old.
func (s *Server) balanceFor(r *http.Request, fresh bool) float64 {
	ttl := s.scaled(balanceCacheTTL)
	id := keyID(r)
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.balanceCache {
		return s.st.balance
	}
	if c, ok := s.st.balanceCached[id]; ok && !fresh && now.Sub(c.at) < ttl {
		return c.value
	}
	// Both paths refresh the user+org object; a fresh read also leaves the
	// newest value behind for later cached reads.
	s.st.balanceCached[id] = cachedBalance{value: s.st.balance, at: now}
	return s.st.balance
}

// keyID names the key a request carries (hashed), for per-key state.
func keyID(r *http.Request) string {
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		return hashKey(k)
	}
	if tok, ok := bearerToken(r.Header.Get("Authorization")); ok {
		return hashKey(tok)
	}
	return ""
}

// RevokeKey invalidates one key, as revoking it on /dashboard/api-keys
// does: every later call with it answers 401 "Invalid or expired API key".
// It reports whether the key was known.
func (s *Server) RevokeKey(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := hashKey(key)
	_, ok := s.st.keys[h]
	delete(s.st.keys, h)
	return ok
}

// SetDeadSandbox marks the agent's container dead (or alive again). The
// database still says running, so provision answers its 200 fast path and
// resume "Agent is already running", while the bridge answers "Sandbox
// bridge is unreachable" and the stream its error event; suspend + resume
// starts a new container. With sticky, every new container is dead too
// (the case where each recovery step fails).
func (s *Server) SetDeadSandbox(agentID string, dead, sticky bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.st.agents[agentID]
	if a == nil {
		return false
	}
	a.dead, a.deadSticky = dead, dead && sticky
	return true
}

// SetReplyDelay makes the simulated agent take d (server time, scaled) to
// answer message.send. Over 30 s the bridge route gives up with "Sandbox
// bridge is unreachable"; the stream route waits up to 120 s.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.replyDelay = max(d, 0)
}

// SetTimeScale sets the factor applied to the server's durations (worker
// timing, the 30 s and 120 s bridge limits, reply delays, the balance
// cache): 0.001 turns 30 s into 30 ms. 0 or 1 is real time.
func (s *Server) SetTimeScale(f float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.timeScale = max(f, 0)
}

// waitServer waits d on the simulator clock and reports whether the whole
// time passed (false when the request or the server went away first).
func (s *Server) waitServer(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := s.clk.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}

// handlePairingToken is POST /agents/{id}/pairing-token: a short-lived
// token that opens the agent's own web UI.
func (s *Server) handlePairingToken(w http.ResponseWriter, r *http.Request) {
	a, ok := s.lookupAgent(w, r)
	if !ok {
		return
	}
	running := a.status == "running"
	id := a.id
	s.mu.Unlock()
	if !running {
		plainError(w, http.StatusBadRequest, "Agent must be running to generate pairing token")
		return
	}
	tok := strings.ReplaceAll(uuid.NewString(), "-", "")
	w.Header().Set("Cache-Control", "no-store, no-cache, must-revalidate")
	w.Header().Set("Pragma", "no-cache")
	writeData(w, http.StatusOK, obj{
		"token":       tok,
		"redirectUrl": s.url + "/__sim/agent-ui/" + id + "?token=" + tok,
		"expiresIn":   60,
	})
}
