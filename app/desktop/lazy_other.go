//go:build !linux

package desktop

// lazyStart is false outside Linux. On macOS the tray lives in the Cocoa
// run loop that wails.Run drives, so the window must run from the start.
// Windows keeps the window from the start too until the lazy start has been
// tried there (the tray has its own thread, so nothing stands in the way).
const lazyStart = false
