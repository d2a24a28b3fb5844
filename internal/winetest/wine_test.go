//go:build winee2e

package winetest

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// Wine starts programs slowly (a cold prefix takes seconds), so the bounds
// are wider than in the Linux tests; they only keep a broken run from
// hanging.
const (
	startBound = 90 * time.Second
	pollBound  = 60 * time.Second
)

// stateRel is the Windows state folder, %LOCALAPPDATA%\milady-cloud, under
// the user's profile; --sim keeps its database and config in its sim
// subfolder.
var stateRel = filepath.Join("AppData", "Local", "milady-cloud")

var (
	dashboardLine = regexp.MustCompile(`Milady Cloud dashboard: (http://127\.0\.0\.1:(\d+))/`)
	simLine       = regexp.MustCompile(`SIMULATOR MODE[^\n]* url=(https://127\.0\.0\.1:\d+)`)
)

// wine is the prefix the script prepared and the files under test.
type wine struct {
	prefix, exe, setup string
}

func setup(t *testing.T) wine {
	t.Helper()
	w := wine{prefix: os.Getenv("WINEPREFIX"), exe: os.Getenv("MILADY_WINE_EXE"), setup: os.Getenv("MILADY_WINE_SETUP")}
	if w.prefix == "" || w.exe == "" || w.setup == "" || os.Getenv("DISPLAY") == "" {
		t.Fatal("run these tests with scripts/wine/test.sh (make test-windows): WINEPREFIX, DISPLAY, MILADY_WINE_EXE and MILADY_WINE_SETUP must be set")
	}
	return w
}

// env is this process's environment for a Wine program: nothing of the
// app's own settings, so the Windows defaults (%APPDATA%, %LOCALAPPDATA%,
// %USERPROFILE%) are what is tested.
func (w wine) env() []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "MILADY_") || strings.HasPrefix(k, "XDG_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "WINEPREFIX="+w.prefix, "WINEDEBUG=-all")
}

// userFile is the one existing match of the glob under the prefix's
// drive_c/users/<user>/ ("" while there is none).
func (w wine) userFile(t *testing.T, rel string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(w.prefix, "drive_c", "users", "*", rel))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range m {
		if !strings.Contains(p, string(filepath.Separator)+"Public"+string(filepath.Separator)) {
			return p
		}
	}
	return ""
}

