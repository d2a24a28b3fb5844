package main

// Tests of the built binary for the files and secrets around --sim: the
// simulator never touches the user's config, database or autostart entry,
// the key leaves the disk at log-out even when the app is killed right
// after, and a browser the app starts does not inherit the key.

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// realConfig is what a user's milady.json looks like: comments, keys this
// app does not own, a logged-in key, and (here) a cloud that counts calls.
func realConfig(key, baseURL string) []byte {
	return []byte(`// Milady configuration — edited by hand
{
  "agents": {"defaults": {"model": "gpt-x"}}, // keep me
  "cloud": {
    "enabled": true,
    "apiKey": "` + key + `",
    "baseUrl": "` + baseURL + `",
  },
  "desktop": {"lastAgentId": "real-agent-0001", "wasConnected": true},
}
`)
}

// simControl waits for the running --sim app to announce its simulator and
// returns the simulator's URL and a client that trusts its certificate.
func simControl(t *testing.T, app *instance, h testbin.Home) (string, *http.Client) {
	t.Helper()
	m, err := app.WaitFor(app.Stderr, simLine, startBound)
	if err != nil {
		t.Fatal(err)
	}
	return m[1], testbin.SimClient(t, filepath.Join(h.State, "sim-ca.pem"))
}

// loginSim logs the running --sim app in through the simulator's approve
// step and returns the simulator's URL and control client.
func loginSim(t *testing.T, app *instance, h testbin.Home) (string, *http.Client) {
	t.Helper()
	simURL, sim := simControl(t, app, h)
	app.client().Login(t, func(sid string) {
		call(t, sim, "POST", simURL+"/__sim/sessions/"+sid+"/approve", map[string]any{}, 200)
	})
	return simURL, sim
}

// TestSimSealedOff is `make demo` on a machine with a real Milady setup:
// ~/.milady/milady.json and a MILADY_CONFIG_PATH file, both logged in. A
// simulator login and a toggle of start-at-login leave both files
// byte-identical, create no database or autostart entry outside
// <state>/sim, and send nothing to the configured cloud.
func TestSimSealedOff(t *testing.T) {
	t.Parallel()
	var cloudCalls atomic.Int32
	cloud := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cloudCalls.Add(1)
		http.Error(w, "the configured cloud must not be called", http.StatusTeapot)
	}))
	t.Cleanup(cloud.Close)

	h := testbin.NewHome(t)
	legacy := filepath.Join(h.Root, ".milady", "milady.json")
	if err := os.MkdirAll(filepath.Dir(legacy), 0o700); err != nil {
		t.Fatal(err)
	}
	legacyBytes := realConfig("eliza_REALKEY_legacy_0123456789abcdef", cloud.URL)
	envBytes := realConfig("eliza_REALKEY_envpath_0123456789abcdef", cloud.URL)
	for path, b := range map[string][]byte{legacy: legacyBytes, h.Config: envBytes} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	realAutostart := filepath.Join(h.Root, "xdg-config", "autostart")

	// Both ways a real config is found: MILADY_CONFIG_PATH, and without
	// it (and without MILADY_STATE_DIR, which would name its own
	// milady.json) ~/.milady/milady.json.
	for _, c := range []struct {
		name  string
		extra map[string]string
		state string
	}{
		{"MILADY_CONFIG_PATH", map[string]string{"MILADY_CLOUD_ALLOW_LOOPBACK": "1"}, h.State},
		{"~/.milady", map[string]string{"MILADY_CONFIG_PATH": "", "MILADY_STATE_DIR": "", "MILADY_CLOUD_ALLOW_LOOPBACK": "1"},
			filepath.Join(h.Root, "xdg-data", "milady-cloud")},
	} {
		t.Run(c.name, func(t *testing.T) {
			hh := h
			hh.State = c.state
			app := startApp(t, "app", hh, c.extra, "--headless", "--sim", "--port", "0")
			st := call(t, httpc, "GET", app.url+"/api/cloud/status", nil, 200)
			if st["hasApiKey"] != false {
				t.Errorf("the simulator started with the real login: %v", st)
			}
			loginSim(t, app, hh)
			call(t, httpc, "POST", app.url+"/api/settings", map[string]any{"startAtLogin": true}, 200)
			call(t, httpc, "POST", app.url+"/api/settings", map[string]any{"notifications": false}, 200)
			app.stop(t, syscall.SIGTERM)

			for path, want := range map[string][]byte{legacy: legacyBytes, h.Config: envBytes} {
				if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s changed by the simulator (%v):\n%s", path, err, got)
				}
			}
			if _, err := os.Stat(filepath.Join(c.state, "milady-cloud.db")); err == nil {
				t.Fatal("the simulator created or used the real database")
			}
			if _, err := os.Stat(realAutostart); err == nil {
				t.Fatal("the simulator wrote the real autostart folder")
			}
			if _, err := os.Stat(filepath.Join(c.state, "sim", "autostart", "milady-cloud.desktop")); err != nil {
				t.Fatalf("start-at-login in the simulator: no entry in its own folder: %v", err)
			}
			simCfg, err := os.ReadFile(filepath.Join(c.state, "sim", "milady.json"))
			if err != nil || !bytes.Contains(simCfg, []byte(`"apiKey": "eliza_`)) || bytes.Contains(simCfg, []byte("REALKEY")) {
				t.Fatalf("the simulator's own milady.json (%v):\n%s", err, simCfg)
			}
			if _, err := os.Stat(filepath.Join(c.state, "sim", "milady-cloud.db")); err != nil {
				t.Fatalf("no database in the simulator folder: %v", err)
			}
			if n := cloudCalls.Load(); n != 0 {
				t.Fatalf("the configured cloud got %d requests", n)
			}
		})
	}
}

