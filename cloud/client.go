package cloud

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// UserAgent is the User-Agent of every request for an app version: the
// cloud's operators can tell our requests (and our releases) apart. An empty
// version is a development build.
func UserAgent(version string) string {
	if version == "" {
		version = "dev"
	}
	return "milady-cloud/" + version
}

// maxResponseBytes caps every response body the client reads (a hostile or
// broken server cannot make it buffer more).
const maxResponseBytes = 4 << 20

// policyCacheTTL is how long a passed URL check is reused for the same host.
// Every connection is still range-checked when dialled.
const policyCacheTTL = time.Minute

// Timeouts bounds each kind of request, so a cloud that stops answering
// never holds a caller for long. A zero field takes its
// default; tests shorten them.
type Timeouts struct {
	Login     time.Duration // 10 s: CLI session create and poll
	Account   time.Duration // 10 s: credits balance and /api/v1/user
	Heartbeat time.Duration // 10 s
	REST      time.Duration // 30 s: the other sandbox calls and job polls
	Message   time.Duration // 60 s: message.send
	// Provision bounds the provision, resume and restore POSTs: older
	// servers (and restore of a stopped agent today) provision synchronously
	// within the request, which the server allows 120 s.
	Provision time.Duration
	// BridgeAbort is the server's own limit on message.send (30 s): an
	// "unreachable" answer that took about this long is the agent being
	// slow, not the sandbox being down.
	BridgeAbort time.Duration
	// StreamAbort is the stream route's own limit (maxDuration, 120 s): a
	// stream that closes without its "done" after about this long was cut
	// because the agent was still thinking.
	StreamAbort time.Duration
}

// DefaultTimeouts returns the spec's limits.
func DefaultTimeouts() Timeouts {
	return Timeouts{
		Login:       10 * time.Second,
		Account:     10 * time.Second,
		Heartbeat:   10 * time.Second,
		REST:        30 * time.Second,
		Message:     60 * time.Second,
		Provision:   120 * time.Second,
		BridgeAbort: 30 * time.Second,
		StreamAbort: 120 * time.Second,
	}
}

func (t Timeouts) withDefaults() Timeouts {
	d := DefaultTimeouts()
	pick := func(v, def time.Duration) time.Duration {
		if v > 0 {
			return v
		}
		return def
	}
	return Timeouts{
		Login:       pick(t.Login, d.Login),
		Account:     pick(t.Account, d.Account),
		Heartbeat:   pick(t.Heartbeat, d.Heartbeat),
		REST:        pick(t.REST, d.REST),
		Message:     pick(t.Message, d.Message),
		Provision:   pick(t.Provision, d.Provision),
		BridgeAbort: pick(t.BridgeAbort, d.BridgeAbort),
		StreamAbort: pick(t.StreamAbort, d.StreamAbort),
	}
}

// ClientOptions configures NewClient.
type ClientOptions struct {
	BaseURL       string         // site base; "" = DefaultBaseURL; "/api/v1" and "/" are stripped
	APIKey        string         // may be empty for login-only use
	RootCAs       *x509.CertPool // nil = system roots
	AllowLoopback bool           // MILADY_CLOUD_ALLOW_LOOPBACK / simulator
	Resolver      Resolver       // nil = net.DefaultResolver
	Clock         clock.Clock    // nil = clock.Real; drives job and login polling
	Logger        *slog.Logger   // nil = discard
	JobTimeout    time.Duration  // bound on waiting for a provisioning job; default 3 min
	Timeouts      Timeouts       // zero fields = DefaultTimeouts
	Version       string         // the app version, sent in the User-Agent; "" = "dev"
}

// Client speaks the Eliza Cloud API (cloud-api.md). It is safe for
// concurrent use; WithAPIKey derives clients that share its transport.
type Client struct {
	base   string
	apiKey string
	*clientCore
}

