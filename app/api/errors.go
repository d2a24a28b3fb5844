package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// internalErrorMessage is all a client learns about an unexpected error;
// the detail goes to the log.
const internalErrorMessage = "Internal server error"

// retryAfterSeconds is sent with 503 while the manager reconnects.
const retryAfterSeconds = 5

// errorAnswer is how one error is put on the wire.
type errorAnswer struct {
	status     int
	message    string
	extra      map[string]any // merged into the JSON body beside "error"
	retryAfter bool
}

// kindStatus is the status code of each kind of app.Error. KindUnknown is
// absent on purpose: such an error is classified by its cause.
var kindStatus = map[app.Kind]int{
	app.KindInvalidInput:        http.StatusBadRequest,
	app.KindNotLoggedIn:         http.StatusUnauthorized,
	app.KindInsufficientCredits: http.StatusPaymentRequired,
	app.KindNotFound:            http.StatusNotFound,
	app.KindConflict:            http.StatusConflict,
	app.KindUpstream:            http.StatusBadGateway,
	app.KindUnavailable:         http.StatusServiceUnavailable,
	app.KindReconnecting:        http.StatusServiceUnavailable,
	app.KindTimeout:             http.StatusGatewayTimeout,
}

// KindOf is kindStatus read backwards, for a client of this API (the
// window process) that wants the app.Error kind an answer stands for. 503
// is KindReconnecting when it carries Retry-After, else KindUnavailable;
// 413 (a body over the gate's limit) is invalid input. Statuses no kind
// maps to (500, and the gate's 403, 405, 410) are KindUnknown.
func KindOf(status int, retryAfter bool) app.Kind {
	switch status {
	case http.StatusServiceUnavailable:
		if retryAfter {
			return app.KindReconnecting
		}
		return app.KindUnavailable
	case http.StatusRequestEntityTooLarge:
		return app.KindInvalidInput
	}
	for kind, st := range kindStatus {
		if st == status {
			return kind
		}
	}
	return app.KindUnknown
}

// classify is the one mapping from the Backend's typed errors to HTTP
// (STYLE lesson 10). Order matters: a cloud HTTPError matches ErrUpstream
// as well as its specific kind, so specific kinds come first.
func classify(err error) errorAnswer {
	reconnecting := errors.Is(err, cloud.ErrReconnecting)

	var ae *app.Error
	if errors.As(err, &ae) {
		if status, ok := kindStatus[ae.Kind]; ok {
			return errorAnswer{status: status, message: ae.Message, retryAfter: reconnecting || ae.Kind == app.KindReconnecting}
		}
	}
	var hs interface{ HTTPStatus() int }
	if errors.As(err, &hs) && validStatus(hs.HTTPStatus()) {
		return errorAnswer{status: hs.HTTPStatus(), message: hs.(error).Error(), retryAfter: reconnecting}
	}
	var ice *cloud.InsufficientCreditsError
	if errors.As(err, &ice) {
		return errorAnswer{status: http.StatusPaymentRequired, message: ice.Message, extra: map[string]any{
			"requiredBalance": ice.RequiredBalance,
			"currentBalance":  ice.CurrentBalance,
		}}
	}

	status := http.StatusInternalServerError
	message := err.Error()
	// Upstream failures answer with the cloud's own words, not our
	// wrapping context, which means nothing to a REST client.
	var he *cloud.HTTPError
	upstream := errors.As(err, &he)
	if upstream && he.Message != "" {
		message = he.Message
	}
	switch {
	case errors.Is(err, cloud.ErrKeyRejected) && !upstream:
		// The app refuses to use a key the cloud already refused (a
		// connect after the 401): like "not logged in", the user must log
		// in. The cloud's own 401 stays a 502 below, relaying its words.
		status, message = http.StatusUnauthorized, cloud.KeyRejectedMessage
	case errors.Is(err, app.ErrInvalidRoomID):
		status, message = http.StatusBadRequest, app.ErrInvalidRoomID.Error()
	case errors.Is(err, app.ErrNotLoggedIn), errors.Is(err, cloud.ErrNotConfigured):
		// No key → 401 with Milady's exact sentence, as clients of
		// Milady's API match on it.
		status, message = http.StatusUnauthorized, app.ErrNotLoggedIn.Error()
	case errors.Is(err, cloud.ErrInsufficientCredits):
		status = http.StatusPaymentRequired
	case errors.Is(err, cloud.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, cloud.ErrConflict), errors.Is(err, cloud.ErrNotConnected),
		errors.Is(err, cloud.ErrKeyAlreadyRetrieved):
		status = http.StatusConflict
	case reconnecting:
		return errorAnswer{status: http.StatusServiceUnavailable, message: message, retryAfter: true}
	case errors.Is(err, cloud.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		status = http.StatusGatewayTimeout
	case errors.Is(err, cloud.ErrBlockedURL):
		status = http.StatusBadRequest
	case errors.Is(err, cloud.ErrSessionExpired):
		status = http.StatusGone
	case errors.Is(err, cloud.ErrUnauthorized), errors.Is(err, cloud.ErrRedirect),
		errors.Is(err, cloud.ErrUnreachable), errors.Is(err, cloud.ErrMalformed),
		errors.Is(err, cloud.ErrUpstream):
		status = http.StatusBadGateway
	case errors.Is(err, context.Canceled):
		// The client went away or the app is shutting down.
		status, message = http.StatusServiceUnavailable, "Request cancelled"
	default:
		message = internalErrorMessage
	}
	return errorAnswer{status: status, message: message}
}

func validStatus(code int) bool { return code >= 400 && code <= 599 }

// writeError answers with the mapped status and {"error": …} (plus the
// error's extra fields), and logs server-side failures.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	a := s.answer(w, r, err)
	body := make(map[string]any, len(a.extra)+1)
	for k, v := range a.extra {
		body[k] = v
	}
	body["error"] = a.message
	writeJSON(w, a.status, body)
}

// reply is the tail of a handler that made one call to the app: the
// error's answer when err is not nil, else v with status.
func (s *server) reply(w http.ResponseWriter, r *http.Request, err error, status int, v any) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// nonNil makes a missing list an empty one, so that its JSON is [] and
// never null.
func nonNil[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

// answer classifies err, sets Retry-After when due (it has no effect once
// a stream has started), and logs: the detail of a 500 is only ever in the
// log.
func (s *server) answer(w http.ResponseWriter, r *http.Request, err error) errorAnswer {
	a := classify(err)
	if a.retryAfter {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	switch {
	case a.status == http.StatusInternalServerError:
		s.log.Error("api: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	case a.status >= 500:
		s.log.Warn("api: request failed", "method", r.Method, "path", r.URL.Path, "status", a.status, "err", err)
	default:
		s.log.Debug("api: request refused", "method", r.Method, "path", r.URL.Path, "status", a.status, "err", err)
	}
	return a
}

// writeMessage answers {"error": msg}.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// badRequest answers 400 with err's message when err is not nil (a body
// field of the wrong type); the handler stops when it says true.
func badRequest(w http.ResponseWriter, err error) bool {
	if err != nil {
		writeMessage(w, http.StatusBadRequest, err.Error())
	}
	return err != nil
}

// writeJSON writes v as the whole body, compact and without a trailing
// newline, so the body of an error is exactly {"error":"…"}.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"` + internalErrorMessage + `"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
