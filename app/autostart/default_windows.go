//go:build windows

package autostart

// Default is the start-at-login switch of this OS: a value under
// HKCU\…\Run, which Explorer reads at every login of this user (no admin
// rights needed, removed with the user's profile).
func Default(_ func(string) string, _ string, execPath string) Switch {
	return NewRunKey(execPath)
}
