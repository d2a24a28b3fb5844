package tray

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
)

// Backend is what the tray asks of the app: the state to render and one
// call per menu item. *app.Service implements it. The tray decides nothing
// itself (which agent to connect, whether start at login is on): it shows
// the snapshot and passes clicks on.
type Backend interface {
	// Snapshot is the current state; the Service re-reads the autostart
	// file for it, so calling it when the menu opens catches a file
	// changed behind the app's back.
	Snapshot() app.Snapshot
	Subscribe() app.Subscription

	BeginBrowserLogin(ctx context.Context) (app.LoginStart, error)
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
	// ShowWindow shows the window; false when there is none.
	ShowWindow() bool
	Logout(ctx context.Context) (app.LogoutResponse, error)
	// Quit shuts the whole app down gracefully.
	Quit()
}

// Agents is what the tray asks of the app's agent part (Service.Agents):
// Connect and Disconnect.
type Agents interface {
	// ConnectLast connects the remembered (or only) agent, or returns
	// app.ErrChooseAgent when the user must pick one.
	ConnectLast(ctx context.Context) (app.ConnectResult, error)
	Disconnect(ctx context.Context, id string) error
}

var (
	_ Backend = (*app.Service)(nil)
	_ Agents  = (*app.Agents)(nil)
)
