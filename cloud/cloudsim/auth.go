package cloudsim

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The simulated account. Fixed so tests and the demo can assert on them.
const (
	SimUserID  = "5f0c2d1e-7a4b-4c3d-9e8f-0a1b2c3d4e5f"
	SimOrgID   = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	SimEmail   = "sim-user@example.com"
	SimOrgName = "Simulator Org"
)

// keyPrefixLen is API_KEY_PREFIX_LENGTH on the server.
const keyPrefixLen = 12

// keyInfo is what the simulator keeps about a key: never the key itself,
// only its hash (the map key) and its display prefix.
type keyInfo struct {
	prefix  string
	created time.Time
}

// mintKeyLocked creates a new active key for the simulated user.
func (s *Server) mintKeyLocked() (key, prefix string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	key = "eliza_" + hex.EncodeToString(b[:])
	prefix = key[:keyPrefixLen]
	s.st.keys[hashKey(key)] = keyInfo{prefix: prefix, created: s.now()}
	return key, prefix
}

// NewAPIKey mints a valid key for the simulated user, as a completed login
// would, without going through a CLI session.
func (s *Server) NewAPIKey() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, _ := s.mintKeyLocked()
	return k
}

// RevokeKeys invalidates every key; later calls get 401 "Invalid or
// expired API key".
func (s *Server) RevokeKeys() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.keys = map[string]keyInfo{}
}

func hashKey(k string) string {
	h := sha256.Sum256([]byte(k))
	return hex.EncodeToString(h[:])
}

// bearerToken extracts the token of an "Authorization: Bearer …" header.
func bearerToken(h string) (string, bool) {
	if len(h) < 6 || !strings.EqualFold(h[:6], "bearer") {
		return "", false
	}
	rest := h[6:]
	if rest != "" && rest[0] != ' ' {
		return "", false
	}
	return strings.TrimSpace(rest), true
}

var cliSessionPollPath = regexp.MustCompile(`^/api/auth/cli-session/[^/]+$`)
var cliSessionCompletePath = regexp.MustCompile(`^/api/auth/cli-session/[^/]+/complete$`)

// edge reproduces the server's edge middleware (proxy.ts) for /api/ paths:
// CORS preflight, public routes, session-only routes and the 401s for
// missing or unusable credentials. It reports whether it answered.
func (s *Server) edge(w http.ResponseWriter, r *http.Request) bool {
	p := r.URL.Path
	if !strings.HasPrefix(p, "/api/") {
		return false
	}
	if r.Method == http.MethodOptions {
		setCORS(w.Header())
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	if (r.Method == http.MethodPost && p == "/api/auth/cli-session") ||
		(r.Method == http.MethodGet && cliSessionPollPath.MatchString(p)) {
		return false
	}
	xk := strings.TrimSpace(r.Header.Get("X-API-Key"))
	tok, isBearer := bearerToken(r.Header.Get("Authorization"))
	edgeErr := func(status int, msg, code string) bool {
		w.Header().Set("X-Proxy-Time", "0")
		apiError(w, status, msg, code)
		return true
	}
	if xk != "" || (isBearer && strings.HasPrefix(tok, "eliza_")) {
		if cliSessionCompletePath.MatchString(p) || p == "/api/v1/api-keys" || strings.HasPrefix(p, "/api/v1/api-keys/") {
			return edgeErr(http.StatusUnauthorized,
				"This endpoint requires session authentication. API keys and Bearer tokens are not accepted.",
				"session_auth_required")
		}
		return false
	}
	if isBearer {
		// Neither an API key nor a JWT the simulator could verify (it has no
		// browser sessions), so every other Bearer is an invalid token.
		return edgeErr(http.StatusUnauthorized, "Invalid authentication token", "authentication_required")
	}
	return edgeErr(http.StatusUnauthorized, "Unauthorized", "authentication_required")
}

// authFailure is a handler-level authentication error.
type authFailure struct {
	status int
	msg    string
	code   string
}

// authenticate is requireAuthOrApiKeyWithOrg: X-API-Key wins when present,
// else a Bearer token is tried as a key.
func (s *Server) authenticate(r *http.Request) *authFailure {
	key := strings.TrimSpace(r.Header.Get("X-API-Key"))
	if key == "" {
		tok, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok {
			return &authFailure{http.StatusUnauthorized, "Unauthorized", "authentication_required"}
		}
		if tok == "" {
			return &authFailure{http.StatusUnauthorized, "Invalid authorization header", "authentication_required"}
		}
		key = tok
	}
	s.mu.Lock()
	_, ok := s.st.keys[hashKey(key)]
	s.mu.Unlock()
	if !ok {
		return &authFailure{http.StatusUnauthorized, "Invalid or expired API key", "authentication_required"}
	}
	return nil
}

// requireKey authenticates r and, on failure, answers in the ApiError shape
// (with code) that milady, jobs and credits routes use.
func (s *Server) requireKey(w http.ResponseWriter, r *http.Request) bool {
	if f := s.authenticate(r); f != nil {
		apiError(w, f.status, f.msg, f.code)
		return false
	}
	return true
}

// rateWindow is one fixed 60-second window of the in-memory limiter.
type rateWindow struct {
	start time.Time
	count int
}

const (
	rateLimit     = 60
	rateWindowDur = 60 * time.Second
)

// rateLimited applies the STANDARD preset (60 requests per 60 s, keyed by
// API key) and sets the X-RateLimit-* headers. It reports whether it
// answered 429.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) bool {
	id := "anonymous:" + hostOnly(r.RemoteAddr)
	if k := strings.TrimSpace(r.Header.Get("X-API-Key")); k != "" {
		id = "apikey:" + hashKey(k)
	} else if tok, ok := bearerToken(r.Header.Get("Authorization")); ok && strings.HasPrefix(tok, "eliza_") {
		id = "apikey:" + hashKey(tok)
	}
	now := s.now()
	s.mu.Lock()
	win := s.st.limiter[id]
	if win == nil || !now.Before(win.start.Add(rateWindowDur)) {
		win = &rateWindow{start: now}
		s.st.limiter[id] = win
	}
	win.count++
	count, reset := win.count, win.start.Add(rateWindowDur)
	s.mu.Unlock()

	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(rateLimit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, rateLimit-count)))
	h.Set("X-RateLimit-Reset", iso(reset))
	h.Set("X-RateLimit-Policy", "in-memory")
	if count <= rateLimit {
		return false
	}
	retry := int((reset.Sub(now) + time.Second - 1) / time.Second)
	h.Set("Retry-After", strconv.Itoa(retry))
	writeJSON(w, http.StatusTooManyRequests, obj{
		"success": false, "error": "Too many requests", "code": "rate_limit_exceeded",
		"message":    "Rate limit exceeded. Maximum 60 requests per 60 seconds.",
		"retryAfter": retry,
	})
	return true
}

func hostOnly(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		return addr[:i]
	}
	return addr
}
