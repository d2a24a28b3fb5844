//go:build redteam

package redteam

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// crashLine is what a Go crash or a race report prints.
var crashLine = regexp.MustCompile(`(?m)^(panic: .*|fatal error: .*|WARNING: DATA RACE)$`)

// attackLifecycle: requests fired while the app starts and while it shuts
// down (a SIGTERM during start-up, or amid traffic) must never crash it:
// 20 rounds on a logged-in config, so start-up restores the key and starts
// its background work while logins, polls and streams arrive.
func attackLifecycle(a *attack) {
	const rounds = 20
	h, sim, env := simHome(a)
	setup := start(a, h, env)
	login(a, setup, sim)
	if msg := setup.stop(); msg != "" {
		a.fatal("setup: %s", msg)
	}
	c := &http.Client{Timeout: 2 * time.Second}
	defer c.CloseIdleConnections()
	var problems []string
	var total atomic.Int64
	early := 0
	for i := range rounds {
		port := strconv.Itoa(testbin.FreePort(a.t))
		base := "http://127.0.0.1:" + port
		in := launch(a, h, env, "--headless", "--port", port)
		done := make(chan struct{})
		var served, idle atomic.Int32
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer idle.Add(1)
				rng := rand.New(rand.NewPCG(uint64(i), uint64(w)))
				// Bounded: at most 50 answered requests per worker and
				// round, and at most one attempt a millisecond while the
				// port refuses connections (before start-up binds it).
				tick := time.NewTicker(time.Millisecond)
				defer tick.Stop()
				for answered, tries := 0, 0; answered < 50 && tries < 5000; tries++ {
					select {
					case <-done:
						return
					case <-tick.C:
					}
					if fire(c, base, rng) {
						answered++
						served.Add(1)
						total.Add(1)
					}
				}
			}()
		}
		// Even rounds: SIGTERM as soon as the port accepts (during
		// start-up). Odd rounds: once 20 requests were answered (amid
		// traffic, which goes on during the shutdown).
		waitUntil(startBound, func() bool {
			if in.Exited() {
				return true
			}
			if i%2 == 0 {
				conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
				if err == nil {
					conn.Close()
					return true
				}
				return false
			}
			return served.Load() >= 20 || idle.Load() == 4
		})
		_ = in.Signal(syscall.SIGTERM)
		code, err := in.Wait(exitBound)
		close(done)
		wg.Wait()
		out := in.Stderr.String()
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("round %d: %v", i, err))
			_ = in.Signal(os.Kill)
		case crashLine.MatchString(out):
			problems = append(problems, fmt.Sprintf("round %d: exit %d with %q", i, code, crashLine.FindString(out)))
		case code == -1:
			// Killed by a signal: the SIGTERM itself, before the app
			// installed its handler (the default action, not a crash).
			early++
		case code != 0:
			problems = append(problems, fmt.Sprintf("round %d: exit code %d: %s", i, code, tail(out, 200)))
		}
	}
	if len(problems) > 0 {
		a.fail("%d of %d rounds crashed or hung: %s", len(problems), rounds, strings.Join(problems, "; "))
	}
	a.pass("%d rounds of SIGTERM during start-up or amid traffic (%d requests): no panic, no race; exit 0 (%d ended by the signal before the handler was installed)",
		rounds, total.Load(), early)
}

// fire makes one random request a page or the dashboard could make; true
// when the app answered at all.
func fire(c *http.Client, base string, rng *rand.Rand) bool {
	var (
		method = "GET"
		path   string
		body   any
	)
	switch rng.IntN(8) {
	case 0:
		path = "/api/health"
	case 1:
		path = "/api/cloud/status"
	case 2:
		method, path, body = "POST", "/api/cloud/login", map[string]any{}
	case 3:
		path = "/api/cloud/login/status?sessionId=" + randomID()
	case 4:
		path = "/api/cloud/credits?fresh=1"
	case 5:
		method, path, body = "POST", "/api/settings", map[string]any{"notifications": rng.IntN(2) == 0}
	case 6:
		path = "/api/cloud/agents"
	case 7:
		// An event stream held for a moment.
		ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/cloud/events", nil)
		res, err := c.Do(req)
		if err != nil {
			return false
		}
		<-ctx.Done()
		res.Body.Close()
		return true
	}
	_, err := do(c, method, base+path, nil, body)
	return err == nil
}
