package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
)

// loginSession is one CLI login this app started. Polls of one session are
// serialised so the one-time key is never lost between the background poller
// and a REST poll; a completed session answers "authenticated" forever after.
type loginSession struct {
	id         string
	browserURL string
	mu         sync.Mutex
	status     string // pending | authenticated | expired | error | cancelled
	keyPrefix  string
	errMsg     string
	done       bool
	cancel     context.CancelFunc
}

func (l *loginSession) view() LoginStatus {
	return LoginStatus{Status: l.status, KeyPrefix: l.keyPrefix, Error: l.errMsg}
}

// StartLogin starts a CLI session (or returns the pending one: only one
// login runs at a time) and polls it in the background.
func (s *Service) StartLogin(ctx context.Context) (LoginStart, error) {
	return s.startLogin(ctx, false)
}

// BeginBrowserLogin is the in-app login: StartLogin plus opening the system
// browser (again, for a pending login: the second press focuses it).
func (s *Service) BeginBrowserLogin(ctx context.Context) (LoginStart, error) {
	return s.startLogin(ctx, true)
}

func (s *Service) startLogin(ctx context.Context, open bool) (LoginStart, error) {
	if s.closing() {
		return LoginStart{}, ErrShuttingDown
	}
	s.mu.Lock()
	anon, baseErr := s.anon, s.baseErr
	if a := s.activeLogin; a != nil {
		s.mu.Unlock()
		if open {
			s.openBrowser(a.browserURL)
		}
		return LoginStart{OK: true, SessionID: a.id, BrowserURL: a.browserURL}, nil
	}
	s.mu.Unlock()
	if anon == nil {
		msg := "Invalid Eliza Cloud base URL"
		if baseErr != nil {
			msg = baseErr.Error()
		}
		return LoginStart{}, &Error{Status: http.StatusBadRequest, Message: msg, Err: baseErr}
	}
	rctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	sess, err := anon.StartLogin(rctx)
	cancel()
	if err != nil {
		s.log.Warn("start login failed", "err", err)
		return LoginStart{}, loginStartError(err)
	}
	pctx, pcancel := context.WithCancel(s.ctx)
	ls := &loginSession{id: sess.SessionID, browserURL: sess.BrowserURL, status: "pending", cancel: pcancel}
	s.mu.Lock()
	if s.activeLogin != nil { // lost a race with another press: keep the first
		a := s.activeLogin
		s.mu.Unlock()
		pcancel()
		return LoginStart{OK: true, SessionID: a.id, BrowserURL: a.browserURL}, nil
	}
	s.sessions[ls.id] = ls
	s.activeLogin = ls
	s.login = LoginView{Status: "pending", SessionID: ls.id, BrowserURL: ls.browserURL}
	s.mu.Unlock()
	s.publish(EventLogin, LoginEvent{Status: "pending"})
	if open {
		s.openBrowser(ls.browserURL)
	}
	if !s.spawn(func() { s.pollLogin(pctx, ls) }) {
		pcancel()
		s.mu.Lock()
		if s.activeLogin == ls {
			s.activeLogin = nil
		}
		s.mu.Unlock()
		return LoginStart{}, ErrShuttingDown
	}
	return LoginStart{OK: true, SessionID: ls.id, BrowserURL: ls.browserURL}, nil
}

func (s *Service) openBrowser(url string) {
	if s.opts.Opener == nil {
		s.log.Info("open this address in a browser to log in", "url", url)
		return
	}
	if !s.opens.allow(s.clk.Now()) {
		s.log.Debug("browser opened moments ago; not opening it again")
		return
	}
	if err := s.opts.Opener.Open(url); err != nil {
		s.log.Warn("could not open the browser", "err", err, "url", url)
	}
}

// loginStartError maps a failed session creation to the REST answers of §9.
func loginStartError(err error) error {
	switch {
	case errors.Is(err, cloud.ErrBlockedURL):
		return &Error{Status: http.StatusBadRequest, Message: err.Error(), Err: err}
	case errors.Is(err, cloud.ErrTimeout):
		return &Error{Status: http.StatusGatewayTimeout, Message: "Eliza Cloud login request timed out", Err: err}
	case errors.Is(err, cloud.ErrRedirect):
		return &Error{Status: http.StatusBadGateway, Message: err.Error(), Err: err}
	case errors.Is(err, cloud.ErrUnreachable):
		return &Error{Status: http.StatusBadGateway, Message: "Failed to reach Eliza Cloud", Err: err}
	default:
		return &Error{Status: http.StatusBadGateway, Message: "Failed to create auth session with Eliza Cloud", Err: err}
	}
}

