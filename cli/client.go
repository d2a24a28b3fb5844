package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// client talks to the running instance's REST API.
type client struct {
	base  string // http://host:port, no trailing slash
	token string
	http  *http.Client
}

// errNoInstance means nothing answers at the instance's address.
var errNoInstance = errors.New("no instance")

// apiError is an error answer of the REST API.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// newClient finds the instance the way the app itself picks its address:
// MILADY_API_BIND (an any-address bind is reached on 127.0.0.1) and
// --port, else MILADY_PORT, else 2138; the token from MILADY_API_TOKEN,
// else the state folder's api-token file that a non-loopback app writes.
func newClient(e *Env, portFlag int) (*client, error) {
	port := 2138
	if portFlag >= 0 {
		port = portFlag
	} else if v := e.Getenv("MILADY_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p <= 0 || p > 65535 {
			return nil, fmt.Errorf("MILADY_PORT=%q is not a port number", v)
		}
		port = p
	}
	host := strings.Trim(e.Getenv("MILADY_API_BIND"), "[]")
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	token := e.Getenv("MILADY_API_TOKEN")
	if token == "" {
		if dir, err := stateDir(e.Getenv); err == nil {
			if b, err := os.ReadFile(filepath.Join(dir, "api-token")); err == nil {
				token = strings.TrimSpace(string(b))
			}
		}
	}
	return &client{
		base:  "http://" + net.JoinHostPort(host, strconv.Itoa(port)),
		token: token,
		// No overall timeout: a connect can take minutes (provisioning) and
		// a chat stream stays open; each call's context bounds it instead.
		http: &http.Client{Transport: &http.Transport{Proxy: nil}},
	}, nil
}

// stateDir is the app's state folder: MILADY_STATE_DIR, else
// $XDG_DATA_HOME/milady-cloud, else ~/.local/share/milady-cloud.
func stateDir(getenv func(string) string) (string, error) {
	if d := getenv("MILADY_STATE_DIR"); d != "" {
		return d, nil
	}
	base := getenv("XDG_DATA_HOME")
	if base == "" {
		home := getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find home folder: %w", err)
			}
			home = h
		}
		base = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(base, "milady-cloud"), nil
}

// request sends a JSON request (body nil for none) and returns the raw
// response, which the caller closes. HTTP errors become *apiError.
func (c *client) request(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var op *net.OpError
		if errors.As(err, &op) && op.Op == "dial" {
			return nil, errNoInstance
		}
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if resp.StatusCode == http.StatusUnauthorized && msg == "Unauthorized" {
			msg += " — the instance wants an API token: set MILADY_API_TOKEN, or run this as the user whose state folder holds api-token"
		}
		return nil, &apiError{status: resp.StatusCode, msg: msg}
	}
	return resp, nil
}

// call sends a JSON request and decodes the JSON answer into out (may be nil).
func (c *client) call(ctx context.Context, method, path string, body, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	resp, err := c.request(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("read answer of %s %s: %w", method, path, err)
	}
	return nil
}

// fail reports err in one line on stderr and returns the exit code that
// fits it; a missing instance gets the hint how to start one.
func fail(e *Env, c *client, what string, err error) int {
	switch {
	case errors.Is(err, errNoInstance):
		fmt.Fprintf(e.Stderr, "milady-cloud: no Milady Cloud instance answers on %s; start one with `milady-cloud --headless` (or `systemctl --user start milady-cloud`)\n", c.base)
		return ExitFailure
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(e.Stderr, "milady-cloud: %s: cancelled\n", what)
		return ExitInterrupted
	}
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusUnauthorized && ae.msg == "Not connected to Eliza Cloud" {
		fmt.Fprintf(e.Stderr, "milady-cloud: %s: not logged in to Eliza Cloud; run `milady-cloud login`\n", what)
		return ExitNotLoggedIn
	}
	fmt.Fprintf(e.Stderr, "milady-cloud: %s: %v\n", what, err)
	return ExitFailure
}
