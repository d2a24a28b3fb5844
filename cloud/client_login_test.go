package cloud

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// loginClient is a key-less client for the simulator.
func loginClient(t *testing.T, so cloudsim.Options) (*cloudsim.Server, *Client, *clock.Fake) {
	s, c, f := simClient(t, so)
	return s, c.WithAPIKey(""), f
}

// startedLogin is a login client with one CLI session started.
func startedLogin(t *testing.T) (*cloudsim.Server, *Client, *clock.Fake, *LoginSession) {
	t.Helper()
	s, c, f := loginClient(t, cloudsim.Options{})
	sess, err := c.StartLogin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, c, f, sess
}

// pollLog records OnPoll calls.
type pollLog struct {
	mu  sync.Mutex
	got []string
}

func (p *pollLog) on(attempt int, status string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if attempt != len(p.got)+1 {
		status = "out-of-order:" + status
	}
	p.got = append(p.got, status)
}

func (p *pollLog) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.got...)
}

func TestStartAndPollLogin(t *testing.T) {
	s, c, _ := loginClient(t, cloudsim.Options{})
	ctx := context.Background()
	sess, err := c.StartLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(sess.SessionID); err != nil {
		t.Fatalf("session id %q is not a UUID", sess.SessionID)
	}
	if sess.BrowserURL != s.URL()+"/auth/cli-login?session="+url.QueryEscape(sess.SessionID) {
		t.Fatalf("browser URL %q", sess.BrowserURL)
	}
	st, err := c.PollLogin(ctx, sess.SessionID)
	if err != nil || st.Status != "pending" || st.APIKey != "" {
		t.Fatalf("first poll = %+v, %v", st, err)
	}
	if err := s.ApproveSession(sess.SessionID); err != nil {
		t.Fatal(err)
	}
	st, err = c.PollLogin(ctx, sess.SessionID)
	if err != nil || st.Status != "authenticated" || !strings.HasPrefix(st.APIKey, "eliza_") || st.KeyPrefix != st.APIKey[:12] {
		t.Fatalf("poll after approval = %+v, %v", st, err)
	}
	_, err = c.PollLogin(ctx, sess.SessionID)
	assertKind(t, err, ErrKeyAlreadyRetrieved)
	_, err = c.PollLogin(ctx, uuid.NewString())
	assertKind(t, err, ErrSessionExpired)

	// The key works.
	id, err := c.WithAPIKey(st.APIKey).Identity(ctx)
	if err != nil || id.UserID != cloudsim.SimUserID || id.OrganizationID != cloudsim.SimOrgID || id.Email == "" {
		t.Fatalf("identity = %+v, %v", id, err)
	}
}

func TestStartLoginFailure(t *testing.T) {
	s, c, _ := loginClient(t, cloudsim.Options{})
	s.InjectFault(cloudsim.Fault{Method: "POST", Path: "/api/auth/cli-session", Count: 1, Status: 500,
		Body: `{"error":"Failed to create authentication session"}`})
	_, err := c.StartLogin(context.Background())
	if err == nil || err.Error() != "Failed to create auth session with Eliza Cloud" {
		t.Fatalf("StartLogin = %v", err)
	}
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 500 || he.Message != "Failed to create authentication session" {
		t.Fatalf("cause = %#v", he)
	}
	s.InjectFault(cloudsim.Fault{Method: "POST", Path: "/api/auth/cli-session", Count: 1, RedirectTo: "https://evil.example/"})
	_, err = c.StartLogin(context.Background())
	assertKind(t, err, ErrRedirect)
}

func TestWaitForLoginSuccessAfterPendingPolls(t *testing.T) {
	s, c, f, sess := startedLogin(t)
	var err error
	var log pollLog
	var res *LoginResult
	done := async(func() {
		res, err = c.WaitForLogin(context.Background(), sess.SessionID, LoginOptions{OnPoll: log.on})
	})
	start := f.Now()
	// Three pending polls at 2 s each (the first after one interval) ...
	for i := range 3 {
		if !f.WaitFor(2, 5*time.Second) {
			t.Fatalf("poll %d: timers not armed", i+1)
		}
		f.Advance(2 * time.Second)
	}
	if !f.WaitFor(2, 5*time.Second) {
		t.Fatal("not waiting for the fourth poll")
	}
	// ... then the user approves in the browser.
	if err := s.ApproveSession(sess.SessionID); err != nil {
		t.Fatal(err)
	}
	f.Advance(2 * time.Second)
	<-done
	if err != nil || !strings.HasPrefix(res.APIKey, "eliza_") || res.KeyPrefix != res.APIKey[:12] || res.ExpiresAt != nil {
		t.Fatalf("result = %+v, %v", res, err)
	}
	if got := log.list(); strings.Join(got, ",") != "pending,pending,pending,authenticated" {
		t.Fatalf("polls %v", got)
	}
	if f.Now().Sub(start) != 8*time.Second || f.Pending() != 0 {
		t.Fatalf("elapsed %v, %d timers left", f.Now().Sub(start), f.Pending())
	}
	if n := s.CountRequests("GET", "/api/auth/cli-session/"); n != 4 {
		t.Fatalf("%d polls", n)
	}
}

