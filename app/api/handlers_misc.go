package api

import (
	"context"
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
	writeJSON(w, http.StatusOK, s.bill.Credits(r.Context(), queryBool(r, "fresh")))
}

// creditHistory is the balance chart's samples.
func (s *server) creditHistory(w http.ResponseWriter, r *http.Request) {
	samples, err := s.bill.CreditHistory(r.Context())
	s.reply(w, r, err, http.StatusOK, CreditHistoryResponse{OK: true, Samples: nonNil(samples)})
}

// topUp opens the cloud's checkout for {credits?} (default 10) in the
// system browser, or its billing page, and answers {ok, url} with the page
// opened. An empty body is allowed.
func (s *server) topUp(w http.ResponseWriter, r *http.Request) {
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	credits, present, err := body.integer("credits")
	if err == nil && present {
		err = app.ValidTopUpCredits(credits)
	}
	if err != nil {
		writeMessage(w, http.StatusBadRequest, creditsMessage)
		return
	}
	res, err := s.bill.TopUp(r.Context(), credits)
	s.reply(w, r, err, http.StatusOK, res)
}

// openTopUp opens the cloud's billing page in the system browser, as the
// tray's "Top up credits…" does (no checkout is started). It exists for
// the window's own process, whose OpenTopUp goes through this API.
func (s *server) openTopUp(w http.ResponseWriter, r *http.Request) {
	if err := s.b.OpenTopUp(); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, OKResponse{OK: true})
}

// creditsMessage is the one answer to any credits that are not a whole
// number in the checkout's range.
const creditsMessage = "credits must be an integer from 1 to 1000"

// usage is the recent credit transactions (?hours= 1–720, default 24;
// ?limit= 1–1000, default 100) and what they add up to.
func (s *server) usage(w http.ResponseWriter, r *http.Request) {
	hours, ok := queryInt(w, r, "hours", app.MaxUsageHours)
	if !ok {
		return
	}
	limit, ok := queryInt(w, r, "limit", app.MaxUsageLimit)
	if !ok {
		return
	}
	res, err := s.bill.Usage(r.Context(), hours, limit)
	s.reply(w, r, err, http.StatusOK, res)
}

// queryInt reads an optional whole number from 1 to max from the query
// (0 when absent or empty); anything else is answered 400 here.
func queryInt(w http.ResponseWriter, r *http.Request, name string, max int) (int, bool) {
	raw := r.URL.Query().Get(name)
	if raw == "" {
		return 0, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		writeMessage(w, http.StatusBadRequest, name+" must be an integer from 1 to "+strconv.Itoa(max))
		return 0, false
	}
	return n, true
}

// showWindow is how a second instance hands off; shown is false
// in headless mode.
func (s *server) showWindow(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, WindowShowResponse{OK: true, Shown: s.b.ShowWindow()})
}

// settings changes the toggles present in the body and answers the
// resulting settings. Every field is checked before any is applied.
func (s *server) settings(w http.ResponseWriter, r *http.Request) {
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	notify, hasNotify, err := body.boolean("notifications")
	if badRequest(w, err) {
		return
	}
	autostart, hasAutostart, err := body.boolean("startAtLogin")
	if badRequest(w, err) {
		return
	}
	skipIdle, hasSkipIdle, err := body.boolean("backupSkipWhenIdle")
	if badRequest(w, err) {
		return
	}
	for _, set := range []struct {
		present, on bool
		apply       func(context.Context, bool) error
	}{
		{hasNotify, notify, s.b.SetNotifications},
		{hasAutostart, autostart, s.b.SetStartAtLogin},
		{hasSkipIdle, skipIdle, s.b.SetBackupSkipWhenIdle},
	} {
		if !set.present {
			continue
		}
		if err := set.apply(r.Context(), set.on); err != nil {
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
