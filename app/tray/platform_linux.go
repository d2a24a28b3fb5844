//go:build linux

package tray

// ownThread is false on Linux: systray there is pure D-Bus with no loop of
// its own, so it starts beside wails.Run via RunWithExternalLoop.
const ownThread = false

// nativeIcon is the identity on Linux: systray decodes PNG into the SNI
// IconPixmap itself.
func nativeIcon(pngData []byte, _ int) []byte { return pngData }
