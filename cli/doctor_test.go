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
	withBus(watcherName, notificationsName)(t, h)
	code, checks, text := h.run(t, nil)
	wantExit(t, code, 0, text)
	for _, n := range []string{"config", "config mode", "state folder", "cloud URL", "DNS", "TLS", "clock", "API key",
		"port " + h.env["MILADY_PORT"], "tray host", "notifications", "GTK/WebKit", "autostart"} {
		want(t, checks, text, n, "ok", "", "")
	}
	want(t, checks, text, "API key", "ok", "valid", "")
	want(t, checks, text, "TLS", "ok", "certificate valid, expires", "")
}

// doctorCase is one thing wrong on the machine and what the doctor must say
// about it. In a want's name, detail and fix, $CONFIG stands for the config
// file's path and $PORT for the port the doctor checks.
type doctorCase struct {
	name  string
	setup func(t *testing.T, h *doctorHome) // breaks the home; nil: nothing
	tweak func(d *doctor)                   // replaces a probe; nil: none
	wants []checkWant
	exit  int
	after func(t *testing.T, h *doctorHome) // further checks; nil: none
}

// checkWant is one check's expected status, with parts of its detail and fix.
type checkWant struct{ name, status, detail, fix string }

// runDoctorCases runs each case in a fresh home of its own, in parallel.
func runDoctorCases(t *testing.T, cases []doctorCase) {
	t.Parallel()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newDoctorHome(t)
			if tc.setup != nil {
				tc.setup(t, h)
			}
			code, checks, text := h.run(t, tc.tweak)
			expand := strings.NewReplacer("$CONFIG", h.config, "$PORT", h.env["MILADY_PORT"]).Replace
			for _, w := range tc.wants {
				want(t, checks, text, expand(w.name), w.status, expand(w.detail), expand(w.fix))
			}
			wantExit(t, code, tc.exit, text)
			if tc.after != nil {
				tc.after(t, h)
			}
		})
	}
}

// The bus names whose owners the doctor looks for: a tray host's watcher
// and a notification server.
const (
	watcherName       = "org.kde.StatusNotifierWatcher"
	notificationsName = dbustest.NotificationsName
)

// withBus gives the doctor a private session bus on which these names are
// owned (a tray host, a notification server).
func withBus(names ...string) func(*testing.T, *doctorHome) {
	return func(t *testing.T, h *doctorHome) { h.env["DBUS_SESSION_BUS_ADDRESS"] = dbustest.Private(t, names...) }
}

// unset removes a variable from the doctor's environment.
func unset(name string) func(*testing.T, *doctorHome) {
	return func(_ *testing.T, h *doctorHome) { delete(h.env, name) }
}

