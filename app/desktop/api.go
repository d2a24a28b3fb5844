package desktop

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// This file is the window's JavaScript API. Wails binds every exported method
// of *App as window.go.desktop.App.<Name>; keep helpers unexported. Inputs are
// validated by the Backend, not here, so the window and the REST API answer
// the same way.

// EventChatChunk is the runtime event StreamChat emits per reply chunk.
const EventChatChunk = "chat:chunk"

// ChatChunk is the data of a "chat:chunk" event. RequestID is the one the
// page passed to StreamChat, so concurrent streams can be told apart.
type ChatChunk struct {
	RequestID string `json:"requestId"`
	Text      string `json:"text"`
}

// GetSnapshot returns the whole state; the page calls it once on mount and
// then follows the events.
func (a *App) GetSnapshot() (app.Snapshot, error) {
	return a.backend.Snapshot(), nil
}

// GetStatus is GET /api/cloud/status.
func (a *App) GetStatus() (app.StatusView, error) {
	return a.backend.Status(a.context()), nil
}

// Login starts the in-app login: it opens the system browser on the cloud's
// login page (or re-opens the pending one).
func (a *App) Login() (app.LoginStart, error) {
	return a.backend.BeginBrowserLogin(a.context())
}

// CancelLogin stops waiting for a pending login.
func (a *App) CancelLogin() error {
	a.backend.CancelLogin()
	return nil
}

// Logout forgets the API key and disconnects. The answer says the key
// stays valid at the cloud and where to revoke it, as the REST log-out.
func (a *App) Logout() (app.LogoutResponse, error) {
	return a.backend.Logout(a.context())
}

// GetCredits returns the balance; fresh bypasses the cache.
func (a *App) GetCredits(fresh bool) (app.CreditsResponse, error) {
	return a.billing.Credits(a.context(), fresh), nil
}

// GetCreditHistory returns the balance chart's points.
func (a *App) GetCreditHistory() ([]app.BalanceSample, error) {
	return a.billing.CreditHistory(a.context())
}

// ListAgents lists the cloud agents.
func (a *App) ListAgents() ([]cloud.Agent, error) {
	return a.agents.List(a.context())
}

// CreateAgent creates a cloud agent.
func (a *App) CreateAgent(in app.CreateAgentInput) (*cloud.Agent, error) {
	return a.agents.Create(a.context(), in)
}

// GetAgent returns one agent.
func (a *App) GetAgent(id string) (*cloud.Agent, error) {
	return a.agents.Get(a.context(), id)
}

// ConnectAgent provisions and connects an agent and resolves when done.
func (a *App) ConnectAgent(id string) (app.ConnectResult, error) {
	return a.agents.Connect(a.context(), id)
}

// ConnectAgentAsync validates and starts connecting; progress and outcome
// arrive as "state" events.
func (a *App) ConnectAgentAsync(id string) (app.ConnectResult, error) {
	return a.agents.ConnectAsync(a.context(), id)
}

// DisconnectAgent disconnects from an agent.
func (a *App) DisconnectAgent(id string) error {
	return a.agents.Disconnect(a.context(), id)
}

// ShutdownAgent deletes an agent in the cloud (disconnecting first).
func (a *App) ShutdownAgent(id string) error {
	return a.agents.Shutdown(a.context(), id)
}

// SuspendAgent suspends an agent.
func (a *App) SuspendAgent(id string) error {
	return a.agents.Suspend(a.context(), id)
}

// ResumeAgent resumes a suspended agent.
func (a *App) ResumeAgent(id string) error {
	return a.agents.Resume(a.context(), id)
}

// ListBackups lists an agent's backups.
func (a *App) ListBackups(id string) ([]cloud.Backup, error) {
	return a.agents.Backups(a.context(), id)
}

// SnapshotAgent takes a backup now.
func (a *App) SnapshotAgent(id string) (*cloud.Backup, error) {
	return a.agents.Backup(a.context(), id)
}

