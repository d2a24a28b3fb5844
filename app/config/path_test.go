package config

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestResolvePathPrecedence(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the XDG default checked here is Linux's")
	}
	home := t.TempDir()
	legacy := filepath.Join(home, ".milady", FileName)

	cases := []struct {
		name   string
		env    map[string]string
		legacy bool
		want   string
	}{
		{"explicit path wins over everything",
			map[string]string{"MILADY_CONFIG_PATH": "/etc/m/custom.json", "MILADY_STATE_DIR": "/state", "XDG_CONFIG_HOME": "/xdg"},
			true, "/etc/m/custom.json"},
		{"explicit path with ~ is expanded",
			map[string]string{"MILADY_CONFIG_PATH": "~/cfg/m.json"}, false, filepath.Join(home, "cfg/m.json")},
		{"state dir before legacy and XDG",
			map[string]string{"MILADY_STATE_DIR": "/state", "XDG_CONFIG_HOME": "/xdg"}, true, "/state/milady.json"},
		{"legacy install before XDG",
			map[string]string{"XDG_CONFIG_HOME": "/xdg"}, true, legacy},
		{"XDG_CONFIG_HOME when no legacy file",
			map[string]string{"XDG_CONFIG_HOME": "/xdg"}, false, "/xdg/milady/milady.json"},
		{"relative XDG_CONFIG_HOME is ignored",
			map[string]string{"XDG_CONFIG_HOME": "rel/dir"}, false, filepath.Join(home, ".config/milady/milady.json")},
		{"default ~/.config",
			map[string]string{}, false, filepath.Join(home, ".config/milady/milady.json")},
		{"blank values count as unset",
			map[string]string{"MILADY_CONFIG_PATH": "  ", "MILADY_STATE_DIR": ""}, false, filepath.Join(home, ".config/milady/milady.json")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.RemoveAll(filepath.Dir(legacy))
			if tc.legacy {
				if err := os.MkdirAll(filepath.Dir(legacy), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(legacy, []byte("{}"), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			if got := ResolvePath(envOf(tc.env), home); got != tc.want {
				t.Errorf("ResolvePath = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestResolvePathLegacyFolderWithoutFile(t *testing.T) {
	home := t.TempDir()
	// A ~/.milady folder without milady.json is not an install to reuse.
	if err := os.MkdirAll(filepath.Join(home, ".milady"), 0o700); err != nil {
		t.Fatal(err)
	}
	got := ResolvePath(envOf(map[string]string{"XDG_CONFIG_HOME": "/xdg"}), home)
	if got != "/xdg/milady/milady.json" {
		t.Errorf("ResolvePath = %q", got)
	}
}