// clientCore is what clients derived with WithAPIKey share.
type clientCore struct {
	http       *http.Client
	transport  *http.Transport
	policy     URLPolicy
	clock      clock.Clock
	log        *slog.Logger
	jobTimeout time.Duration
	timeouts   Timeouts
	userAgent  string

	mu      sync.Mutex
	checked map[string]time.Time // host → when the URL policy last passed it
}

var _ API = (*Client)(nil)

// NewClient validates the base URL (shape and policy, without touching the
// network) and builds the client with its single transport.
func NewClient(opts ClientOptions) (*Client, error) {
	base, err := NormalizeBaseURL(opts.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("create cloud client: %w", err)
	}
	policy := URLPolicy{AllowLoopback: opts.AllowLoopback, Resolver: opts.Resolver}
	if err := policy.CheckSyntax(base); err != nil {
		return nil, fmt.Errorf("create cloud client: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	jobTimeout := opts.JobTimeout
	if jobTimeout <= 0 {
		jobTimeout = 3 * time.Minute
	}
	tr := &http.Transport{
		Proxy:       nil, // a proxy would dial on our behalf and bypass the dial-time check
		DialContext: policy.DialContext,
		TLSClientConfig: &tls.Config{
			RootCAs:    opts.RootCAs,
			MinVersion: tls.VersionTLS12,
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		MaxIdleConns:          16,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	hc := &http.Client{
		Transport: tr,
		// Milady uses redirect: "manual" and treats any 3xx as an error; a
		// redirect could also point the key at another host.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if opts.AllowLoopback {
		log.Warn("cloud URL policy admits loopback addresses", "base", base)
	}
	return &Client{
		base:   base,
		apiKey: opts.APIKey,
		clientCore: &clientCore{
			http:       hc,
			transport:  tr,
			policy:     policy,
			clock:      clk,
			log:        log,
			jobTimeout: jobTimeout,
			timeouts:   opts.Timeouts.withDefaults(),
			userAgent:  UserAgent(opts.Version),
			checked:    map[string]time.Time{},
		},
	}, nil
}

// WithAPIKey returns a client for the same cloud using key, sharing the
// transport (connections, URL-check cache) with c.
func (c *Client) WithAPIKey(key string) *Client {
	return &Client{base: c.base, apiKey: key, clientCore: c.clientCore}
}

// BaseURL returns the normalized site base.
func (c *Client) BaseURL() string { return c.base }

// HasAPIKey reports whether the client carries a key.
func (c *Client) HasAPIKey() bool { return c.apiKey != "" }

// CloseIdleConnections closes pooled connections (on log-out, and so tests
// can check for leaked goroutines).
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// authMode says which credential header a request carries.
type authMode int

const (
	authNone   authMode = iota // login endpoints
	authAPIKey                 // X-Api-Key: sandbox API, jobs
	authBearer                 // Authorization: Bearer: credits, user
)

// request describes one call.
type request struct {
	method  string
	path    string // absolute path under the site base
	auth    authMode
	body    any           // JSON-encoded when non-nil
	timeout time.Duration // 0 = bounded only by ctx (open streams)
	stream  bool          // Accept: text/event-stream
	// headerTimeout bounds only the wait for the response headers (a
	// stream: once open it has no timeout, but a cloud that never starts
	// answering must still end in an error).
	headerTimeout time.Duration
}

func (r request) String() string { return r.method + " " + r.path }

// open sends r and returns the response (any non-redirect status), the
// request's own context (bounded by r.timeout) and its cancel func, to be
// called once the body has been read.
func (c *Client) open(ctx context.Context, r request) (*http.Response, context.Context, context.CancelFunc, error) {
	if r.auth != authNone && c.apiKey == "" {
		return nil, nil, nil, ErrNotConfigured
	}
	var cancel context.CancelFunc
	rctx := ctx
	if r.timeout > 0 {
		rctx, cancel = context.WithTimeout(ctx, r.timeout)
	} else {
		rctx, cancel = context.WithCancel(ctx)
	}
	if err := c.checkPolicy(rctx); err != nil {
		cancel()
		return nil, nil, nil, c.transportError(ctx, r, err)
	}
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			cancel()
			return nil, nil, nil, fmt.Errorf("encode %s body: %w", r, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(rctx, r.method, c.base+r.path, body)
	if err != nil {
		cancel()
		return nil, nil, nil, fmt.Errorf("build %s: %w", r, err)
	}
	if r.stream {
		req.Header.Set("Accept", "text/event-stream")
	} else {
		req.Header.Set("Accept", "application/json")
	}
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch r.auth {
	case authAPIKey:
		req.Header.Set("X-Api-Key", c.apiKey)
	case authBearer:
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	start := time.Now()
	var headerTimer *time.Timer
	if r.headerTimeout > 0 {
		headerTimer = time.AfterFunc(r.headerTimeout, cancel)
	}
	resp, err := c.http.Do(req)
	if headerTimer != nil && !headerTimer.Stop() {
		// The headers did not arrive in time and the timer cancelled rctx
		// (if they arrived just then, the cancelled body is useless too).
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		if ctx.Err() == nil {
			c.log.Debug("cloud request got no answer in time", "request", r.String(), "after", r.headerTimeout)
			return nil, nil, nil, &timeoutError{op: r.String(), after: r.headerTimeout, cause: context.DeadlineExceeded}
		}
		return nil, nil, nil, c.transportError(ctx, r, ctx.Err())
	}
	if err != nil {
		if rctx.Err() != nil && !errors.Is(err, ErrBlockedURL) {
			err = fmt.Errorf("%w (%v)", rctx.Err(), err)
		}
		cancel()
		c.log.Debug("cloud request failed", "request", r.String(), "error", err)
		return nil, nil, nil, c.transportError(ctx, r, err)
	}
	c.log.Debug("cloud request", "request", r.String(), "status", resp.StatusCode, "elapsed", time.Since(start))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		cancel()
		return nil, nil, nil, &RedirectError{Status: resp.StatusCode, Location: resp.Header.Get("Location")}
	}
	return resp, rctx, cancel, nil
}

// exchange sends r and reads the whole (capped) body.
func (c *Client) exchange(ctx context.Context, r request) (int, []byte, error) {
	resp, rctx, cancel, err := c.open(ctx, r)
	if err != nil {
		return 0, nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		if rctx.Err() != nil {
			// A cut-off body after the deadline is the deadline's fault.
			err = fmt.Errorf("%w (%v)", rctx.Err(), err)
		}
		return 0, nil, c.transportError(ctx, r, err)
	}
	if len(body) > maxResponseBytes {
		return 0, nil, fmt.Errorf("%w: %s: response larger than %d bytes", ErrMalformed, r, maxResponseBytes)
	}
	return resp.StatusCode, body, nil
}

// doJSON sends r; a non-2xx status becomes statusError, a 2xx body is
// decoded into out (when non-nil).
func (c *Client) doJSON(ctx context.Context, r request, out any) error {
	status, body, err := c.exchange(ctx, r)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return statusError(status, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return malformed(r, err)
	}
	return nil
}

// envelope is the sandbox routes' {"success","data","error"} wrapper.
type envelope struct {
	Success *bool           `json:"success"`
	Error   json.RawMessage `json:"error"`
	Code    string          `json:"code"`
	Data    json.RawMessage `json:"data"`
}

// doData sends r, unwraps the envelope and decodes data into out. It
// reports whether data was present (not missing and not null).
func (c *Client) doData(ctx context.Context, r request, out any) (bool, error) {
	var env envelope
	if err := c.doJSON(ctx, r, &env); err != nil {
		return false, err
	}
	if env.Success != nil && !*env.Success {
		msg := jsonString(env.Error)
		if msg == "" {
			msg = "Eliza Cloud reported a failure without a message"
		}
		return false, &HTTPError{Status: http.StatusOK, Code: relayed(env.Code), Message: relayed(msg)}
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return false, nil
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return true, malformed(r, err)
		}
	}
	return true, nil
}

func malformed(r request, err error) error {
	return fmt.Errorf("%w: %s: %v", ErrMalformed, r, err)
}

// jsonString returns raw as a string when it is a JSON string, else "".
func jsonString(raw json.RawMessage) string {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// statusError turns a non-2xx answer into the typed error: the body's
// "error" (and "code") when it is JSON, else "HTTP <status>: <first 200
// bytes>"; a 402 naming amounts is an *InsufficientCreditsError.
func statusError(status int, body []byte) error {
	var eb struct {
		Error           json.RawMessage `json:"error"`
		Code            json.RawMessage `json:"code"`
		RequiredBalance *float64        `json:"requiredBalance"`
		CurrentBalance  *float64        `json:"currentBalance"`
	}
	msg := ""
	if json.Unmarshal(body, &eb) == nil {
		msg = jsonString(eb.Error)
	}
	if msg == "" {
		msg = fmt.Sprintf("HTTP %d", status)
		if text := strings.TrimSpace(truncateUTF8(body, 200)); text != "" {
			msg += ": " + text
		}
	}
	if status == http.StatusPaymentRequired && (eb.RequiredBalance != nil || eb.CurrentBalance != nil) {
		e := &InsufficientCreditsError{Message: relayed(msg)}
		if eb.RequiredBalance != nil {
			e.RequiredBalance = *eb.RequiredBalance
		}
		if eb.CurrentBalance != nil {
			e.CurrentBalance = *eb.CurrentBalance
		}
		return e
	}
	return &HTTPError{Status: status, Code: relayed(jsonString(eb.Code)), Message: relayed(msg)}
}

// truncateUTF8 returns the first n bytes of b as valid UTF-8 text.
func truncateUTF8(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
		for len(b) > 0 && !utf8.Valid(b) && len(b) > n-utf8.UTFMax {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// checkPolicy runs the URL policy on the base URL, reusing a recent pass for
// the same host.
func (c *Client) checkPolicy(ctx context.Context) error {
	now := c.clock.Now()
	c.mu.Lock()
	at, ok := c.checked[c.base]
	c.mu.Unlock()
	if ok && now.Sub(at) < policyCacheTTL && !now.Before(at) {
		return nil
	}
	blocked, dnsErr := c.policy.check(ctx, c.base)
	if blocked != nil {
		return blocked
	}
	if dnsErr != nil {
		return dnsErr // fails closed; reported as unreachable by transportError
	}
	c.mu.Lock()
	c.checked[c.base] = now
	c.mu.Unlock()
	return nil
}

// transportError classifies a failure to get an answer: a URL-policy
// refusal as itself, the caller's cancellation as ctx.Err(), a deadline or
// network timeout as ErrTimeout, anything else (refused, reset, TLS, DNS)
// as ErrUnreachable.
func (c *Client) transportError(ctx context.Context, r request, err error) error {
	var ue *URLError
	if errors.As(err, &ue) {
		return ue
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(cerr, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", r, cerr)
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return &timeoutError{op: r.String(), after: r.timeout, cause: err}
	}
	return &unreachableError{cause: err}
}

// timeoutError is a request that got no (complete) answer in time.
type timeoutError struct {
	op    string
	after time.Duration
	cause error
}

func (e *timeoutError) Error() string {
	if e.after > 0 {
		return fmt.Sprintf("Eliza Cloud did not answer within %s (%s)", e.after, e.op)
	}
	return fmt.Sprintf("Eliza Cloud did not answer in time (%s)", e.op)
}

func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e *timeoutError) Unwrap() error        { return e.cause }

// unreachableError is a connection that could not be made or was broken.
type unreachableError struct{ cause error }

func (e *unreachableError) Error() string {
	// url.Error repeats the method and URL; the cause alone reads better.
	var ue *url.Error
	if errors.As(e.cause, &ue) {
		return "Failed to reach Eliza Cloud: " + ue.Err.Error()
	}
	return "Failed to reach Eliza Cloud: " + e.cause.Error()
}

func (e *unreachableError) Is(target error) bool { return target == ErrUnreachable }
func (e *unreachableError) Unwrap() error        { return e.cause }
