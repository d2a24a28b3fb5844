package config

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/adrg/xdg"

	"github.com/milady-ai/milady-cloud/internal/paths"
)

// FileName is the name Milady gives its configuration file.
const FileName = "milady.json"

// ResolvePath finds milady.json the way Milady does, so both programs edit the
// same file:
//
//  1. MILADY_CONFIG_PATH, as given;
//  2. $MILADY_STATE_DIR/milady.json;
//  3. ~/.milady/milady.json when it exists (an existing Milady install);
//  4. $XDG_CONFIG_HOME/milady/milady.json.
//
// env and home are injected rather than read from the process so tests (and
// a caller that already resolved them) control every branch. adrg/xdg reads
// the environment once at init, so step 4 takes XDG_CONFIG_HOME from env
// itself and only asks adrg/xdg for the platform default on systems where it
// is not ~/.config (macOS, Windows).
func ResolvePath(env func(string) string, home string) string {
	if p := strings.TrimSpace(env("MILADY_CONFIG_PATH")); p != "" {
		return paths.ExpandHome(p, home)
	}
	if d := strings.TrimSpace(env("MILADY_STATE_DIR")); d != "" {
		return filepath.Join(paths.ExpandHome(d, home), FileName)
	}
	if home != "" {
		legacy := filepath.Join(home, ".milady", FileName)
		if _, err := os.Stat(legacy); err == nil {
			return legacy
		}
	}
	return filepath.Join(configHome(env, home), "milady", FileName)
}

// configHome is $XDG_CONFIG_HOME when it is an absolute path (the XDG spec
// says relative values are ignored), else the platform default.
func configHome(env func(string) string, home string) string {
	if x := env("XDG_CONFIG_HOME"); x != "" && filepath.IsAbs(x) {
		return x
	}
	switch runtime.GOOS {
	case "darwin", "windows", "plan9":
		return xdg.ConfigHome
	default:
		if home == "" {
			return xdg.ConfigHome
		}
		return filepath.Join(home, ".config")
	}
}
