package api

import (
	"net/http"
	"strconv"

	"github.com/milady-ai/milady-cloud/app"
)

// health identifies this process as Milady Cloud; a second instance uses
// it to decide whether to hand off instead of starting twice. It needs no token.
func (s *server) health(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, HealthResponse{OK: true, App: "milady-cloud", Version: s.b.Version()})
}

// status is Milady's GET /api/cloud/status plus this app's "connection".
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Status(r.Context()))
}

// snapshot is the whole state, the same JSON as the data of the event
// stream's first "snapshot" event, for a face that wants to pull it (on
// mount, or after a reconnect) without opening a stream.
func (s *server) snapshot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Snapshot())
}

// credits answers from the Backend's cache; ?fresh=1 asks for a fetch.
// Upstream problems are part of the 200 answer (Milady's shape: the
// dashboard shows the error beside the last balance).
func (s *server) credits(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.b.Credits(r.Context(), queryBool(r, "fresh")))
}

// creditHistory is the balance chart's samples.
func (s *server) creditHistory(w http.ResponseWriter, r *http.Request) {
	samples, err := s.b.CreditHistory(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if samples == nil {
		samples = []app.BalanceSample{}
	}
	writeJSON(w, http.StatusOK, CreditHistoryResponse{OK: true, Samples: samples})
}

// topUp opens the billing page in the system browser.
func (s *server) topUp(w http.ResponseWriter, r *http.Request) {
	if err := s.b.OpenTopUp(); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, OKResponse{OK: true})
}

// showWindow is how a second instance hands off; shown is false
// in headless mode.
func (s *server) showWindow(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, WindowShowResponse{OK: true, Shown: s.b.ShowWindow()})
}

// settings changes the toggles present in the body and answers the
// resulting settings. Both fields are checked before either is applied.
func (s *server) settings(w http.ResponseWriter, r *http.Request) {
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	notify, hasNotify, err := body.boolean("notifications")
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	autostart, hasAutostart, err := body.boolean("startAtLogin")
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
		return
	}
	if hasNotify {
		if err := s.b.SetNotifications(r.Context(), notify); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if hasAutostart {
		if err := s.b.SetStartAtLogin(r.Context(), autostart); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, SettingsResponse{OK: true, Settings: s.b.Snapshot().Settings})
}

// queryBool reads a flag such as ?fresh=1 or ?async=true.
func queryBool(r *http.Request, name string) bool {
	v, err := strconv.ParseBool(r.URL.Query().Get(name))
	return err == nil && v
}
