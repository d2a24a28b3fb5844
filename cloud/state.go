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
	// KeyRejected is set when the cloud answered 401 to the saved key: the
	// manager stopped and will not call the cloud again until SetAPI gives
	// it a new key.
	KeyRejected bool `json:"keyRejected,omitempty"`
	// Progress is the provisioning job being waited for while connecting
	// or reconnecting, nil otherwise.
	Progress *Progress `json:"progress,omitempty"`
	// Recovery is the step of the dead-sandbox ladder being tried while
	// reconnecting, nil otherwise.
	Recovery *Recovery `json:"recovery,omitempty"`
}

// Progress is what the user sees of a provisioning job the manager waits
// for: the cloud's worker polls every 30 s, health-checks for up to 180 s
// and tries three times, so a cold start can take many minutes.
type Progress struct {
	Phase       string `json:"phase"`                 // JobQueued, JobStarting or JobRetrying
	Retry       int    `json:"retry,omitempty"`       // retrying <Retry> of <MaxAttempts>
	MaxAttempts int    `json:"maxAttempts,omitempty"` // the worker's attempt limit (3)
	Error       string `json:"error,omitempty"`       // the failed attempt's message
	JobID       string `json:"jobId,omitempty"`
	Message     string `json:"message"` // one sentence for the UI
}

// Recovery is one step of the dead-sandbox ladder. The cloud answers
// "running" for an agent whose container died and never notices it, so
// the manager itself climbs provision → resume → suspend + resume.
type Recovery struct {
	Step    string `json:"step"` // RecoveryProvision, RecoveryResume or RecoveryRestart
	N       int    `json:"n"`    // this step's number …
	Of      int    `json:"of"`   // … of the ladder's steps
	Message string `json:"message"`
}

// The steps of the dead-sandbox ladder, in order.
const (
	RecoveryProvision = "provision"
	RecoveryResume    = "resume"
	RecoveryRestart   = "suspend-resume"
)

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
	// EventProgress: a provisioning job moved (State.Progress is set).
	EventProgress EventKind = "progress"
	// EventRecovery: a step of the dead-sandbox ladder starts
	// (State.Recovery is set).
	EventRecovery EventKind = "recovery"
	// EventKeyRejected is emitted once when the key is found rejected,
	// after the state change that stopped the session: the app's cue for
	// one "log in again" notification.
	EventKeyRejected EventKind = "keyRejected"
)

// Event is what the manager hands its observer. State is always the full
// snapshot after the change.
type Event struct {
	Kind     EventKind
	State    State
	Backup   *BackupResult
	Progress *Progress // State.Progress, for EventProgress
	Recovery *Recovery // State.Recovery, for EventRecovery
}
