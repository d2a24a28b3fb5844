//go:build !windows

package autostart

// Default is the start-at-login switch of this OS: the XDG autostart entry,
// which Linux and BSD desktop sessions read (macOS leaves it unused, and the
// window shows the toggle as on once the file exists).
func Default(env func(string) string, home, execPath string) Switch {
	return New(env, home, execPath)
}
