// Package cloud is the Eliza Cloud domain: the HTTP client, the URL policy,
// the browser login flow, the connection manager (state machine, backups,
// heartbeat monitor) and the chat proxy. It imports no UI code; the desktop
// shell in package app drives it.
package cloud

import (
	"context"
	"time"
)

// DefaultBaseURL is the site base of the real Eliza Cloud.
const DefaultBaseURL = "https://www.elizacloud.ai"

// TopUpURL is where a user adds credits.
const TopUpURL = "https://www.elizacloud.ai/dashboard/settings?tab=billing"

// Agent is a cloud (Milady Sandbox) agent as the list and detail endpoints
// return it. Nullable server fields are pointers so "null" survives.
type Agent struct {
	ID              string     `json:"id"`
	AgentName       string     `json:"agentName"`
	Status          string     `json:"status"` // pending|provisioning|running|stopped|disconnected|error
	DatabaseStatus  string     `json:"databaseStatus,omitempty"`
	BridgeURL       *string    `json:"bridgeUrl,omitempty"`
	LastBackupAt    *time.Time `json:"lastBackupAt"`
	LastHeartbeatAt *time.Time `json:"lastHeartbeatAt"`
	ErrorMessage    *string    `json:"errorMessage"`
	ErrorCount      int        `json:"errorCount,omitempty"`
	CreatedAt       time.Time  `json:"createdAt,omitzero"`
	UpdatedAt       time.Time  `json:"updatedAt,omitzero"`
}

// CreateAgentRequest is the body of POST /api/v1/milady/agents.
type CreateAgentRequest struct {
	AgentName       string            `json:"agentName"`
	AgentConfig     map[string]any    `json:"agentConfig,omitempty"`
	EnvironmentVars map[string]string `json:"environmentVars,omitempty"`
}

// Backup is one stored snapshot of an agent.
type Backup struct {
	ID           string    `json:"id"`
	SnapshotType string    `json:"snapshotType"`
	SizeBytes    *int64    `json:"sizeBytes"`
	CreatedAt    time.Time `json:"createdAt"`
}

// RestoreResult is what POST …/restore answers.
type RestoreResult struct {
	RestoredFromBackupID string    `json:"restoredFromBackupId"`
	SnapshotType         string    `json:"snapshotType"`
	CreatedAt            time.Time `json:"createdAt"`
}

// ProvisionResult is the outcome of a (possibly queued) provisioning.
type ProvisionResult struct {
	AgentID   string `json:"agentId"`
	AgentName string `json:"agentName,omitempty"`
	Status    string `json:"status"` // "running" on success
	JobID     string `json:"jobId,omitempty"`
}

// Identity is who the API key belongs to (GET /api/v1/user).
type Identity struct {
	UserID         string `json:"userId"`
	OrganizationID string `json:"organizationId"`
	Email          string `json:"email,omitempty"`
	Name           string `json:"name,omitempty"`
}

// AgentStatus is the bridge's status.get result.
type AgentStatus struct {
	Status        string  `json:"status"`
	Uptime        float64 `json:"uptime"`
	MemoriesCount int     `json:"memoriesCount"`
	StartedAt     string  `json:"startedAt,omitempty"`
}

// LoginSession is a started browser login.
type LoginSession struct {
	SessionID  string `json:"sessionId"`
	BrowserURL string `json:"browserUrl"`
}

// LoginResult is the key a completed CLI session hands over (once).
type LoginResult struct {
	APIKey    string     `json:"-"` // never serialised
	KeyPrefix string     `json:"keyPrefix"`
	ExpiresAt *time.Time `json:"expiresAt"`
}

// PollStatus is one answer of GET /api/auth/cli-session/{id}.
type PollStatus struct {
	Status    string // "pending" | "authenticated"
	APIKey    string // only on the one-time retrieval
	KeyPrefix string
	ExpiresAt *time.Time
}

// Message is the text sent to or received from an agent.
type Message struct {
	Text        string
	RoomID      string // default "web-chat"
	ChannelType string // default "DM"
}

// API is the seam between the manager/proxy and the HTTP client: the calls a
// connected session makes. *Client implements it; tests may fake it.
type API interface {
	// Provision starts the agent and waits (bounded) for a queued job.
	Provision(ctx context.Context, agentID string) (*ProvisionResult, error)
	GetAgent(ctx context.Context, agentID string) (*Agent, error)
	// Snapshot takes a manual backup and returns it (ID from backupId, else id).
	Snapshot(ctx context.Context, agentID string) (*Backup, error)
	// Heartbeat returns nil only when the HTTP status is 2xx and the
	// JSON-RPC body has no error.
	Heartbeat(ctx context.Context, agentID string) error
	// SendMessage returns result.text, or "(no response)".
	SendMessage(ctx context.Context, agentID string, msg Message) (string, error)
	// Stream calls onChunk for each SSE chunk as it arrives; an SSE error
	// event becomes an error. It returns when the stream ends.
	Stream(ctx context.Context, agentID string, msg Message, onChunk func(text string) error) error
	// AgentStatus calls status.get over the bridge.
	AgentStatus(ctx context.Context, agentID string) (*AgentStatus, error)
}