// pollLogin is the background poller: every LoginPoll until a final state,
// the overall timeout or cancellation. Every exit releases the login lock.
func (s *Service) pollLogin(ctx context.Context, ls *loginSession) {
	defer ls.cancel()
	// The overall limit runs on the injectable clock like every other timer.
	deadline := s.clk.NewTimer(s.opts.LoginTimeout)
	defer deadline.Stop()
	end := s.clk.Now().Add(s.opts.LoginTimeout)
	for {
		t := s.clk.NewTimer(s.opts.LoginPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			s.finishLogin(ls, ctx.Err())
			return
		case <-deadline.C():
			t.Stop()
			s.finishLogin(ls, context.DeadlineExceeded)
			return
		case <-t.C():
			if !s.clk.Now().Before(end) { // due together: the deadline wins
				s.finishLogin(ls, context.DeadlineExceeded)
				return
			}
		}
		_, _ = s.pollOnce(ctx, ls)
		if ls.isDone() {
			s.releaseLogin(ls)
			return
		}
	}
}

func (l *loginSession) isDone() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.done
}

// finishLogin ends a session that stopped without an answer (timeout or
// cancel).
func (s *Service) finishLogin(ls *loginSession, cause error) {
	ls.mu.Lock()
	if !ls.done {
		ls.done = true
		if errors.Is(cause, context.DeadlineExceeded) {
			ls.status, ls.errMsg = "error", "Login timed out: the browser approval did not arrive in time."
		} else {
			ls.status, ls.errMsg = "cancelled", "Login cancelled."
		}
	}
	v := ls.view()
	ls.mu.Unlock()
	s.releaseLogin(ls)
	s.mu.Lock()
	s.login = LoginView{Status: v.Status, SessionID: ls.id, Error: v.Error}
	s.mu.Unlock()
	s.publish(EventLogin, LoginEvent{Status: v.Status, Error: v.Error})
}

func (s *Service) releaseLogin(ls *loginSession) {
	s.mu.Lock()
	if s.activeLogin == ls {
		s.activeLogin = nil
	}
	s.mu.Unlock()
}

// CancelLogin stops the pending in-app login, if any.
func (s *Service) CancelLogin() {
	s.mu.Lock()
	a := s.activeLogin
	s.mu.Unlock()
	if a != nil {
		a.cancel()
	}
}

// LoginStatus polls a session this app started upstream (REST). A session
// this app already completed answers "authenticated" again on every later
// poll; any other id answers "expired" without contacting the cloud.
func (s *Service) LoginStatus(ctx context.Context, sessionID string) (LoginStatus, error) {
	if err := ValidSessionID(sessionID); err != nil {
		return LoginStatus{}, err
	}
	s.mu.Lock()
	ls := s.sessions[sessionID]
	anon, baseErr := s.anon, s.baseErr
	s.mu.Unlock()
	if ls == nil {
		// Only sessions this instance started are ever polled upstream:
		// any web page can make the browser fetch this URL (an <img> sends
		// no Origin), and polling a session the attacker approved would log
		// the app in to the attacker's account. Unknown ids cost nothing.
		return LoginStatus{Status: "expired", Error: "Session not found or expired"}, nil
	}
	if anon == nil {
		return LoginStatus{Status: "error", Error: "Invalid Eliza Cloud base URL"}, &Error{Status: http.StatusBadRequest, Message: fmt.Sprint(baseErr), Err: baseErr}
	}
	return s.pollOnce(ctx, ls)
}

// pollOnce asks the cloud once (unless the session already ended) and
// completes the login when the key arrives.
func (s *Service) pollOnce(ctx context.Context, ls *loginSession) (LoginStatus, error) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ls.done {
		return ls.view(), nil
	}
	s.mu.Lock()
	anon := s.anon
	s.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, 12*time.Second)
	st, err := anon.PollLogin(rctx, ls.id)
	cancel()
	switch {
	case err == nil && st.Status == "authenticated" && st.APIKey != "":
		warn := s.completeLogin(ctx, st.APIKey)
		ls.status, ls.keyPrefix, ls.done, ls.errMsg = "authenticated", prefixOf(st.APIKey), true, ""
		s.afterLogin(ls, warn)
		return ls.view(), nil
	case err == nil:
		ls.status = "pending"
		return ls.view(), nil
	case errors.Is(err, cloud.ErrSessionExpired):
		ls.status, ls.errMsg, ls.done = "expired", "Session not found or expired", true
		s.loginEnded(ls)
		return ls.view(), nil
	case errors.Is(err, cloud.ErrKeyAlreadyRetrieved):
		ls.status, ls.errMsg, ls.done = "error", cloud.ErrKeyAlreadyRetrieved.Error(), true
		s.loginEnded(ls)
		return ls.view(), nil
	case errors.Is(err, cloud.ErrTimeout):
		v := LoginStatus{Status: "error", Error: "Eliza Cloud login request timed out"}
		return v, &Error{Status: http.StatusGatewayTimeout, Message: v.Error, Err: err}
	case errors.Is(err, cloud.ErrRedirect):
		v := LoginStatus{Status: "error", Error: err.Error()}
		return v, &Error{Status: http.StatusBadGateway, Message: v.Error, Err: err}
	case errors.Is(err, cloud.ErrUnreachable), errors.Is(err, cloud.ErrBlockedURL):
		v := LoginStatus{Status: "error", Error: "Failed to reach Eliza Cloud"}
		return v, &Error{Status: http.StatusBadGateway, Message: v.Error, Err: err}
	case ctx.Err() != nil:
		return LoginStatus{Status: "error", Error: "Login cancelled."}, ctx.Err()
	default:
		var he *cloud.HTTPError
		msg := "Eliza Cloud returned an unexpected answer"
		if errors.As(err, &he) {
			msg = fmt.Sprintf("Eliza Cloud returned HTTP %d", he.Status)
		}
		// Not final: the background poller keeps trying.
		return LoginStatus{Status: "error", Error: msg}, nil
	}
}

