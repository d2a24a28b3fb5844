//go:build darwin || windows

package desktop

// displayAvailable is always true where the OS owns the screen.
func displayAvailable(displayEnv) (bool, string) { return true, "" }
