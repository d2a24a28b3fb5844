package desktop

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
)

// Backend is what the window's facade asks of the app: the calls the
// dashboard makes through the Wails bindings (App's exported methods) and
// the event stream it forwards. *app.Service implements it.
type Backend interface {
	// DashboardCalls are the state, its stream, log-out and the settings,
	// which the REST API offers too.
	app.DashboardCalls

	// BeginBrowserLogin is the in-app login: it opens the system browser;
	// a second call while one is pending re-opens the pending one.
	BeginBrowserLogin(ctx context.Context) (app.LoginStart, error)
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
