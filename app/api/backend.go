package api

import (
	"context"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// Backend is what the REST API asks of the app: the Milady-compatible
// routes and this app's additions map one to one onto these calls.
// *app.Service implements it; the handlers only decode, call and encode.
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
	// cleared. Never fails because saving failed.
	Logout(ctx context.Context) error

	Credits(ctx context.Context, fresh bool) app.CreditsResponse
	CreditHistory(ctx context.Context) ([]app.BalanceSample, error)

	ListAgents(ctx context.Context) ([]cloud.Agent, error)
	CreateAgent(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error)
	GetAgent(ctx context.Context, id string) (*cloud.Agent, error)
	// ConnectAgent provisions and connects (an active agent is disconnected first).
	ConnectAgent(ctx context.Context, id string) (app.ConnectResult, error)
	// ConnectAgentAsync validates, then connects in the background; the
	// outcome arrives as events.
	ConnectAgentAsync(ctx context.Context, id string) (app.ConnectResult, error)
	DisconnectAgent(ctx context.Context, id string) error
	// ShutdownAgent disconnects if active, then deletes the agent in the cloud.
	ShutdownAgent(ctx context.Context, id string) error
	SuspendAgent(ctx context.Context, id string) error
	ResumeAgent(ctx context.Context, id string) error
	ListBackups(ctx context.Context, id string) ([]cloud.Backup, error)
	SnapshotAgent(ctx context.Context, id string) (*cloud.Backup, error)
	RestoreAgent(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error)

	Chat(ctx context.Context, in app.ChatInput) (app.ChatReply, error)
	// ChatStream calls onStart(agentID) once the agent is known to be
	// connected (before any upstream call), then onChunk per chunk. An
	// error before onStart means no stream was started.
	ChatStream(ctx context.Context, in app.ChatInput, onStart func(agentID string), onChunk func(text string) error) error
	ChatHistory(ctx context.Context, roomID string) ([]app.ChatMessage, error)

	// ShowWindow shows and focuses the window; false in headless mode.
	ShowWindow() bool
	SetNotifications(ctx context.Context, on bool) error
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
}

var _ Backend = (*app.Service)(nil)
