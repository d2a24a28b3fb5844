package tray

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// TestStartAtLoginClickReachesTheDashboard: the tray's checkbox goes
// through the Service, so the dashboard's subscription gets a "settings"
// event with the new value (the tray used to write the file itself, and the
// dashboard kept showing the old setting), and the menu follows the file.
func TestStartAtLoginClickReachesTheDashboard(t *testing.T) {
	dir := t.TempDir()
	as := &apptest.Autostart{}
	svc, db := apptest.NewService(t, apptest.ServiceConfig{
		ConfigPath: filepath.Join(dir, "milady.json"),
		StateDir:   filepath.Join(dir, "state"),
		Options:    app.Options{Version: "test", Autostart: as, Env: &apptest.Env{}, BaseURL: "https://cloud.invalid"},
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		_ = svc.Shutdown(ctx)
		_ = db.Close()
	})
	svc.Start()
	dashboard := svc.Subscribe()
	defer dashboard.Close()

	ctl := newController(svc, svc.Agents(), Options{StartAtLogin: true})
	view := &recView{ch: make(chan applied, 16)}
	var cl clicks
	click := make(chan struct{})
	cl[itemStartAtLogin] = click
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	trayed := svc.Subscribe()
	go func() {
		defer close(done)
		ctl.run(ctx, trayed.C(), svc.Snapshot(), cl, view)
	}()
	defer func() {
		cancel()
		<-done
		trayed.Close()
		ctl.drain(wait)
	}()

	view.until(t, "an unchecked box", func(a applied) bool { return !a.menu.StartAtLogin.Checked })
	click <- struct{}{}
	view.until(t, "a checked box", func(a applied) bool { return a.menu.StartAtLogin.Checked })
	if !as.Enabled() {
		t.Error("the click did not turn start at login on")
	}
	deadline := time.After(wait)
	for {
		select {
		case ev := <-dashboard.C():
			if ev.Type == app.EventSettings {
				if s, ok := ev.Data.(app.SettingsView); !ok || !s.StartAtLogin {
					t.Fatalf("settings event data = %#v, want startAtLogin on", ev.Data)
				}
				return
			}
		case <-deadline:
			t.Fatal("the dashboard got no settings event after the tray's click")
		}
	}
}
