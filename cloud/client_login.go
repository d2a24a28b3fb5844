package cloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/google/uuid"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// LoginStartError is a non-2xx answer to creating the CLI session. Its
// message is Milady's; the upstream error stays reachable through Unwrap.
type LoginStartError struct{ Cause error }

func (e *LoginStartError) Error() string { return "Failed to create auth session with Eliza Cloud" }

// Unwrap returns the *HTTPError.
func (e *LoginStartError) Unwrap() error { return e.Cause }

// StartLogin creates a CLI auth session with a random id and returns it
// with the page the user must open to approve it.
func (c *Client) StartLogin(ctx context.Context) (*LoginSession, error) {
	id := uuid.NewString()
	r := request{
		method: http.MethodPost, path: "/api/auth/cli-session", auth: authNone,
		body: map[string]string{"sessionId": id}, timeout: c.timeouts.Login,
	}
	status, body, err := c.exchange(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("start login: %w", err)
	}
	if status < 200 || status > 299 {
		herr := statusError(status, body)
		c.log.Warn("creating the CLI auth session failed", "status", status, "error", herr)
		return nil, &LoginStartError{Cause: herr}
	}
	// Milady ignores the body; only the status matters.
	return &LoginSession{
		SessionID:  id,
		BrowserURL: c.base + "/auth/cli-login?session=" + url.QueryEscape(id),
	}, nil
}

// PollLogin asks once for the session's state. A 404 (unknown or past its
// 10-minute life) is ErrSessionExpired; "authenticated" without a key means
// another poll already took the one-time key: ErrKeyAlreadyRetrieved.
func (c *Client) PollLogin(ctx context.Context, sessionID string) (*PollStatus, error) {
	return c.pollLogin(ctx, sessionID, c.timeouts.Login)
}

func (c *Client) pollLogin(ctx context.Context, sessionID string, timeout time.Duration) (*PollStatus, error) {
	if sessionID == "" {
		return nil, fmt.Errorf("poll login: %w", ErrSessionExpired)
	}
	r := request{method: http.MethodGet, path: "/api/auth/cli-session/" + url.PathEscape(sessionID), auth: authNone, timeout: timeout}
	var body struct {
		Status    string     `json:"status"`
		APIKey    string     `json:"apiKey"`
		KeyPrefix string     `json:"keyPrefix"`
		ExpiresAt *time.Time `json:"expiresAt"`
	}
	if err := c.doJSON(ctx, r, &body); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, fmt.Errorf("poll login: %w", ErrSessionExpired)
		}
		return nil, fmt.Errorf("poll login: %w", err)
	}
	switch body.Status {
	case "authenticated":
		if body.APIKey == "" {
			return nil, fmt.Errorf("poll login: %w", ErrKeyAlreadyRetrieved)
		}
	case "pending":
	default:
		return nil, fmt.Errorf("poll login: %w: unknown session status %q", ErrMalformed, body.Status)
	}
	return &PollStatus{Status: body.Status, APIKey: body.APIKey, KeyPrefix: body.KeyPrefix, ExpiresAt: body.ExpiresAt}, nil
}

// LoginOptions tunes WaitForLogin; zero fields take the defaults.
type LoginOptions struct {
	PollInterval   time.Duration // 2 s
	RequestTimeout time.Duration // 10 s per poll
	Timeout        time.Duration // 300 s overall
	// OnPoll is called after each poll with its 1-based number and
	// "pending", "authenticated", "expired" or "error".
	OnPoll func(attempt int, status string)
}

// WaitForLogin polls the session on the client's Clock (first poll after
// one interval) until the key arrives. A 404 ends it with
// ErrSessionExpired, a key already taken with ErrKeyAlreadyRetrieved, the
// overall limit with ErrTimeout and cancellation with ctx.Err(); any other
// failed poll (5xx, network) is retried. While it waits, two Clock timers
// are armed: the overall deadline and the next poll.
func (c *Client) WaitForLogin(ctx context.Context, sessionID string, opts LoginOptions) (*LoginResult, error) {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 300 * time.Second
	}
	report := func(attempt int, status string) {
		if opts.OnPoll != nil {
			opts.OnPoll(attempt, status)
		}
	}
	deadline := c.clock.NewTimer(opts.Timeout)
	defer deadline.Stop()
	end := c.clock.Now().Add(opts.Timeout)
	timedOut := func() (*LoginResult, error) {
		return nil, &timeoutError{op: "waiting for the browser login", after: opts.Timeout, cause: context.DeadlineExceeded}
	}
	for attempt := 1; ; attempt++ {
		switch err := c.pollWait(ctx, deadline, opts.PollInterval); {
		case errors.Is(err, errPollDeadline):
			return timedOut()
		case err != nil:
			return nil, err
		}
		// When the poll and the deadline are due together, pollWait may
		// return either: the deadline must win, so no poll goes out after it.
		if !c.clock.Now().Before(end) {
			return timedOut()
		}
		st, err := c.pollLogin(ctx, sessionID, opts.RequestTimeout)
		switch {
		case err == nil && st.Status == "authenticated":
			report(attempt, "authenticated")
			return &LoginResult{APIKey: st.APIKey, KeyPrefix: st.KeyPrefix, ExpiresAt: st.ExpiresAt}, nil
		case err == nil:
			report(attempt, st.Status)
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrSessionExpired):
			report(attempt, "expired")
			return nil, err
		case errors.Is(err, ErrKeyAlreadyRetrieved), errors.Is(err, ErrBlockedURL):
			report(attempt, "error")
			return nil, err
		default:
			report(attempt, "error")
			c.log.Debug("login poll failed; polling again", "attempt", attempt, "error", err)
		}
	}
}

// errPollDeadline is pollWait's answer when the overall deadline fired.
var errPollDeadline = errors.New("poll deadline passed")

// pollWait waits one poll interval on the client's Clock, the pause of the
// job and login polling loops. It returns nil when the next poll is due,
// ctx.Err() when cancelled and errPollDeadline when deadline fires first;
// the interval's timer is stopped in every case.
func (c *Client) pollWait(ctx context.Context, deadline clock.Timer, interval time.Duration) error {
	wait := c.clock.NewTimer(interval)
	defer wait.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-deadline.C():
		return errPollDeadline
	case <-wait.C():
		return nil
	}
}
