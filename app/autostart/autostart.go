// Package autostart turns "start at login" on and off. On Linux and BSD it
// is an XDG autostart entry: $XDG_CONFIG_HOME/autostart/milady-cloud.desktop
// runs the app with --hidden; on Windows a value under the current user's
// Run key does the same (runkey*.go). The entry's presence is the truth — it
// is written only when the user turns the option on and removed when they
// turn it off, so a user who deletes it by hand has turned it off. Default
// picks the one of this OS.
package autostart

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// FileName is the autostart entry's name.
const FileName = "milady-cloud.desktop"

// entryTemplate is the autostart entry. A copy lives in build/linux/ beside
// the app launcher for packagers (go:embed cannot reach outside this
// folder); a test keeps the two identical.
//
//go:embed autostart.desktop.tmpl
var entryTemplate string

var entry = template.Must(template.New("autostart").Parse(entryTemplate))

// Autostart is the autostart entry of one binary in one folder.
type Autostart struct {
	// Dir is the XDG autostart folder.
	Dir string
	// Exec is the absolute path of the binary to start.
	Exec string
}

// New places the entry in $XDG_CONFIG_HOME/autostart (~/.config/autostart
// when unset or relative) for the binary at execPath, made absolute because
// the session starts it from an unknown folder.
func New(env func(string) string, home, execPath string) *Autostart {
	base := env("XDG_CONFIG_HOME")
	if base == "" || !filepath.IsAbs(base) {
		base = filepath.Join(home, ".config")
	}
	if abs, err := filepath.Abs(execPath); err == nil && execPath != "" {
		execPath = abs
	}
	return &Autostart{Dir: filepath.Join(base, "autostart"), Exec: execPath}
}

// Path is the entry's file.
func (a *Autostart) Path() string { return filepath.Join(a.Dir, FileName) }

// Enabled reports whether the entry exists.
func (a *Autostart) Enabled() bool {
	fi, err := os.Stat(a.Path())
	return err == nil && fi.Mode().IsRegular()
}

// Enable writes the entry (replacing an older one, e.g. after the binary
// moved). A missing folder is created with mode 0700.
func (a *Autostart) Enable() error {
	content, err := a.Render()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(a.Dir, 0o700); err != nil {
		return fmt.Errorf("create autostart folder: %w", err)
	}
	if err := writeAtomic(a.Path(), content); err != nil {
		return fmt.Errorf("write autostart entry: %w", err)
	}
	return nil
}

// Disable removes the entry; an entry that is not there is not an error.
func (a *Autostart) Disable() error {
	if err := os.Remove(a.Path()); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove autostart entry: %w", err)
	}
	return nil
}

// Render returns the entry's content.
func (a *Autostart) Render() ([]byte, error) {
	if a.Exec == "" || !filepath.IsAbs(a.Exec) {
		return nil, fmt.Errorf("render autostart entry: binary path %q is not absolute", a.Exec)
	}
	if strings.ContainsFunc(a.Exec, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return nil, errors.New("render autostart entry: binary path contains control characters")
	}
	var sb strings.Builder
	err := entry.Execute(&sb, struct{ Exec, TryExec string }{
		Exec:    escapeString(quoteExecArg(a.Exec)),
		TryExec: escapeString(a.Exec),
	})
	if err != nil {
		return nil, fmt.Errorf("render autostart entry: %w", err)
	}
	return []byte(sb.String()), nil
}

// quoteExecArg quotes one argument of an Exec key as the Desktop Entry
// specification says: a literal % is written %%; an argument containing a
// reserved character is put in double quotes, inside which ", `, $ and \
// take a backslash.
func quoteExecArg(arg string) string {
	arg = strings.ReplaceAll(arg, "%", "%%")
	if !strings.ContainsAny(arg, " \t\n\"'\\><~|&;$*?#()`") {
		return arg
	}
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range arg {
		switch r {
		case '"', '`', '$', '\\':
			sb.WriteByte('\\')
		}
		sb.WriteRune(r)
	}
	sb.WriteByte('"')
	return sb.String()
}

// escapeString applies the escapes of the specification's string type, which
// every value goes through before the Exec quoting is undone: a backslash is
// written twice.
func escapeString(s string) string {
	return strings.ReplaceAll(s, `\`, `\\`)
}

// writeAtomic replaces path via a temp file and rename, so a crash never
// leaves a half-written entry that a session manager would try to run.
func writeAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
