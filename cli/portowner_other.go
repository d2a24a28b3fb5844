//go:build !linux

package cli

// portOwner cannot tell who holds a port on this OS.
func portOwner(int) string { return "" }

var _ = describeProcess
