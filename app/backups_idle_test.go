package app_test

import (
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud"
	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// backupHour connects an agent, lets an hour pass a minute at a time on
// the fake clock (chatting through the app before each minute when
// active) and returns how many scheduled backups the cloud received.
func backupHour(t *testing.T, configText string, active bool) int {
	t.Helper()
	mc := cloud.ManagerConfig{HeartbeatInterval: 24 * time.Hour, BackupInterval: time.Minute} // skipWhenIdle from the config
	h, clk := timeHarness(t, mc, nil)
	if configText != "" {
		h.stop()
		apptest.WriteConfig(t, h.cfgPath, configText)
		h.start("")
	}
	h.login()
	id := h.connectNew("Hourly")
	taken := 0
	for range 60 {
		if active {
			h.expect("POST", "/api/chat", `{"text":"still here"}`, 200)
		}
		tick(t, clk, 3, time.Minute) // credits poll, heartbeat, backups
		// A backup due this minute has started; let it finish (it holds
		// the one backup slot) before the next minute.
		if active || configText != "" {
			apptest.Eventually(t, waitLimit, "the minute's backup", func() bool {
				at := h.svc.Snapshot().Connection.LastBackupAt
				return at != nil && !at.Before(clk.Now())
			})
		}
		taken = agentCalls(h.sim, id, "/snapshot")
	}
	h.expect("POST", "/api/cloud/agents/"+id+"/disconnect", "", 200) // waits for a running backup; adds the final one
	if n := agentCalls(h.sim, id, "/snapshot"); n != taken+1 {
		t.Fatalf("%d snapshots with the final one, want %d", n, taken+1)
	}
	return taken
}

// TestIdleHourMakesAHandfulOfBackups: by default (cloud.backup.skipWhenIdle
// absent = true) an hour with nothing happening makes at most a handful of
// backups, so the cloud's 10 kept backups are not all idle minutes.
func TestIdleHourMakesAHandfulOfBackups(t *testing.T) {
	if n := backupHour(t, "", false); n < 1 || n > 3 {
		t.Fatalf("%d backups in an idle hour, want a handful (the first after connecting)", n)
	}
}

// TestActiveHourBacksUpEveryMinute: chat through the app every minute
// makes a backup every minute.
func TestActiveHourBacksUpEveryMinute(t *testing.T) {
	if n := backupHour(t, "", true); n != 60 {
		t.Fatalf("%d backups in an active hour, want 60", n)
	}
}

// TestSkipWhenIdleFalseRestoresThePlainSchedule: cloud.backup.skipWhenIdle
// false in milady.json backs up every minute, idle or not.
func TestSkipWhenIdleFalseRestoresThePlainSchedule(t *testing.T) {
	if n := backupHour(t, `{"cloud":{"backup":{"skipWhenIdle":false}}}`, false); n != 60 {
		t.Fatalf("%d backups in an idle hour with skipWhenIdle false, want 60", n)
	}
}
