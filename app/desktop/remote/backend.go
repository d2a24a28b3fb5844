package remote

import (
	"context"
	"net/http"
	"net/url"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
)

// This file is desktop.Backend: state, login, log-out and settings, each
// one route of the REST API.

// Snapshot is GET /api/cloud/snapshot. The interface has no error: when
// the parent does not answer, the zero snapshot is returned (the page then
// shows a logged-out app until the event stream's snapshot arrives) and
// the failure is logged.
func (c *Client) Snapshot() app.Snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), shortCall)
	defer cancel()
	var s app.Snapshot
	if err := c.call(ctx, http.MethodGet, "/api/cloud/snapshot", nil, &s); err != nil {
		c.log.Warn("remote: could not read the snapshot", "err", err)
		return app.Snapshot{}
	}
	return s
}

// Status is GET /api/cloud/status; like Snapshot, a failure is logged and
// answered with the zero view.
func (c *Client) Status(ctx context.Context) app.StatusView {
	var s app.StatusView
	if err := c.call(ctx, http.MethodGet, "/api/cloud/status", nil, &s); err != nil {
		c.log.Warn("remote: could not read the status", "err", err)
		return app.StatusView{}
	}
	return s
}

// BeginBrowserLogin is POST /api/cloud/login, which starts the login (or
// answers the pending one) without opening anything, then opens the
// answer's page in the browser here, as the Service does in one process.
func (c *Client) BeginBrowserLogin(ctx context.Context) (app.LoginStart, error) {
	var start app.LoginStart
	if err := c.call(ctx, http.MethodPost, "/api/cloud/login", nil, &start); err != nil {
		return app.LoginStart{}, err
	}
	c.openLogin(start.BrowserURL)
	return start, nil
}

// openLogin opens the login page like the Service's openBrowser: a failure
// to open is logged, not returned (the login is under way and the page
// shows its address), and a second open within app.OpenInterval is
// skipped so a double click does not open two tabs. Only http(s) pages are
// opened: the address comes from the cloud through the parent, and the
// opener would start whatever handler another scheme names.
func (c *Client) openLogin(raw string) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.log.Warn("remote: not opening a login address that is not http(s)", "url", raw)
		return
	}
	if c.opener == nil {
		c.log.Info("open this address in a browser to log in", "url", raw)
		return
	}
	if !c.allowOpen() {
		c.log.Debug("remote: browser opened moments ago; not opening it again")
		return
	}
	if err := c.opener.Open(u.String()); err != nil {
		c.log.Warn("remote: could not open the browser", "err", err, "url", raw)
	}
}

// allowOpen lets one open through per app.OpenInterval.
func (c *Client) allowOpen() bool {
	c.openMu.Lock()
	defer c.openMu.Unlock()
	now := c.clock.Now()
	if !c.openedAt.IsZero() && now.Sub(c.openedAt) < app.OpenInterval && !now.Before(c.openedAt) {
		return false
	}
	c.openedAt = now
	return true
}

// CancelLogin is POST /api/cloud/login/cancel; a failure is logged.
func (c *Client) CancelLogin() {
	ctx, cancel := context.WithTimeout(context.Background(), shortCall)
	defer cancel()
	if err := c.call(ctx, http.MethodPost, "/api/cloud/login/cancel", nil, nil); err != nil {
		c.log.Warn("remote: could not cancel the login", "err", err)
	}
}

// Logout is POST /api/cloud/disconnect. The route never fails once it
// answers (a problem while saving is only logged by the parent), so only
// a call that got no answer is an error here.
func (c *Client) Logout(ctx context.Context) (app.LogoutResponse, error) {
	var res app.LogoutResponse
	if err := c.call(ctx, http.MethodPost, "/api/cloud/disconnect", nil, &res); err != nil {
		return app.LogoutResponse{}, err
	}
	return res, nil
}

// settingsBody is POST /api/settings with the one toggle that changes.
type settingsBody struct {
	Notifications      *bool `json:"notifications,omitempty"`
	StartAtLogin       *bool `json:"startAtLogin,omitempty"`
	BackupSkipWhenIdle *bool `json:"backupSkipWhenIdle,omitempty"`
}

func (c *Client) setting(ctx context.Context, body settingsBody) error {
	var res api.SettingsResponse
	return c.call(ctx, http.MethodPost, "/api/settings", body, &res)
}

// SetNotifications is POST /api/settings {notifications}.
func (c *Client) SetNotifications(ctx context.Context, on bool) error {
	return c.setting(ctx, settingsBody{Notifications: &on})
}

// SetStartAtLogin is POST /api/settings {startAtLogin}.
func (c *Client) SetStartAtLogin(ctx context.Context, on bool) error {
	return c.setting(ctx, settingsBody{StartAtLogin: &on})
}

// SetBackupSkipWhenIdle is POST /api/settings {backupSkipWhenIdle}.
func (c *Client) SetBackupSkipWhenIdle(ctx context.Context, on bool) error {
	return c.setting(ctx, settingsBody{BackupSkipWhenIdle: &on})
}

// OpenTopUp is POST /api/cloud/topup/open: the parent opens the billing
// page, through its own gate against repeated opens.
func (c *Client) OpenTopUp() error {
	ctx, cancel := context.WithTimeout(context.Background(), shortCall)
	defer cancel()
	return c.call(ctx, http.MethodPost, "/api/cloud/topup/open", nil, nil)
}
