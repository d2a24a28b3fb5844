// Package app is the desktop shell around package cloud: the one Service
// every face (REST API, Wails window, tray) calls, the event stream they all
// render from, and the adapters to the config file, the local database,
// notifications and autostart.
//
// This file is the contract between the Service and its faces: the DTOs they
// exchange. Each face declares the interface it consumes (api.Backend,
// desktop.Backend, tray.Backend), which *Service satisfies; faces never
// duplicate the Service's logic.
package app

import (
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// Snapshot is the whole observable state. It is the data of the "snapshot"
// and "state" events and what a face renders from.
//
// Seq numbers snapshots in the order they were taken (from 1, per process):
// a face that receives one numbered at or below the last it rendered drops
// it, so an older state can never replace a newer one. 0 means unnumbered
// (test doubles); faces accept those.
type Snapshot struct {
	Seq       uint64 `json:"seq"`
	Version   string `json:"version"`
	Sim       bool   `json:"sim"`
	BaseURL   string `json:"baseUrl"`
	LoggedIn  bool   `json:"loggedIn"`
	KeyPrefix string `json:"keyPrefix,omitempty"`
	UserID    string `json:"userId,omitempty"`
	// UserEmail is shown in Settings: a person knows their email, not their id.
	UserEmail       string       `json:"userEmail,omitempty"`
	OrganizationID  string       `json:"organizationId,omitempty"`
	Connection      cloud.State  `json:"connection"`
	Credits         CreditsView  `json:"credits"`
	Login           LoginView    `json:"login"`
	LastAgentID     string       `json:"lastAgentId,omitempty"`
	LastAgentName   string       `json:"lastAgentName,omitempty"`
	Settings        SettingsView `json:"settings"`
	ConfigError     string       `json:"configError,omitempty"`
	Desktop         bool         `json:"desktop"` // a window exists
	TrayAvailable   bool         `json:"trayAvailable"`
	NoticeCount     int          `json:"noticeCount,omitempty"`
	LastNotice      *Notice      `json:"lastNotice,omitempty"`
	IdentityChecked bool         `json:"identityChecked"`
	// KeyRejected: the cloud answered 401 to the saved key (revoked or
	// expired). The key is kept until the user logs in again or out, but
	// nothing calls the cloud with it; the faces ask to log in again.
	KeyRejected bool `json:"keyRejected,omitempty"`
}

// CreditsView is the balance as the UI shows it.
type CreditsView struct {
	Balance   *float64   `json:"balance"`
	Level     string     `json:"level,omitempty"` // "ok" | "low" | "critical"
	Low       bool       `json:"low"`
	Critical  bool       `json:"critical"`
	TopUpURL  string     `json:"topUpUrl"`
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
	Error     string     `json:"error,omitempty"`
}

// LoginView is the in-app login's progress.
type LoginView struct {
	Status     string `json:"status"` // idle | pending | authenticated | expired | error | cancelled
	SessionID  string `json:"sessionId,omitempty"`
	BrowserURL string `json:"browserUrl,omitempty"`
	KeyPrefix  string `json:"keyPrefix,omitempty"`
	Error      string `json:"error,omitempty"`
}

// SettingsView is what the Settings view shows and toggles.
type SettingsView struct {
	BaseURL       string `json:"baseUrl"`
	Notifications bool   `json:"notifications"`
	StartAtLogin  bool   `json:"startAtLogin"`
	ConfigPath    string `json:"configPath"`
	// BackupSkipWhenIdle is cloud.backup.skipWhenIdle: scheduled backups
	// are skipped while nothing happens, so the cloud's 10 kept backups
	// span hours of activity rather than the last 10 idle minutes.
	BackupSkipWhenIdle bool `json:"backupSkipWhenIdle"`
}

// Notice is a user-facing message (a notification in desktop mode, a banner
// in the dashboard).
type Notice struct {
	Kind    string    `json:"kind"`  // "credits" | "connection" | "backup" | "config" | "info"
	Level   string    `json:"level"` // "info" | "warning" | "critical"
	Message string    `json:"message"`
	At      time.Time `json:"at"`
}

// Event types of the stream (SSE event names and Wails runtime event names).
const (
	EventSnapshot  = "snapshot"  // Data: Snapshot
	EventState     = "state"     // Data: Snapshot, one per connection-state transition
	EventLogin     = "login"     // Data: LoginEvent
	EventBackup    = "backup"    // Data: BackupEvent
	EventNotice    = "notice"    // Data: Notice
	EventCredits   = "credits"   // Data: CreditsView (balance changed)
	EventHeartbeat = "heartbeat" // Data: HeartbeatEvent
	EventSettings  = "settings"  // Data: SettingsView
)

// Event is one message of the stream. Snapshot is always the full state after
// the change, so a face that only renders Snapshot is never wrong.
type Event struct {
	Type     string   `json:"type"`
	Data     any      `json:"data"`
	Snapshot Snapshot `json:"-"`
}

// LoginEvent is the data of a "login" event.
type LoginEvent struct {
	Status    string `json:"status"`
	KeyPrefix string `json:"keyPrefix,omitempty"`
	Error     string `json:"error,omitempty"`
}

// BackupEvent is the data of a "backup" event.
type BackupEvent struct {
	AgentID  string `json:"agentId"`
	OK       bool   `json:"ok"`
	BackupID string `json:"backupId,omitempty"`
	Error    string `json:"error,omitempty"`
}

// HeartbeatEvent is the data of a "heartbeat" event.
type HeartbeatEvent struct {
	AgentID string    `json:"agentId"`
	At      time.Time `json:"at"`
}

// StatusView is GET /api/cloud/status (Milady's shape plus "connection").
type StatusView struct {
	Connected      bool        `json:"connected"`
	Enabled        bool        `json:"enabled"`
	HasAPIKey      bool        `json:"hasApiKey"`
	UserID         *string     `json:"userId,omitempty"`
	OrganizationID *string     `json:"organizationId,omitempty"`
	TopUpURL       string      `json:"topUpUrl,omitempty"`
	Reason         string      `json:"reason,omitempty"`
	Connection     cloud.State `json:"connection"`
	// KeyRejected: the saved key was refused (401); Connected is false and
	// Reason "api_key_present_not_authenticated" until a new login.
	KeyRejected bool `json:"keyRejected,omitempty"`
}

// TopUpResponse answers POST /api/cloud/topup: URL is the page opened in
// the browser (the cloud's checkout, or its billing page when a checkout
// could not be started).
type TopUpResponse struct {
	OK  bool   `json:"ok"`
	URL string `json:"url"`
}

// UsageTransaction is one credit transaction of GET /api/cloud/usage:
// Amount is positive for credits added and negative for usage.
type UsageTransaction struct {
	ID          string    `json:"id"`
	Amount      float64   `json:"amount"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"createdAt"`
}

// UsageResponse answers GET /api/cloud/usage: the transactions of the
// last Hours (newest first), the credits spent and added in them, and the
// burn rate (spent per hour over the span the debits cover; null with
// fewer than two debits, when no rate can be told).
type UsageResponse struct {
	Transactions    []UsageTransaction `json:"transactions"`
	Hours           int                `json:"hours"`
	Spent           float64            `json:"spent"`
	Added           float64            `json:"added"`
	BurnRatePerHour *float64           `json:"burnRatePerHour"`
}

// LogoutResponse answers POST /api/cloud/disconnect (and the window's
// Logout). An API key cannot revoke itself at the cloud, so log-out only
// forgets it here: KeyStillValid says so and RevokeURL is the cloud's page
// where the user can revoke it.
type LogoutResponse struct {
	KeyStillValid bool   `json:"keyStillValid"`
	OK            bool   `json:"ok"`
	RevokeURL     string `json:"revokeUrl"`
	Status        string `json:"status"` // always "disconnected"
}

// CreditsResponse is GET /api/cloud/credits. Balance is null when unknown.
type CreditsResponse struct {
	Connected bool     `json:"connected"`
	Balance   *float64 `json:"balance"`
	Low       *bool    `json:"low,omitempty"`
	Critical  *bool    `json:"critical,omitempty"`
	TopUpURL  string   `json:"topUpUrl,omitempty"`
	Error     string   `json:"error,omitempty"`
}

// BalanceSample is one point of the balance chart.
type BalanceSample struct {
	At      time.Time `json:"at"`
	Balance float64   `json:"balance"`
}

// LoginStart answers POST /api/cloud/login.
type LoginStart struct {
	OK         bool   `json:"ok"`
	SessionID  string `json:"sessionId"`
	BrowserURL string `json:"browserUrl"`
}

// LoginStatus answers GET /api/cloud/login/status.
type LoginStatus struct {
	Status    string `json:"status"` // pending | authenticated | expired | error
	KeyPrefix string `json:"keyPrefix,omitempty"`
	Error     string `json:"error,omitempty"`
}

// CreateAgentInput is POST /api/cloud/agents: exactly what the cloud takes,
// so the app checks it (ValidAgentName) and passes it on.
type CreateAgentInput = cloud.CreateAgentRequest

// ConnectResult answers provision/connect.
type ConnectResult struct {
	OK        bool   `json:"ok"`
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName,omitempty"`
	Status    string `json:"status"` // "connected" | "connecting" | "stopped" | "disconnected"
}

// ChatInput is POST /api/chat.
type ChatInput struct {
	Text        string `json:"text"`
	RoomID      string `json:"roomId,omitempty"`
	ChannelType string `json:"channelType,omitempty"`
}

// ChatReply answers POST /api/chat.
type ChatReply struct {
	Text    string `json:"text"`
	AgentID string `json:"agentId"`
}

// ChatMessage is one stored chat line.
type ChatMessage struct {
	At      time.Time `json:"at"`
	AgentID string    `json:"agentId"`
	RoomID  string    `json:"roomId"`
	Role    string    `json:"role"` // "user" | "agent"
	Text    string    `json:"text"`
}

// Subscription is one subscriber's view of the event stream. C yields the
// snapshot first, then every event; a subscriber that falls behind loses
// intermediate state events but always gets the latest (latest wins).
type Subscription interface {
	C() <-chan Event
	Close()
}
