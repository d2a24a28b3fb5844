package cloudsim

import (
	"encoding/json"
	"net"
	"net/http"
	"sort"
	"time"
)

// SetLatency adds d of real time before every API answer (not /__sim/ and
// not the login page).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.latency = d
}

// SetMode switches the provisioning mode and delay for jobs created and
// sync provisions started from now on.
func (s *Server) SetMode(m Mode, delay time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m == ModeAsync || m == ModeSync {
		s.st.mode = m
	}
	s.st.provisionDelay = delay
}

// FailProvisioning makes the next n provisioning attempts (jobs, sync
// provisions, restores of stopped agents) fail with "Sandbox health check
// timed out", leaving the agent in error with errorCount+1. 0 clears.
func (s *Server) FailProvisioning(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.provisionFail = max(n, 0)
}

// isLoopback reports whether the request comes from this machine.
func isLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// faultJSON is Fault on the wire; durations are milliseconds.
type faultJSON struct {
	Method     string `json:"method"`
	Path       string `json:"path"`
	Count      int    `json:"count"`
	Status     int    `json:"status"`
	Body       string `json:"body"`
	RedirectTo string `json:"redirectTo"`
	Malformed  bool   `json:"malformed"`
	DelayMs    int64  `json:"delayMs"`
	SlowBody   bool   `json:"slowBody"`
	Reset      bool   `json:"reset"`
}

func (f faultJSON) fault() Fault {
	return Fault{Method: f.Method, Path: f.Path, Count: f.Count, Status: f.Status, Body: f.Body,
		RedirectTo: f.RedirectTo, Malformed: f.Malformed, Delay: time.Duration(f.DelayMs) * time.Millisecond,
		SlowBody: f.SlowBody, Reset: f.Reset}
}

func toFaultJSON(f *faultState) faultJSON {
	return faultJSON{Method: f.Method, Path: f.Path, Count: f.left, Status: f.Status, Body: f.Body,
		RedirectTo: f.RedirectTo, Malformed: f.Malformed, DelayMs: f.Delay.Milliseconds(),
		SlowBody: f.SlowBody, Reset: f.Reset}
}

// controlRoutes is the /__sim/ API: JSON, no auth, loopback only, never
// subject to faults or latency, never in the request log.
func (s *Server) controlRoutes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /__sim/state", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, s.stateJSON())
	})
	mux.HandleFunc("POST /__sim/balance", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Balance *float64 `json:"balance"`
		}
		if !decode(w, r, &b) {
			return
		}
		if b.Balance == nil {
			plainError(w, http.StatusBadRequest, "balance is required")
			return
		}
		s.SetBalance(*b.Balance)
		ok(w, obj{"balance": *b.Balance})
	})
	mux.HandleFunc("POST /__sim/heartbeat", setField("fail", s.FailHeartbeats))
	mux.HandleFunc("POST /__sim/latency", setField("ms", func(v int64) { s.SetLatency(time.Duration(v) * time.Millisecond) }))
	mux.HandleFunc("POST /__sim/mode", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Mode    Mode  `json:"mode"`
			DelayMs int64 `json:"delayMs"`
		}
		if !decode(w, r, &b) {
			return
		}
		if b.Mode != ModeAsync && b.Mode != ModeSync {
			plainError(w, http.StatusBadRequest, `mode must be "async" or "sync"`)
			return
		}
		s.SetMode(b.Mode, time.Duration(b.DelayMs)*time.Millisecond)
		ok(w, obj{"mode": b.Mode, "delayMs": b.DelayMs})
	})
	mux.HandleFunc("POST /__sim/provision", setField("fail", s.FailProvisioning))
	mux.HandleFunc("POST /__sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f faultJSON
		if !decode(w, r, &f) {
			return
		}
		s.InjectFault(f.fault())
		ok(w, nil)
	})
	mux.HandleFunc("DELETE /__sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		s.ClearFaults()
		ok(w, nil)
	})
	mux.HandleFunc("GET /__sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		reqs := s.Requests()
		out := make([]obj, 0, len(reqs))
		for _, q := range reqs {
			out = append(out, obj{"method": q.Method, "path": q.Path, "query": q.Query, "auth": q.Auth, "at": iso(q.At)})
		}
		writeData(w, http.StatusOK, out)
	})
	mux.HandleFunc("DELETE /__sim/requests", func(w http.ResponseWriter, _ *http.Request) {
		s.ResetRequests()
		ok(w, nil)
	})
	mux.HandleFunc("POST /__sim/sessions/{id}/approve", func(w http.ResponseWriter, r *http.Request) {
		if err := s.ApproveSession(r.PathValue("id")); err != nil {
			apiError(w, http.StatusBadRequest, err.Error(), "validation_error")
			return
		}
		ok(w, nil)
	})
	mux.HandleFunc("POST /__sim/revoke", func(w http.ResponseWriter, r *http.Request) {
		// {"key": "eliza_…"} revokes that key; no body (or no key) all.
		var b struct {
			Key string `json:"key"`
		}
		if body := readBody(r); len(body) > 0 {
			if err := json.Unmarshal(body, &b); err != nil {
				plainError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
				return
			}
		}
		if b.Key == "" {
			s.RevokeKeys()
			ok(w, nil)
			return
		}
		ok(w, obj{"revoked": s.RevokeKey(b.Key)})
	})
	s.realismControls(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		plainError(w, http.StatusNotFound, "Unknown simulator control endpoint")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isLoopback(r) {
			plainError(w, http.StatusForbidden, "The simulator control API is only available from this computer")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		mux.ServeHTTP(w, r)
	})
}

