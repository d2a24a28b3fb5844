//go:build redteam

package redteam

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// attackStorageFlood: huge roomIds filled the chat history database.
func attackStorageFlood(a *attack) {
	h, sim, env := simHome(a)
	app := start(a, h, env)
	login(a, app, sim)
	connectAgent(a, app)
	room := strings.Repeat("r", 900<<10)
	codes := map[int]int{}
	for range 50 {
		r, err := do(hc, "POST", app.url+"/api/chat", nil, map[string]any{"text": "hi", "roomId": room})
		if err != nil {
			a.fatal("POST /api/chat: %v", err)
		}
		codes[r.status]++
	}
	if codes[400] != 50 {
		a.fail("50 chats with a 900 KB roomId answered %v (status: count), want 400 each", codes)
	}
	var size int64
	_ = filepath.WalkDir(h.State, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".db") {
			if fi, err := d.Info(); err == nil {
				size += fi.Size()
			}
		}
		return nil
	})
	if size >= 5<<20 {
		a.fail("the database grew to %.1f MB", float64(size)/(1<<20))
	}
	a.pass("50 × 900 KB roomIds → 400 each, database %.1f MB", float64(size)/(1<<20))
}

// attackEventStreams: every open event stream costs memory and a file
// descriptor; at most 64 are accepted, the rest get 503.
func attackEventStreams(a *attack) {
	app := start(a, testbin.NewHome(a.t), nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 100}}
	defer c.CloseIdleConnections()
	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for range 70 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// The request's context must outlive this goroutine: cancelling
			// it closes the stream, which frees its slot at once.
			hctx, hcancel := context.WithTimeout(ctx, 10*time.Second)
			req, _ := http.NewRequestWithContext(hctx, "GET", app.url+"/api/cloud/events", nil)
			res, err := c.Do(req)
			key := ""
			if err != nil {
				hcancel()
				key = "error"
			} else {
				key = fmt.Sprint(res.StatusCode)
				// Hold the stream until every request has its answer.
				go func() { <-ctx.Done(); res.Body.Close(); hcancel() }()
			}
			mu.Lock()
			codes[key]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes["200"] > 64 || codes["200"] == 0 || codes["200"]+codes["503"] != 70 {
		a.fail("70 concurrent event streams: %v (status: count), want at most 64 × 200 and the rest 503", codes)
	}
	a.pass("70 concurrent event streams → %d accepted, %d × 503", codes["200"], codes["503"])
}

// attackTopUpDebounce: a page (or a stuck key) hammering top-up must not
// open a browser tab per request.
func attackTopUpDebounce(a *attack) {
	h, sim, env := simHome(a)
	path, dir := fakeBrowser(a)
	env["PATH"] = path
	app := start(a, h, env)
	login(a, app, sim)
	began := time.Now()
	var ok atomic.Int32
	var wg sync.WaitGroup
	jobs := make(chan struct{})
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if r, err := do(hc, "POST", app.url+"/api/cloud/topup", nil, map[string]any{}); err == nil && r.status/100 != 5 {
					ok.Add(1)
				}
			}
		}()
	}
	for range 100 {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	took := time.Since(began)
	// One open per 2 s is the allowance.
	allowed := 1 + int(took/(2*time.Second))
	// Opens may be started after the answer: give them a moment to show.
	waitUntil(1500*time.Millisecond, func() bool { return len(opens(dir)) > allowed })
	n := len(opens(dir))
	if n > allowed || n == 0 {
		a.fail("100 top-ups in %s opened the browser %d times, want 1 (at most %d)", took.Round(time.Millisecond), n, allowed)
	}
	if ok.Load() != 100 {
		a.fail("%d of 100 top-ups answered without a server error", ok.Load())
	}
	a.pass("100 top-ups in %s → %d browser open(s)", took.Round(time.Millisecond), n)
}

