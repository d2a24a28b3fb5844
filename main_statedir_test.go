package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/milady-ai/milady-cloud/app/config"
)

// TestStateDirIsConfigsFolder: MILADY_STATE_DIR=~/x names one folder for the
// database and the config file (it used to put the config in $HOME/x and
// the database in a folder literally named "~" under the working folder),
// and the folder is created private.
func TestStateDirIsConfigsFolder(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("MILADY_STATE_DIR", "~/x")
	t.Setenv("MILADY_CONFIG_PATH", "")

	dir, err := stateDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, "x"); dir != want {
		t.Errorf("stateDir() = %q, want %q", dir, want)
	}
	if cfg := filepath.Dir(config.ResolvePath(os.Getenv, home)); cfg != dir {
		t.Errorf("config folder %q differs from state folder %q", cfg, dir)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("state folder mode %v, want 0700", fi.Mode().Perm())
	}
}

// TestStateDirDefault: without MILADY_STATE_DIR the state folder is
// $XDG_DATA_HOME/milady-cloud.
func TestStateDirDefault(t *testing.T) {
	data := t.TempDir()
	t.Setenv("MILADY_STATE_DIR", "")
	t.Setenv("XDG_DATA_HOME", data)
	dir, err := stateDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(data, "milady-cloud"); dir != want {
		t.Errorf("stateDir() = %q, want %q", dir, want)
	}
}
