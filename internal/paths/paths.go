// Package paths holds the one rule for "~" in folder settings, shared by the
// config file's location and the state folder's so that the same value of
// MILADY_STATE_DIR names the same folder for both.
package paths

import (
	"path/filepath"
	"strings"
)

// ExpandHome turns a leading "~/" (or a lone "~") into the home folder: a
// shell does that for a typed path, but not inside quotes or in a systemd
// unit or .desktop file, where a user still writes it. Other paths, and
// every path when home is unknown, are returned as given.
func ExpandHome(p, home string) string {
	if home == "" {
		return p
	}
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}
