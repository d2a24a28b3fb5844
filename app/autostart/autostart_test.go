//go:build !windows

// The XDG entry is the Linux/BSD mechanism and these tests use Unix paths.

package autostart

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewDir(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CONFIG_HOME": "/xdg"}, "/xdg/autostart"},
		{map[string]string{"XDG_CONFIG_HOME": "rel"}, "/home/u/.config/autostart"},
		{map[string]string{}, "/home/u/.config/autostart"},
	} {
		a := New(envOf(tc.env), "/home/u", "/usr/bin/milady-cloud")
		if a.Dir != tc.want || a.Exec != "/usr/bin/milady-cloud" {
			t.Errorf("New(%v) = %+v, want Dir %s", tc.env, a, tc.want)
		}
	}
	if a := New(envOf(nil), "/home/u", "bin/milady-cloud"); !filepath.IsAbs(a.Exec) {
		t.Errorf("relative exec path kept: %q", a.Exec)
	}
}

func TestEnableWritesEntry(t *testing.T) {
	xdg := t.TempDir()
	a := New(envOf(map[string]string{"XDG_CONFIG_HOME": xdg}), "/nonexistent", "/opt/Milady Cloud/bin/milady-cloud")
	if a.Enabled() {
		t.Fatal("Enabled before Enable")
	}
	if err := a.Enable(); err != nil {
		t.Fatal(err)
	}
	if !a.Enabled() {
		t.Fatal("not Enabled after Enable")
	}
	b, err := os.ReadFile(filepath.Join(xdg, "autostart", FileName))
	if err != nil {
		t.Fatal(err)
	}
	content := string(b)
	for _, line := range []string{
		"[Desktop Entry]",
		"Type=Application",
		`Exec="/opt/Milady Cloud/bin/milady-cloud" --hidden`,
		"TryExec=/opt/Milady Cloud/bin/milady-cloud",
		"X-GNOME-Autostart-enabled=true",
	} {
		if !strings.Contains(content, "\n"+line+"\n") && !strings.HasPrefix(content, line+"\n") {
			t.Errorf("entry lacks line %q:\n%s", line, content)
		}
	}
	if fi, _ := os.Stat(a.Dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("new autostart folder mode %v, want 0700", fi.Mode().Perm())
	}
	// Enable again (e.g. after the binary moved) replaces the entry.
	a.Exec = "/usr/bin/milady-cloud"
	if err := a.Enable(); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(a.Path())
	if !bytes.Contains(b, []byte("\nExec=/usr/bin/milady-cloud --hidden\n")) {
		t.Errorf("entry not replaced:\n%s", b)
	}
	if entries, _ := os.ReadDir(a.Dir); len(entries) != 1 {
		t.Errorf("stray files in the autostart folder: %v", entries)
	}
}

func TestQuoteExecArg(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/milady-cloud": "/usr/bin/milady-cloud",
		"/opt/My App/milady":    `"/opt/My App/milady"`,
		`/opt/a"b/x`:            `"/opt/a\"b/x"`,
		"/opt/$HOME/`x`":        "\"/opt/\\$HOME/\\`x\\`\"",
		`/opt/back\slash`:       `"/opt/back\\slash"`,
		"/opt/100%/x":           "/opt/100%%/x",
		"/opt/it's (new)/x":     `"/opt/it's (new)/x"`,
		"/home/u/~/x;y":         `"/home/u/~/x;y"`,
	} {
		if got := quoteExecArg(in); got != want {
			t.Errorf("quoteExecArg(%q) = %q, want %q", in, got, want)
		}
	}
	// The value then takes the string escapes: each backslash doubled.
	a := &Autostart{Dir: t.TempDir(), Exec: `/opt/back\slash/milady`}
	b, err := a.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`Exec="/opt/back\\\\slash/milady" --hidden`)) {
		t.Errorf("backslash not escaped twice:\n%s", b)
	}
}

func TestRenderRejects(t *testing.T) {
	for _, exec := range []string{"", "relative/bin", "/opt/new\nline"} {
		if _, err := (&Autostart{Dir: t.TempDir(), Exec: exec}).Render(); err == nil {
			t.Errorf("Render with Exec %q: no error", exec)
		}
		a := &Autostart{Dir: t.TempDir(), Exec: exec}
		if err := a.Enable(); err == nil || a.Enabled() {
			t.Errorf("Enable with Exec %q: err=%v enabled=%v", exec, err, a.Enabled())
		}
	}
}

func TestDisable(t *testing.T) {
	a := &Autostart{Dir: filepath.Join(t.TempDir(), "autostart"), Exec: "/usr/bin/milady-cloud"}
	if err := a.Disable(); err != nil {
		t.Fatalf("Disable with no entry (and no folder): %v", err)
	}
	if err := a.Enable(); err != nil {
		t.Fatal(err)
	}
	if err := a.Disable(); err != nil {
		t.Fatal(err)
	}
	if a.Enabled() {
		t.Error("Enabled after Disable")
	}
	if _, err := os.Stat(a.Path()); !os.IsNotExist(err) {
		t.Errorf("entry still on disk: %v", err)
	}
}

func TestEnabledFollowsTheFile(t *testing.T) {
	a := &Autostart{Dir: t.TempDir(), Exec: "/usr/bin/milady-cloud"}
	// The user (or another tool) creates or deletes the file by hand.
	if err := os.WriteFile(a.Path(), []byte("[Desktop Entry]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if !a.Enabled() {
		t.Error("hand-made entry not seen")
	}
	if err := os.Remove(a.Path()); err != nil {
		t.Fatal(err)
	}
	if a.Enabled() {
		t.Error("removed entry still reported")
	}
	// A folder with the entry's name is not an entry.
	if err := os.Mkdir(a.Path(), 0o700); err != nil {
		t.Fatal(err)
	}
	if a.Enabled() {
		t.Error("a folder counted as the entry")
	}
}

func TestTemplateCopyInBuildMatches(t *testing.T) {
	build, err := os.ReadFile(filepath.Join("..", "..", "build", "linux", "autostart.desktop.tmpl"))
	if err != nil {
		t.Fatalf("build/linux copy of the template: %v", err)
	}
	if string(build) != entryTemplate {
		t.Error("build/linux/autostart.desktop.tmpl differs from app/autostart/autostart.desktop.tmpl; keep them identical")
	}
	launcher, err := os.ReadFile(filepath.Join("..", "..", "build", "linux", "milady-cloud.desktop"))
	if err != nil {
		t.Fatalf("launcher: %v", err)
	}
	for _, line := range []string{"[Desktop Entry]", "Type=Application", "Exec=milady-cloud", "Icon=milady-cloud"} {
		if !bytes.Contains(launcher, []byte(line+"\n")) {
			t.Errorf("launcher lacks %q", line)
		}
	}
}
