//go:build linux && traye2e

package traytest_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/tray"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// serviceRig is the desktop composition main.go builds (a real app.Service
// over the cloud simulator, the tray beside it, the notifier and the
// autostart switch), with intervals short enough for a test.
type serviceRig struct {
	t         *testing.T
	sim       *cloudsim.Server
	svc       *app.Service
	tray      *tray.Tray
	opts      rigOptions
	opener    *apptest.Opener
	env       *apptest.Env
	dashboard chan struct{}   // one value per tray "open dashboard"
	logs      *apptest.Buffer // the Service's and the tray's slog output
	cfgPath   string
}

// rigOptions are the parts a test chooses.
type rigOptions struct {
	// Config is milady.json before start ("" for no file).
	Config string
	// Notifier delivers alerts (nil: the Service logs them).
	Notifier app.Sender
	// Autostart is the start-at-login switch given to the Service (nil:
	// none, so the tray hides the checkbox).
	Autostart app.Autostart
	// FreshMinGap overrides the 5 s gap between forced balance fetches.
	FreshMinGap time.Duration
	// Sim is the simulator to use (nil: a fresh one), for a test that
	// prepares the cloud before the Service starts.
	Sim *cloudsim.Server
}

// startService starts the simulator and a Service against it; both stop at
// cleanup. The tray is started separately (startTray) so a test can look at
// the Service first.
func startService(t *testing.T, o rigOptions) *serviceRig {
	t.Helper()
	r := &serviceRig{
		t:         t,
		opts:      o,
		opener:    &apptest.Opener{},
		env:       &apptest.Env{},
		dashboard: make(chan struct{}, 16),
		logs:      &apptest.Buffer{},
	}
	r.sim = o.Sim
	if r.sim == nil {
		r.sim = apptest.StartSim(t)
	}
	dir := t.TempDir()
	r.cfgPath = filepath.Join(dir, "config", "milady.json")
	if o.Config != "" {
		apptest.WriteConfig(t, r.cfgPath, o.Config)
	}
	mc := apptest.FastManager() // backups an hour apart: only the final snapshot counts
	opts := app.Options{
		Version:         "test",
		Logger:          apptest.Logger(r.logs, slog.LevelDebug),
		Opener:          r.opener,
		Notifier:        o.Notifier,
		Env:             r.env,
		LoginPoll:       20 * time.Millisecond,
		FreshMinGap:     o.FreshMinGap,
		ManagerOverride: &mc,
	}
	if o.Autostart != nil {
		opts.Autostart = o.Autostart
	}
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: r.cfgPath,
		StateDir:   filepath.Join(dir, "state"),
		Sim:        r.sim,
		Options:    opts,
	})
	r.svc = svc
	svc.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.Shutdown(ctx); err != nil {
			t.Errorf("service shutdown: %v", err)
		}
		_ = db.Close()
	})
	return r
}

// startTray starts the tray over the Service as main.go does, and records
// whether a tray host shows it. It reports what Start reported.
func (r *serviceRig) startTray() bool {
	r.t.Helper()
	topts := tray.Options{
		Logger:        apptest.Logger(r.logs, slog.LevelInfo).With("component", "tray"),
		OpenDashboard: func() { r.dashboard <- struct{}{} },
	}
	topts.StartAtLogin = r.opts.Autostart != nil
	r.tray = tray.New(r.svc, r.svc.Agents(), topts)
	ok := r.tray.Start()
	r.t.Cleanup(r.tray.Stop) // runs before the Service's shutdown, as in main
	r.svc.SetTrayAvailable(ok && tray.TrayHostPresent())
	return ok
}

// approvePendingLogin approves the login the Service has pending in the
// simulator (as the user would in the browser) and waits for the Service
// to hold the key and have checked it.
func (r *serviceRig) approvePendingLogin() {
	r.t.Helper()
	var sid string
	apptest.Eventually(r.t, wait, "a pending login", func() bool {
		l := r.svc.Snapshot().Login
		sid = l.SessionID
		return l.Status == "pending" && sid != ""
	})
	if err := r.sim.ApproveSession(sid); err != nil {
		r.t.Fatalf("approve login session: %v", err)
	}
	apptest.Eventually(r.t, wait, "logged in", func() bool {
		s := r.svc.Snapshot()
		return s.LoggedIn && s.IdentityChecked
	})
}

// login runs the whole login without the tray: StartLogin, approve, wait.
func (r *serviceRig) login() {
	r.t.Helper()
	if _, err := r.svc.StartLogin(context.Background()); err != nil {
		r.t.Fatalf("start login: %v", err)
	}
	r.approvePendingLogin()
}

// apiKey is the key the Service adopted (from the environment it sets).
func (r *serviceRig) apiKey() string {
	return r.env.Get("ELIZAOS_CLOUD_API_KEY")
}

// checkLogs fails on warnings or errors in the logs and on the API key
// appearing anywhere in them.
func (r *serviceRig) checkLogs() {
	r.t.Helper()
	out := r.logs.String()
	if key := r.apiKey(); key != "" && strings.Contains(out, key) {
		r.t.Error("the API key appears in the logs")
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "cloud URL policy admits loopback addresses") {
			continue // the simulator is on loopback; main warns about it too
		}
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			r.t.Errorf("unexpected warning in the logs: %s\nall logs:\n%s", line, out)
			return
		}
	}
}
