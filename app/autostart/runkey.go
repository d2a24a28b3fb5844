package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// The Windows start-at-login entry: a string value under the current
// user's Run key holding the command line Explorer starts at login.
const (
	// RunKeyPath is relative to HKEY_CURRENT_USER.
	RunKeyPath = `Software\Microsoft\Windows\CurrentVersion\Run`
	// RunValueName is the value's name; Task Manager's Startup tab shows it.
	RunValueName = "Milady Cloud"
	// StartupApprovedPath is where Task Manager's Startup tab records that
	// the user turned a Run value off.
	StartupApprovedPath = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
)

// RunCommand is the Run value for the binary at exe: the path in double
// quotes (unquoted, a path with spaces is split and Windows may start
// C:\Program.exe instead), then --hidden so login does not pop the window.
//
// Windows file names cannot contain " or control characters, and a binary
// path never ends in a backslash, so rejecting those is enough for the
// quotes to survive the command-line parsing rules unchanged (backslashes
// are literal unless they precede a quote).
func RunCommand(exe string) (string, error) {
	if !isAbsWindows(exe) {
		return "", fmt.Errorf("build start-at-login command: binary path %q is not absolute", exe)
	}
	if strings.ContainsFunc(exe, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '"' }) {
		return "", errors.New("build start-at-login command: binary path contains a quote or control characters")
	}
	if strings.HasSuffix(exe, `\`) {
		return "", fmt.Errorf("build start-at-login command: binary path %q ends in a backslash", exe)
	}
	return `"` + exe + `" --hidden`, nil
}

// isAbsWindows reports whether p is an absolute Windows path: a drive
// letter with a root (C:\…) or a UNC path (\\server\share\…). It is written
// out rather than taken from path/filepath so that it means the same on
// every OS the tests run on.
func isAbsWindows(p string) bool {
	if len(p) >= 3 && p[1] == ':' && (p[2] == '\\' || p[2] == '/') {
		c := p[0] | 0x20
		return c >= 'a' && c <= 'z'
	}
	if strings.HasPrefix(p, `\\`) {
		rest := p[2:]
		i := strings.IndexByte(rest, '\\')
		return i > 0 && i < len(rest)-1
	}
	return false
}
