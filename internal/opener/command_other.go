//go:build !unix && !windows

package opener

// command has no helper on this platform.
func command(string) (string, []string, error) { return "", nil, errNoHelper }