// TestSimLogoutKeyGoneAfterKill: log out through REST, SIGKILL the app
// within a second, and the key is in no file of the state folder.
func TestSimLogoutKeyGoneAfterKill(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	app := startApp(t, "app", h, nil, "--headless", "--sim", "--port", "0")
	loginSim(t, app, h)
	simCfg := filepath.Join(h.State, "sim", "milady.json")
	raw, err := os.ReadFile(simCfg)
	if err != nil {
		t.Fatal(err)
	}
	key := regexp.MustCompile(`eliza_[A-Za-z0-9_-]+`).Find(raw)
	if key == nil {
		t.Fatalf("no key in %s:\n%s", simCfg, raw)
	}
	if !stateHolds(t, h.State, key) {
		t.Fatal("the key is in no file of the state folder after login: the check below would prove nothing")
	}
	call(t, httpc, "POST", app.url+"/api/cloud/disconnect", map[string]any{}, 200)
	start := time.Now()
	if err := app.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(exitBound); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("SIGKILL took %s", d)
	}
	if stateHolds(t, h.State, key) {
		t.Fatal("the key survived log-out + SIGKILL in a file of the state folder")
	}
}

// stateHolds reports whether any file under dir holds b.
func stateHolds(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	found := false
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return nil
		}
		if data, err := os.ReadFile(path); err == nil && bytes.Contains(data, b) {
			t.Logf("%s holds the key", path)
			found = true
		}
		return nil
	})
	return found
}

// TestSimBrowserWithoutKey: after a login the app has the key in its
// environment (for Milady); the browser it opens (here a fake xdg-open
// that records its environment) gets none of the ELIZAOS_* variables.
func TestSimBrowserWithoutKey(t *testing.T) {
	t.Parallel()
	h := testbin.NewHome(t)
	bin := filepath.Join(h.Root, "bin")
	rec := filepath.Join(h.Root, "xdg-open.env")
	if err := os.MkdirAll(bin, 0o700); err != nil {
		t.Fatal(err)
	}
	script := "#!/bin/sh\nenv > '" + rec + ".tmp' && mv '" + rec + ".tmp' '" + rec + "'\n"
	if err := os.WriteFile(filepath.Join(bin, "xdg-open"), []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PATH": bin + string(os.PathListSeparator) + os.Getenv("PATH")}
	app := startApp(t, "app", h, env, "--headless", "--sim", "--port", "0")
	loginSim(t, app, h)
	call(t, httpc, "POST", app.url+"/api/cloud/topup", map[string]any{}, 200)
	var got []byte
	apptest.Eventually(t, pollBound, "the fake xdg-open ran", func() bool {
		got, _ = os.ReadFile(rec)
		return len(got) > 0
	})
	if bytes.Contains(got, []byte("ELIZAOS_")) || bytes.Contains(got, []byte("eliza_")) {
		t.Fatalf("the browser inherited the key:\n%s", got)
	}
	if !strings.Contains(string(got), "HOME="+h.Root) {
		t.Fatalf("the browser lost the rest of the environment:\n%s", got)
	}
	app.stop(t, syscall.SIGTERM)
}
