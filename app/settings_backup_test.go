package app_test

import (
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
	if m := h.expect("GET", "/api/cloud/snapshot", "", 200); dig(m, "settings", "backupSkipWhenIdle") != true {
		t.Fatalf("default backupSkipWhenIdle = %v, want true", dig(m, "settings", "backupSkipWhenIdle"))
	}
	m := h.expect("POST", "/api/settings", `{"backupSkipWhenIdle":false}`, 200)
	if dig(m, "settings", "backupSkipWhenIdle") != false || h.svc.Snapshot().Settings.BackupSkipWhenIdle {
		t.Fatalf("answer %v", m)
	}
	cfg := readJSON(t, h.cfgPath)
	if v := dig(cfg, "cloud", "backup", "skipWhenIdle"); v != false {
		t.Fatalf("cloud.backup.skipWhenIdle in the file = %v", v)
	}
	if dig(cfg, "cloud", "backup", "autoBackupIntervalMs") != float64(120000) ||
		dig(cfg, "cloud", "bridge", "heartbeatIntervalMs") != float64(45000) || dig(cfg, "theirs", "kept") == nil {
		t.Fatalf("other keys lost: %v", cfg)
	}
	h.expect("POST", "/api/settings", `{"backupSkipWhenIdle":true}`, 200)
	if v := dig(readJSON(t, h.cfgPath), "cloud", "backup", "skipWhenIdle"); v != true {
		t.Fatalf("cloud.backup.skipWhenIdle after turning it back on = %v", v)
	}
	if r := h.do("POST", "/api/settings", `{"backupSkipWhenIdle":"off"}`); r.status != 400 ||
		string(r.body) != `{"error":"backupSkipWhenIdle must be a boolean"}` {
		t.Fatalf("bad value: %d %s", r.status, r.body)
	}
}
