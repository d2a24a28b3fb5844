package app

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Secret names written to the local agent record (R-DB).
const (
	secretAPIKey  = "ELIZAOS_CLOUD_API_KEY"
	secretEnabled = "ELIZAOS_CLOUD_ENABLED"
	flagLoggedOut = "logged_out"
)

// Opener opens a URL in the system browser (github.com/pkg/browser in
// production, a recorder in tests).
type Opener interface {
	Open(url string) error
}

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

	// Overrides for tests; zero values take the spec's defaults.
	LoginPoll       time.Duration // 2 s
	LoginTimeout    time.Duration // 300 s
	CreditsTTL      time.Duration // 15 s
	FreshMinGap     time.Duration // 5 s
	ConnectTimeout  time.Duration // 5 min
	ClientTimeouts  *cloud.Timeouts
	ManagerOverride *cloud.ManagerConfig
}

// Service is the one owner of the app's state (R-ARCH). Every face calls its
// methods and renders from its event stream.
type Service struct {
	opts  Options
	log   *slog.Logger
	clk   clock.Clock
	cfg   *config.Store
	db    *store.DB
	mgr   *cloud.Manager
	hub   *hub
	env   Env
	ctx   context.Context
	stop  context.CancelFunc
	life  life
	dbq   chan func(context.Context)
	sendq chan notify.Alert

	opMu sync.Mutex // serialises login completion and log-out

	// pubMu is held from taking a snapshot until it is in every
	// subscriber's queue, so snapshots reach subscribers in the order they
	// were taken and seq (under mu) grows in delivery order. Taken before mu.
	pubMu sync.Mutex

	mu             sync.Mutex
	opens          openGate // debounces browser opens
	baseURL        string
	baseErr        error
	anon           *cloud.Client // no key: login calls
	client         *cloud.Client // with key; nil when logged out
	apiKey         string
	keyPrefix      string
	identity       *cloud.Identity
	identityTried  bool
	identityOK     bool
	started        bool
	conn           cloud.State
	credits        CreditsView
	login          LoginView
	sessions       map[string]*loginSession
	activeLogin    *loginSession
	lastAgentID    string
	lastAgentName  string
	settings       config.Settings
	configErr      string
	lastNotice     *Notice
	notices        int
	window         Window
	trayAvailable  bool
	quit           func()
	policy         *notify.Policy
	policyIn       notify.Input
	userAction     int // >0 while a user-initiated disconnect/log-out runs
	creditsFetch   *creditsFlight
	lastFreshFetch time.Time
	seq            uint64 // number of the last snapshot taken
}

// New builds the Service; Start brings it to life.
func New(opts Options) (*Service, error) {
	if opts.Config == nil || opts.DB == nil {
		return nil, errors.New("new service: config store and database are required")
	}
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

	ctx, stop := context.WithCancel(context.Background())
	s := &Service{
		opts:     opts,
		log:      opts.Logger,
		clk:      opts.Clock,
		cfg:      opts.Config,
		db:       opts.DB,
		hub:      newHub(),
		env:      opts.Env,
		ctx:      ctx,
		stop:     stop,
		dbq:      make(chan func(context.Context), 1024),
		sendq:    make(chan notify.Alert, 32),
		sessions: make(map[string]*loginSession),
		policy:   notify.NewPolicy(),
		login:    LoginView{Status: "idle"},
	}
	s.settings = opts.Config.Settings()
	if err := opts.Config.Err(); err != nil {
		s.configErr = err.Error()
		s.log.Error("config file unreadable; running logged out", "err", err)
	}
	s.lastAgentID = s.settings.LastAgentID
	s.credits = CreditsView{TopUpURL: cloud.TopUpURL}
	s.conn = cloud.State{State: cloud.StateDisconnected, Since: s.clk.Now()}
	s.setBaseURL()

	mc := cloud.DefaultManagerConfig()
	if v := s.settings.HeartbeatIntervalMs; v > 0 {
		mc.HeartbeatInterval = ms(v)
	}
	if v := s.settings.ReconnectIntervalMs; v > 0 {
		mc.ReconnectInterval = ms(v)
	}
	if v := s.settings.MaxReconnectAttempts; v > 0 {
		mc.MaxReconnectAttempts = v
	}
	if v := s.settings.MaxHeartbeatFailures; v > 0 {
		mc.MaxHeartbeatFailures = v
	}
	if v := s.settings.AutoBackupIntervalMs; v > 0 {
		mc.BackupInterval = ms(v)
	}
	if opts.ManagerOverride != nil {
		mc = *opts.ManagerOverride
	}
	mc.ChatViaBridge = true // until the app's chat and its fault tests move to the stream route
	s.mgr = cloud.NewManager(cloud.ManagerOptions{
		Config:  mc,
		Clock:   s.clk,
		Logger:  s.log.With("component", "manager"),
		OnEvent: s.onManagerEvent,
	})
	return s, nil
}

