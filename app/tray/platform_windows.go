//go:build windows

package tray

import "log/slog"

// ownThread is true on Windows: the notification icon's window must pump
// its messages on the OS thread that created it, so systray.Run gets its own
// goroutine locked to a thread (see STYLE.md, Pitfalls).
const ownThread = true

// presetBeforeStart does not apply: systray.Run sets up its own window.
const presetBeforeStart = false

// showsTitle is true: Windows ignores the title (the tooltip is what shows).
const showsTitle = true

// preflight has nothing to check on Windows: the notification area always
// exists.
func preflight() error { return nil }

// nativeIcon wraps the PNG in an .ico, the only format systray loads here.
func nativeIcon(pngData []byte, size int) []byte { return encodeICO(pngData, size) }

// TrayHostPresent is always true on Windows: the taskbar hosts the icon.
func TrayHostPresent() bool { return true }

// startRegistrar has nothing to work around on Windows.
func startRegistrar(*slog.Logger) (stop func()) { return func() {} }

// endInline is false: end() posts to the tray's own thread, which may be
// gone, so Stop bounds it.
func endInline() bool { return false }
