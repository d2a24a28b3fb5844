package app

import (
	"context"
	"errors"
	"fmt"
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

// loginFlow is the login part of the state: the sessions this app knows,
// the one in-app login that may run at a time, and the progress the faces
// show.
type loginFlow struct {
	mu       sync.Mutex
	sessions map[string]*loginSession
	active   *loginSession
	view     LoginView
}

func newLoginFlow() loginFlow {
	return loginFlow{sessions: make(map[string]*loginSession), view: LoginView{Status: "idle"}}
}

// current is the pending in-app login, nil when none runs.
func (p *loginFlow) current() *loginSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.active
}

// claim makes ls the pending login unless one already runs; it returns the
// one that runs.
func (p *loginFlow) claim(ls *loginSession) *loginSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active != nil {
		return p.active
	}
	p.sessions[ls.id] = ls
	p.active = ls
	p.view = LoginView{Status: "pending", SessionID: ls.id, BrowserURL: ls.browserURL}
	return ls
}

// release frees the login slot if ls holds it.
func (p *loginFlow) release(ls *loginSession) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == ls {
		p.active = nil
	}
}

// end releases ls and shows v as the login's outcome.
func (p *loginFlow) end(ls *loginSession, v LoginView) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.active == ls {
		p.active = nil
	}
	p.view = v
}

func (p *loginFlow) setView(v LoginView) {
	p.mu.Lock()
	p.view = v
	p.mu.Unlock()
}

// find is the session with this id that this app started, nil if none.
func (p *loginFlow) find(id string) *loginSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessions[id]
}

func (p *loginFlow) fill(snap *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap.Login = p.view
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
	if a := s.login.current(); a != nil {
		if open {
			s.openBrowser(a.browserURL)
		}
		return LoginStart{OK: true, SessionID: a.id, BrowserURL: a.browserURL}, nil
	}
	anon, baseErr := s.sess.anonymous()
	if anon == nil {
		msg := "Invalid Eliza Cloud base URL"
		if baseErr != nil {
			msg = baseErr.Error()
		}
		return LoginStart{}, &Error{Kind: KindInvalidInput, Message: msg, Err: baseErr}
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
	if a := s.login.claim(ls); a != ls { // lost a race with another press: keep the first
		pcancel()
		return LoginStart{OK: true, SessionID: a.id, BrowserURL: a.browserURL}, nil
	}
	s.publish(EventLogin, LoginEvent{Status: "pending"})
	if open {
		s.openBrowser(ls.browserURL)
	}
	if !s.spawn(func() { s.pollLogin(pctx, ls) }) {
		pcancel()
		s.login.release(ls)
		return LoginStart{}, ErrShuttingDown
	}
	return LoginStart{OK: true, SessionID: ls.id, BrowserURL: ls.browserURL}, nil
}

func (s *Service) openBrowser(url string) {
	if s.opts.Opener == nil {
		s.log.Info("open this address in a browser to log in", "url", url)
		return
	}
	if !s.shell.opens.allow(s.clk.Now()) {
		s.log.Debug("browser opened moments ago; not opening it again")
		return
	}
	if err := s.opts.Opener.Open(url); err != nil {
		s.log.Warn("could not open the browser", "err", err, "url", url)
	}
}

// loginStartError gives a failed session creation the kind and the words
// Milady's REST API answers with.
func loginStartError(err error) error {
	switch {
	case errors.Is(err, cloud.ErrBlockedURL):
		return &Error{Kind: KindInvalidInput, Message: err.Error(), Err: err}
	case errors.Is(err, cloud.ErrTimeout):
		return &Error{Kind: KindTimeout, Message: "Eliza Cloud login request timed out", Err: err}
	case errors.Is(err, cloud.ErrRedirect):
		return &Error{Kind: KindUpstream, Message: err.Error(), Err: err}
	case errors.Is(err, cloud.ErrUnreachable):
		return &Error{Kind: KindUpstream, Message: "Failed to reach Eliza Cloud", Err: err}
	default:
		return &Error{Kind: KindUpstream, Message: "Failed to create auth session with Eliza Cloud", Err: err}
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
			s.login.release(ls)
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
	s.login.end(ls, LoginView{Status: v.Status, SessionID: ls.id, Error: v.Error})
	s.publish(EventLogin, LoginEvent{Status: v.Status, Error: v.Error})
}

// CancelLogin stops the pending in-app login, if any.
func (s *Service) CancelLogin() {
	if a := s.login.current(); a != nil {
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
	anon, baseErr := s.sess.anonymous()
	ls := s.login.find(sessionID)
	if ls == nil {
		// Only sessions this instance started are ever polled upstream:
		// any web page can make the browser fetch this URL (an <img> sends
		// no Origin), and polling a session the attacker approved would log
		// the app in to the attacker's account. Unknown ids cost nothing.
		return LoginStatus{Status: "expired", Error: "Session not found or expired"}, nil
	}
	if anon == nil {
		return LoginStatus{Status: "error", Error: "Invalid Eliza Cloud base URL"}, &Error{Kind: KindInvalidInput, Message: fmt.Sprint(baseErr), Err: baseErr}
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
	anon, _ := s.sess.anonymous()
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
		return v, &Error{Kind: KindTimeout, Message: v.Error, Err: err}
	case errors.Is(err, cloud.ErrRedirect):
		v := LoginStatus{Status: "error", Error: err.Error()}
		return v, &Error{Kind: KindUpstream, Message: v.Error, Err: err}
	case errors.Is(err, cloud.ErrUnreachable), errors.Is(err, cloud.ErrBlockedURL):
		v := LoginStatus{Status: "error", Error: "Failed to reach Eliza Cloud"}
		return v, &Error{Kind: KindUpstream, Message: v.Error, Err: err}
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
	s.login.end(ls, LoginView{Status: ls.status, SessionID: ls.id, Error: ls.errMsg})
	s.publish(EventLogin, LoginEvent{Status: ls.status, Error: ls.errMsg})
}
