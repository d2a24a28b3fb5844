//go:build darwin

package autostart

// Default is nil on macOS: an XDG entry would be written and never read,
// showing a switch that does nothing. Login items there are registered
// with SMAppService from a signed bundle, which this build does not do; a
// nil switch hides the tray checkbox and makes the setting answer that it
// is not available.
func Default(func(string) string, string, string) Switch { return nil }