// attackBodyDeadline: a client sending a request body one byte a second,
// forever, must be cut off once the body deadline (30 s) passes. The
// binary has no knob to shorten it, so this waits up to 35 s; it runs
// beside the other attacks.
func attackBodyDeadline(a *attack) {
	const bound = 35 * time.Second
	app := start(a, testbin.NewHome(a.t), nil)
	conn, err := net.Dial("tcp", app.url[len("http://"):])
	must(a, err)
	defer conn.Close()
	_, err = fmt.Fprintf(conn, "POST /api/chat HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n", app.url[len("http://"):])
	must(a, err)
	began := time.Now()
	cut := make(chan string, 1)
	go func() {
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil {
			cut <- "connection closed (" + err.Error() + ")"
			return
		}
		cut <- "answered " + strings.TrimSpace(line)
	}()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	limit := time.NewTimer(bound)
	defer limit.Stop()
	for {
		select {
		case how := <-cut:
			took := time.Since(began).Round(100 * time.Millisecond)
			a.pass("a never-ending chunked body (1 byte/s) was cut after %s: %s", took, how)
			return
		case <-limit.C:
			a.fatal("a never-ending chunked body (1 byte/s) was still being read after %s (bodies must arrive within 30 s)", bound)
		case <-tick.C:
			if _, err := conn.Write([]byte("1\r\n \r\n")); err != nil {
				took := time.Since(began).Round(100 * time.Millisecond)
				a.pass("a never-ending chunked body (1 byte/s) was cut after %s: write failed (%v)", took, err)
				return
			}
		}
	}
}

// attackErrorCut: a cloud error message of 100 KB is cut to about 1 KiB
// before it reaches the response and the log.
func attackErrorCut(a *attack) {
	h, sim, env := simHome(a)
	app := start(a, h, env)
	login(a, app, sim)
	huge := strings.Repeat("E", 100_000)
	sim.InjectFault(cloudsim.Fault{Method: "POST", Path: "/api/v1/milady/agents", Status: 400,
		Body: `{"success":false,"error":"` + huge + `"}`})
	sim.InjectFault(cloudsim.Fault{Method: "POST", Path: "/api/v1/milaidy/agents", Status: 400,
		Body: `{"success":false,"error":"` + huge + `"}`})
	r, err := do(hc, "POST", app.url+"/api/cloud/agents", nil, map[string]any{"agentName": "redteam"})
	if err != nil {
		a.fatal("POST /api/cloud/agents: %v", err)
	}
	if r.status/100 == 2 {
		a.fatal("the injected cloud error did not reach the app: %s", r)
	}
	longest := func(s string) int {
		best, run := 0, 0
		for i := 0; i < len(s); i++ {
			if s[i] == 'E' {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
		return best
	}
	if n := longest(string(r.body)); n > 1100 {
		a.fail("the response relays %d bytes of the cloud's 100 KB error message (HTTP %d, %d bytes), want ≤ 1 KiB", n, r.status, len(r.body))
	} else if n == 0 {
		a.fail("the response relays nothing of the cloud's message (%s)", r)
	}
	if n := longest(app.Stderr.String()); n > 1100 {
		a.fail("the log holds %d bytes of the cloud's 100 KB error message in one line, want ≤ 1 KiB", n)
	}
	a.pass("a 100 KB cloud error → HTTP %d, %d bytes of it in the response, ≤ 1 KiB in the log", r.status, longest(string(r.body)))
}

// attackLogRotation: the log file never rotated. A log already over the
// rotation size (12 MiB, well above a 5 MiB rotation size) must be rotated
// by the first line the app writes.
func attackLogRotation(a *attack) {
	h := testbin.NewHome(a.t)
	must(a, os.MkdirAll(h.State, 0o700))
	logFile := filepath.Join(h.State, "milady-cloud.log")
	line := `time=2026-01-01T00:00:00Z level=INFO msg="an old line from a long-running session"` + "\n"
	const seeded = 12 << 20
	must(a, os.WriteFile(logFile, []byte(strings.Repeat(line, seeded/len(line)+1)), 0o600))
	app := start(a, h, nil)
	if msg := app.stop(); msg != "" {
		a.fail("%s", msg)
	}
	fi, err := os.Stat(logFile)
	if err != nil {
		a.fatal("the log file is gone: %v", err)
	}
	if fi.Size() >= seeded {
		a.fail("milady-cloud.log was not rotated: %.1f MiB after start-up (seeded with %d MiB)", float64(fi.Size())/(1<<20), seeded>>20)
	}
	backups, _ := filepath.Glob(filepath.Join(h.State, "milady-cloud*.log*"))
	a.pass("a 12 MiB log was rotated at start-up: now %d KiB, %d log file(s)", fi.Size()>>10, len(backups))
}
