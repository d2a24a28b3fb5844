// Package frontend embeds the dashboard bundle (frontend/dist, built by
// `make frontend`) so that both executables serve the same files: the
// tray process on its REST port and the window process in its webview.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built dashboard (index.html at its root), or nil before the
// first frontend build: the REST API then serves a placeholder page and the
// window has nothing to show.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil
	}
	if _, err := fs.Stat(sub, "index.html"); err != nil {
		return nil
	}
	return sub
}
