//go:build redteam

package redteam

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// attackSimSealed: `--sim` on a machine with a real Milady config must
// neither read nor write it, nor talk to the cloud it names: once through
// MILADY_CONFIG_PATH, once through ~/.milady/milady.json.
func attackSimSealed(a *attack) {
	// The "real cloud" of the real-looking configs: counts connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(a, err)
	a.t.Cleanup(func() { _ = ln.Close() })
	var dials atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			_ = c.Close()
		}
	}()
	realConfig := func(who string) []byte {
		return []byte(`// ` + who + `'s real Milady config, hand-edited
{
  cloud: { enabled: true, apiKey: "eliza_REAL0000` + who + `0000doNotTouch", baseUrl: "https://` + ln.Addr().String() + `" },
  ui: { theme: "dark" }, // a comment and a trailing comma,
}
`)
	}
	for _, viaEnv := range []bool{true, false} {
		h := testbin.NewHome(a.t)
		dotMilady := filepath.Join(h.Root, ".milady", "milady.json")
		custom := filepath.Join(h.Root, "custom", "milady.json")
		files := map[string][]byte{dotMilady: realConfig("home"), custom: realConfig("custom")}
		for p, b := range files {
			must(a, os.MkdirAll(filepath.Dir(p), 0o700))
			must(a, os.WriteFile(p, b, 0o600))
		}
		extra := map[string]string{"MILADY_STATE_DIR": "", "MILADY_CONFIG_PATH": ""}
		state := filepath.Join(h.Root, "xdg-data", "milady-cloud")
		how := "~/.milady/milady.json"
		if viaEnv {
			extra = map[string]string{"MILADY_CONFIG_PATH": custom}
			state, how = h.State, "MILADY_CONFIG_PATH"
		}
		app := start(a, h, extra, "--sim")
		m, err := app.WaitFor(app.Stderr, simLine, startBound)
		if err != nil {
			a.fatal("--sim (%s): no simulator line: %v", how, err)
		}
		simURL := m[1]
		var ca string
		waitUntil(5*time.Second, func() bool {
			for _, p := range []string{filepath.Join(state, "sim", "sim-ca.pem"), filepath.Join(state, "sim-ca.pem")} {
				if _, err := os.Stat(p); err == nil {
					ca = p
					return true
				}
			}
			return false
		})
		if ca == "" {
			a.fatal("--sim (%s): no sim-ca.pem in %s or its sim/ folder", how, state)
		}
		st := call(a, "GET", app.url+"/api/cloud/status", nil, 200)
		if st["hasApiKey"] == true {
			a.fail("--sim (%s) picked up the real key before any login (status hasApiKey:true)", how)
		}
		sim := testbin.SimClient(a.t, ca)
		begin := call(a, "POST", app.url+"/api/cloud/login", map[string]any{}, 200)
		sid, _ := begin["sessionId"].(string)
		if r, err := do(sim, "POST", simURL+"/__sim/sessions/"+sid+"/approve", nil, map[string]any{}); err != nil || r.status != 200 {
			a.fatal("--sim (%s): approve at the simulator: %v %v", how, err, r)
		}
		if !waitUntil(pollBound, func() bool {
			r, err := do(hc, "GET", app.url+"/api/cloud/login/status?sessionId="+sid, nil, nil)
			return err == nil && r.json()["status"] == "authenticated"
		}) {
			a.fatal("--sim (%s): the simulator login was not authenticated", how)
		}
		if msg := app.stop(); msg != "" {
			a.fail("--sim (%s): %s", how, msg)
		}
		for p, want := range files {
			if got, err := os.ReadFile(p); err != nil || !bytes.Equal(got, want) {
				a.fail("--sim (config via %s) changed the real %s: %s", how, rel(h.Root, []string{p})[0], difference(want, got, err))
			}
		}
	}
	if n := dials.Load(); n > 0 {
		a.fail("--sim connected %d times to the cloud named in the real config", n)
	}
	a.pass("with MILADY_CONFIG_PATH and with ~/.milady/milady.json: both real configs byte-identical after a simulator login, 0 connections to their cloud")
}

// expectReported starts the app on a hostile config and checks it serves
// within bound, reports a config error and stops cleanly.
func expectReported(a *attack, h testbin.Home, bound time.Duration, what string) {
	in := launch(a, h, nil, "--headless", "--port", "0")
	if err := in.awaitDashboard(bound); err != nil {
		a.fatal("%s: the app did not serve within %s: %v (stderr: %s)", what, bound, err, tail(in.Stderr.String(), 300))
	}
	took := time.Since(in.started).Round(time.Millisecond)
	if r, err := do(hc, "GET", in.url+"/api/health", nil, nil); err != nil || r.status != 200 {
		a.fail("%s: /api/health: %v %v", what, err, r)
	}
	if snap, err := firstSnapshot(in); err != nil {
		a.fail("%s: %v", what, err)
	} else if e, _ := snap["configError"].(string); e == "" {
		a.fail("%s: no configError in the snapshot (the bad file is not reported)", what)
	}
	if msg := in.stop(); msg != "" {
		a.fail("%s: %s", what, msg)
	}
	a.pass("%s: served after %s, configError reported, SIGTERM exit 0", what, took)
}