// run runs a Windows program to its end and returns its exit code.
func (w wine) run(t *testing.T, name string, args ...string) int {
	t.Helper()
	p := testbin.Start(t, name, "wine", w.env(), args...)
	code, err := p.Wait(startBound)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// TestHeadlessLoginSavesKey starts the signed .exe with --headless --sim
// under Wine: /api/health answers (the database opened through its
// file:///C:/… URI), a login through the simulator's approve step saves the
// key in the simulator's config, %LOCALAPPDATA%\milady-cloud\sim\milady.json
// (config writes without a folder fsync), and a second instance on the
// same port finds the first by the WSAEADDRINUSE code and hands off to it.
func TestHeadlessLoginSavesKey(t *testing.T) {
	w := setup(t)
	start := time.Now()
	app := testbin.Start(t, "app", "wine", w.env(), w.exe, "--headless", "--sim", "--port", "0")
	m, err := app.WaitFor(app.Stdout, dashboardLine, startBound)
	if err != nil {
		t.Fatal(err)
	}
	base, port := m[1], m[2]
	httpc := newHTTPClient()
	health := testbin.Call(t, httpc, "GET", base+"/api/health", nil, 200)
	if health["ok"] != true || health["app"] != "milady-cloud" {
		t.Fatalf("health = %v", health)
	}
	t.Logf("/api/health answered %s after the start", time.Since(start).Round(time.Millisecond))
	if db := w.userFile(t, filepath.Join(stateRel, "sim", "milady-cloud.db")); db == "" {
		t.Fatalf("no database in the simulator's state folder %s", `%LOCALAPPDATA%\milady-cloud\sim`)
	}

	sm, err := app.WaitFor(app.Stderr, simLine, startBound)
	if err != nil {
		t.Fatal(err)
	}
	var ca string
	apptest.Eventually(t, pollBound, "sim-ca.pem in the state folder", func() bool {
		ca = w.userFile(t, filepath.Join(stateRel, "sim-ca.pem"))
		return ca != ""
	})
	sim := testbin.SimClient(t, ca)
	testbin.App{URL: base, HTTP: httpc, Wait: pollBound}.Login(t, func(sid string) {
		testbin.Call(t, sim, "POST", sm[1]+"/__sim/sessions/"+sid+"/approve", map[string]any{}, 200)
	})
	var cfg map[string]any
	apptest.Eventually(t, pollBound, "the key saved in %LOCALAPPDATA%\\milady-cloud\\sim\\milady.json", func() bool {
		p := w.userFile(t, filepath.Join(stateRel, "sim", "milady.json"))
		if p == "" {
			return false
		}
		b, err := os.ReadFile(p)
		if err != nil || json.Unmarshal(b, &cfg) != nil {
			return false
		}
		k, _ := testbin.Get(cfg, "cloud", "apiKey").(string)
		return strings.HasPrefix(k, "eliza_")
	})
	if strings.Contains(app.Stdout.String()+app.Stderr.String(), "sync config folder") {
		t.Fatalf("a config write failed:\n%s", app.Stderr)
	}

	second := testbin.Start(t, "second", "wine", w.env(), w.exe, "--headless", "--port", port)
	code, err := second.Wait(startBound)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(second.Stdout.String(), "already running") {
		t.Fatalf("second instance on port %s: exit %d, stdout %q, stderr %q; want a hand-off and exit 0",
			port, code, second.Stdout, second.Stderr)
	}

	if err := app.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Wait(startBound); err != nil {
		t.Fatal(err)
	}
}

// TestInstallerInstallsAndUninstalls runs the signed installer silently
// (/S, per user, no admin), checks the program, the uninstaller, the
// Start-menu shortcut and the Add/Remove Programs entry under HKCU, then
// runs the uninstaller silently and checks that all of them are gone,
// together with the start-at-login entry in HKCU\…\Run.
func TestInstallerInstallsAndUninstalls(t *testing.T) {
	w := setup(t)
	if code := w.run(t, "setup", w.setup, "/S"); code != 0 {
		t.Fatalf("setup /S exited %d", code)
	}
	installed := []string{
		filepath.Join("AppData", "Local", "Programs", "Milady Cloud", "milady-cloud.exe"),
		filepath.Join("AppData", "Local", "Programs", "Milady Cloud", "uninstall.exe"),
		filepath.Join("AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs", "Milady Cloud.lnk"),
	}
	for _, rel := range installed {
		if w.userFile(t, rel) == "" {
			t.Fatalf("after setup /S: %s is missing", rel)
		}
	}
	want, _ := os.ReadFile(w.exe)
	got, _ := os.ReadFile(w.userFile(t, installed[0]))
	if len(want) == 0 || string(got) != string(want) {
		t.Fatalf("the installed milady-cloud.exe (%d bytes) is not the signed build (%d bytes)", len(got), len(want))
	}
	const key = `HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\MiladyCloud`
	if out := regQuery(t, w, key); !strings.Contains(out, "Milady Cloud") || !strings.Contains(out, "uninstall.exe") {
		t.Fatalf("Add/Remove Programs entry %s:\n%s", key, out)
	}

	// What "Start at login" writes; the uninstaller must remove it.
	const runKey = `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`
	if code := w.run(t, "reg add", "reg", "add", runKey, "/v", "Milady Cloud", "/d", `"C:\x\milady-cloud.exe" --hidden`, "/f"); code != 0 {
		t.Fatalf("reg add %s exited %d", runKey, code)
	}

	// NSIS uninstallers copy themselves to %TEMP% and return at once, so
	// the removal is awaited by polling.
	if code := w.run(t, "uninstall", w.userFile(t, installed[1]), "/S"); code != 0 {
		t.Fatalf("uninstall.exe /S exited %d", code)
	}
	apptest.Eventually(t, pollBound, "the uninstaller removed the files", func() bool {
		for _, rel := range installed {
			if w.userFile(t, rel) != "" {
				return false
			}
		}
		return w.userFile(t, filepath.Join("AppData", "Local", "Programs", "Milady Cloud")) == ""
	})
	if out := regQuery(t, w, key); strings.Contains(out, "Milady Cloud") {
		t.Fatalf("the Add/Remove Programs entry survived the uninstall:\n%s", out)
	}
	if out := regQuery(t, w, runKey); strings.Contains(out, "Milady Cloud") {
		t.Fatalf("the start-at-login entry survived the uninstall:\n%s", out)
	}
}

// regQuery is `reg query key` in the prefix (its output; the exit code is
// not used, since a missing key is a normal answer).
func regQuery(t *testing.T, w wine, key string) string {
	t.Helper()
	cmd := exec.Command("wine", "reg", "query", key)
	cmd.Env = w.env()
	out, _ := cmd.CombinedOutput()
	return string(out)
}
