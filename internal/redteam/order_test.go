//go:build redteam

package redteam

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// attackSnapshotOrder: two publishers could deliver their snapshots out of
// order, so a face rendered a stale state last. Every snapshot carries a
// sequence number; on one event stream they must never go backwards, while
// connects, disconnects, settings saves and balance reads race each other.
func attackSnapshotOrder(a *attack) {
	h, sim, env := simHome(a)
	app := start(a, h, env)
	login(a, app, sim)
	id := connectAgent(a, app)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", app.url+"/api/cloud/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		a.fatal("open the event stream: %v %v", err, res)
	}
	type seen struct {
		event string
		seq   any
		state any // connection.state
	}
	var (
		mu    sync.Mutex
		snaps []seen
	)
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event:"):
				name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:") && (name == "snapshot" || name == "state"):
				var o map[string]any
				_ = json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "data:"))), &o)
				mu.Lock()
				conn, _ := o["connection"].(map[string]any)
				snaps = append(snaps, seen{name, o["seq"], conn["state"]})
				mu.Unlock()
			}
		}
	}()

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 100; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if w == 0 {
					_, _ = do(hc, "POST", app.url+"/api/settings", nil, map[string]any{"notifications": n%2 == 0})
				} else {
					_, _ = do(hc, "GET", app.url+"/api/cloud/credits?fresh=1", nil, nil)
				}
			}
		}()
	}
	for range 3 {
		call(a, "POST", app.url+"/api/cloud/agents/"+id+"/disconnect", map[string]any{}, 200)
		call(a, "POST", app.url+"/api/cloud/agents/"+id+"/connect", map[string]any{}, 200)
	}
	close(stop)
	wg.Wait()
	// The last connect's "connected" state is the last event to wait for.
	waitUntil(5*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(snaps) > 0 && snaps[len(snaps)-1].state == "connected"
	})
	cancel()
	<-streamDone

	mu.Lock()
	defer mu.Unlock()
	if len(snaps) < 4 {
		a.fatal("only %d snapshot/state events on the stream during 3 disconnect/connect rounds", len(snaps))
	}
	var last float64
	for i, s := range snaps {
		seq, ok := s.seq.(float64)
		if !ok || seq <= 0 {
			a.fatal("%s event %d of %d carries no sequence number (seq = %v)", s.event, i+1, len(snaps), s.seq)
		}
		if seq < last {
			a.fatal("%s event %d of %d has seq %v after seq %v: an older snapshot was delivered last", s.event, i+1, len(snaps), seq, last)
		}
		last = seq
	}
	a.pass("%d snapshot/state events amid concurrent changes, seq never went backwards (last %v)", len(snaps), fmt.Sprint(last))
}
