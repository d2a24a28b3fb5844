package cloud

import "time"

// ConnState is the manager's connection state.
type ConnState string

// The five connection states (docs/ARCHITECTURE.md, the state machine).
const (
	StateDisconnected ConnState = "disconnected"
	StateConnecting   ConnState = "connecting"
	StateConnected    ConnState = "connected"
	StateReconnecting ConnState = "reconnecting"
	StateError        ConnState = "error"
)

// State is a full snapshot of the connection; its JSON is the REST status's
// "connection" object.
type State struct {
	State            ConnState  `json:"state"`
	AgentID          string     `json:"agentId,omitempty"`
	AgentName        string     `json:"agentName,omitempty"`
	Since            time.Time  `json:"since"`
	LastError        string     `json:"lastError,omitempty"`
	ReconnectAttempt int        `json:"reconnectAttempt,omitempty"`
	MaxReconnect     int        `json:"maxReconnectAttempts,omitempty"`
	LastHeartbeatAt  *time.Time `json:"lastHeartbeatAt,omitempty"`
	LastBackupAt     *time.Time `json:"lastBackupAt,omitempty"`
}

// BackupResult is one finished snapshot attempt (scheduled, final or manual).
type BackupResult struct {
	AgentID   string    `json:"agentId"`
	OK        bool      `json:"ok"`
	BackupID  string    `json:"backupId,omitempty"`
	Error     string    `json:"error,omitempty"`
	SizeBytes *int64    `json:"sizeBytes,omitempty"`
	At        time.Time `json:"at"`
	Final     bool      `json:"final,omitempty"` // taken by Disconnect
}

// EventKind names what a manager Event carries.
type EventKind string

// Manager event kinds.
const (
	EventState     EventKind = "state"     // State changed (one per transition)
	EventBackup    EventKind = "backup"    // Backup is set
	EventHeartbeat EventKind = "heartbeat" // a heartbeat succeeded (State.LastHeartbeatAt updated)
)

// Event is what the manager hands its observer. State is always the full
// snapshot after the change.
type Event struct {
	Kind   EventKind
	State  State
	Backup *BackupResult
}