// RestoreAgent restores an agent from a backup.
func (a *App) RestoreAgent(id, backupID string) (*cloud.RestoreResult, error) {
	return a.agents.Restore(a.context(), id, backupID)
}

// SendChat sends one message and waits for the whole reply.
func (a *App) SendChat(text, roomID string) (app.ChatReply, error) {
	return a.chat.Send(a.context(), app.ChatInput{Text: text, RoomID: roomID})
}

// StreamChat sends one message and emits the reply as it arrives, as
// "chat:chunk" events carrying requestID. It resolves with the whole reply
// once the stream ends, so the page can replace the streamed text with the
// final one; it rejects if the stream fails (chunks already emitted stay).
func (a *App) StreamChat(requestID, text, roomID string) (app.ChatReply, error) {
	var reply app.ChatReply
	var whole strings.Builder
	err := a.chat.Stream(a.context(), app.ChatInput{Text: text, RoomID: roomID},
		func(agentID string) { reply.AgentID = agentID },
		func(chunk string) error {
			whole.WriteString(chunk)
			a.emit(EventChatChunk, ChatChunk{RequestID: requestID, Text: chunk})
			return nil
		})
	if err != nil {
		return app.ChatReply{}, err
	}
	reply.Text = whole.String()
	return reply, nil
}

// ChatHistory returns the stored messages of a room ("" = the default room).
func (a *App) ChatHistory(roomID string) ([]app.ChatMessage, error) {
	return a.chat.History(a.context(), roomID)
}

// SetNotifications turns desktop notifications on or off.
func (a *App) SetNotifications(on bool) error {
	return a.backend.SetNotifications(a.context(), on)
}

// SetStartAtLogin writes or removes the autostart entry.
func (a *App) SetStartAtLogin(on bool) error {
	return a.backend.SetStartAtLogin(a.context(), on)
}

// OpenTopUp opens the cloud's top-up page in the system browser.
func (a *App) OpenTopUp() error {
	return a.backend.OpenTopUp()
}

// TopUp opens the cloud's checkout for credits (0 = the default) in the
// system browser, or its billing page; it answers the page opened.
func (a *App) TopUp(credits int) (app.TopUpResponse, error) {
	return a.billing.TopUp(a.context(), credits)
}

// GetUsage returns the recent credit transactions (hours and limit 0 take
// the defaults) and what they add up to.
func (a *App) GetUsage(hours, limit int) (app.UsageResponse, error) {
	return a.billing.Usage(a.context(), hours, limit)
}

// OpenAgent opens the agent's own web UI in the system browser.
func (a *App) OpenAgent(id string) error {
	return a.agents.Open(a.context(), id)
}

// SetBackupSkipWhenIdle saves cloud.backup.skipWhenIdle.
func (a *App) SetBackupSkipWhenIdle(on bool) error {
	return a.backend.SetBackupSkipWhenIdle(a.context(), on)
}

// OpenURL opens an external http(s) link in the system browser: the webview
// does not open new windows, so the page routes target=_blank links here.
// Other schemes are refused so the page cannot launch arbitrary handlers.
func (a *App) OpenURL(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("refusing to open %q: only http and https links can be opened", rawURL)
	}
	if a.opener == nil {
		return errNoOpener
	}
	if err := a.opener.Open(u.String()); err != nil {
		return fmt.Errorf("open browser: %w", err)
	}
	return nil
}

// ReportReady is called by the page once it has mounted and rendered its
// first snapshot. The log line is the window test's readiness signal.
func (a *App) ReportReady() error {
	a.log.Info("window: dashboard ready")
	if a.onReady != nil {
		a.onReady()
	}
	return nil
}

// emit sends an event to the page if an Emitter is set.
func (a *App) emit(name string, data any) {
	if a.emitter != nil {
		a.emitter.Emit(name, data)
	}
}
