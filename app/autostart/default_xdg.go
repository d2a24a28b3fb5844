//go:build !windows && !darwin

package autostart

// Default is the start-at-login switch of this OS: the XDG autostart entry,
// which Linux and BSD desktop sessions read.
func Default(env func(string) string, home, execPath string) Switch {
	return New(env, home, execPath)
}
