package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
)

// Defaults of the keys this app reads (the values Milady uses).
const (
	DefaultBaseURL               = "https://www.elizacloud.ai"
	DefaultHeartbeatIntervalMs   = 30000
	DefaultReconnectIntervalMs   = 3000
	DefaultMaxReconnectAttempts  = 10
	DefaultMaxHeartbeatFailures  = 3
	DefaultAutoBackupIntervalMs  = 60000
	DefaultCreditsPollIntervalMs = 60000
)

// Settings is the typed view of the keys this app reads from milady.json,
// defaults filled in. Numbers that are missing, not integers, or not
// positive fall back to their default, so a typo cannot make the app
// heartbeat in a busy loop.
type Settings struct {
	// Enabled is cloud.enabled; nil when the key is absent (see CloudEnabled).
	Enabled *bool
	// APIKey is cloud.apiKey. Never log it: String and LogValue redact it.
	APIKey string
	// BaseURL is cloud.baseUrl with surrounding blanks, trailing slashes and
	// a trailing /api/v1 removed (the API base is BaseURL + "/api/v1").
	BaseURL string

	HeartbeatIntervalMs  int // cloud.bridge.heartbeatIntervalMs
	ReconnectIntervalMs  int // cloud.bridge.reconnectIntervalMs
	MaxReconnectAttempts int // cloud.bridge.maxReconnectAttempts
	MaxHeartbeatFailures int // cloud.bridge.maxHeartbeatFailures
	AutoBackupIntervalMs int // cloud.backup.autoBackupIntervalMs
	// BackupSkipWhenIdle is cloud.backup.skipWhenIdle (default true): skip
	// a scheduled backup when nothing happened since the last one, since
	// the cloud keeps only the newest 10.
	BackupSkipWhenIdle bool

	LastAgentID           string // desktop.lastAgentId
	Notifications         bool   // desktop.notifications
	CreditsPollIntervalMs int    // desktop.creditsPollIntervalMs
	// WasConnected is desktop.wasConnected: connected when the app last quit,
	// so the next start reconnects to LastAgentID.
	WasConnected bool
}

// Defaults returns the settings of an empty milady.json.
func Defaults() Settings {
	return Settings{
		BaseURL:               DefaultBaseURL,
		HeartbeatIntervalMs:   DefaultHeartbeatIntervalMs,
		ReconnectIntervalMs:   DefaultReconnectIntervalMs,
		MaxReconnectAttempts:  DefaultMaxReconnectAttempts,
		MaxHeartbeatFailures:  DefaultMaxHeartbeatFailures,
		AutoBackupIntervalMs:  DefaultAutoBackupIntervalMs,
		BackupSkipWhenIdle:    true,
		Notifications:         true,
		CreditsPollIntervalMs: DefaultCreditsPollIntervalMs,
	}
}

// CloudEnabled follows Milady: cloud.enabled is true, or a key is present and
// cloud.enabled is not false.
func (s Settings) CloudEnabled() bool {
	if s.Enabled != nil {
		return *s.Enabled
	}
	return s.APIKey != ""
}

// String redacts the API key so a %v in a log line cannot leak it.
func (s Settings) String() string {
	c := s
	c.APIKey = redact(s.APIKey)
	type plain Settings // no String method: avoids recursion
	enabled := "unset"
	if s.Enabled != nil {
		enabled = fmt.Sprint(*s.Enabled)
	}
	return fmt.Sprintf("%+v (enabled=%s)", plain(c), enabled)
}

// LogValue redacts the API key for log/slog.
func (s Settings) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("cloudEnabled", s.CloudEnabled()),
		slog.String("apiKey", redact(s.APIKey)),
		slog.String("baseUrl", s.BaseURL),
		slog.String("lastAgentId", s.LastAgentID),
		slog.Bool("notifications", s.Notifications),
		slog.Bool("wasConnected", s.WasConnected),
	)
}

func redact(key string) string {
	if key == "" {
		return ""
	}
	return "[redacted]"
}

// settingsFrom reads the typed view from a decoded tree (nil: defaults).
func settingsFrom(tree map[string]any) Settings {
	s := Defaults()
	if tree == nil {
		return s
	}
	if b, ok := lookup(tree, "cloud", "enabled").(bool); ok {
		s.Enabled = &b
	}
	if k, ok := lookup(tree, "cloud", "apiKey").(string); ok {
		s.APIKey = strings.TrimSpace(k)
	}
	if u, ok := lookup(tree, "cloud", "baseUrl").(string); ok {
		if u = NormalizeBaseURL(u); u != "" {
			s.BaseURL = u
		}
	}
	positiveInt(&s.HeartbeatIntervalMs, lookup(tree, "cloud", "bridge", "heartbeatIntervalMs"))
	positiveInt(&s.ReconnectIntervalMs, lookup(tree, "cloud", "bridge", "reconnectIntervalMs"))
	positiveInt(&s.MaxReconnectAttempts, lookup(tree, "cloud", "bridge", "maxReconnectAttempts"))
	positiveInt(&s.MaxHeartbeatFailures, lookup(tree, "cloud", "bridge", "maxHeartbeatFailures"))
	positiveInt(&s.AutoBackupIntervalMs, lookup(tree, "cloud", "backup", "autoBackupIntervalMs"))
	positiveInt(&s.CreditsPollIntervalMs, lookup(tree, "desktop", "creditsPollIntervalMs"))
	if b, ok := lookup(tree, "cloud", "backup", "skipWhenIdle").(bool); ok {
		s.BackupSkipWhenIdle = b
	}
	if id, ok := lookup(tree, "desktop", "lastAgentId").(string); ok {
		s.LastAgentID = strings.TrimSpace(id)
	}
	if b, ok := lookup(tree, "desktop", "notifications").(bool); ok {
		s.Notifications = b
	}
	if b, ok := lookup(tree, "desktop", "wasConnected").(bool); ok {
		s.WasConnected = b
	}
	return s
}

// NormalizeBaseURL strips blanks, trailing slashes and a trailing /api/v1, as
// Milady's cloud manager does, so "https://x/api/v1/" and "https://x" name
// the same site.
func NormalizeBaseURL(u string) string {
	u = strings.TrimRight(strings.TrimSpace(u), "/")
	u = strings.TrimSuffix(u, "/api/v1")
	return strings.TrimRight(u, "/")
}

// lookup follows path through nested objects; nil when any step is missing.
func lookup(tree map[string]any, path ...string) any {
	var cur any = tree
	for _, key := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[key]
	}
	return cur
}

// positiveInt sets *dst from a JSON number that is a positive integer (1000
// or 1000.0) that fits in 32 bits.
func positiveInt(dst *int, v any) {
	n, ok := v.(json.Number)
	if !ok {
		return
	}
	f, err := n.Float64()
	if err != nil || f != math.Trunc(f) || f < 1 || f > math.MaxInt32 {
		return
	}
	*dst = int(f)
}
