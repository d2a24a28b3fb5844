package app_test

import (
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// TestTopUpOpensDebounced: 100 top-up requests open the browser once, and
// each still answers ok; once 2 s have passed (on the injectable clock)
// the next one opens it again.
func TestTopUpOpensDebounced(t *testing.T) {
	dir := t.TempDir()
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	opener := &apptest.Opener{}
	logger := apptest.Logger(&apptest.Buffer{}, slog.LevelDebug)
	svc, db := apptest.NewService(t, apptest.ServiceConfig{ConfigPath: filepath.Join(dir, "milady.json"),
		StateDir: filepath.Join(dir, "state"), Sim: apptest.StartSim(t),
		Options: app.Options{Version: "test", Logger: logger, Opener: opener, Env: &apptest.Env{}, Clock: clk}})
	h := serve(t, svc, db, logger)
	// Logged out, a top-up opens the billing page; a debounced one answers
	// that page too, without opening it again.
	want := `{"ok":true,"url":"` + svc.Snapshot().Credits.TopUpURL + `"}`

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 25 {
				if r := h.do("POST", "/api/cloud/topup", ""); r.status != 200 || string(r.body) != want {
					t.Errorf("top-up answered %d %s", r.status, r.body)
				}
			}
		}()
	}
	wg.Wait()
	if n := len(opener.URLs()); n != 1 {
		t.Fatalf("100 top-ups opened the browser %d times, want 1", n)
	}
	clk.Advance(app.OpenInterval - time.Millisecond)
	h.expect("POST", "/api/cloud/topup", "", 200)
	if n := len(opener.URLs()); n != 1 {
		t.Fatalf("opened again %v after the last open", app.OpenInterval-time.Millisecond)
	}
	clk.Advance(time.Millisecond)
	h.expect("POST", "/api/cloud/topup", "", 200)
	if n := len(opener.URLs()); n != 2 {
		t.Fatalf("after %v: %d opens, want 2", app.OpenInterval, n)
	}
}
