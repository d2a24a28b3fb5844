package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/milady-ai/milady-cloud/app/autostart"
	"github.com/milady-ai/milady-cloud/app/config"
)

// checkConfig finds milady.json the way the app does and checks that it
// parses and that only its owner can read it (it holds the API key). It
// returns the settings the cloud checks use (defaults when unusable).
func (d *doctor) checkConfig() config.Settings {
	path := config.ResolvePath(d.getenv, d.home)
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		d.add("config", "ok", path+" (not created yet; defaults apply until you log in)", "")
		return config.Defaults()
	}
	if err != nil {
		d.add("config", "fail", fmt.Sprintf("%s: %v", path, err), "make the file readable by you: chmod u+r "+path)
		return config.Defaults()
	}
	st, err := config.Open(path, nil)
	switch {
	case err != nil:
		d.add("config", "fail", err.Error(), "check the path in MILADY_CONFIG_PATH")
		return config.Defaults()
	case st.Err() != nil:
		d.add("config", "fail", "cannot be used: "+st.Err().Error(),
			"fix the JSON in "+path+" (or move it aside to start over); until then the app runs logged out and never writes it")
	default:
		d.add("config", "ok", path+" (parsed)", "")
	}
	if runtime.GOOS != "windows" {
		if perm := fi.Mode().Perm(); perm&0o077 != 0 {
			d.add("config mode", "fail", fmt.Sprintf("%s is mode %04o; others can read your API key", path, perm), "chmod 600 "+path)
		} else {
			d.add("config mode", "ok", fmt.Sprintf("%04o", perm), "")
		}
	}
	return st.Settings()
}

// checkStateDir checks the state folder (database, logs, api-token) is
// private.
func (d *doctor) checkStateDir() {
	dir, err := stateDir(d.getenv)
	if err != nil {
		d.add("state folder", "fail", err.Error(), "set HOME or MILADY_STATE_DIR")
		return
	}
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		d.add("state folder", "ok", dir+" (not created yet)", "")
	case err != nil:
		d.add("state folder", "fail", fmt.Sprintf("%s: %v", dir, err), "make it yours: chown -R $USER "+dir)
	case !fi.IsDir():
		d.add("state folder", "fail", dir+" is not a folder", "move it aside: mv "+dir+" "+dir+".old")
	case runtime.GOOS != "windows" && fi.Mode().Perm()&0o077 != 0:
		d.add("state folder", "fail", fmt.Sprintf("%s is mode %04o; others can read your history and tokens", dir, fi.Mode().Perm()), "chmod 700 "+dir)
	default:
		d.add("state folder", "ok", fmt.Sprintf("%s (%04o)", dir, fi.Mode().Perm()), "")
	}
}

// checkAutostart reports the start-at-login entry and whether the program
// it starts still exists (a moved binary leaves a dead entry behind).
func (d *doctor) checkAutostart() {
	sw := autostart.Default(d.getenv, d.home, d.exe)
	a, ok := sw.(*autostart.Autostart)
	if sw == nil || !ok {
		d.add("autostart", "ok", "managed by the system on this OS", "")
		return
	}
	if !a.Enabled() {
		d.add("autostart", "ok", "off (turn on \"Start at login\" in the dashboard or the tray menu)", "")
		return
	}
	prog := execOf(a.Path())
	if prog != "" && filepath.IsAbs(prog) {
		if _, err := os.Stat(prog); err != nil {
			d.add("autostart", "fail", a.Path()+" starts "+prog+", which does not exist",
				"turn \"Start at login\" off and on again in the dashboard, from the program you now use")
			return
		}
	}
	d.add("autostart", "ok", "on: "+a.Path(), "")
}

// execOf is the program of a desktop entry's Exec= line.
func execOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Exec="); ok {
			v = strings.TrimSpace(v)
			if strings.HasPrefix(v, `"`) {
				if end := strings.Index(v[1:], `"`); end >= 0 {
					return v[1 : end+1]
				}
			}
			prog, _, _ := strings.Cut(v, " ")
			return prog
		}
	}
	return ""
}
