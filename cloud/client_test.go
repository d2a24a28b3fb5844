package cloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// simClient starts a simulator on a fake clock and a client with a fresh
// key for it. mod adjusts the client options.
func simClient(t *testing.T, so cloudsim.Options, mod ...func(*ClientOptions)) (*cloudsim.Server, *Client, *clock.Fake) {
	t.Helper()
	f, ok := so.Clock.(*clock.Fake)
	if !ok {
		f = clock.NewFake(time.Time{})
		so.Clock = f
	}
	s := cloudsim.Start(t, so)
	opts := ClientOptions{BaseURL: s.URL(), APIKey: s.NewAPIKey(), RootCAs: s.CertPool(), AllowLoopback: true, Clock: f}
	for _, m := range mod {
		m(&opts)
	}
	c, err := NewClient(opts)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return s, c, f
}

// drive advances the fake clock by step each time at least n timers are
// armed, until finished is closed. It fails the test if the code under test
// neither finishes nor arms its timers within a few real seconds.
func drive(t *testing.T, f *clock.Fake, n int, step time.Duration, finished <-chan struct{}) int {
	t.Helper()
	stop := make(chan struct{})
	guard := time.AfterFunc(10*time.Second, func() { close(stop) })
	defer guard.Stop()
	either := make(chan struct{})
	go func() {
		select {
		case <-finished:
		case <-stop:
		}
		close(either)
	}()
	for steps := 0; ; steps++ {
		if !f.BlockUntil(n, either) {
			select {
			case <-finished:
				return steps
			default:
				t.Fatalf("after %d steps: neither finished nor armed %d timers", steps, n)
			}
		}
		select {
		case <-finished:
			return steps
		default:
		}
		f.Advance(step)
	}
}

// async runs fn in a goroutine; the returned channel closes when it is done.
func async(fn func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	return done
}

// kinds are the sentinels the client's transport-level errors must keep
// apart (ErrUpstream is a class every *HTTPError belongs to).
var kinds = []error{ErrNotConfigured, ErrUnauthorized, ErrNotFound, ErrConflict, ErrInsufficientCredits,
	ErrTimeout, ErrUnreachable, ErrRedirect, ErrBlockedURL, ErrMalformed, ErrSessionExpired, ErrKeyAlreadyRetrieved}

// assertKind checks err matches want and no other kind.
func assertKind(t *testing.T, err error, want error) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %q (%T) does not match %v", err, err, want)
	}
	for _, k := range kinds {
		if k != want && errors.Is(err, k) {
			t.Fatalf("error %q matches %v as well as %v", err, k, want)
		}
	}
}

func newAgent(t *testing.T, c *Client) *Agent {
	t.Helper()
	a, err := c.CreateAgent(context.Background(), CreateAgentRequest{AgentName: "Test Agent"})
	if err != nil {
		t.Fatalf("CreateAgent: %v", err)
	}
	return a
}

// runningAgent creates and provisions an agent on a sync-mode simulator.
func runningAgent(t *testing.T, c *Client) *Agent {
	t.Helper()
	a := newAgent(t, c)
	if _, err := c.Provision(context.Background(), a.ID); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	return a
}

func TestNewClientValidatesWithoutNetwork(t *testing.T) {
	noDNS := resolverFunc(func(context.Context, string) ([]net.IPAddr, error) {
		t.Error("NewClient used DNS")
		return nil, errors.New("no")
	})
	c, err := NewClient(ClientOptions{BaseURL: " https://www.elizacloud.ai/api/v1/ ", Resolver: noDNS})
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://www.elizacloud.ai" || c.HasAPIKey() {
		t.Fatalf("BaseURL %q HasAPIKey %v", c.BaseURL(), c.HasAPIKey())
	}
	k := c.WithAPIKey("eliza_x")
	if !k.HasAPIKey() || k.BaseURL() != c.BaseURL() || k.clientCore != c.clientCore || c.HasAPIKey() {
		t.Fatal("WithAPIKey must share the transport and leave the original without a key")
	}
	if c, err := NewClient(ClientOptions{}); err != nil || c.BaseURL() != DefaultBaseURL {
		t.Fatalf("empty base: %v %v", c, err)
	}
	for _, bad := range []string{"http://www.elizacloud.ai", "https://10.0.0.1", "https://localhost", "https://2130706433", "not a url", "https://x.example?x=1"} {
		if _, err := NewClient(ClientOptions{BaseURL: bad, Resolver: noDNS}); !errors.Is(err, ErrBlockedURL) {
			t.Errorf("NewClient(%q) = %v, want ErrBlockedURL", bad, err)
		}
	}
}

