package app

import (
	"context"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/cloud"
)

// session is the credential part of the state: the cloud base, the key-less
// client used to log in, the API key and the client that carries it, and
// who the key belongs to.
type session struct {
	mu            sync.Mutex
	baseURL       string
	baseErr       error
	anon          *cloud.Client // no key: login calls; nil when the base is refused
	client        *cloud.Client // with key; nil when logged out
	apiKey        string
	identity      *cloud.Identity
	identityTried bool
	identityOK    bool
	started       bool // the first identity check ran (or there was no key)
}

// keyed is the client with the API key, nil when logged out.
func (p *session) keyed() *cloud.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.client
}

// anonymous is the key-less client and, when the base URL was refused, why.
func (p *session) anonymous() (*cloud.Client, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.anon, p.baseErr
}

func (p *session) loggedIn() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.apiKey != ""
}

func (p *session) markStarted() {
	p.mu.Lock()
	p.started = true
	p.mu.Unlock()
}

// adopt makes key the credential and returns its client (nil when the base
// URL was refused). Identity is unknown again until checked.
func (p *session) adopt(key string) *cloud.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.apiKey = key
	p.client = nil
	if p.anon != nil {
		p.client = p.anon.WithAPIKey(key)
	}
	p.identity, p.identityTried, p.identityOK = nil, false, false
	return p.client
}

// clear forgets the credential; it reports whether there was one.
func (p *session) clear() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	wasIn := p.apiKey != ""
	p.apiKey, p.client = "", nil
	p.identity, p.identityOK = nil, false
	return wasIn
}

func (p *session) setIdentity(id *cloud.Identity, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.identityTried, p.started = true, true
	if err != nil {
		p.identityOK = false
	} else {
		p.identity, p.identityOK = id, true
	}
}

func (p *session) fill(snap *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap.BaseURL, snap.Settings.BaseURL = p.baseURL, p.baseURL
	snap.LoggedIn, snap.KeyPrefix = p.apiKey != "", prefixOf(p.apiKey)
	snap.IdentityChecked = p.identityTried
	if p.identity != nil && p.identityOK {
		snap.UserID, snap.OrganizationID = p.identity.UserID, p.identity.OrganizationID
		snap.UserEmail = p.identity.Email
	}
}

// setBaseURL resolves the cloud base (the --sim override, else the config)
// and prepares the key-less client used for login.
func (s *Service) setBaseURL(st config.Settings) {
	base := s.opts.BaseURL
	if base == "" {
		base = st.BaseURL
	}
	if base == "" {
		base = cloud.DefaultBaseURL
	}
	c, err := cloud.NewClient(s.clientOptions(base))
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	if err != nil {
		s.sess.baseURL, s.sess.baseErr, s.sess.anon = cloud.RedactURL(base), err, nil
		s.log.Error("cloud base URL refused", "url", cloud.RedactURL(base), "err", err)
		return
	}
	s.sess.baseURL, s.sess.baseErr, s.sess.anon = c.BaseURL(), nil, c
}

func (s *Service) clientOptions(base string) cloud.ClientOptions {
	o := cloud.ClientOptions{
		BaseURL:       base,
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

// restoreKeyFromDB brings back a key that milady.json lost (reset, deleted)
// when the user did not log out: the login survives the config file being
// reset, because the local agent record still holds it.
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
		s.settings.reload(s.cfg)
	}
	return key
}

// adoptKey makes key the active credential: client, manager, environment,
// and the owner of the balance cache.
func (s *Service) adoptKey(key string) {
	c := s.sess.adopt(key)
	s.credits.setOwner(c)
	if c != nil {
		s.mgr.SetAPI(c)
	}
	if err := s.env.Setenv(secretAPIKey, key); err != nil {
		s.log.Warn("set environment failed", "err", err)
	}
	_ = s.env.Setenv(secretEnabled, "true")
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
	c := s.sess.keyed()
	if c == nil {
		return
	}
	id, err := c.Identity(ctx)
	if err != nil {
		s.log.Warn("identity check failed", "err", err)
		s.observeKey(c, err)
	}
	s.sess.setIdentity(id, err)
}

// observeKey reports the outcome of a call the app made with client c to
// the manager, so a 401 to identity, balance or the agent list puts the app
// in the "log in again" state as one of the manager's own calls would. A
// call made with a key that is no longer the current one reports nothing.
func (s *Service) observeKey(c *cloud.Client, err error) {
	if err == nil || c == nil || s.sess.keyed() != c {
		return
	}
	s.mgr.ObserveAPIError(err)
}

// requireClient returns the keyed client or ErrNotLoggedIn.
func (s *Service) requireClient() (*cloud.Client, error) {
	if c := s.sess.keyed(); c != nil {
		return c, nil
	}
	return nil, ErrNotLoggedIn
}