func TestWaitForLoginExpired(t *testing.T) {
	_, c, f, sess := startedLogin(t)
	var err error
	var log pollLog
	done := async(func() {
		_, err = c.WaitForLogin(context.Background(), sess.SessionID,
			LoginOptions{PollInterval: time.Minute, Timeout: time.Hour, OnPoll: log.on})
	})
	// The simulator's sessions live 10 minutes.
	drive(t, f, 2, time.Minute, done)
	assertKind(t, err, ErrSessionExpired)
	got := log.list()
	if len(got) != 10 || got[len(got)-1] != "expired" || got[0] != "pending" {
		t.Fatalf("polls %v", got)
	}
}

func TestWaitForLoginKeyAlreadyRetrieved(t *testing.T) {
	s, c, f, sess := startedLogin(t)
	var err error
	ctx := context.Background()
	if err := s.ApproveSession(sess.SessionID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PollLogin(ctx, sess.SessionID); err != nil { // another client takes the key
		t.Fatal(err)
	}
	done := async(func() { _, err = c.WaitForLogin(ctx, sess.SessionID, LoginOptions{}) })
	drive(t, f, 2, 2*time.Second, done)
	assertKind(t, err, ErrKeyAlreadyRetrieved)
}

func TestWaitForLoginTimeout(t *testing.T) {
	_, c, f, sess := startedLogin(t)
	var err error
	var log pollLog
	start := f.Now()
	done := async(func() {
		_, err = c.WaitForLogin(context.Background(), sess.SessionID, LoginOptions{Timeout: 7 * time.Second, OnPoll: log.on})
	})
	drive(t, f, 2, 2*time.Second, done)
	assertKind(t, err, ErrTimeout)
	if got := log.list(); len(got) != 3 {
		t.Fatalf("polls %v, want 3 pending polls before the 7 s limit", got)
	}
	if f.Now().Sub(start) != 8*time.Second || f.Pending() != 0 {
		t.Fatalf("gave up at %v with %d timers armed", f.Now().Sub(start), f.Pending())
	}
}

func TestWaitForLoginCancel(t *testing.T) {
	s, c, f, sess := startedLogin(t)
	var err error
	ctx, cancel := context.WithCancel(context.Background())
	done := async(func() { _, err = c.WaitForLogin(ctx, sess.SessionID, LoginOptions{}) })
	if !f.WaitFor(2, 5*time.Second) {
		t.Fatal("not waiting")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WaitForLogin did not return after cancel")
	}
	if err != context.Canceled {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if f.Pending() != 0 || s.CountRequests("GET", "/api/auth/cli-session/") != 0 {
		t.Fatalf("%d timers armed, %d polls", f.Pending(), s.CountRequests("GET", "/api/auth/cli-session/"))
	}
}

// TestWaitForLoginKeepsPollingThroughErrors: 5xx polls are
// retried; only 404 and an already-taken key end the wait. (Timeouts are
// covered by TestPollLoginRequestTimeout.)
func TestWaitForLoginKeepsPollingThroughErrors(t *testing.T) {
	s, c, f, sess := startedLogin(t)
	var err error
	s.InjectFault(cloudsim.Fault{Method: http.MethodGet, Path: "/api/auth/cli-session/", Count: 1, Status: 500, Body: `{"error":"Failed to get session status"}`})
	s.InjectFault(cloudsim.Fault{Method: http.MethodGet, Path: "/api/auth/cli-session/", Count: 1, Status: 502, Body: "Bad Gateway"})
	if err := s.ApproveSession(sess.SessionID); err != nil {
		t.Fatal(err)
	}
	var log pollLog
	var res *LoginResult
	done := async(func() {
		res, err = c.WaitForLogin(context.Background(), sess.SessionID, LoginOptions{OnPoll: log.on})
	})
	drive(t, f, 2, 2*time.Second, done)
	if err != nil || res.APIKey == "" {
		t.Fatalf("result %+v, %v", res, err)
	}
	if got := strings.Join(log.list(), ","); got != "error,error,authenticated" {
		t.Fatalf("polls %s", got)
	}
}

func TestPollLoginRequestTimeout(t *testing.T) {
	s, c, f, sess := startedLogin(t)
	var err error
	s.InjectFault(cloudsim.Fault{Method: http.MethodGet, Path: "/api/auth/cli-session/", Count: 1, Delay: 5 * time.Second})
	var log pollLog
	done := async(func() {
		_, err = c.WaitForLogin(context.Background(), sess.SessionID,
			LoginOptions{RequestTimeout: 50 * time.Millisecond, Timeout: 5 * time.Second, OnPoll: log.on})
	})
	drive(t, f, 2, 2*time.Second, done)
	assertKind(t, err, ErrTimeout)
	if got := log.list(); len(got) < 2 || got[0] != "error" || got[1] != "pending" {
		t.Fatalf("polls %v: the slow poll should be an error and polling should go on", got)
	}
}