func TestNotConfiguredMakesNoRequest(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	c = c.WithAPIKey("")
	ctx := context.Background()
	_, err := c.ListAgents(ctx)
	assertKind(t, err, ErrNotConfigured)
	_, err = c.Balance(ctx)
	assertKind(t, err, ErrNotConfigured)
	assertKind(t, c.Heartbeat(ctx, "a"), ErrNotConfigured)
	if n := len(s.Requests()); n != 0 {
		t.Fatalf("%d requests sent without a key", n)
	}
}

// TestAuthHeadersPerEndpoint: sandbox calls send X-Api-Key, credits and
// user send Bearer, login sends neither (as the simulator records them).
func TestAuthHeadersPerEndpoint(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync})
	ctx := context.Background()
	a := runningAgent(t, c)
	if _, err := c.Balance(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Identity(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Heartbeat(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StartLogin(ctx); err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests() {
		want := "x-api-key"
		switch {
		case strings.HasPrefix(r.Path, "/api/v1/credits/"), r.Path == "/api/v1/user":
			want = "bearer"
		case strings.HasPrefix(r.Path, "/api/auth/"):
			want = ""
		}
		if r.Auth != want {
			t.Errorf("%s %s sent auth %q, want %q", r.Method, r.Path, r.Auth, want)
		}
		if strings.HasSuffix(r.Path, "/") {
			t.Errorf("%s %s has a trailing slash", r.Method, r.Path)
		}
	}
}

// recorded is one request a raw test server saw.
type recorded struct {
	method, path string
	header       http.Header
	body         []byte
}

// recordingServer is an httptest TLS server that records requests and
// answers with handler; the client trusts it and may use loopback.
func recordingServer(t *testing.T, handler http.HandlerFunc) (*Client, func() []recorded) {
	t.Helper()
	var mu sync.Mutex
	var reqs []recorded
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, recorded{r.Method, r.URL.Path, r.Header.Clone(), body})
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	t.Cleanup(srv.Close)
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	c, err := NewClient(ClientOptions{BaseURL: srv.URL + "/api/v1/", APIKey: "eliza_secret_key_value", RootCAs: pool, AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c, func() []recorded {
		mu.Lock()
		defer mu.Unlock()
		return append([]recorded(nil), reqs...)
	}
}

func TestRequestHeadersAndBodies(t *testing.T) {
	c, reqs := recordingServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/bridge"):
			_, _ = w.Write([]byte(`{"jsonrpc":"2.0","id":"1","result":{"text":"ok"}}`))
		case strings.HasSuffix(r.URL.Path, "/balance"):
			_, _ = w.Write([]byte(`{"balance":1}`))
		default:
			_, _ = w.Write([]byte(`{"success":true,"data":{"restoredFromBackupId":"b1"}}`))
		}
	})
	ctx := context.Background()
	if _, err := c.SendMessage(ctx, "agent/1", Message{Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.SendMessage(ctx, "a", Message{Text: "yo", RoomID: "room", ChannelType: "GROUP"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Balance(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Restore(ctx, "a", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Restore(ctx, "a", "b1"); err != nil {
		t.Fatal(err)
	}
	got := reqs()
	if len(got) != 5 {
		t.Fatalf("%d requests", len(got))
	}
	for _, r := range got {
		if r.header.Get("User-Agent") != "milady-cloud/dev" {
			t.Errorf("User-Agent %q", r.header.Get("User-Agent"))
		}
		if r.header.Get("Accept") != "application/json" {
			t.Errorf("Accept %q", r.header.Get("Accept"))
		}
	}
	// The agent id is escaped into one path segment.
	if got[0].path != "/api/v1/milady/agents/agent/1/bridge" || got[0].header.Get("X-Api-Key") != "eliza_secret_key_value" || got[0].header.Get("Authorization") != "" {
		t.Errorf("bridge request %s %v", got[0].path, got[0].header)
	}
	var rpc map[string]any
	if err := json.Unmarshal(got[0].body, &rpc); err != nil {
		t.Fatal(err)
	}
	params, _ := rpc["params"].(map[string]any)
	if rpc["jsonrpc"] != "2.0" || rpc["method"] != "message.send" || rpc["id"] == "" || params["text"] != "hi" ||
		params["roomId"] != "web-chat" || params["channelType"] != "DM" {
		t.Errorf("message.send body %s", got[0].body)
	}
	if !strings.Contains(string(got[1].body), `"roomId":"room"`) || !strings.Contains(string(got[1].body), `"channelType":"GROUP"`) {
		t.Errorf("explicit room/channel not sent: %s", got[1].body)
	}
	if got[2].header.Get("Authorization") != "Bearer eliza_secret_key_value" || got[2].header.Get("X-Api-Key") != "" {
		t.Errorf("balance headers %v", got[2].header)
	}
	if string(got[3].body) != "{}" || string(got[4].body) != `{"backupId":"b1"}` {
		t.Errorf("restore bodies %s / %s", got[3].body, got[4].body)
	}
	if got[3].header.Get("Content-Type") != "application/json" {
		t.Errorf("restore content type %q", got[3].header.Get("Content-Type"))
	}
}

// TestErrorShapes runs each documented failure through a real call.
func TestErrorShapes(t *testing.T) {
	big := `{"success":true,"data":[` + strings.Repeat(`{"id":"x"},`, 500_000) + `{}]}`
	long := "<html>" + strings.Repeat("é", 300) + "</html>"
	cases := []struct {
		name    string
		fault   cloudsim.Fault
		timeout time.Duration
		kind    error
		check   func(t *testing.T, err error)
	}{
		{name: "500 with JSON error", fault: cloudsim.Fault{Status: 500, Body: `{"success":false,"error":"Failed to delete sandbox"}`},
			kind: ErrUpstream, check: func(t *testing.T, err error) {
				var he *HTTPError
				if !errors.As(err, &he) || he.Status != 500 || he.Message != "Failed to delete sandbox" || he.Code != "" {
					t.Fatalf("got %#v", he)
				}
			}},
		{name: "409 with code", fault: cloudsim.Fault{Status: 409, Body: `{"success":false,"error":"Agent provisioning is in progress","code":"session_not_ready"}`},
			kind: ErrConflict, check: func(t *testing.T, err error) {
				var he *HTTPError
				if !errors.As(err, &he) || he.Code != "session_not_ready" || he.Message != "Agent provisioning is in progress" {
					t.Fatalf("got %#v", he)
				}
			}},
		{name: "non-JSON body", fault: cloudsim.Fault{Status: 503, Body: "Service Unavailable\n"},
			kind: ErrUpstream, check: func(t *testing.T, err error) {
				var he *HTTPError
				if !errors.As(err, &he) || he.Message != "HTTP 503: Service Unavailable" {
					t.Fatalf("got %#v", he)
				}
			}},
		{name: "long non-JSON body cut at 200 bytes", fault: cloudsim.Fault{Status: 502, Body: long},
			kind: ErrUpstream, check: func(t *testing.T, err error) {
				var he *HTTPError
				if !errors.As(err, &he) || !strings.HasPrefix(he.Message, "HTTP 502: <html>é") || len(he.Message) > len("HTTP 502: ")+200 {
					t.Fatalf("got %q", he.Message)
				}
			}},
		{name: "JSON without error field", fault: cloudsim.Fault{Status: 500, Body: `{"oops":true}`},
			kind: ErrUpstream, check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), `HTTP 500: {"oops":true}`) {
					t.Fatalf("got %q", err)
				}
			}},
		{name: "malformed JSON on 200", fault: cloudsim.Fault{Malformed: true}, kind: ErrMalformed},
		{name: "oversized body", fault: cloudsim.Fault{Status: 200, Body: big}, kind: ErrMalformed,
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "larger than") {
					t.Fatalf("got %q", err)
				}
			}},
		{name: "redirect refused", fault: cloudsim.Fault{RedirectTo: "https://evil.example/steal"}, kind: ErrRedirect,
			check: func(t *testing.T, err error) {
				var re *RedirectError
				if !errors.As(err, &re) || re.Status != 302 || re.Location != "https://evil.example/steal" {
					t.Fatalf("got %#v", re)
				}
			}},
		{name: "timeout", fault: cloudsim.Fault{Delay: 5 * time.Second}, timeout: 50 * time.Millisecond, kind: ErrTimeout,
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "did not answer within 50ms") {
					t.Fatalf("got %q", err)
				}
			}},
		{name: "slow body", fault: cloudsim.Fault{SlowBody: true, Delay: 5 * time.Second}, timeout: 200 * time.Millisecond, kind: ErrTimeout},
		{name: "connection reset", fault: cloudsim.Fault{Reset: true}, kind: ErrUnreachable,
			check: func(t *testing.T, err error) {
				if !strings.Contains(err.Error(), "Failed to reach Eliza Cloud") {
					t.Fatalf("got %q", err)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c, _ := simClient(t, cloudsim.Options{}, func(o *ClientOptions) {
				o.Timeouts.REST = tc.timeout
			})
			tc.fault.Path = "/api/v1/milady/agents"
			tc.fault.Count = 1
			s.InjectFault(tc.fault)
			_, err := c.ListAgents(context.Background())
			assertKind(t, err, tc.kind)
			if tc.check != nil {
				tc.check(t, err)
			}
			// The next call (fault used up) works.
			if _, err := c.ListAgents(context.Background()); err != nil {
				t.Fatalf("call after the fault: %v", err)
			}
		})
	}
}

