package tray

import (
	"io"
	"log/slog"
)

// DefaultIconSize is the pixel size icons are rendered at. Hosts scale the
// pixmap to their panel (16–24 px usually); 32 keeps edges crisp after
// downscaling without sending large pixmaps over D-Bus on every change.
const DefaultIconSize = 32

// Options are the tray's collaborators; every field may be zero.
type Options struct {
	// Logger receives click errors and lifecycle lines (never the API key:
	// the tray never sees it). Nil discards.
	Logger *slog.Logger
	// StartAtLogin shows the "Start at login" checkbox (the app can write
	// an autostart entry on this system). Its state comes from the
	// snapshot and clicks go to Backend.SetStartAtLogin.
	StartAtLogin bool
	// OpenDashboard shows the dashboard (the window, or the browser in a
	// windowless run). Nil falls back to Backend.ShowWindow.
	OpenDashboard func()
	// OnQuit, if set, runs after Backend.Quit when the user picks Quit, for
	// a shell whose loop the Service's Quit does not stop (main's does: it
	// hands the Service its quit function, so it leaves this nil).
	OnQuit func()
	// IconSize overrides DefaultIconSize.
	IconSize int
}

// withDefaults fills the optional fields so the rest of the package never
// checks for nil loggers or sizes.
func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.IconSize <= 0 {
		o.IconSize = DefaultIconSize
	}
	return o
}
