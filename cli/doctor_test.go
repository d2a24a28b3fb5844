package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/internal/dbustest"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// doctorHome is one user's files for a doctor run, pointed at an
// in-process simulator that trusts nothing but its own CA file.
type doctorHome struct {
	root, config string
	env          map[string]string
	sim          *cloudsim.Server
}

const goodLibs = "\tlibgtk-3.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libgtk-3.so.0\n" +
	"\tlibwebkit2gtk-4.1.so.0 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libwebkit2gtk-4.1.so.0\n"

func newDoctorHome(t *testing.T) *doctorHome {
	t.Helper()
	sim, err := cloudsim.New(cloudsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	root := t.TempDir()
	ca := filepath.Join(root, "sim-ca.pem")
	if err := os.WriteFile(ca, sim.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(root, "state")
	if err := os.Mkdir(state, 0o700); err != nil {
		t.Fatal(err)
	}
	h := &doctorHome{root: root, config: filepath.Join(root, "milady.json"), sim: sim, env: map[string]string{
		"HOME":                        root,
		"MILADY_CONFIG_PATH":          filepath.Join(root, "milady.json"),
		"MILADY_STATE_DIR":            state,
		"XDG_CONFIG_HOME":             filepath.Join(root, "xdg-config"),
		"MILADY_PORT":                 strconv.Itoa(testbin.FreePort(t)),
		"MILADY_CLOUD_ALLOW_LOOPBACK": "1",
		"SSL_CERT_FILE":               ca,
		"DISPLAY":                     ":77",
	}}
	h.writeConfig(t, sim.NewAPIKey(), sim.URL(), 0o600)
	return h
}

func (h *doctorHome) writeConfig(t *testing.T, key, base string, mode os.FileMode) {
	t.Helper()
	body := `{"cloud": {"enabled": true, "apiKey": "` + key + `", "baseUrl": "` + base + `"}}`
	if err := os.WriteFile(h.config, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(h.config, mode); err != nil {
		t.Fatal(err)
	}
}

// doctorRun runs doctor twice, as JSON (for the statuses) and as text
// (what the user reads), and returns the exit code, the checks by name
// and the text.
func (h *doctorHome) run(t *testing.T, tweak func(d *doctor)) (int, map[string]check, string) {
	t.Helper()
	var checks map[string]check
	var text string
	var codes [2]int
	for i, asJSON := range []bool{true, false} {
		var out, errOut bytes.Buffer
		e := &Env{Getenv: func(k string) string { return h.env[k] }, Stdout: &out, Stderr: &errOut}
		d, err := newDoctor(e, -1)
		if err != nil {
			t.Fatal(err)
		}
		d.ldconfig = func() (string, error) { return goodLibs, nil }
		if tweak != nil {
			tweak(d)
		}
		codes[i] = d.report(context.Background(), e, asJSON)
		if asJSON {
			var r struct {
				OK     bool    `json:"ok"`
				Checks []check `json:"checks"`
			}
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("doctor --json: %v\n%s", err, out.String())
			}
			checks = map[string]check{}
			for _, c := range r.Checks {
				checks[c.Name] = c
			}
			if r.OK != (codes[i] == 0) {
				t.Fatalf("ok=%t but exit %d", r.OK, codes[i])
			}
		} else {
			text = out.String()
		}
	}
	if codes[0] != codes[1] {
		t.Fatalf("exit codes differ between --json (%d) and text (%d)", codes[0], codes[1])
	}
	return codes[0], checks, text
}

// want requires the check's status and that its text line carries the
// detail and the fix.
func want(t *testing.T, checks map[string]check, text, name, status, detail, fix string) {
	t.Helper()
	c, ok := checks[name]
	if !ok {
		t.Fatalf("no check %q in %v", name, checks)
	}
	if c.Status != status || !strings.Contains(c.Detail, detail) || !strings.Contains(c.Fix, fix) {
		t.Fatalf("check %q = %+v; want status %s, detail ~%q, fix ~%q\n%s", name, c, status, detail, fix, text)
	}
	mark := map[string]string{"ok": "✓", "warn": "⚠", "fail": "✗", "skip": "–"}[status]
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, mark+" "+name+" ") {
			if fix != "" && !strings.Contains(line, "fix: "+c.Fix) {
				t.Fatalf("line for %q has no fix: %q", name, line)
			}
			return
		}
	}
	t.Fatalf("no %q line for %q in:\n%s", mark, name, text)
}

func TestDoctorAllPass(t *testing.T) {
	t.Parallel()
	h := newDoctorHome(t)
	h.env["DBUS_SESSION_BUS_ADDRESS"] = privateBus(t, "org.kde.StatusNotifierWatcher", "org.freedesktop.Notifications")
	code, checks, text := h.run(t, nil)
	wantExit(t, code, 0, text)
	for _, n := range []string{"config", "config mode", "state folder", "cloud URL", "DNS", "TLS", "clock", "API key",
		"port " + h.env["MILADY_PORT"], "tray host", "notifications", "GTK/WebKit", "autostart"} {
		want(t, checks, text, n, "ok", "", "")
	}
	want(t, checks, text, "API key", "ok", "valid", "")
	want(t, checks, text, "TLS", "ok", "certificate valid, expires", "")
}