func TestErrorsFromTheSimulator(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	ctx := context.Background()

	_, err := c.WithAPIKey("eliza_" + strings.Repeat("0", 64)).ListAgents(ctx)
	assertKind(t, err, ErrUnauthorized)
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 401 || he.Message != "Invalid or expired API key" || he.Code != "authentication_required" {
		t.Fatalf("401: %#v", he)
	}

	_, err = c.GetAgent(ctx, "00000000-0000-0000-0000-00000000dead")
	assertKind(t, err, ErrNotFound)
	if !errors.As(err, &he) || he.Message != "Agent not found" {
		t.Fatalf("404: %v", err)
	}

	s.SetBalance(1.5)
	_, err = c.CreateAgent(ctx, CreateAgentRequest{AgentName: "x"})
	assertKind(t, err, ErrInsufficientCredits)
	var ice *InsufficientCreditsError
	if !errors.As(err, &ice) || ice.RequiredBalance != 5 || ice.CurrentBalance != 1.5 || !strings.Contains(ice.Message, "Insufficient credits") {
		t.Fatalf("402: %#v", ice)
	}
}

func TestUnreachable(t *testing.T) {
	ctx := context.Background()
	// Connection refused: a port nobody listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := NewClient(ClientOptions{BaseURL: "https://" + addr, APIKey: "k", AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Balance(ctx)
	assertKind(t, err, ErrUnreachable)
	if !strings.Contains(err.Error(), "Failed to reach Eliza Cloud") || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("refused: %q", err)
	}

	// TLS failure: the simulator's certificate is not in the system roots.
	s := cloudsim.Start(t, cloudsim.Options{})
	c, err = NewClient(ClientOptions{BaseURL: s.URL(), APIKey: s.NewAPIKey(), AllowLoopback: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Balance(ctx)
	assertKind(t, err, ErrUnreachable)
	if !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("TLS: %q", err)
	}
}