// withPort makes the doctor check the port ln listens on.
func withPort(t *testing.T, h *doctorHome, ln net.Listener) {
	t.Helper()
	h.env["MILADY_PORT"] = strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

func TestDoctorConfigProblems(t *testing.T) {
	runDoctorCases(t, []doctorCase{{
		name:  "mode",
		setup: func(t *testing.T, h *doctorHome) { h.writeConfig(t, h.sim.NewAPIKey(), h.sim.URL(), 0o644) },
		wants: []checkWant{{"config mode", "fail", "mode 0644", "chmod 600 $CONFIG"}},
		exit:  ExitFailure,
	}, {
		name: "unparseable",
		setup: func(t *testing.T, h *doctorHome) {
			if err := os.WriteFile(h.config, []byte(`{"cloud": {nope`), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		wants: []checkWant{{"config", "fail", "cannot be used", "fix the JSON in $CONFIG"}},
		exit:  ExitFailure,
	}, {
		name: "state folder mode",
		setup: func(t *testing.T, h *doctorHome) {
			if err := os.Chmod(h.env["MILADY_STATE_DIR"], 0o755); err != nil {
				t.Fatal(err)
			}
		},
		wants: []checkWant{{"state folder", "fail", "mode 0755", "chmod 700"}},
		exit:  ExitFailure,
	}})
}

func TestDoctorCloudProblems(t *testing.T) {
	runDoctorCases(t, []doctorCase{{
		name: "blocked base URL",
		setup: func(t *testing.T, h *doctorHome) {
			h.writeConfig(t, "eliza_whatever", "https://169.254.169.254", 0o600)
		},
		wants: []checkWant{
			{"cloud URL", "fail", "169.254.169.254", `"baseUrl": "https://www.elizacloud.ai"`},
			{"API key", "skip", "", ""},
		},
		exit: ExitFailure,
		after: func(t *testing.T, h *doctorHome) {
			if n := h.sim.CountRequests("GET", "/"); n != 0 {
				t.Fatalf("the doctor sent %d requests to the cloud it was told is blocked", n)
			}
		},
	}, {
		name:  "loopback without the opt-in",
		setup: unset("MILADY_CLOUD_ALLOW_LOOPBACK"),
		wants: []checkWant{{"cloud URL", "fail", "127.0.0.1", "baseUrl"}},
		exit:  ExitFailure,
	}, {
		name:  "untrusted certificate",
		setup: unset("SSL_CERT_FILE"), // the system's roots do not know the simulator
		wants: []checkWant{{"TLS", "fail", "not trusted", "add its CA"}, {"API key", "skip", "", ""}},
		exit:  ExitFailure,
	}, {
		name: "rejected key",
		setup: func(t *testing.T, h *doctorHome) {
			h.writeConfig(t, "eliza_revoked_0123456789abcdef", h.sim.URL(), 0o600)
		},
		wants: []checkWant{{"API key", "fail", "rejected", "milady-cloud login"}},
		exit:  ExitFailure,
	}, {
		name: "no key is a warning",
		setup: func(t *testing.T, h *doctorHome) {
			h.writeConfig(t, "", h.sim.URL(), 0o600)
			withBus(watcherName, notificationsName)(t, h)
		},
		wants: []checkWant{{"API key", "warn", "not logged in", "milady-cloud login"}},
		exit:  0,
	}, {
		name: "unreachable",
		setup: func(t *testing.T, h *doctorHome) {
			h.writeConfig(t, "eliza_x", "https://127.0.0.1:"+strconv.Itoa(testbin.FreePort(t)), 0o600)
		},
		wants: []checkWant{{"TLS", "fail", "cannot connect", "network"}},
		exit:  ExitFailure,
	}, {
		name:  "clock skew",
		tweak: func(d *doctor) { d.now = func() time.Time { return time.Now().Add(7 * time.Minute) } },
		wants: []checkWant{{"clock", "warn", "off the server's", "timedatectl set-ntp true"}},
		exit:  ExitFailure,
	}})
}

func TestDoctorLocalProblems(t *testing.T) {
	runDoctorCases(t, []doctorCase{{
		name: "port held by another program",
		setup: func(t *testing.T, h *doctorHome) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ln.Close() })
			withPort(t, h, ln)
		},
		wants: []checkWant{{"port $PORT", "fail", "(pid " + strconv.Itoa(os.Getpid()) + ")", "--port N"}},
		exit:  ExitFailure,
	}, {
		name: "port held by milady-cloud",
		setup: func(t *testing.T, h *doctorHome) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte(`{"ok":true,"app":"milady-cloud","version":"1.2.3"}`))
			}))
			t.Cleanup(srv.Close)
			withPort(t, h, srv.Listener)
		},
		wants: []checkWant{{"port $PORT", "ok", "in use by Milady Cloud 1.2.3", ""}},
		exit:  ExitFailure,
	}, {
		name:  "no tray host",
		setup: withBus(notificationsName),
		wants: []checkWant{{"tray host", "fail", "no tray host", "AppIndicator"}, {"notifications", "ok", "", ""}},
		exit:  ExitFailure,
	}, {
		name:  "no notification server",
		setup: withBus(watcherName),
		wants: []checkWant{{"notifications", "fail", "no notification server", "dunst"}},
		exit:  ExitFailure,
	}, {
		name:  "no session bus on a server is a warning",
		setup: unset("DISPLAY"),
		tweak: func(d *doctor) { d.ldconfig = func() (string, error) { return "", nil } },
		wants: []checkWant{
			{"tray host", "warn", "no session bus", "desktop session"},
			{"GTK/WebKit", "warn", "missing libgtk-3.so.0, libwebkit2gtk-4.1.so.0", "apt install"},
		},
		exit: 0,
	}, {
		name: "missing WebKit with a display",
		tweak: func(d *doctor) {
			d.ldconfig = func() (string, error) { return strings.SplitAfter(goodLibs, "\n")[0], nil }
		},
		wants: []checkWant{{"GTK/WebKit", "fail", "missing libwebkit2gtk-4.1.so.0", "libwebkit2gtk-4.1-0"}},
		exit:  ExitFailure,
	}, {
		name: "autostart entry of a moved binary",
		setup: func(t *testing.T, h *doctorHome) {
			dir := filepath.Join(h.env["XDG_CONFIG_HOME"], "autostart")
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
			entry := "[Desktop Entry]\nType=Application\nExec=\"/nonexistent/milady-cloud\" --hidden\n"
			if err := os.WriteFile(filepath.Join(dir, "milady-cloud.desktop"), []byte(entry), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		wants: []checkWant{{"autostart", "fail", "/nonexistent/milady-cloud, which does not exist", "off and on again"}},
		exit:  ExitFailure,
	}})
}

// wantExit fails the test unless the doctor exited with want.
func wantExit(t *testing.T, code, want int, text string) {
	t.Helper()
	if code != want {
		t.Fatalf("exit %d, want %d:\n%s", code, want, text)
	}
}
