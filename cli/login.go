package cli

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/skip2/go-qrcode"
)

func init() {
	register(command{name: "login", summary: "log in to Eliza Cloud: prints a URL and a QR code to open on any device, waits for approval (Ctrl+C cancels)", run: onInstance("login", runLogin)})
}

// loginPoll is how often the login status is asked for.
const loginPoll = 500 * time.Millisecond

// qrText renders u as half-block characters (two modules per character
// row), light modules drawn, so it scans on the usual dark terminal.
func qrText(u string) (string, error) {
	q, err := qrcode.New(u, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("encode QR code: %w", err)
	}
	return q.ToSmallString(false), nil
}

func runLogin(ctx context.Context, e *Env, c *client) int {
	var start struct {
		SessionID  string `json:"sessionId"`
		BrowserURL string `json:"browserUrl"`
	}
	if err := c.call(ctx, "POST", "/api/cloud/login", map[string]any{}, &start); err != nil {
		return fail(e, c, "login", err)
	}
	if start.SessionID == "" || start.BrowserURL == "" {
		fmt.Fprintln(e.Stderr, "milady-cloud: login: the instance answered without a session")
		return ExitFailure
	}
	st := newStyle(e, e.Stdout)
	fmt.Fprintf(e.Stdout, "To log in to Eliza Cloud, open this URL in a browser on any device:\n\n  %s\n\nor scan this QR code:\n\n", st.bold(start.BrowserURL))
	if qr, err := qrText(start.BrowserURL); err == nil {
		fmt.Fprint(e.Stdout, qr)
	}
	fmt.Fprintln(e.Stdout)

	sp := startSpinner(e.Stderr, "Waiting for you to approve the login… (Ctrl+C cancels)")
	defer sp.Stop()
	status := "/api/cloud/login/status?sessionId=" + url.QueryEscape(start.SessionID)
	tick := time.NewTicker(loginPoll)
	defer tick.Stop()
	for {
		var r struct {
			Status    string `json:"status"`
			KeyPrefix string `json:"keyPrefix"`
			Error     string `json:"error"`
		}
		err := c.call(ctx, "GET", status, nil, &r)
		if ctx.Err() != nil {
			sp.Stop()
			return cancelLogin(e, c)
		}
		if err != nil {
			sp.Stop()
			return fail(e, c, "login", err)
		}
		switch r.Status {
		case "authenticated":
			sp.Stop()
			who := "key " + r.KeyPrefix + "…"
			if email := c.accountEmail(context.WithoutCancel(ctx)); email != "" {
				who = email
			}
			fmt.Fprintf(e.Stdout, "%s Logged in as %s\n", st.green("✓"), who)
			return ExitOK
		case "expired", "error", "cancelled":
			sp.Stop()
			msg := r.Error
			if msg == "" {
				msg = "the login " + r.Status
			}
			fmt.Fprintf(e.Stderr, "milady-cloud: login: %s; run `milady-cloud login` again\n", msg)
			return ExitFailure
		}
		select {
		case <-ctx.Done():
			sp.Stop()
			return cancelLogin(e, c)
		case <-tick.C:
		}
	}
}

// cancelLogin tells the instance to drop the pending session, so a late
// approval in the browser does not log it in after the user gave up.
func cancelLogin(e *Env, c *client) int {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.call(ctx, "POST", "/api/cloud/login/cancel", map[string]any{}, nil); err != nil {
		fmt.Fprintf(e.Stderr, "milady-cloud: login: cancel: %v\n", err)
	}
	fmt.Fprintln(e.Stderr, "Login cancelled.")
	return ExitInterrupted
}

// accountEmail waits briefly for the instance's identity check, which runs
// right after a login completes, and returns the account's email ("" when
// the account has none or the check does not finish in time).
func (c *client) accountEmail(ctx context.Context) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := c.snapshot(ctx)
		if err == nil && (s.Email != "" || s.IdentityChecked) {
			return s.Email
		}
		if time.Now().After(deadline) {
			return ""
		}
		t := time.NewTimer(100 * time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ""
		case <-t.C:
		}
	}
}
