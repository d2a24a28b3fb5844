package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Secret names written to the local agent record, where Milady's runtime
// reads its cloud credential.
const (
	secretAPIKey  = "ELIZAOS_CLOUD_API_KEY"
	secretEnabled = "ELIZAOS_CLOUD_ENABLED"
	flagLoggedOut = "logged_out"
)

// Service is the one owner of the app's state: every face calls it and
// renders from its event stream, so the tray, the window and the REST API
// cannot disagree. It is a thin coordinator: each part of the state lives in
// a part with its own lock and file (session, loginFlow, creditsCache,
// notices, history, settings, connView, shell); the Service owns the
// connection manager and the event stream (hub, publish lock, seq) and
// sequences the parts for each action.
//
// Lock order (a lock may only be taken while holding locks to its left):
//
//	loginSession.mu → opMu → cloud.Manager's state lock →
//	notices.observeMu → pubMu → any one part's mu → hub.mu → subscriber.mu
//
// The manager calls onManagerEvent under its state lock, so nothing calls
// into the manager while holding observeMu, pubMu or a part's lock. Part
// locks are leaves: a part never calls out (network, disk, hub, another
// part) while holding its own lock. life.mu is a leaf too. pubMu is held
// from taking a snapshot until it is queued for every subscriber (see
// publish), which makes seq grow in delivery order.
type Service struct {
	opts Options
	log  *slog.Logger
	clk  clock.Clock
	cfg  *config.Store
	db   *store.DB
	mgr  *cloud.Manager
	env  Env
	ctx  context.Context
	stop context.CancelFunc
	life life

	// The event stream.
	hub   *hub
	pubMu sync.Mutex
	seq   uint64 // number of the last snapshot taken; under pubMu

	opMu sync.Mutex // serialises login completion and log-out

	sess     session
	login    loginFlow
	credits  creditsCache
	notices  notices
	history  history
	settings settings
	conn     connView
	shell    shell
	agents   Agents
	chat     Chat
	billing  Billing
}

// New builds the Service; Start brings it to life.
func New(opts Options) (*Service, error) {
	if opts.Config == nil || opts.DB == nil {
		return nil, errors.New("new service: config store and database are required")
	}
	opts = opts.withDefaults()
	ctx, stop := context.WithCancel(context.Background())
	s := &Service{
		opts: opts,
		log:  opts.Logger,
		clk:  opts.Clock,
		cfg:  opts.Config,
		db:   opts.DB,
		hub:  newHub(),
		env:  opts.Env,
		ctx:  ctx,
		stop: stop,
	}
	s.agents, s.chat, s.billing = Agents{s}, Chat{s}, Billing{s}
	s.history = newHistory(s.log)
	s.notices = newNotices()
	s.login = newLoginFlow()
	s.credits.view = CreditsView{TopUpURL: s.topUpURL()}
	s.settings.init(opts.Config, opts.Autostart)
	if err := opts.Config.Err(); err != nil {
		s.log.Error("config file unreadable; running logged out", "err", err)
	}
	st := s.settings.get()
	s.conn.init(st.LastAgentID, s.clk.Now())
	s.setBaseURL(st)
	s.mgr = cloud.NewManager(cloud.ManagerOptions{
		Config:  managerConfig(st, opts.ManagerOverride),
		Clock:   s.clk,
		Logger:  s.log.With("component", "manager"),
		OnEvent: s.onManagerEvent,
	})
	return s, nil
}

// Version reports the app version.
func (s *Service) Version() string { return s.opts.Version }

// Start restores the session: the key (from the config, or from the local
// agent record if the config lost it), identity, balance polling, and the
// agent that was connected when the app last quit.
func (s *Service) Start() {
	if !s.spawn(func() { s.history.run(s.ctx) }) {
		return // shutting down already
	}
	s.spawn(s.sendWorker)

	key := ""
	if s.settings.configErr == "" {
		key = s.settings.get().APIKey
		if key == "" {
			key = s.restoreKeyFromDB()
		}
	}
	if key == "" {
		s.sess.markStarted()
		s.spawn(s.creditsPoller)
		return
	}
	s.adoptKey(key)
	restore := s.settings.get().WasConnected
	agentID, _ := s.conn.lastAgent()
	s.spawn(func() {
		s.checkIdentity(s.ctx)
		s.refreshCredits(s.ctx)
		if restore && agentID != "" {
			s.log.Info("reconnecting to the agent connected at last quit", "agentId", agentID)
			if _, err := s.agents.Connect(s.ctx, agentID); err != nil {
				s.log.Warn("restore connection at start failed", "err", err)
			}
		} else {
			s.resolveLastAgentName(s.ctx)
		}
	})
	s.spawn(s.creditsPoller)
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
	if st.State == cloud.StateConnected && s.settings.configErr == "" && s.sess.keyed() != nil {
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