// loginEnded publishes a final non-success outcome of a session.
func (s *Service) loginEnded(ls *loginSession) {
	s.mu.Lock()
	if s.activeLogin == ls {
		s.activeLogin = nil
	}
	s.login = LoginView{Status: ls.status, SessionID: ls.id, Error: ls.errMsg}
	s.mu.Unlock()
	s.publish(EventLogin, LoginEvent{Status: ls.status, Error: ls.errMsg})
}

// completeLogin runs steps 1–4 of R-LOGIN. Failures of the config or the
// database are logged and returned as a warning; the login still succeeds.
func (s *Service) completeLogin(ctx context.Context, key string) string {
	s.opMu.Lock()
	defer s.opMu.Unlock()
	var warns []string
	if err := s.cfg.SetCloudLogin(key); err != nil { // (1)
		s.log.Error("save API key to config failed", "err", err)
		warns = append(warns, "The key could not be saved to "+s.cfg.Path()+": "+err.Error())
	} else {
		s.mu.Lock()
		s.settings = s.cfg.Settings()
		s.mu.Unlock()
	}
	s.adoptKey(key) // (2) environment and (4) manager
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.db.SetSecret(dctx, secretAPIKey, key); err != nil { // (3)
		s.log.Error("save API key to local agent record failed", "err", err)
		warns = append(warns, "The key could not be saved to the local database: "+err.Error())
	}
	_ = s.db.SetSecret(dctx, secretEnabled, "true")
	_ = s.db.SetFlag(dctx, flagLoggedOut, "0")
	s.log.Info("logged in to Eliza Cloud", "keyPrefix", prefixOf(key))
	if len(warns) > 0 {
		return warns[0]
	}
	return ""
}

// afterLogin fetches identity and balance, then announces "Logged in".
func (s *Service) afterLogin(ls *loginSession, warn string) {
	ctx, cancel := context.WithTimeout(s.ctx, 20*time.Second)
	defer cancel()
	s.checkIdentity(ctx)
	s.refreshCredits(ctx, true)
	s.resolveLastAgentName(ctx)
	s.mu.Lock()
	if s.activeLogin == ls {
		s.activeLogin = nil
	}
	s.login = LoginView{Status: "authenticated", SessionID: ls.id, KeyPrefix: ls.keyPrefix, Error: warn}
	s.mu.Unlock()
	s.publish(EventLogin, LoginEvent{Status: "authenticated", KeyPrefix: ls.keyPrefix, Error: warn})
	s.publishSettings()
	s.notice(Notice{Kind: "info", Level: "info", Message: "Logged in to Eliza Cloud."}, true)
}

// Logout is R-API POST /api/cloud/disconnect: final snapshot, then the key
// leaves the config, the environment and the local record. Idempotent; it
// never fails because saving failed.
func (s *Service) Logout(ctx context.Context) error {
	s.CancelLogin()
	s.opMu.Lock()
	defer s.opMu.Unlock()
	defer s.beginUserAction()()
	if err := s.mgr.Logout(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("disconnect during log-out", "err", err)
	}
	if s.configErr == "" {
		if err := s.cfg.ClearCloudLogin(); err != nil {
			s.log.Error("remove API key from config failed", "err", err)
		}
		_ = s.cfg.SetWasConnected(false)
		s.mu.Lock()
		s.settings = s.cfg.Settings()
		s.mu.Unlock()
	}
	_ = s.env.Unsetenv("ELIZAOS_CLOUD_API_KEY")
	_ = s.env.Unsetenv("ELIZAOS_CLOUD_ENABLED")
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.db.DeleteSecret(dctx, secretAPIKey); err != nil {
		s.log.Error("remove API key from local agent record failed", "err", err)
	}
	_ = s.db.DeleteSecret(dctx, secretEnabled)
	_ = s.db.SetFlag(dctx, flagLoggedOut, "1")
	s.mu.Lock()
	wasIn := s.apiKey != ""
	s.apiKey, s.keyPrefix, s.client = "", "", nil
	s.identity, s.identityOK = nil, false
	s.credits = CreditsView{TopUpURL: cloud.TopUpURL}
	s.creditsFetch = nil
	s.login = LoginView{Status: "idle"}
	s.mu.Unlock()
	if wasIn {
		s.log.Info("logged out of Eliza Cloud")
	}
	s.publish(EventLogin, LoginEvent{Status: "logged_out"})
	s.publish(EventCredits, CreditsView{TopUpURL: cloud.TopUpURL})
	return nil
}
