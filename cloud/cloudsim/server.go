// Package cloudsim is an in-process Eliza Cloud simulator. It follows the
// upstream contract (/work/shared/cloud-api.md, server HEAD behaviour) closely
// enough that the Go client, the connection manager and the app's --sim demo
// mode can run end to end without the network: CLI login sessions with a
// browser approve page, API keys, credits, identity, Milady Sandbox agents
// with both provisioning modes, jobs, snapshots, restore, the JSON-RPC bridge
// and the SSE stream. A loopback-only control API under /__sim/ (and the
// matching Go methods) lets tests and demos steer it: balance, heartbeat
// failures, latency, provisioning mode and failures, and injected faults.
//
// Control API (JSON, no auth, loopback only, never faulted or logged):
// GET /__sim/state; POST /__sim/balance {balance}; POST /__sim/heartbeat
// {fail}; POST /__sim/latency {ms}; POST /__sim/mode {mode, delayMs}; POST
// /__sim/provision {fail}; POST /__sim/faults (a Fault, durations in ms:
// method, path, count, status, body, redirectTo, malformed, delayMs,
// slowBody, reset); DELETE /__sim/faults; GET and DELETE /__sim/requests;
// POST /__sim/sessions/{id}/approve; POST /__sim/revoke [{key}].
//
// The server's unkind behaviours (cloud-api.md, "Behaviour over time") have
// their own switches, off or quick by default so the demo stays friendly:
// POST /__sim/timescale {scale}; POST /__sim/balance-cache {on}; POST
// /__sim/worker {server} | {off} | {pollMs, attemptMs, healthTimeoutMs,
// maxAttempts}; POST /__sim/jobs/script {failures} | {allFail}; POST
// /__sim/dead-sandbox {agentId, dead, sticky}; POST /__sim/reply-delay {ms};
// POST /__sim/usage {hours}; POST /__sim/checkout/{id}/pay; and the pages a
// browser opens: GET/POST /__sim/checkout/{id}, GET /__sim/agent-ui/{id}.
//
// The simulator serves HTTPS with a certificate it generates, because the
// real client refuses plain http; tests get the trust pool from CertPool or
// a ready client from HTTPClient.
package cloudsim

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Mode selects how provisioning behaves.
type Mode string

const (
	// ModeAsync is the server HEAD behaviour: provision and resume answer
	// 202 (new job) or 409 (job already in progress) and the client polls
	// GET /api/v1/jobs/{id}.
	ModeAsync Mode = "async"
	// ModeSync is the legacy (February 2026) behaviour the Milady client was
	// written for: provision blocks until done and answers 200 with the
	// running agent.
	ModeSync Mode = "sync"
)

// Options configures a Server. The zero value is usable.
type Options struct {
	// Clock drives session expiry, job progress, timestamps and the rate
	// limiter. Default clock.Real{}.
	Clock clock.Clock
	// Mode is the provisioning mode. Default ModeAsync.
	Mode Mode
	// ProvisionDelay is how long (on Clock) a provisioning job (or a sync
	// provision) takes. Jobs are evaluated lazily: zero means the job is
	// "pending" in the 202 answer and completed on the next request that
	// looks at it (typically the first job poll).
	ProvisionDelay time.Duration
	// JobPollIntervalMs is the polling.intervalMs the job responses
	// announce. Default 5000; tests use something small.
	JobPollIntervalMs int
	// InitialBalance is the organization's credit balance in USD. Zero means
	// the default 25; call SetBalance(0) for an empty account.
	InitialBalance float64
	// Addr is the listen address. Default "127.0.0.1:0".
	Addr string
	// Logger receives debug lines about requests (never keys). Default discard.
	Logger *slog.Logger
	// TimeScale multiplies the server's own durations (worker timing, the
	// 30 s bridge abort, the 120 s stream limit, reply delays, the 600 s
	// balance cache) so tests on a real clock stay fast: 0.001 makes 30 s
	// last 30 ms. 0 means 1 (real time).
	TimeScale float64
	// BalanceCache turns on the server's 600 s per-key balance cache
	// (bypassed by ?fresh=true). Off by default so the demo shows changes
	// at once.
	BalanceCache bool
	// Worker, when set, runs provisioning jobs like the server's worker
	// (30 s polls, health checks, 3 attempts with pending+error between).
	// Nil keeps the quick model: a job completes ProvisionDelay after it
	// was created.
	Worker *WorkerTiming
}

// Server is a running simulator. All methods are safe for concurrent use.
type Server struct {
	clk       clock.Clock
	log       *slog.Logger
	certPEM   []byte
	pool      *x509.CertPool
	client    *http.Client
	transport *http.Transport
	ln        net.Listener
	srv       *http.Server
	url       string
	handler   http.Handler
	closeOnce sync.Once
	closed    chan struct{}
	serveDone chan struct{}

	mu    sync.Mutex
	st    state
	start time.Time
}

