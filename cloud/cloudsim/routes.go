package cloudsim

import (
	"bytes"
	"io"
	"net/http"
	"strings"
)

// agentPrefixes are the two spellings the server answers at HEAD: the
// canonical "milady" tree and the older "milaidy" re-export aliases.
var agentPrefixes = []string{"/api/v1/milady/agents", "/api/v1/milaidy/agents"}

// routes builds the root handler: request log, control API, body limit,
// faults, latency, trailing-slash redirects, edge auth, then the API mux.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/auth/cli-session", s.handleCreateSession)
	mux.HandleFunc("GET /api/auth/cli-session/{id}", s.handlePollSession)
	mux.HandleFunc("POST /api/auth/cli-session/{id}/complete", s.handleCompleteSession)
	mux.HandleFunc("GET /auth/cli-login", s.handleLoginPage)
	mux.HandleFunc("POST /auth/cli-login", s.handleLoginPageApprove)
	mux.HandleFunc("GET /api/v1/credits/balance", s.handleBalance)
	mux.HandleFunc("GET /api/credits/balance", s.handleBalance)
	mux.HandleFunc("GET /api/v1/user", s.handleUser)
	mux.HandleFunc("POST /api/v1/credits/checkout", s.handleCheckout)
	mux.HandleFunc("GET /api/v1/credits/verify", s.handleVerify)
	mux.HandleFunc("GET /api/credits/transactions", s.handleTransactions)
	mux.HandleFunc("GET /dashboard/{page...}", s.dashboardPage)
	mux.HandleFunc("GET /api/v1/jobs/{id}", s.handleJob)
	for _, p := range agentPrefixes {
		mux.HandleFunc("GET "+p, s.handleListAgents)
		mux.HandleFunc("POST "+p, s.handleCreateAgent)
		mux.HandleFunc("GET "+p+"/{id}", s.handleGetAgent)
		mux.HandleFunc("PATCH "+p+"/{id}", s.handlePatchAgent)
		mux.HandleFunc("DELETE "+p+"/{id}", s.handleDeleteAgent)
		mux.HandleFunc("POST "+p+"/{id}/provision", s.handleProvision)
		mux.HandleFunc("POST "+p+"/{id}/suspend", s.handleSuspend)
		mux.HandleFunc("POST "+p+"/{id}/resume", s.handleResume)
		mux.HandleFunc("POST "+p+"/{id}/snapshot", s.handleSnapshot)
		mux.HandleFunc("GET "+p+"/{id}/backups", s.handleBackups)
		mux.HandleFunc("POST "+p+"/{id}/restore", s.handleRestore)
		mux.HandleFunc("POST "+p+"/{id}/bridge", s.handleBridge)
		mux.HandleFunc("POST "+p+"/{id}/stream", s.handleStream)
		mux.HandleFunc("POST "+p+"/{id}/pairing-token", s.handlePairingToken)
	}
	mux.HandleFunc("GET /dashboard/settings", s.handleBillingPage)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		plainError(w, http.StatusNotFound, "Not found")
	})
	control := s.controlRoutes()

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			// Never take the process down over one request; net/http's own
			// abort sentinel is re-raised so it keeps its meaning.
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("simulator handler panic", "path", r.URL.Path, "panic", v)
				plainError(w, http.StatusInternalServerError, msgUnexpected)
			}
		}()
		if !limitBody(w, r) {
			return
		}
		if isControlPath(r.URL.Path) {
			control.ServeHTTP(w, r)
			return
		}
		s.record(r)
		s.log.Debug("simulator request", "method", r.Method, "path", r.URL.Path)
		if !isLoginPage(r.URL.Path) {
			if s.applyFault(w, r, mux) {
				return
			}
			s.mu.Lock()
			lat := s.st.latency
			s.mu.Unlock()
			if !s.sleep(r, lat) {
				resetConnection(w)
				return
			}
		}
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			// Next.js default: redirect to the slash-less path.
			loc := strings.TrimRight(p, "/")
			if loc == "" {
				loc = "/"
			}
			if r.URL.RawQuery != "" {
				loc += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", loc)
			w.WriteHeader(http.StatusPermanentRedirect)
			return
		}
		if s.edge(w, r) {
			return
		}
		if strings.HasPrefix(r.URL.Path, "/api/") {
			setCORS(w.Header())
		}
		mux.ServeHTTP(w, r)
	})
}

// limitBody reads the whole body up front (so handlers never see a partial
// read) and answers 413 when it is over the limit.
func limitBody(w http.ResponseWriter, r *http.Request) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	if r.ContentLength > maxBody {
		plainError(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	_ = r.Body.Close()
	if len(b) > maxBody {
		plainError(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return false
	}
	if err != nil {
		plainError(w, http.StatusBadRequest, "Could not read request body")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return true
}

func isControlPath(p string) bool { return p == "/__sim" || strings.HasPrefix(p, "/__sim/") }

func isLoginPage(p string) bool { return p == "/auth/cli-login" }

// setCORS adds the permissive CORS headers the API routes carry.
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type, Authorization, X-API-Key, X-App-Id, X-Request-ID")
	h.Set("Access-Control-Max-Age", "86400")
}
