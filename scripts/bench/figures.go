package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func pct(xs []float64, p float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s[int(float64(len(s)-1)*p)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// timeToHealth starts a program and measures exec → first 200 on /api/health.
func timeToHealth(env []string, name string, args ...string) time.Duration {
	t0 := time.Now()
	p, _ := startProc(env, name, args...)
	defer func() { _ = p.cmd.Process.Kill(); _ = p.cmd.Wait() }()
	for {
		res, err := p.client.Get(p.url + "/api/health")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return time.Since(t0)
			}
		}
		time.Sleep(500 * time.Microsecond)
	}
}

func benchStart(bin, bare, work string, n int) figure {
	var app, base []float64
	for i := 0; i < n; i++ {
		dir, err := os.MkdirTemp(work, "start-")
		must(err)
		env := []string{"MILADY_STATE_DIR=" + filepath.Join(dir, "s"), "MILADY_CONFIG_PATH=" + filepath.Join(dir, "c.json"),
			"DISPLAY=", "WAYLAND_DISPLAY="}
		base = append(base, ms(timeToHealth(nil, bare, "-port", "0")))
		app = append(app, ms(timeToHealth(env, bin, "--headless", "--port", "0")))
	}
	d := median(app) - median(base)
	fmt.Printf("start to /api/health: app median %.1f ms, bare net/http median %.1f ms (%d interleaved starts each)\n", median(app), median(base), n)
	return figure{"headless start to /api/health, minus bare net/http", fmt.Sprintf("+%.1f ms (%.1f vs %.1f)", d, median(app), median(base)), "≤ +80 ms", d <= 80}
}

func benchMemory(p *proc) figure {
	time.Sleep(3 * time.Second)
	mb := anonMB(p.cmd.Process.Pid)
	fmt.Printf("idle anonymous memory after login: %.1f MB\n", mb)
	return figure{"headless idle anonymous memory (smaps_rollup)", fmt.Sprintf("%.1f MB", mb), "≤ 25 MB", mb <= 25}
}

// load runs c workers doing GET url for d and returns requests per second.
func load(client *http.Client, url string, c int, d time.Duration) float64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				res, err := client.Get(url)
				if err != nil {
					continue
				}
				_, _ = bufio.NewReader(res.Body).WriteTo(discard{})
				res.Body.Close()
				if res.StatusCode == 200 {
					n.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / d.Seconds()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func benchThroughput(app *proc, bare string) []figure {
	b, _ := startProc(nil, bare, "-port", "0")
	defer b.stop()
	var figs []figure
	for _, c := range []int{1, 8, 32} {
		var ra, rb []float64
		for round := 0; round < 3; round++ { // interleaved rounds
			rb = append(rb, load(b.client, b.url+"/api/cloud/status", c, 700*time.Millisecond))
			ra = append(ra, load(app.client, app.url+"/api/cloud/status", c, 700*time.Millisecond))
		}
		ratio := median(ra) / median(rb)
		fmt.Printf("GET /api/cloud/status at concurrency %d: app %.0f req/s, bare %.0f req/s\n", c, median(ra), median(rb))
		figs = append(figs, figure{fmt.Sprintf("GET /api/cloud/status throughput vs bare (c=%d)", c),
			fmt.Sprintf("%.2f× (%.0f vs %.0f req/s)", ratio, median(ra), median(rb)), "≥ 0.7×", ratio >= 0.7})
	}
	return figs
}

func benchChat(p *proc, agent string) figure {
	key := p.apiKey()
	var viaApp, direct []float64
	rpc := func(i int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"message.send","params":{"text":"ping %d","roomId":"bench","channelType":"DM"}}`, i, i)
	}
	for i := 0; i < 200; i++ {
		t0 := time.Now()
		code, _ := p.call(p.client, "POST", p.url+"/api/chat", fmt.Sprintf(`{"text":"ping %d","roomId":"bench"}`, i))
		if code == 200 {
			viaApp = append(viaApp, ms(time.Since(t0)))
		}
		t0 = time.Now()
		code, _ = p.call(p.sim, "POST", p.simURL+"/api/v1/milady/agents/"+agent+"/bridge", rpc(i), "X-Api-Key", key)
		if code == 200 {
			direct = append(direct, ms(time.Since(t0)))
		}
	}
	d := median(viaApp) - median(direct)
	fmt.Printf("chat: via app p50 %.2f ms p99 %.2f ms; simulator directly p50 %.2f ms p99 %.2f ms\n",
		median(viaApp), pct(viaApp, 0.99), median(direct), pct(direct, 0.99))
	return figure{"chat proxy added latency (POST /api/chat vs simulator)", fmt.Sprintf("+%.2f ms median", d), "≤ 2 ms", d <= 2}
}

// firstChunk posts a streaming request and returns the time to the first
// chunk event.
func firstChunk(c *http.Client, url, body string, hdr ...string) (time.Duration, bool) {
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	t0 := time.Now()
	res, err := c.Do(req)
	if err != nil {
		return 0, false
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if sc.Text() == "event: chunk" {
			return time.Since(t0), true
		}
	}
	return 0, false
}

func benchStream(p *proc, agent string) figure {
	key := p.apiKey()
	var viaApp, direct []float64
	for i := 0; i < 60; i++ {
		if d, ok := firstChunk(p.client, p.url+"/api/chat/stream", fmt.Sprintf(`{"text":"stream %d","roomId":"bench"}`, i)); ok {
			viaApp = append(viaApp, ms(d))
		}
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"message.send","params":{"text":"stream %d","roomId":"bench"}}`, i, i)
		if d, ok := firstChunk(p.sim, p.simURL+"/api/v1/milady/agents/"+agent+"/stream", body, "X-Api-Key", key); ok {
			direct = append(direct, ms(d))
		}
	}
	if len(viaApp) == 0 || len(direct) == 0 {
		return figure{"stream: chunk latency added by the app", "no chunks received", "≤ 5 ms", false}
	}
	d := median(viaApp) - median(direct)
	fmt.Printf("stream: first chunk via app median %.2f ms, simulator directly %.2f ms\n", median(viaApp), median(direct))
	return figure{"stream: chunk reaches the local SSE client (added)", fmt.Sprintf("+%.2f ms median", d), "≤ 5 ms", d <= 5}
}

