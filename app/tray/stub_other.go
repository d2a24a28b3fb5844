//go:build !linux && !windows && !(darwin && cgo)

package tray

import (
	"log/slog"
)

// Tray is a no-op on this OS, and on macOS in a build without cgo (the
// menu-bar item is AppKit, reached only through cgo); the window stays the
// way in.
type Tray struct{ log *slog.Logger }

// New returns a tray that never shows.
func New(_ Backend, _ Agents, opts Options) *Tray {
	return &Tray{log: opts.withDefaults().Logger}
}

// Start logs once and reports that no tray is shown.
func (t *Tray) Start() bool {
	t.log.Info("tray: not supported on this OS, running without a tray icon")
	return false
}

// Stop does nothing.
func (t *Tray) Stop() {}

// TrayHostPresent is false: with no tray, closing the window must quit.
func TrayHostPresent() bool { return false }
