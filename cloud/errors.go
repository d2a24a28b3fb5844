package cloud

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// MaxRelayedMessage bounds a message the cloud wrote that this app passes
// on (REST answers, events, the log): a misbehaving or hostile server could
// otherwise fill every one of them with megabytes.
const MaxRelayedMessage = 1 << 10

// ellipsis marks a message that was cut.
const ellipsis = "…"

// relayed cuts a cloud-written message to MaxRelayedMessage bytes, ellipsis
// included, at a character boundary.
func relayed(msg string) string {
	if len(msg) <= MaxRelayedMessage {
		return msg
	}
	cut := MaxRelayedMessage - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + ellipsis
}

// Sentinel kinds. Every error the client returns matches (errors.Is) at most
// one of them, so the REST layer maps them to status codes in one place.
var (
	//lint:ignore ST1005 Milady's exact user-facing sentence.
	ErrNotConfigured       = errors.New("Cloud API key is not configured. Run cloud login first.")
	ErrUnauthorized        = errors.New("unauthorized")
	ErrNotFound            = errors.New("not found")
	ErrConflict            = errors.New("conflict")
	ErrInsufficientCredits = errors.New("insufficient credits")
	ErrTimeout             = errors.New("timed out")
	ErrUnreachable         = errors.New("unreachable")
	ErrRedirect            = errors.New("redirect refused")
	ErrBlockedURL          = errors.New("blocked URL")
	ErrMalformed           = errors.New("malformed response")
	ErrUpstream            = errors.New("upstream error")
	ErrSessionExpired      = errors.New("login session expired")
	ErrKeyAlreadyRetrieved = errors.New("the API key was already retrieved by another client — log in again")
	ErrNotConnected        = errors.New("not connected to a cloud agent")
	ErrReconnecting        = errors.New("reconnecting to the cloud agent")
)

// HTTPError is a non-2xx answer from the cloud. Message is the body's
// "error" (JSON) or "HTTP <status>: <first 200 bytes>", cut to
// MaxRelayedMessage.
type HTTPError struct {
	Status  int
	Code    string
	Message string
}

func (e *HTTPError) Error() string { return relayed(e.Message) }

// Is maps the status to a sentinel kind.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrUpstream:
		return true
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
	case ErrKeyRejected:
		return e.keyRejected()
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrConflict:
		return e.Status == http.StatusConflict
	case ErrInsufficientCredits:
		return e.Status == http.StatusPaymentRequired
	}
	return false
}

// InsufficientCreditsError is a 402 with the amounts the cloud named.
type InsufficientCreditsError struct {
	Message         string
	RequiredBalance float64
	CurrentBalance  float64
}

func (e *InsufficientCreditsError) Error() string { return relayed(e.Message) }

// Is reports ErrInsufficientCredits.
func (e *InsufficientCreditsError) Is(target error) bool { return target == ErrInsufficientCredits }

// RedirectError is a 3xx the client refused to follow.
type RedirectError struct {
	Status   int
	Location string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("Eliza Cloud answered with a redirect (HTTP %d to %q), which is refused", e.Status, relayed(RedactURL(e.Location)))
}

// Is reports ErrRedirect.
func (e *RedirectError) Is(target error) bool { return target == ErrRedirect }

// RPCError is a JSON-RPC error from the bridge (carried inside HTTP 200).
type RPCError struct {
	Code    int
	Message string
}

func (e *RPCError) Error() string { return relayed(e.Message) }

// Is reports ErrUpstream.
func (e *RPCError) Is(target error) bool { return target == ErrUpstream }

// URLError is a base URL refused by the URL policy. Its message masks any
// credentials in the URL.
type URLError struct {
	URL    string
	Reason string
}

func (e *URLError) Error() string {
	reason := e.Reason
	if ui := userinfo(e.URL); ui != "" {
		// A parser's reason may quote part of the URL.
		reason = strings.ReplaceAll(reason, ui, "xxxxx")
		if _, pass, ok := strings.Cut(ui, ":"); ok && pass != "" {
			reason = strings.ReplaceAll(reason, pass, "xxxxx")
		}
	}
	return fmt.Sprintf("refusing cloud URL %q: %s", RedactURL(e.URL), reason)
}

// Is reports ErrBlockedURL.
func (e *URLError) Is(target error) bool { return target == ErrBlockedURL }
