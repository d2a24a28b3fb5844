package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// check is one line of `milady-cloud doctor`.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"` // ok | warn | fail | skip
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

// doctor runs the checks; its fields are the seams tests replace.
type doctor struct {
	getenv   func(string) string
	home     string
	port     int
	now      func() time.Time
	ldconfig func() (string, error) // `ldconfig -p` output
	exe      string

	checks []check
}

func init() {
	register(command{name: "doctor", summary: "check the setup (config, cloud, key, port, desktop pieces) and say how to fix what is wrong; works without a running instance", run: runDoctor})
}

func runDoctor(ctx context.Context, e *Env, args []string) int {
	fs := newFlags(e, "doctor").withPort()
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	if code, ok := fs.parse(args, 0, 0); !ok {
		return code
	}
	d, err := newDoctor(e, fs.port)
	if err != nil {
		return usageErr(e, "doctor", err)
	}
	return d.report(ctx, e, *asJSON)
}

// newDoctor reads the port like the app does: --port, else MILADY_PORT,
// else 2138.
func newDoctor(e *Env, port int) (*doctor, error) {
	d := &doctor{getenv: e.Getenv, port: port, now: time.Now, ldconfig: runLdconfig}
	d.home = e.Getenv("HOME")
	if d.home == "" {
		d.home, _ = os.UserHomeDir()
	}
	d.exe, _ = os.Executable()
	if d.port < 0 {
		d.port = 2138
		if v := e.Getenv("MILADY_PORT"); v != "" {
			p, err := strconv.Atoi(v)
			if err != nil || p <= 0 || p > 65535 {
				return nil, fmt.Errorf("MILADY_PORT=%q is not a port number", v)
			}
			d.port = p
		}
	}
	return d, nil
}

// report runs the checks, prints one line each (or JSON) and returns 0
// only when none failed; warnings pass.
func (d *doctor) report(ctx context.Context, e *Env, asJSON bool) int {
	d.run(ctx)
	failed := false
	for _, c := range d.checks {
		failed = failed || c.Status == "fail"
	}
	if asJSON {
		enc := json.NewEncoder(e.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(map[string]any{"ok": !failed, "checks": d.checks})
	} else {
		st := newStyle(e, e.Stdout)
		for _, c := range d.checks {
			mark := map[string]string{"ok": st.green("✓"), "warn": st.yellow("⚠"), "fail": st.red("✗"), "skip": st.dim("–")}[c.Status]
			line := fmt.Sprintf("%s %-14s %s", mark, c.Name, c.Detail)
			if c.Fix != "" {
				line += st.dim(" — fix: ") + c.Fix
			}
			fmt.Fprintln(e.Stdout, line)
		}
	}
	if failed {
		return ExitFailure
	}
	return ExitOK
}

func (d *doctor) add(name, status, detail, fix string) {
	d.checks = append(d.checks, check{Name: name, Status: status, Detail: detail, Fix: fix})
}

// run runs every check in the order a user would fix things.
func (d *doctor) run(ctx context.Context) {
	settings := d.checkConfig()
	d.checkStateDir()
	d.checkCloud(ctx, settings)
	d.checkPort(ctx)
	d.checkBus()
	d.checkLibraries()
	d.checkAutostart()
}

// desktopSeverity is how bad a missing desktop piece is: a failure when a
// display is there (desktop mode would run without it), only a warning on
// a server, where --headless needs none of them.
func (d *doctor) desktopSeverity() (string, string) {
	if d.getenv("DISPLAY") != "" || d.getenv("WAYLAND_DISPLAY") != "" {
		return "fail", ""
	}
	return "warn", " (only desktop mode needs it; --headless does not)"
}

func runLdconfig() (string, error) {
	path, err := exec.LookPath("ldconfig")
	if err != nil {
		path = "/sbin/ldconfig"
	}
	out, err := exec.Command(path, "-p").Output()
	if err != nil {
		return "", fmt.Errorf("run ldconfig -p: %w", err)
	}
	return string(out), nil
}