// stateJSON is GET /__sim/state: everything useful for a demo or a failing
// test's log, and never a key.
func (s *Server) stateJSON() obj {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tickLocked()
	now := s.now()
	sessions := make([]obj, 0, len(s.st.sessions))
	for _, x := range s.st.sessions {
		sessions = append(sessions, obj{"id": x.id, "status": x.status, "expiresAt": iso(x.expires),
			"expired": !now.Before(x.expires), "keyRetrieved": x.retrieved})
	}
	agents := make([]obj, 0, len(s.st.agents))
	for _, a := range s.st.agents {
		o := a.detailJSON()
		o["backups"] = len(s.st.backups[a.id])
		o["memories"] = len(a.memories)
		o["jobId"] = a.jobID
		agents = append(agents, o)
	}
	jobs := make([]obj, 0, len(s.st.jobs))
	for _, j := range s.st.jobs {
		jobs = append(jobs, obj{"id": j.id, "agentId": j.agentID, "status": j.status, "createdAt": iso(j.createdAt)})
	}
	faults := make([]faultJSON, 0, len(s.st.faults))
	for _, f := range s.st.faults {
		faults = append(faults, toFaultJSON(f))
	}
	for _, list := range [][]obj{sessions, agents, jobs} {
		sort.Slice(list, func(i, j int) bool { return list[i]["id"].(string) < list[j]["id"].(string) })
	}
	return obj{
		"now": iso(now), "balance": s.st.balance, "mode": s.st.mode,
		"provisionDelayMs": s.st.provisionDelay.Milliseconds(), "jobPollIntervalMs": s.st.pollIntervalMs,
		"latencyMs": s.st.latency.Milliseconds(), "heartbeatFail": s.st.heartbeatFail, "provisionFail": s.st.provisionFail,
		"user": obj{"id": SimUserID, "email": SimEmail, "organizationId": SimOrgID},
		"keys": len(s.st.keys), "sessions": sessions, "agents": agents, "jobs": jobs, "faults": faults,
		"requests": len(s.st.requests),
	}
}

// setField is a control route whose body is {"<name>": v}: it calls set(v)
// (with v's zero value when the field is absent) and answers with v.
func setField[T any](name string, set func(T)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var b map[string]json.RawMessage
		if !decode(w, r, &b) {
			return
		}
		var v T
		if raw, found := b[name]; found {
			if err := json.Unmarshal(raw, &v); err != nil {
				plainError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
				return
			}
		}
		set(v)
		ok(w, obj{name: v})
	}
}

// ok answers a control call: {"success": true} plus extra.
func ok(w http.ResponseWriter, extra obj) {
	o := obj{"success": true}
	for k, v := range extra {
		o[k] = v
	}
	writeJSON(w, http.StatusOK, o)
}

// decode reads a control call's body into v, answering 400 on failure.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.Unmarshal(readBody(r), v); err != nil {
		plainError(w, http.StatusBadRequest, "Invalid JSON body: "+err.Error())
		return false
	}
	return true
}
