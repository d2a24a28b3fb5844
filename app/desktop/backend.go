package desktop

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
)

// Backend is what the window's facade asks of the app: the calls the
// dashboard makes through the Wails bindings (App's exported methods) and
// the event stream it forwards. *app.Service implements it.
type Backend interface {
	Snapshot() app.Snapshot
	Status(ctx context.Context) app.StatusView
	Subscribe() app.Subscription

	// BeginBrowserLogin is the in-app login: it opens the system browser;
	// a second call while one is pending re-opens the pending one.
	BeginBrowserLogin(ctx context.Context) (app.LoginStart, error)
	CancelLogin()
	Logout(ctx context.Context) (app.LogoutResponse, error)

	SetNotifications(ctx context.Context, on bool) error
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
	SetBackupSkipWhenIdle(ctx context.Context, on bool) error
}

// Agents, Chat and Billing are the parts of the app the dashboard calls
// through the facade. The REST API consumes the same parts, so their method
// sets are declared once, in package app.
type (
	Agents  = app.AgentsPart
	Chat    = app.ChatPart
	Billing = app.BillingPart
)

var _ Backend = (*app.Service)(nil)
