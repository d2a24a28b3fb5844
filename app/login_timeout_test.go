package app_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// The in-app login polls every LoginPoll and gives up at LoginTimeout, both
// on the injectable clock: three polls in 7 s (none at the deadline), the
// error shown, and the one-login lock released.
func TestInAppLoginGivesUpOnTheClock(t *testing.T) {
	sim := apptest.StartSim(t)
	clk := clock.NewFake(time.Time{})
	dir := t.TempDir()
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: filepath.Join(dir, "milady.json"),
		StateDir:   filepath.Join(dir, "state"),
		Sim:        sim,
		Options: app.Options{Clock: clk, LoginPoll: 2 * time.Second, LoginTimeout: 7 * time.Second,
			Env: &apptest.Env{}, Opener: &apptest.Opener{}},
	})
	svc.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = svc.Shutdown(ctx)
		_ = db.Close()
	})
	ctx := context.Background()
	first, err := svc.BeginBrowserLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	polls := func() int { return sim.CountRequests("GET", "/api/auth/cli-session/"+first.SessionID) }
	// Armed: the credits poller, the login deadline and the next poll.
	for i := 1; i <= 3; i++ {
		if !clk.WaitFor(3, 5*time.Second) {
			t.Fatalf("poll %d: timers not armed (%d)", i, clk.Pending())
		}
		clk.Advance(2 * time.Second)
		apptest.Eventually(t, 5*time.Second, "a poll", func() bool { return polls() == i })
	}
	if !clk.WaitFor(3, 5*time.Second) {
		t.Fatal("timers not armed before the deadline")
	}
	clk.Advance(2 * time.Second) // 8 s: the 7 s deadline and the 8 s poll are both due
	apptest.Eventually(t, 5*time.Second, "the login to time out", func() bool {
		l := svc.Snapshot().Login
		return l.Status == "error" && strings.Contains(l.Error, "timed out")
	})
	if n := polls(); n != 3 {
		t.Fatalf("%d polls, want 3 (none at or after the deadline)", n)
	}
	again, err := svc.BeginBrowserLogin(ctx)
	if err != nil || again.SessionID == first.SessionID {
		t.Fatalf("a new login after the timeout = %+v, %v (first %s)", again, err, first.SessionID)
	}
}