func TestCallerCancellationIsNotATimeout(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{})
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/credits", Delay: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	_, err := c.Balance(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Balance after cancel = %v, want context.Canceled", err)
	}
	for _, k := range kinds {
		if errors.Is(err, k) {
			t.Fatalf("cancellation matches %v", k)
		}
	}
}

// TestKeyNeverLogged runs successful and failing calls with a debug logger
// and looks for the key in the output.
func TestKeyNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s, c, _ := simClient(t, cloudsim.Options{Mode: cloudsim.ModeSync}, func(o *ClientOptions) { o.Logger = logger })
	ctx := context.Background()
	a := runningAgent(t, c)
	_, _ = c.Balance(ctx)
	_, _ = c.Identity(ctx)
	_, _ = c.SendMessage(ctx, a.ID, Message{Text: "hi"})
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/credits", Status: 500, Count: 1})
	_, _ = c.Balance(ctx)
	s.InjectFault(cloudsim.Fault{Path: "/api/v1/credits", Reset: true, Count: 1})
	_, _ = c.Balance(ctx)
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	if out == "" {
		t.Fatal("nothing was logged; the test would prove nothing")
	}
	if strings.Contains(out, c.apiKey) || strings.Contains(out, c.apiKey[:20]) {
		t.Fatalf("the API key appears in the log:\n%s", out)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestUserAgentCarriesVersion: the client names the app version it was
// built with in every request, as the simulator's request log shows.
func TestUserAgentCarriesVersion(t *testing.T) {
	s, c, _ := simClient(t, cloudsim.Options{}, func(o *ClientOptions) { o.Version = "9.8.7" })
	if _, err := c.Balance(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListAgents(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests logged, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.UserAgent != "milady-cloud/9.8.7" {
			t.Errorf("%s %s: User-Agent %q", r.Method, r.Path, r.UserAgent)
		}
	}
	if got := UserAgent(""); got != "milady-cloud/dev" {
		t.Errorf("UserAgent(\"\") = %q", got)
	}
}
