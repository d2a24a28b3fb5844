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
	Logout(ctx context.Context) error

	Credits(ctx context.Context, fresh bool) app.CreditsResponse
	CreditHistory(ctx context.Context) ([]app.BalanceSample, error)

	ListAgents(ctx context.Context) ([]cloud.Agent, error)
	CreateAgent(ctx context.Context, in app.CreateAgentInput) (*cloud.Agent, error)
	GetAgent(ctx context.Context, id string) (*cloud.Agent, error)
	ConnectAgent(ctx context.Context, id string) (app.ConnectResult, error)
	ConnectAgentAsync(ctx context.Context, id string) (app.ConnectResult, error)
	DisconnectAgent(ctx context.Context, id string) error
	ShutdownAgent(ctx context.Context, id string) error
	SuspendAgent(ctx context.Context, id string) error
	ResumeAgent(ctx context.Context, id string) error
	ListBackups(ctx context.Context, id string) ([]cloud.Backup, error)
	SnapshotAgent(ctx context.Context, id string) (*cloud.Backup, error)
	RestoreAgent(ctx context.Context, id, backupID string) (*cloud.RestoreResult, error)

	Chat(ctx context.Context, in app.ChatInput) (app.ChatReply, error)
	ChatStream(ctx context.Context, in app.ChatInput, onStart func(agentID string), onChunk func(text string) error) error
	ChatHistory(ctx context.Context, roomID string) ([]app.ChatMessage, error)

	SetNotifications(ctx context.Context, on bool) error
	SetStartAtLogin(ctx context.Context, on bool) error
	OpenTopUp() error
}

var _ Backend = (*app.Service)(nil)
