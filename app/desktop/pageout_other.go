//go:build !linux

package desktop

// ReleaseLibraryPages does nothing outside Linux, where the window is not
// deferred (see LazyStart).
func ReleaseLibraryPages() (int, error) { return 0, nil }
