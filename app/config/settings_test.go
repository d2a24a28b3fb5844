package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSettingsFromFixture(t *testing.T) {
	path, _ := fixture(t, "milady-full.json")
	st := mustOpen(t, path).Settings()
	want := Defaults()
	f := false
	want.Enabled = &f
	want.BaseURL = "https://www.elizacloud.ai"
	want.HeartbeatIntervalMs = 15000
	want.ReconnectIntervalMs = 2000
	want.MaxReconnectAttempts = 5
	want.AutoBackupIntervalMs = 120000
	want.Notifications = false
	want.CreditsPollIntervalMs = 30000
	if st.Enabled == nil || *st.Enabled != false {
		t.Fatalf("Enabled = %v", st.Enabled)
	}
	st.Enabled = want.Enabled
	if st != want {
		t.Errorf("settings\n got %v\nwant %v", st, want)
	}
}

func TestSettingsDefaultsAndBadValues(t *testing.T) {
	doc, err := parseDocument([]byte(`{
		"cloud": {"baseUrl": "  ", "bridge": {"heartbeatIntervalMs": -5, "reconnectIntervalMs": 2.5,
			"maxReconnectAttempts": "7", "maxHeartbeatFailures": 1e20}, "backup": {"autoBackupIntervalMs": 0}},
		"desktop": {"notifications": "no", "creditsPollIntervalMs": 1000.0, "wasConnected": true}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	st := settingsFrom(doc.tree)
	want := Defaults()
	want.CreditsPollIntervalMs = 1000
	want.WasConnected = true
	if st != want {
		t.Errorf("got %v\nwant %v", st, want)
	}
	if settingsFrom(nil) != Defaults() {
		t.Error("nil tree is not the defaults")
	}
	d := Defaults()
	if d.BaseURL != "https://www.elizacloud.ai" || d.HeartbeatIntervalMs != 30000 || d.ReconnectIntervalMs != 3000 ||
		d.MaxReconnectAttempts != 10 || d.MaxHeartbeatFailures != 3 || d.AutoBackupIntervalMs != 60000 ||
		!d.Notifications || d.CreditsPollIntervalMs != 60000 || d.Enabled != nil || d.WasConnected {
		t.Errorf("defaults differ from the spec: %v", d)
	}
}

func TestNormalizeBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.elizacloud.ai":        "https://www.elizacloud.ai",
		"https://www.elizacloud.ai/":       "https://www.elizacloud.ai",
		"https://www.elizacloud.ai/api/v1": "https://www.elizacloud.ai",
		" https://x.example/api/v1/ ":      "https://x.example",
		"https://x.example/base//":         "https://x.example/base",
		"https://x.example/api/v1/api/v1":  "https://x.example/api/v1",
		"https://x.example/api/v10":        "https://x.example/api/v10",
	} {
		if got := NormalizeBaseURL(in); got != want {
			t.Errorf("NormalizeBaseURL(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCloudEnabled(t *testing.T) {
	tr, fa := true, false
	for _, tc := range []struct {
		enabled *bool
		key     string
		want    bool
	}{
		{nil, "", false}, {nil, "k", true}, {&tr, "", true}, {&fa, "k", false}, {&tr, "k", true},
	} {
		if got := (Settings{Enabled: tc.enabled, APIKey: tc.key}).CloudEnabled(); got != tc.want {
			t.Errorf("CloudEnabled(enabled=%v, key=%q) = %v", tc.enabled, tc.key, got)
		}
	}
}

func TestSettingsNeverPrintKey(t *testing.T) {
	st := Defaults()
	st.APIKey = "eliza_supersecret"
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("settings", "s", st)
	for _, out := range []string{fmt.Sprint(st), fmt.Sprintf("%v %+v %s", st, st, st), buf.String()} {
		if strings.Contains(out, "supersecret") {
			t.Errorf("key printed: %s", out)
		}
	}
	if !strings.Contains(buf.String(), "redacted") {
		t.Errorf("log value lacks the redaction marker: %s", buf.String())
	}
}