func TestDoctorConfigProblems(t *testing.T) {
	t.Parallel()
	t.Run("mode", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.writeConfig(t, h.sim.NewAPIKey(), h.sim.URL(), 0o644)
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "config mode", "fail", "mode 0644", "chmod 600 "+h.config)
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("unparseable", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		if err := os.WriteFile(h.config, []byte(`{"cloud": {nope`), 0o600); err != nil {
			t.Fatal(err)
		}
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "config", "fail", "cannot be used", "fix the JSON in "+h.config)
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("state folder mode", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		if err := os.Chmod(h.env["MILADY_STATE_DIR"], 0o755); err != nil {
			t.Fatal(err)
		}
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "state folder", "fail", "mode 0755", "chmod 700")
	})
}

func TestDoctorCloudProblems(t *testing.T) {
	t.Parallel()
	t.Run("blocked base URL", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.writeConfig(t, "eliza_whatever", "https://169.254.169.254", 0o600)
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "cloud URL", "fail", "169.254.169.254", `"baseUrl": "https://www.elizacloud.ai"`)
		want(t, checks, text, "API key", "skip", "", "")
		if code != ExitFailure || h.sim.CountRequests("GET", "/") != 0 {
			t.Fatalf("exit %d, sim requests %d", code, h.sim.CountRequests("GET", "/"))
		}
	})
	t.Run("loopback without the opt-in", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		delete(h.env, "MILADY_CLOUD_ALLOW_LOOPBACK")
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "cloud URL", "fail", "127.0.0.1", "baseUrl")
	})
	t.Run("untrusted certificate", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		delete(h.env, "SSL_CERT_FILE") // the system's roots do not know the simulator
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "TLS", "fail", "not trusted", "add its CA")
		want(t, checks, text, "API key", "skip", "", "")
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("rejected key", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.writeConfig(t, "eliza_revoked_0123456789abcdef", h.sim.URL(), 0o600)
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "API key", "fail", "rejected", "milady-cloud login")
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("no key is a warning", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.writeConfig(t, "", h.sim.URL(), 0o600)
		h.env["DBUS_SESSION_BUS_ADDRESS"] = privateBus(t, "org.kde.StatusNotifierWatcher", "org.freedesktop.Notifications")
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "API key", "warn", "not logged in", "milady-cloud login")
		wantExit(t, code, 0, text)
	})
	t.Run("unreachable", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.writeConfig(t, "eliza_x", "https://127.0.0.1:"+strconv.Itoa(testbin.FreePort(t)), 0o600)
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "TLS", "fail", "cannot connect", "network")
	})
	t.Run("clock skew", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		_, checks, text := h.run(t, func(d *doctor) { d.now = func() time.Time { return time.Now().Add(7 * time.Minute) } })
		want(t, checks, text, "clock", "warn", "off the server's", "timedatectl set-ntp true")
	})
}

func TestDoctorLocalProblems(t *testing.T) {
	t.Parallel()
	t.Run("port held by another program", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = ln.Close() })
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		h.env["MILADY_PORT"] = port
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "port "+port, "fail", "(pid "+strconv.Itoa(os.Getpid())+")", "--port N")
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("port held by milady-cloud", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"ok":true,"app":"milady-cloud","version":"1.2.3"}`))
		}))
		t.Cleanup(srv.Close)
		port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)
		h.env["MILADY_PORT"] = port
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "port "+port, "ok", "in use by Milady Cloud 1.2.3", "")
	})
	t.Run("no tray host", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.env["DBUS_SESSION_BUS_ADDRESS"] = privateBus(t, "org.freedesktop.Notifications")
		code, checks, text := h.run(t, nil)
		want(t, checks, text, "tray host", "fail", "no tray host", "AppIndicator")
		want(t, checks, text, "notifications", "ok", "", "")
		wantExit(t, code, ExitFailure, text)
	})
	t.Run("no notification server", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		h.env["DBUS_SESSION_BUS_ADDRESS"] = privateBus(t, "org.kde.StatusNotifierWatcher")
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "notifications", "fail", "no notification server", "dunst")
	})
	t.Run("no session bus on a server is a warning", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		delete(h.env, "DISPLAY")
		code, checks, text := h.run(t, func(d *doctor) { d.ldconfig = func() (string, error) { return "", nil } })
		want(t, checks, text, "tray host", "warn", "no session bus", "desktop session")
		want(t, checks, text, "GTK/WebKit", "warn", "missing libgtk-3.so.0, libwebkit2gtk-4.1.so.0", "apt install")
		wantExit(t, code, 0, text)
	})
	t.Run("missing WebKit with a display", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		_, checks, text := h.run(t, func(d *doctor) {
			d.ldconfig = func() (string, error) { return strings.SplitAfter(goodLibs, "\n")[0], nil }
		})
		want(t, checks, text, "GTK/WebKit", "fail", "missing libwebkit2gtk-4.1.so.0", "libwebkit2gtk-4.1-0")
	})
	t.Run("autostart entry of a moved binary", func(t *testing.T) {
		t.Parallel()
		h := newDoctorHome(t)
		dir := filepath.Join(h.env["XDG_CONFIG_HOME"], "autostart")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		entry := "[Desktop Entry]\nType=Application\nExec=\"/nonexistent/milady-cloud\" --hidden\n"
		if err := os.WriteFile(filepath.Join(dir, "milady-cloud.desktop"), []byte(entry), 0o600); err != nil {
			t.Fatal(err)
		}
		_, checks, text := h.run(t, nil)
		want(t, checks, text, "autostart", "fail", "/nonexistent/milady-cloud, which does not exist", "off and on again")
	})
}

// privateBus is a private session bus with names claimed on it.
func privateBus(t *testing.T, names ...string) string { return dbustest.Private(t, names...) }

// wantExit fails the test unless the doctor exited with want.
func wantExit(t *testing.T, code, want int, text string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit %d, want %d:\n%s", code, want, text)
	}
}
