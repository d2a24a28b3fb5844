// Package remote is the window's backend when the window runs in a process
// of its own (docs/window-process.md, "Child side"): it implements
// desktop.Backend, Agents, Chat and Billing as a client of the app's local
// REST API (app/api), which the parent process serves. The facade bound to
// the page is the same as in one process, so the page cannot tell the
// difference: every call is one REST route, answers are decoded into the
// same DTOs, the event stream is GET /api/cloud/events, and a refused call
// fails with the REST API's own words.
//
// Nothing here decides anything: the parent's Service does. The package
// only translates, and keeps the event stream open across a busy or
// restarting parent.
package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/desktop"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Config is what New needs. Only BaseURL is required.
type Config struct {
	// BaseURL is the parent's REST API, e.g. "http://127.0.0.1:2138/".
	BaseURL string
	// Token is the REST token, sent as "Authorization: Bearer <token>"
	// when not empty. It is never logged.
	Token string
	// HTTPClient nil: a client that follows no redirects (the API never
	// redirects, and a redirect would carry the token elsewhere) with dial
	// and idle timeouts but no overall one, since a connect may wait for
	// provisioning for minutes and the streams stay open for hours.
	HTTPClient *http.Client
	// Opener opens the cloud's login page for BeginBrowserLogin (the REST
	// login does not open a browser itself). Nil: the address is logged.
	Opener app.Opener
	Logger *slog.Logger
	// Clock times the event stream's reconnect backoff and the browser
	// open gate; nil is the real clock.
	Clock clock.Clock
}

// Client talks to the parent's REST API. Its methods are desktop.Backend;
// Agents, Chat and Billing return the other three interfaces. It is safe
// for concurrent use.
type Client struct {
	base   string // scheme://host[:port][/prefix], no trailing slash
	token  string
	http   *http.Client
	opener app.Opener
	log    *slog.Logger
	clock  clock.Clock

	openMu   sync.Mutex
	openedAt time.Time // last browser open by BeginBrowserLogin (zero: never)
}

var (
	_ desktop.Backend = (*Client)(nil)
	_ desktop.Agents  = agents{}
	_ desktop.Chat    = chat{}
	_ desktop.Billing = billing{}
)

// New checks the configuration and returns the client. Nothing is sent
// until the first call.
func New(cfg Config) (*Client, error) {
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:   base,
		token:  cfg.Token,
		http:   cfg.HTTPClient,
		opener: cfg.Opener,
		log:    cfg.Logger,
		clock:  cfg.Clock,
	}
	if c.http == nil {
		c.http = defaultHTTPClient()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.clock == nil {
		c.clock = clock.Real{}
	}
	return c, nil
}

// parseBase accepts an absolute http(s) URL without query or credentials
// and returns it without its trailing slash, ready for "+ /api/…".
func parseBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("remote: parse base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("remote: base URL %q must be http(s)://host[:port]/", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// defaultHTTPClient bounds what can be bounded without cutting a long call
// short: dialling the loopback API and idle connections.
func defaultHTTPClient() *http.Client {
	tr := &http.Transport{
		Proxy:                 nil, // loopback: never through an HTTP proxy from the environment
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   8,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Agents is the agent part (desktop.Agents).
func (c *Client) Agents() desktop.Agents { return agents{c} }

// Chat is the chat part (desktop.Chat).
func (c *Client) Chat() desktop.Chat { return chat{c} }

// Billing is the credits part (desktop.Billing).
func (c *Client) Billing() desktop.Billing { return billing{c} }

// Health is GET /api/health: the parent's version, which the window's
// process compares with its own before opening a window.
func (c *Client) Health(ctx context.Context) (string, error) {
	var h api.HealthResponse
	if err := c.call(ctx, http.MethodGet, "/api/health", nil, &h); err != nil {
		return "", err
	}
	if h.App != "milady-cloud" {
		return "", fmt.Errorf("remote: %s answers as %q, not as Milady Cloud", c.base, h.App)
	}
	return h.Version, nil
}

// shortCall bounds the calls whose interface method has no context
// (Snapshot, CancelLogin): they answer at once from the parent's state.
const shortCall = 10 * time.Second

// maxAnswer is the largest JSON answer read; the largest real one (a
// snapshot, a usage list of 1000 transactions) is far smaller.
const maxAnswer = 16 << 20

// newRequest builds a request to path (which may carry a query). A body is
// sent as JSON; POSTs without one send {} because the API refuses bodies
// that are not an object only when present, and the page does the same.
func (c *Client) newRequest(ctx context.Context, method, path string, in any, accept string) (*http.Request, error) {
	var body io.Reader
	if method != http.MethodGet {
		b := []byte("{}")
		if in != nil {
			var err error
			if b, err = json.Marshal(in); err != nil {
				return nil, fmt.Errorf("remote: encode %s %s: %w", method, path, err)
			}
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return nil, fmt.Errorf("remote: build %s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", accept)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// send performs the request; a 2xx answer is returned open, any other is
// read and returned as an error carrying the API's message.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return nil, c.transportError(req, err)
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		defer res.Body.Close()
		return nil, answerError(req, res)
	}
	return res, nil
}

// call sends one request and decodes a JSON answer into out (nil: the
// answer is read and dropped).
func (c *Client) call(ctx context.Context, method, path string, in, out any) error {
	req, err := c.newRequest(ctx, method, path, in, "application/json")
	if err != nil {
		return err
	}
	res, err := c.send(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return c.transportError(req, err)
	}
	if len(b) > maxAnswer {
		return &app.Error{Kind: app.KindUpstream, Message: "Milady Cloud's answer was too large",
			Err: fmt.Errorf("remote: %s %s: answer over %d bytes", method, path, maxAnswer)}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &app.Error{Kind: app.KindUpstream, Message: "Milady Cloud answered something unreadable",
			Err: fmt.Errorf("remote: decode %s %s: %w", method, path, err)}
	}
	return nil
}

// transportError words a request that got no answer. A cancelled context
// is returned as such (the window is closing; nobody reads the message).
func (c *Client) transportError(req *http.Request, err error) error {
	if ctxErr := req.Context().Err(); ctxErr != nil {
		return fmt.Errorf("remote: %s %s: %w", req.Method, req.URL.Path, ctxErr)
	}
	return &app.Error{Kind: app.KindUnavailable, Message: UnreachableMessage,
		Err: fmt.Errorf("remote: %s %s: %w", req.Method, req.URL.Path, err)}
}

// queryPath appends the non-empty values as a query.
func queryPath(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