func ms(v int) time.Duration { return time.Duration(v) * time.Millisecond }

// setBaseURL resolves the cloud base (the --sim override, else the config)
// and prepares the key-less client used for login.
func (s *Service) setBaseURL() {
	base := s.opts.BaseURL
	if base == "" {
		base = s.settings.BaseURL
	}
	if base == "" {
		base = cloud.DefaultBaseURL
	}
	c, err := cloud.NewClient(s.clientOptions(base, ""))
	if err != nil {
		s.baseURL, s.baseErr, s.anon = cloud.RedactURL(base), err, nil
		s.log.Error("cloud base URL refused", "url", cloud.RedactURL(base), "err", err)
		return
	}
	s.baseURL, s.baseErr, s.anon = c.BaseURL(), nil, c
}

func (s *Service) clientOptions(base, key string) cloud.ClientOptions {
	o := cloud.ClientOptions{
		BaseURL:       base,
		APIKey:        key,
		RootCAs:       s.opts.RootCAs,
		AllowLoopback: s.opts.AllowLoopback,
		Clock:         s.clk,
		Logger:        s.log.With("component", "client"),
		Version:       s.opts.Version,
	}
	if s.opts.ClientTimeouts != nil {
		o.Timeouts = *s.opts.ClientTimeouts
	}
	return o
}

// SetWindow attaches the desktop window (desktop mode only).
func (s *Service) SetWindow(w Window) {
	s.mu.Lock()
	s.window = w
	s.mu.Unlock()
	s.publishSettings()
}

// SetTrayAvailable records whether a tray host shows our icon.
func (s *Service) SetTrayAvailable(ok bool) {
	s.mu.Lock()
	s.trayAvailable = ok
	s.mu.Unlock()
}

// SetQuit installs the function Quit calls (main's graceful shutdown).
func (s *Service) SetQuit(f func()) {
	s.mu.Lock()
	s.quit = f
	s.mu.Unlock()
}

// Version reports the app version.
func (s *Service) Version() string { return s.opts.Version }

// Start restores the session: the key (from the config, or from the local
// agent record if the config lost it), identity, balance polling, and the
// agent that was connected when the app last quit.
func (s *Service) Start() {
	if !s.spawn(s.dbWorker) {
		return // shutting down already
	}
	s.spawn(s.sendWorker)

	s.mu.Lock()
	key := ""
	if s.configErr == "" {
		key = s.settings.APIKey
	}
	s.mu.Unlock()
	if key == "" && s.configErr == "" {
		key = s.restoreKeyFromDB()
	}
	if key != "" {
		s.adoptKey(key)
		s.mu.Lock()
		restore, agentID := s.settings.WasConnected, s.lastAgentID
		s.mu.Unlock()
		s.spawn(func() {
			s.checkIdentity(s.ctx)
			s.refreshCredits(s.ctx, true)
			if restore && agentID != "" {
				s.log.Info("reconnecting to the agent connected at last quit", "agentId", agentID)
				if _, err := s.ConnectAgent(s.ctx, agentID); err != nil {
					s.log.Warn("restore connection at start failed", "err", err)
				}
			} else {
				s.resolveLastAgentName(s.ctx)
			}
		})
	} else {
		s.mu.Lock()
		s.started = true
		s.mu.Unlock()
	}
	s.spawn(s.creditsPoller)
}

// restoreKeyFromDB brings back a key that milady.json lost (reset, deleted)
// when the user did not log out (R-DB "survives config-file resets").
func (s *Service) restoreKeyFromDB() string {
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	if v, ok, err := s.db.Flag(ctx, flagLoggedOut); err == nil && ok && v == "1" {
		return ""
	}
	key, ok, err := s.db.Secret(ctx, secretAPIKey)
	if err != nil || !ok || key == "" {
		return ""
	}
	if err := s.cfg.SetCloudLogin(key); err != nil {
		s.log.Warn("restore API key to config failed", "err", err)
	} else {
		s.log.Info("restored the API key to the config file from the local agent record", "keyPrefix", prefixOf(key))
		// Under the lock: requests (Status, Snapshot) read the settings
		// while Start runs.
		st := s.cfg.Settings()
		s.mu.Lock()
		s.settings = st
		s.mu.Unlock()
	}
	return key
}

