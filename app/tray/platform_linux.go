//go:build linux

package tray

// ownThread is false on Linux: systray there is pure D-Bus with no loop of
// its own, so it starts beside wails.Run via RunWithExternalLoop.
const ownThread = false

// nativeIcon is the identity on Linux: systray decodes PNG into the SNI
// IconPixmap itself.
func nativeIcon(pngData []byte, _ int) []byte { return pngData }

// presetBeforeStart is true on Linux: the title becomes the SNI Id when the
// item is exported, so it (and the first icon) is set before start.
const presetBeforeStart = true

// showsTitle is true: the SNI Title names the app in hosts' settings.
const showsTitle = true

// endInline is false: systray's end() may block on D-Bus, so Stop bounds it.
func endInline() bool { return false }
