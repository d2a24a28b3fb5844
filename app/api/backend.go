package api

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Backend, Agents, Chat and Billing are what the REST API asks of the app: the
// Milady-compatible routes and this app's additions map one to one onto
// these calls. *app.Service implements Backend, and its parts
// (Service.Agents, Service.Chat, Service.Billing) the others; the handlers only decode,
// call and encode.
//
// Backend is the app itself: state, events, login, credits, settings.
type Backend interface {
	Version() string
	Snapshot() app.Snapshot
	Status(ctx context.Context) app.StatusView
	Subscribe() app.Subscription

	// StartLogin starts a CLI session and polls it in the background; the
	// caller opens browserUrl itself.
	StartLogin(ctx context.Context) (app.LoginStart, error)
	CancelLogin()
	// LoginStatus polls the session upstream.
	LoginStatus(ctx context.Context, sessionID string) (app.LoginStatus, error)
	// Logout (POST /api/cloud/disconnect): final snapshot, config/env/secrets
	// cleared. Never fails because saving failed; the answer says the key
	// stays valid at the cloud and where to revoke it.
	Logout(ctx context.Context) (app.LogoutResponse, error)

	// ShowWindow shows and focuses the window; false in headless mode.
	ShowWindow() bool
	SetNotifications(ctx context.Context, on bool) error
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
	SetBackupSkipWhenIdle(ctx context.Context, on bool) error
}

// Billing is the credit routes' part of the app.
type Billing interface {
	Credits(ctx context.Context, fresh bool) app.CreditsResponse
	CreditHistory(ctx context.Context) ([]app.BalanceSample, error)
	// TopUp opens the cloud's checkout for credits (0 = the default) in
	// the browser, or its billing page when no checkout can be started.
	TopUp(ctx context.Context, credits int) (app.TopUpResponse, error)
	// Usage is the recent credit transactions and what they add up to.
	Usage(ctx context.Context, hours, limit int) (app.UsageResponse, error)
}

// Agents is the agent routes' part of the app.
type Agents interface {
	List(ctx context.Context) ([]cloud.Agent, error)
	Create(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error)
	Get(ctx context.Context, id string) (*cloud.Agent, error)
	// Connect provisions and connects (an active agent is disconnected first).
	Connect(ctx context.Context, id string) (app.ConnectResult, error)
	// ConnectAsync validates, then connects in the background; the outcome
	// arrives as events.
	ConnectAsync(ctx context.Context, id string) (app.ConnectResult, error)
	Disconnect(ctx context.Context, id string) error
	// Shutdown disconnects if active, then deletes the agent in the cloud.
	Shutdown(ctx context.Context, id string) error
	Suspend(ctx context.Context, id string) error
	Resume(ctx context.Context, id string) error
	Backups(ctx context.Context, id string) ([]cloud.Backup, error)
	// Backup takes a snapshot of the agent now.
	Backup(ctx context.Context, id string) (*cloud.Backup, error)
	Restore(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error)
	// Open opens the agent's own web UI in the browser (a pairing token's
	// redirect URL, which is never returned).
	Open(ctx context.Context, id string) error
}

// Chat is the chat routes' part of the app.
type Chat interface {
	Send(ctx context.Context, in app.ChatInput) (app.ChatReply, error)
	// Stream calls onStart(agentID) once the agent is known to be connected
	// (before any upstream call), then onChunk per chunk. An error before
	// onStart means no stream was started.
	Stream(ctx context.Context, in app.ChatInput, onStart func(agentID string), onChunk func(text string) error) error
	History(ctx context.Context, roomID string) ([]app.ChatMessage, error)
}

var (
	_ Backend = (*app.Service)(nil)
	_ Agents  = (*app.Agents)(nil)
	_ Chat    = (*app.Chat)(nil)
	_ Billing = (*app.Billing)(nil)
)
