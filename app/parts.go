package app

import (
	"context"

	"github.com/milady-ai/milady-cloud/cloud"
)

// AgentsPart, ChatPart and BillingPart are the Service's parts (Agents,
// Chat, Billing) as the faces that offer all of them, the REST API and the
// window, consume them. Both faces take the whole part, so the method sets
// are declared once here and each face names them as its own (api.Agents,
// desktop.Agents, …) without importing the other face. A face that needs
// less (the tray) still declares its own narrower interface.

// AgentsPart is the agent-management part of the app.
type AgentsPart interface {
	List(ctx context.Context) ([]cloud.Agent, error)
	Create(ctx context.Context, in CreateAgentInput) (*cloud.Agent, error)
	Get(ctx context.Context, id string) (*cloud.Agent, error)
	// Connect provisions and connects (an active agent is disconnected first).
	Connect(ctx context.Context, id string) (ConnectResult, error)
	// ConnectAsync validates, then connects in the background; the outcome
	// arrives as events.
	ConnectAsync(ctx context.Context, id string) (ConnectResult, error)
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

// ChatPart is the part of the app that talks to the connected agent.
type ChatPart interface {
	Send(ctx context.Context, in ChatInput) (ChatReply, error)
	// Stream calls onStart(agentID) once the agent is known to be connected
	// (before any upstream call), then onChunk per chunk. An error before
	// onStart means no stream was started.
	Stream(ctx context.Context, in ChatInput, onStart func(agentID string), onChunk func(text string) error) error
	History(ctx context.Context, roomID string) ([]ChatMessage, error)
}

// BillingPart is the credits part of the app.
type BillingPart interface {
	Credits(ctx context.Context, fresh bool) CreditsResponse
	CreditHistory(ctx context.Context) ([]BalanceSample, error)
	// TopUp opens the cloud's checkout for credits (0 = the default) in
	// the browser, or its billing page when no checkout can be started.
	TopUp(ctx context.Context, credits int) (TopUpResponse, error)
	// Usage is the recent credit transactions and what they add up to.
	Usage(ctx context.Context, hours, limit int) (UsageResponse, error)
}

// DashboardCalls is what the dashboard asks of the Service itself through
// either of its transports: the REST API in a browser and the window's
// bindings. Both faces embed it in their Backend and add what only they
// offer (the REST API's login polling and window hand-off, the window's
// in-app browser login).
type DashboardCalls interface {
	Snapshot() Snapshot
	Status(ctx context.Context) StatusView
	Subscribe() Subscription

	CancelLogin()
	// Logout (POST /api/cloud/disconnect): final snapshot, config/env/secrets
	// cleared. Never fails because saving failed; the answer says the key
	// stays valid at the cloud and where to revoke it.
	Logout(ctx context.Context) (LogoutResponse, error)

	SetNotifications(ctx context.Context, on bool) error
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
	SetBackupSkipWhenIdle(ctx context.Context, on bool) error
}

var (
	_ DashboardCalls = (*Service)(nil)
	_ AgentsPart     = (*Agents)(nil)
	_ ChatPart       = (*Chat)(nil)
	_ BillingPart    = (*Billing)(nil)
)