func simBalanceCalls(p *proc) int {
	code, b := p.call(p.sim, "GET", p.simURL+"/__sim/requests", "")
	if code != 200 {
		must(fmt.Errorf("sim requests: %d %s", code, b))
	}
	var v any
	must(json.Unmarshal(b, &v))
	var list []any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		for _, k := range []string{"requests", "data"} {
			if l, ok := x[k].([]any); ok {
				list = l
			}
		}
	}
	n := 0
	for _, r := range list {
		if m, ok := r.(map[string]any); ok {
			path, _ := m["path"].(string)
			if path == "" {
				path, _ = m["Path"].(string)
			}
			if strings.HasPrefix(path, "/api/v1/credits/balance") {
				n++
			}
		}
	}
	return n
}

func benchCredits(p *proc) figure {
	fmt.Println("credits: waiting 16 s for the 15 s cache to expire…")
	time.Sleep(16 * time.Second)
	before := simBalanceCalls(p)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := 0; i < 1000; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, b := p.call(p.client, "GET", p.url+"/api/cloud/credits", "")
			if code != 200 || !strings.Contains(string(b), `"balance":`) {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	n := simBalanceCalls(p) - before
	fmt.Printf("credits: 1,000 concurrent GET /api/cloud/credits → %d upstream balance calls, %d failed\n", n, failed.Load())
	return figure{"upstream calls for 1,000 concurrent GET /api/cloud/credits", fmt.Sprintf("%d (failed %d)", n, failed.Load()), "≤ 1", n <= 1 && failed.Load() == 0}
}

func benchIdleCPU(p *proc, window time.Duration) figure {
	pid := p.cmd.Process.Pid
	c0 := cpuSeconds(pid)
	fmt.Printf("idle CPU: connected and idle for %s…\n", window)
	time.Sleep(window)
	used := cpuSeconds(pid) - c0
	scaled := used * float64(60*time.Second) / float64(window)
	return figure{fmt.Sprintf("CPU while connected and idle (%s, scaled to 60 s)", window), fmt.Sprintf("%.2f s", scaled), "≤ 0.2 s", scaled <= 0.2}
}
