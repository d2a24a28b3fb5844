package remote

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
)

// UnreachableMessage is what a call that got no answer from the parent
// says, in the words the dashboard uses in a browser for the same case.
const UnreachableMessage = "Cannot reach Milady Cloud. Is the app still running?"

// StatusError is an error answer of the REST API: its status and the text
// of its JSON body's "error" field. It is the cause inside the *app.Error
// every refused call returns, so errors.As finds either: the kind (what a
// face acts on) or the exact status.
type StatusError struct {
	Method  string
	Path    string
	Status  int
	Message string
	// Body is the whole answer (up to 64 KiB): some errors carry more than
	// the message, such as the amounts of a 402.
	Body []byte
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("remote: %s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Message)
}

// HTTPStatus is the answer's status.
func (e *StatusError) HTTPStatus() int { return e.Status }

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 64 << 10

// answerError turns a non-2xx answer into an *app.Error whose Message is
// the API's own (what the page shows) and whose Kind is the one the API
// mapped to that status (app/api/errors.go), with the *StatusError as its
// cause.
func answerError(req *http.Request, res *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBody)) // a cut body still has its status
	se := &StatusError{Method: req.Method, Path: req.URL.Path, Status: res.StatusCode, Message: errorMessage(res.StatusCode, b), Body: b}
	return &app.Error{Kind: api.KindOf(res.StatusCode, res.Header.Get("Retry-After") != ""), Message: se.Message, Err: se}
}

// errorMessage is the body's "error" text or, for an answer without one
// (a proxy in between, a crash), the status and the start of the body, as
// the dashboard words it in a browser.
func errorMessage(status int, body []byte) string {
	var m struct {
		Error any `json:"error"`
	}
	if json.Unmarshal(body, &m) == nil {
		if s, ok := m.Error.(string); ok && s != "" {
			return s
		}
	}
	msg := fmt.Sprintf("HTTP %d", status)
	if text := strings.TrimSpace(string(body)); text != "" {
		if len(text) > 200 {
			text = text[:200]
			for !utf8.ValidString(text) {
				text = text[:len(text)-1]
			}
		}
		msg += ": " + text
	}
	return msg
}
