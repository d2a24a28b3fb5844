package app

import (
	"crypto/x509"
	"log/slog"
	"os"
	"time"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Opener opens a URL in the system browser (github.com/pkg/browser in
// production, a recorder in tests).
type Opener interface {
	Open(url string) error
}

// OpenerFunc adapts a function such as browser.OpenURL to Opener.
type OpenerFunc func(url string) error

// Open calls f(url).
func (f OpenerFunc) Open(url string) error { return f(url) }

// Sender delivers a notification (D-Bus in desktop mode, the log headless).
type Sender interface {
	Send(notify.Alert) error
}

// Autostart is the start-at-login switch; the file's presence is the truth.
type Autostart interface {
	Enabled() bool
	Enable() error
	Disable() error
}

// Window is the desktop window, when there is one.
type Window interface {
	Show()
}

// Env is the process environment seam (os in production).
type Env interface {
	Setenv(key, value string) error
	Unsetenv(key string) error
}

type osEnv struct{}

func (osEnv) Setenv(k, v string) error { return os.Setenv(k, v) }
func (osEnv) Unsetenv(k string) error  { return os.Unsetenv(k) }

// Options configures a Service. Config and DB are required.
type Options struct {
	Version string
	Config  *config.Store
	DB      *store.DB
	Clock   clock.Clock
	Logger  *slog.Logger

	// Cloud endpoint: BaseURL overrides the config's (used by --sim, never
	// saved); RootCAs is the simulator's trust pool (nil = system roots).
	BaseURL       string
	RootCAs       *x509.CertPool
	AllowLoopback bool
	Sim           bool

	Opener    Opener
	Notifier  Sender
	Autostart Autostart
	Env       Env

	// Overrides for tests; zero values take the product defaults.
	LoginPoll       time.Duration // 2 s
	LoginTimeout    time.Duration // 300 s
	CreditsTTL      time.Duration // 15 s
	FreshMinGap     time.Duration // 5 s
	ConnectTimeout  time.Duration // 5 min
	ClientTimeouts  *cloud.Timeouts
	ManagerOverride *cloud.ManagerConfig
}

// withDefaults fills every zero seam and duration.
func (opts Options) withDefaults() Options {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Env == nil {
		opts.Env = osEnv{}
	}
	if opts.Notifier == nil {
		opts.Notifier = notify.LogSender{Log: opts.Logger}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&opts.LoginPoll, 2*time.Second)
	def(&opts.LoginTimeout, 300*time.Second)
	def(&opts.CreditsTTL, 15*time.Second)
	def(&opts.FreshMinGap, 5*time.Second)
	def(&opts.ConnectTimeout, 5*time.Minute)
	return opts
}

// managerConfig is the connection manager's tuning: the defaults, the
// config file's overrides, then a test's.
func managerConfig(st config.Settings, override *cloud.ManagerConfig) cloud.ManagerConfig {
	mc := cloud.DefaultManagerConfig()
	if v := st.HeartbeatIntervalMs; v > 0 {
		mc.HeartbeatInterval = ms(v)
	}
	if v := st.ReconnectIntervalMs; v > 0 {
		mc.ReconnectInterval = ms(v)
	}
	if v := st.MaxReconnectAttempts; v > 0 {
		mc.MaxReconnectAttempts = v
	}
	if v := st.MaxHeartbeatFailures; v > 0 {
		mc.MaxHeartbeatFailures = v
	}
	if v := st.AutoBackupIntervalMs; v > 0 {
		mc.BackupInterval = ms(v)
	}
	if override != nil {
		mc = *override
	}
	if mc.SkipWhenIdle == nil { // cloud.backup.skipWhenIdle, unless a test chose
		mc.SkipWhenIdle = new(st.BackupSkipWhenIdle)
	}
	return mc
}

func ms(v int) time.Duration { return time.Duration(v) * time.Millisecond }
