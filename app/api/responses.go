package api

import (
	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/cloud"
)

// The answers of the REST routes that wrap a DTO in an envelope, as named
// types so that the dashboard's TypeScript is generated from them
// (scripts/tsgen) rather than written from memory. Fields are declared in
// the order of their JSON names, which keeps the bytes identical to the
// map[string]any answers they replaced (encoding/json sorts map keys).

// OKResponse is a bare success.
type OKResponse struct {
	OK bool `json:"ok"`
}

// HealthResponse is GET /api/health.
type HealthResponse struct {
	App     string `json:"app"` // always "milady-cloud"
	OK      bool   `json:"ok"`
	Version string `json:"version"`
}

// LogoutResponse is POST /api/cloud/disconnect; the window's Logout
// answers the same, so the type lives in package app.
type LogoutResponse = app.LogoutResponse

// AgentsResponse is GET /api/cloud/agents.
type AgentsResponse struct {
	Agents []cloud.Agent `json:"agents"`
	OK     bool          `json:"ok"`
}

// AgentResponse is GET /api/cloud/agents/:id and POST /api/cloud/agents.
type AgentResponse struct {
	Agent *cloud.Agent `json:"agent"`
	OK    bool         `json:"ok"`
}

// AgentActionResponse is disconnect, shutdown, suspend and resume.
type AgentActionResponse struct {
	AgentID string `json:"agentId"`
	OK      bool   `json:"ok"`
	Status  string `json:"status"`
}

// BackupsResponse is GET /api/cloud/agents/:id/backups.
type BackupsResponse struct {
	Backups []cloud.Backup `json:"backups"`
	OK      bool           `json:"ok"`
}

// BackupResponse is POST /api/cloud/agents/:id/snapshot.
type BackupResponse struct {
	Backup *cloud.Backup `json:"backup"`
	OK     bool          `json:"ok"`
}

// RestoreResponse is POST /api/cloud/agents/:id/restore.
type RestoreResponse struct {
	OK      bool                 `json:"ok"`
	Restore *cloud.RestoreResult `json:"restore"`
}

// CreditHistoryResponse is GET /api/cloud/credits/history.
type CreditHistoryResponse struct {
	OK      bool                `json:"ok"`
	Samples []app.BalanceSample `json:"samples"`
}

// ChatHistoryResponse is GET /api/chat/history.
type ChatHistoryResponse struct {
	Messages []app.ChatMessage `json:"messages"`
	OK       bool              `json:"ok"`
}

// SettingsResponse is POST /api/settings: the settings after the change.
type SettingsResponse struct {
	OK       bool             `json:"ok"`
	Settings app.SettingsView `json:"settings"`
}

// WindowShowResponse is POST /api/window/show; Shown is false headless.
type WindowShowResponse struct {
	OK    bool `json:"ok"`
	Shown bool `json:"shown"`
}

// ErrorResponse is every failure's body. Some carry extra fields (a 402
// adds the amounts), which the dashboard reads where it needs them.
type ErrorResponse struct {
	Error string `json:"error"`
}

// The events of POST /api/chat/stream: "chunk" per piece of the reply, then
// "done" or "error".
type (
	ChatChunkEvent struct {
		Text string `json:"text"`
	}
	ChatDoneEvent struct {
		AgentID string `json:"agentId"`
	}
	ChatErrorEvent struct {
		Error string `json:"error"`
	}
)
