package desktop

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
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

// Billing is the part of the app that deals with credits (the Service's
// Billing part).
type Billing interface {
	Credits(ctx context.Context, fresh bool) app.CreditsResponse
	CreditHistory(ctx context.Context) ([]app.BalanceSample, error)
	TopUp(ctx context.Context, credits int) (app.TopUpResponse, error)
	Usage(ctx context.Context, hours, limit int) (app.UsageResponse, error)
}

// Agents is the part of the app that manages agents (the Service's
// Agents part).
type Agents interface {
	List(ctx context.Context) ([]cloud.Agent, error)
	Create(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error)
	Get(ctx context.Context, id string) (*cloud.Agent, error)
	Connect(ctx context.Context, id string) (app.ConnectResult, error)
	ConnectAsync(ctx context.Context, id string) (app.ConnectResult, error)
	Disconnect(ctx context.Context, id string) error
	Shutdown(ctx context.Context, id string) error
	Suspend(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	Backups(ctx context.Context, id string) ([]cloud.Backup, error)
	Backup(ctx context.Context, id string) (*cloud.Backup, error)
	Restore(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error)
	Open(ctx context.Context, id string) error
}

// Chat is the part of the app that talks to the connected agent (the
// Service's Chat part).
type Chat interface {
	Send(ctx context.Context, in app.ChatInput) (app.ChatReply, error)
	Stream(ctx context.Context, in app.ChatInput, onStart func(agentID string), onChunk func(text string) error) error
	History(ctx context.Context, roomID string) ([]app.ChatMessage, error)
}

var (
	_ Backend = (*app.Service)(nil)
	_ Agents  = (*app.Agents)(nil)
	_ Chat    = (*app.Chat)(nil)
	_ Billing = (*app.Billing)(nil)
)
