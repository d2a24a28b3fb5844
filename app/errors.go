package app

import "errors"

// ErrNotLoggedIn is returned by agent and chat calls without an API key.
//
//lint:ignore ST1005 Milady's exact user-facing message, sent as is over REST.
var ErrNotLoggedIn = errors.New("Not connected to Eliza Cloud")

// ErrShuttingDown refuses work that would start after shutdown began: a
// request that arrives while the app stops is refused instead of starting
// a goroutine nobody waits for.
var ErrShuttingDown = &Error{Kind: KindUnavailable, Message: "Milady Cloud is shutting down"}

// Kind says what went wrong in terms a face can act on. The Service names
// the kind; each face decides what it means on its transport (the REST API
// maps kinds to status codes in one place), so package app knows nothing of
// HTTP.
type Kind int

// The kinds of Error. The zero Kind says nothing: the face classifies the
// wrapped cause instead.
const (
	KindUnknown             Kind = iota
	KindInvalidInput             // the request itself is wrong; retrying it unchanged fails again
	KindNotLoggedIn              // needs an API key
	KindNotFound                 // the thing asked for does not exist
	KindConflict                 // the app's state forbids it now (e.g. the config file is unreadable)
	KindUnavailable              // the app cannot serve it now (shutting down)
	KindReconnecting             // the connection is being re-established; try again shortly
	KindInsufficientCredits      // the organisation's balance is too low
	KindUpstream                 // Eliza Cloud failed or answered something unusable
	KindTimeout                  // Eliza Cloud did not answer in time
)

// Error is an error with a Kind and a message a person understands. Err is
// the cause, kept for errors.Is and the log.
type Error struct {
	Kind    Kind
	Message string
	Err     error
}

func (e *Error) Error() string { return e.Message }

// Unwrap exposes the cause for errors.Is.
func (e *Error) Unwrap() error { return e.Err }

// InvalidInput is an Error of KindInvalidInput.
func InvalidInput(msg string) error { return &Error{Kind: KindInvalidInput, Message: msg} }
