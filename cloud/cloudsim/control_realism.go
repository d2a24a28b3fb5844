package cloudsim

import (
	"fmt"
	"html"
	"net/http"
	"time"
)

// realismControls adds the /__sim/ switches for the server's unkind
// behaviours: time scale, balance cache, worker timing and job scripts,
// dead sandboxes, reply delays, checkout payment, running costs, and the
// pages a browser opens (checkout, agent UI).
func (s *Server) realismControls(mux *http.ServeMux) {
	mux.HandleFunc("POST /__sim/timescale", setField("scale", s.SetTimeScale))
	mux.HandleFunc("POST /__sim/balance-cache", setField("on", s.SetBalanceCache))
	mux.HandleFunc("POST /__sim/worker", func(w http.ResponseWriter, r *http.Request) {
		// {"server":true} = the server's timing; {"off":true} = the quick
		// model; else the given milliseconds.
		var b struct {
			Server          bool  `json:"server"`
			Off             bool  `json:"off"`
			PollMs          int64 `json:"pollMs"`
			AttemptMs       int64 `json:"attemptMs"`
			HealthTimeoutMs int64 `json:"healthTimeoutMs"`
			MaxAttempts     int   `json:"maxAttempts"`
		}
		if !decode(w, r, &b) {
			return
		}
		switch {
		case b.Off:
			s.SetWorker(nil)
		case b.Server:
			s.SetWorker(ServerWorker())
		default:
			ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
			s.SetWorker(&WorkerTiming{PollInterval: ms(b.PollMs), Attempt: ms(b.AttemptMs),
				HealthTimeout: ms(b.HealthTimeoutMs), MaxAttempts: b.MaxAttempts})
		}
		ok(w, nil)
	})
	mux.HandleFunc("POST /__sim/jobs/script", func(w http.ResponseWriter, r *http.Request) {
		// {"failures": n}: the next job fails its first n attempts;
		// {"allFail": true}: it fails every attempt.
		var b struct {
			Failures int  `json:"failures"`
			AllFail  bool `json:"allFail"`
		}
		if !decode(w, r, &b) {
			return
		}
		n := b.Failures
		if b.AllFail {
			n = 1 << 20
		}
		s.ScriptJob(n)
		ok(w, obj{"failures": n})
	})
	mux.HandleFunc("POST /__sim/dead-sandbox", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			AgentID string `json:"agentId"`
			Dead    bool   `json:"dead"`
			Sticky  bool   `json:"sticky"`
		}
		if !decode(w, r, &b) {
			return
		}
		if !s.SetDeadSandbox(b.AgentID, b.Dead, b.Sticky) {
			plainError(w, http.StatusNotFound, "Agent not found")
			return
		}
		ok(w, obj{"agentId": b.AgentID, "dead": b.Dead, "sticky": b.Sticky})
	})
	mux.HandleFunc("POST /__sim/reply-delay", setField("ms", func(v int64) { s.SetReplyDelay(time.Duration(v) * time.Millisecond) }))
	mux.HandleFunc("POST /__sim/usage", setField("hours", s.ChargeRunningHours))
	mux.HandleFunc("POST /__sim/checkout/{id}/pay", func(w http.ResponseWriter, r *http.Request) {
		if !s.PayCheckout(r.PathValue("id")) {
			plainError(w, http.StatusNotFound, "No unpaid checkout session with that id")
			return
		}
		ok(w, nil)
	})
	mux.HandleFunc("GET /__sim/checkout/{id}", s.checkoutPage)
	mux.HandleFunc("POST /__sim/checkout/{id}", s.checkoutPage)
	mux.HandleFunc("GET /__sim/agent-ui/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Agent</title></head>`+
			`<body><h1>Simulated agent UI</h1><p id="agent">%s</p></body></html>`, html.EscapeString(r.PathValue("id")))
	})
}
