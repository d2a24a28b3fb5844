package api

import (
	"context"
	"net/http"

	"github.com/milady-ai/milady-cloud/app"
)

// login starts a browser login (CLI session) and answers {ok, sessionId,
// browserUrl}; the caller opens browserUrl. The Backend returns an *app.Error
// whose kind classify maps to Milady's statuses, with its messages.
func (s *server) login(w http.ResponseWriter, r *http.Request) {
	start, err := s.b.StartLogin(r.Context())
	start.OK = true
	s.reply(w, r, err, http.StatusOK, start)
}

// loginStatus polls a session. Unlike other endpoints its failures keep
// the login shape, {status:"error", error}, with the mapped HTTP status.
func (s *server) loginStatus(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("sessionId")
	if err := app.ValidSessionID(id); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.b.LoginStatus(r.Context(), id)
	if err != nil {
		a := s.answer(w, r, err)
		body := make(map[string]any, len(a.extra)+2)
		for k, v := range a.extra {
			body[k] = v
		}
		body["status"] = "error"
		body["error"] = a.message
		writeJSON(w, a.status, body)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// loginCancel stops a pending in-app login (the dashboard's Cancel button).
func (s *server) loginCancel(w http.ResponseWriter, _ *http.Request) {
	s.b.CancelLogin()
	writeJSON(w, http.StatusOK, OKResponse{OK: true})
}

// logout is POST /api/cloud/disconnect: idempotent and never a failure
// (Milady's contract). It runs to completion even if the client hangs up, so the key
// is never left half-removed.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	res, err := s.b.Logout(context.WithoutCancel(r.Context()))
	if err != nil {
		s.log.Warn("api: log-out reported a problem", "err", err)
	}
	res.OK, res.Status = true, "disconnected"
	writeJSON(w, http.StatusOK, res)
}