// state is everything the simulated cloud knows; guarded by Server.mu.
type state struct {
	balance        float64
	mode           Mode
	provisionDelay time.Duration
	pollIntervalMs int
	latency        time.Duration
	heartbeatFail  int // >0: that many failures left; <0: until cleared
	provisionFail  int // next n provisioning attempts fail
	faults         []*faultState
	requests       []Request
	keys           map[string]keyInfo // sha256 hex of the key -> info
	sessions       map[string]*cliSession
	agents         map[string]*agent
	jobs           map[string]*job
	backups        map[string][]*backup // agent id -> backups, oldest first
	limiter        map[string]*rateWindow
	seq            int64 // insertion order tiebreaker for equal timestamps

	timeScale     float64
	balanceCache  bool
	balanceCached map[string]cachedBalance // key hash -> cached balance
	replyDelay    time.Duration
	txns          []*txn
	checkouts     map[string]*checkoutSession
	worker        *WorkerTiming // nil: jobs finish after ProvisionDelay
	workerState   workerState
	jobScript     []int // failing attempts of the next jobs, in order
}

// New builds a simulator and starts its HTTPS listener.
func New(opts Options) (*Server, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Mode == "" {
		opts.Mode = ModeAsync
	}
	if opts.Mode != ModeAsync && opts.Mode != ModeSync {
		return nil, fmt.Errorf("create simulator: unknown mode %q", opts.Mode)
	}
	if opts.JobPollIntervalMs <= 0 {
		opts.JobPollIntervalMs = 5000
	}
	if opts.InitialBalance == 0 {
		opts.InitialBalance = 25.0
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		clk:       opts.Clock,
		log:       opts.Logger,
		closed:    make(chan struct{}),
		serveDone: make(chan struct{}),
		start:     opts.Clock.Now(),
		st: state{
			balance:        opts.InitialBalance,
			mode:           opts.Mode,
			provisionDelay: opts.ProvisionDelay,
			pollIntervalMs: opts.JobPollIntervalMs,
			keys:           map[string]keyInfo{},
			sessions:       map[string]*cliSession{},
			agents:         map[string]*agent{},
			jobs:           map[string]*job{},
			backups:        map[string][]*backup{},
			limiter:        map[string]*rateWindow{},
			timeScale:      opts.TimeScale,
			balanceCache:   opts.BalanceCache,
			balanceCached:  map[string]cachedBalance{},
			checkouts:      map[string]*checkoutSession{},
			worker:         opts.Worker,
		},
	}
	cert, certPEM, err := selfSignedCert()
	if err != nil {
		return nil, fmt.Errorf("create simulator: %w", err)
	}
	s.certPEM = certPEM
	s.pool = x509.NewCertPool()
	if !s.pool.AppendCertsFromPEM(certPEM) {
		return nil, errors.New("create simulator: add generated certificate to pool")
	}
	s.handler = s.routes()

	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("create simulator: listen on %s: %w", opts.Addr, err)
	}
	s.url = siteURL(ln.Addr())
	// HTTP/1.1 only: Hijack (connection-reset faults) and per-event SSE
	// flushing behave predictably, and every Go client can talk to it.
	tlsCfg := &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"http/1.1"},
		MinVersion:   tls.VersionTLS12,
	}
	s.ln = tls.NewListener(ln, tlsCfg)
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		TLSNextProto:      map[string]func(*http.Server, *tls.Conn, http.Handler){},
	}
	s.transport = &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: s.pool, MinVersion: tls.VersionTLS12},
		Proxy:               nil,
		MaxIdleConnsPerHost: 16,
	}
	s.client = &http.Client{
		Transport: s.transport,
		// The real client refuses redirects; so does the test client, so a
		// 302/308 is visible to assertions instead of silently followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	go func() {
		defer close(s.serveDone)
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("simulator stopped serving", "err", err)
		}
	}()
	s.log.Debug("simulator listening", "url", s.url, "mode", opts.Mode)
	return s, nil
}

// Start is New for tests: it fails the test on error and closes the server
// when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("start cloud simulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// siteURL turns the listener address into the site base a client uses.
// Wildcard listen addresses are reached through 127.0.0.1.
func siteURL(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "https://" + a.String()
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return "https://" + net.JoinHostPort(ip.String(), strconv.Itoa(ta.Port))
}

// URL is the site base, e.g. "https://127.0.0.1:41234" (no trailing slash).
func (s *Server) URL() string { return s.url }

// CertPool is a pool that trusts the simulator's certificate.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// CertPEM is the simulator's certificate in PEM form.
func (s *Server) CertPEM() []byte { return append([]byte(nil), s.certPEM...) }

// HTTPClient returns a client that trusts the simulator and never follows
// redirects.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Handler is the simulator's root handler (faults, latency, edge auth and
// routes included), for callers that want to mount it themselves.
func (s *Server) Handler() http.Handler { return s.handler }

// Close stops the listener, aborts in-flight requests (including ones
// stalled by faults or waiting for a sync provision) and waits for the
// serve loop to end. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closed)
		_ = s.srv.Close()
		<-s.serveDone
		s.transport.CloseIdleConnections()
	})
}

// now is the simulator clock's time in UTC.
func (s *Server) now() time.Time { return s.clk.Now().UTC() }

// sleep waits d of real time, returning early when the request is gone or
// the server is closing. It reports whether the full time elapsed.
func (s *Server) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-s.closed:
		return false
	}
}