// attackConfigFIFO: a FIFO as milady.json must not block start-up.
func attackConfigFIFO(a *attack) {
	h := testbin.NewHome(a.t)
	must(a, syscall.Mkfifo(h.Config, 0o600))
	expectReported(a, h, 5*time.Second, "FIFO milady.json")
}

// attackConfigDeep: 2 MB of "[" crashed the parser with a stack overflow.
func attackConfigDeep(a *attack) {
	h := testbin.NewHome(a.t)
	must(a, os.WriteFile(h.Config, bytes.Repeat([]byte("["), 2<<20), 0o600))
	expectReported(a, h, 5*time.Second, "2 MB of '['")
}

// attackConfigHuge: a config over 4 MiB is refused quickly, not parsed.
func attackConfigHuge(a *attack) {
	h := testbin.NewHome(a.t)
	big := `{"cloud": {}, "padding": "` + strings.Repeat("a", 5<<20) + `"}`
	must(a, os.WriteFile(h.Config, []byte(big), 0o600))
	expectReported(a, h, 3*time.Second, "5 MB milady.json")
}

// attackConfigDevice: milady.json symlinked to a device. The device is a
// private copy of /dev/null (made with mknod in the test's folder) so that
// a vulnerable build replaces that copy, not the machine's /dev/null. The
// write is triggered by a settings save (a login would need a cloud, and
// the config cannot name one when it is a device).
func attackConfigDevice(a *attack) {
	if os.Geteuid() != 0 {
		a.skip("needs root to create a device node (mknod); not root")
	}
	h := testbin.NewHome(a.t)
	dev := filepath.Join(h.Root, "null")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		a.skip("mknod of a private /dev/null copy failed (%v)", err)
	}
	must(a, os.Symlink(dev, h.Config))
	app := start(a, h, nil)
	// The answer to the save is not judged (refusing to save into a
	// device may well be an error); what it did to the device is.
	var answers []int
	for _, body := range []map[string]any{{"notifications": false}, {"notifications": true}} {
		r, err := do(hc, "POST", app.url+"/api/settings", nil, body)
		if err != nil {
			a.fatal("settings save: %v", err)
		}
		answers = append(answers, r.status)
	}
	if msg := app.stop(); msg != "" {
		a.fail("%s", msg)
	}
	fi, err := os.Lstat(dev)
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		mode := "gone"
		if err == nil {
			mode = fi.Mode().String()
		}
		a.fail("the device behind the milady.json symlink was replaced by the app (now %s)", mode)
	}
	if fi, err := os.Lstat(h.Config); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		a.fail("the milady.json symlink itself was replaced")
	}
	a.pass("two settings saves (HTTP %v) left the device (a private /dev/null copy) and the symlink alone", answers)
}

// attackEnvLeak: the browser the app starts must not inherit the key.
func attackEnvLeak(a *attack) {
	h, sim, env := simHome(a)
	path, dir := fakeBrowser(a)
	env["PATH"] = path
	app := start(a, h, env)
	key := login(a, app, sim)
	if r, err := do(hc, "POST", app.url+"/api/cloud/topup", nil, map[string]any{}); err != nil || r.status != 200 {
		a.fatal("POST /api/cloud/topup: %v %v", err, r)
	}
	if !waitUntil(5*time.Second, func() bool { return len(opens(dir)) > 0 }) {
		a.fatal("the top-up opened no browser (the fake xdg-open on PATH was not run)")
	}
	for _, f := range opens(dir) {
		b, _ := os.ReadFile(f)
		var leaked []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "ELIZAOS_") {
				name, _, _ := strings.Cut(line, "=")
				leaked = append(leaked, name)
			}
		}
		if len(leaked) > 0 {
			a.fail("the browser inherited %s", strings.Join(leaked, ", "))
		}
		if bytes.Contains(b, []byte(key)) {
			a.fail("the browser's environment holds the API key")
		}
	}
	a.pass("the browser's environment has no ELIZAOS_* and no key")
}

// attackWALLinger: after log-out the key must be gone from every file of
// the state folder within 1 s, so a crash (SIGKILL) cannot leave it behind.
func attackWALLinger(a *attack) {
	h, sim, env := simHome(a)
	app := start(a, h, env)
	key := []byte(login(a, app, sim))
	if r, err := do(hc, "POST", app.url+"/api/cloud/disconnect", nil, map[string]any{}); err != nil || r.status != 200 {
		a.fatal("log-out: %v %v", err, r)
	}
	loggedOut := time.Now()
	waitUntil(time.Second, func() bool { return len(filesContaining(key, h.State, h.Config)) == 0 })
	if err := app.Signal(os.Kill); err != nil {
		a.fatal("%v", err)
	}
	killedAfter := time.Since(loggedOut).Round(time.Millisecond)
	if _, err := app.Wait(exitBound); err != nil {
		a.fatal("%v", err)
	}
	if hits := filesContaining(key, h.State, h.Config); len(hits) > 0 {
		a.fail("SIGKILL %s after log-out: the key's bytes are still in %s", killedAfter, strings.Join(rel(h.Root, hits), ", "))
	}
	a.pass("SIGKILL %s after log-out: no file of the state folder (or the config) holds the key", killedAfter)
}

// difference says briefly how got differs from want.
func difference(want, got []byte, err error) string {
	if err != nil {
		return err.Error()
	}
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	return fmt.Sprintf("%d → %d bytes, first difference at byte %d: %q", len(want), len(got), i, got[i:min(len(got), i+40)])
}
