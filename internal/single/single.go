// Package single makes the listening port the single-instance lock: a
// second process finds the port taken, asks the first to show its window,
// and exits.
package single

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// ErrForeign means the port is held by a program that is not Milady Cloud.
var ErrForeign = errors.New("port held by another program")

// Listen binds addr. When the port is taken it probes GET /api/health
// there: if Milady Cloud answers, it asks it to show its window (POST
// /api/window/show) and returns handedOff=true; otherwise ErrForeign.
func Listen(addr, token string) (ln net.Listener, handedOff bool, err error) {
	ln, err = net.Listen("tcp", addr)
	if err == nil {
		return ln, false, nil
	}
	if !isAddrInUse(err) {
		return nil, false, fmt.Errorf("listen on %s: %w", addr, err)
	}
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	if !isMiladyCloud(base) {
		return nil, false, fmt.Errorf("%w: %s", ErrForeign, addr)
	}
	if err := showWindow(base, token); err != nil {
		return nil, true, fmt.Errorf("ask the running instance to show its window: %w", err)
	}
	return nil, true, nil
}

// isAddrInUse reports whether a listen failed because the port is taken. It
// compares the system's error code (addrInUse, per platform), not the
// message, which Windows translates into the user's language.
func isAddrInUse(err error) bool {
	return errors.Is(err, addrInUse)
}

var probe = &http.Client{
	Timeout:       2 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func isMiladyCloud(base string) bool {
	resp, err := probe.Get(base + "/api/health")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var h struct {
		OK  bool   `json:"ok"`
		App string `json:"app"`
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode == http.StatusOK && json.Unmarshal(body, &h) == nil && h.App == "milady-cloud"
}

func showWindow(base, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/window/show", strings.NewReader("{}"))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := probe.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