// adoptKey makes key the active credential: client, manager, environment.
func (s *Service) adoptKey(key string) {
	s.mu.Lock()
	s.apiKey = key
	s.keyPrefix = prefixOf(key)
	var c *cloud.Client
	if s.anon != nil {
		c = s.anon.WithAPIKey(key)
	}
	s.client = c
	s.identity, s.identityTried, s.identityOK = nil, false, false
	s.mu.Unlock()
	if c != nil {
		s.mgr.SetAPI(c)
	}
	if err := s.env.Setenv("ELIZAOS_CLOUD_API_KEY", key); err != nil {
		s.log.Warn("set environment failed", "err", err)
	}
	_ = s.env.Setenv("ELIZAOS_CLOUD_ENABLED", "true")
}

// prefixOf is the key prefix shown to people: the first 12 characters.
func prefixOf(key string) string {
	if len(key) > 12 {
		return key[:12]
	}
	return key
}

// checkIdentity asks /api/v1/user who the key belongs to.
func (s *Service) checkIdentity(ctx context.Context) {
	c := s.currentClient()
	if c == nil {
		return
	}
	id, err := c.Identity(ctx)
	s.mu.Lock()
	s.identityTried, s.started = true, true
	if err != nil {
		s.identityOK = false
		s.log.Warn("identity check failed", "err", err)
	} else {
		s.identity, s.identityOK = id, true
	}
	s.mu.Unlock()
}

func (s *Service) currentClient() *cloud.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.client
}

// requireClient returns the keyed client or ErrNotLoggedIn.
func (s *Service) requireClient() (*cloud.Client, error) {
	if c := s.currentClient(); c != nil {
		return c, nil
	}
	return nil, ErrNotLoggedIn
}

// Shutdown disconnects (final snapshot), remembers whether an agent was
// connected so the next start reconnects, and stops every goroutine. From
// its first moment no new background work starts (ErrShuttingDown), so
// requests still arriving cannot add to what it waits for. A second call
// returns at once.
func (s *Service) Shutdown(ctx context.Context) error {
	if !s.beginClosing() {
		return nil
	}
	st := s.mgr.State()
	// Connected now → reconnect next time. Otherwise leave the flag alone:
	// a user's own disconnect or log-out already cleared it, and an outage
	// (or a failed reconnect at start) should not stop the next start from
	// trying again.
	if st.State == cloud.StateConnected && s.configErr == "" && s.currentClient() != nil {
		if err := s.cfg.SetWasConnected(true); err != nil {
			s.log.Warn("remember connection state failed", "err", err)
		}
	}
	err := s.mgr.Close(ctx)
	s.CancelLogin()
	s.EndStreams()
	s.stop()
	s.life.wg.Wait()
	return err
}

// EndStreams ends every event subscription and answers later ones with the
// snapshot alone. An HTTP server shutting down waits for its open
// responses, and an event stream never ends by itself, so the server's
// shutdown calls this first.
func (s *Service) EndStreams() { s.hub.closeAll() }

// dbWorker writes history in order; on shutdown it drains what is queued.
func (s *Service) dbWorker() {
	run := func(f func(context.Context)) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		f(ctx)
		cancel()
	}
	for {
		select {
		case f := <-s.dbq:
			run(f)
		case <-s.ctx.Done():
			for {
				select {
				case f := <-s.dbq:
					run(f)
				default:
					return
				}
			}
		}
	}
}

// record queues a database write so that no caller (least of all the
// manager's event callback) waits on disk.
func (s *Service) record(f func(context.Context)) {
	select {
	case s.dbq <- f:
	default:
		s.log.Warn("history write dropped: queue full")
	}
}

func (s *Service) sendWorker() {
	for {
		select {
		case a := <-s.sendq:
			if err := s.opts.Notifier.Send(a); err != nil {
				s.log.Warn("notification not delivered", "err", err)
			}
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *Service) errf(format string, args ...any) error { return fmt.Errorf(format, args...) }
