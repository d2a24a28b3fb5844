package app_test

import (
	"github.com/milady-ai/milady-cloud/internal/testbin"
	"testing"
)

// TestBackupSkipWhenIdleSetting: the setting defaults to true, and
// POST /api/settings {backupSkipWhenIdle} writes cloud.backup.skipWhenIdle
// to milady.json, keeping every other key, and shows in the snapshot.
func TestBackupSkipWhenIdleSetting(t *testing.T) {
	h := newHarness(t, harnessOpts{configText: `{
  // a user's file, comments and all
  "cloud": { "backup": { "autoBackupIntervalMs": 120000 }, "bridge": { "heartbeatIntervalMs": 45000 } },
  "theirs": { "kept": [1, 2, 3] }
}`})
	if m := h.expect("GET", "/api/cloud/snapshot", "", 200); testbin.Get(m, "settings", "backupSkipWhenIdle") != true {
		t.Fatalf("default backupSkipWhenIdle = %v, want true", testbin.Get(m, "settings", "backupSkipWhenIdle"))
	}
	m := h.expect("POST", "/api/settings", `{"backupSkipWhenIdle":false}`, 200)
	if testbin.Get(m, "settings", "backupSkipWhenIdle") != false || h.svc.Snapshot().Settings.BackupSkipWhenIdle {
		t.Fatalf("answer %v", m)
	}
	cfg := testbin.ReadConfig(t, h.cfgPath)
	if v := testbin.Get(cfg, "cloud", "backup", "skipWhenIdle"); v != false {
		t.Fatalf("cloud.backup.skipWhenIdle in the file = %v", v)
	}
	if testbin.Get(cfg, "cloud", "backup", "autoBackupIntervalMs") != float64(120000) ||
		testbin.Get(cfg, "cloud", "bridge", "heartbeatIntervalMs") != float64(45000) || testbin.Get(cfg, "theirs", "kept") == nil {
		t.Fatalf("other keys lost: %v", cfg)
	}
	h.expect("POST", "/api/settings", `{"backupSkipWhenIdle":true}`, 200)
	if v := testbin.Get(testbin.ReadConfig(t, h.cfgPath), "cloud", "backup", "skipWhenIdle"); v != true {
		t.Fatalf("cloud.backup.skipWhenIdle after turning it back on = %v", v)
	}
	if r := h.do("POST", "/api/settings", `{"backupSkipWhenIdle":"off"}`); r.Status != 400 ||
		string(r.Body) != `{"error":"backupSkipWhenIdle must be a boolean"}` {
		t.Fatalf("bad value: %d %s", r.Status, r.Body)
	}
}
