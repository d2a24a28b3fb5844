//go:build !desktop

package desktop

// Supported reports whether this binary was built with a window.
func Supported() bool { return false }

// Run reports that this binary has no window (ErrNoDesktop). Build with
// "-tags desktop,production,webkit2_41" for the real one.
func Run(Options) error { return ErrNoDesktop }
