//go:build windows

package autostart

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// RunKey is start at login on Windows: a value under HKCU\…\Run. The
// value's presence is the truth, so a user who deletes it has turned it off.
// Task Manager's Startup tab keeps its own off switch (under
// StartupApproved\Run); Enable clears that, so turning the option on here
// really starts the app at the next login.
type RunKey struct {
	// Root and Path name the key (HKEY_CURRENT_USER and RunKeyPath; tests
	// use a scratch key).
	Root registry.Key
	Path string
	// Name is the value's name (RunValueName).
	Name string
	// ApprovedPath is Task Manager's switch key (StartupApprovedPath).
	ApprovedPath string
	// Exe is the absolute path of the binary to start.
	Exe string
}

var _ Switch = (*RunKey)(nil)

// NewRunKey is the current user's Run entry for the binary at exe.
func NewRunKey(exe string) *RunKey {
	return &RunKey{Root: registry.CURRENT_USER, Path: RunKeyPath, Name: RunValueName, ApprovedPath: StartupApprovedPath, Exe: exe}
}

// Enabled reports whether the value exists (of any type: Windows runs
// REG_EXPAND_SZ entries too).
func (r *RunKey) Enabled() bool {
	k, err := registry.OpenKey(r.Root, r.Path, registry.QUERY_VALUE)
	if err != nil {
		return false
	}
	defer k.Close()
	_, _, err = k.GetValue(r.Name, nil)
	return err == nil
}

// Enable writes the value, replacing an older one (e.g. after the binary
// moved). The key is created when missing, which a fresh profile may be.
func (r *RunKey) Enable() error {
	cmd, err := RunCommand(r.Exe)
	if err != nil {
		return err
	}
	k, _, err := registry.CreateKey(r.Root, r.Path, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("open start-at-login key: %w", err)
	}
	defer k.Close()
	if err := k.SetStringValue(r.Name, cmd); err != nil {
		return fmt.Errorf("write start-at-login value: %w", err)
	}
	r.clearApproval()
	return nil
}

// clearApproval deletes Task Manager's "disabled" mark for our value, if
// any: Windows skips a Run value marked there. Best effort: the key is
// absent on systems that never opened the Startup tab.
func (r *RunKey) clearApproval() {
	if r.ApprovedPath == "" {
		return
	}
	k, err := registry.OpenKey(r.Root, r.ApprovedPath, registry.SET_VALUE)
	if err != nil {
		return
	}
	defer k.Close()
	_ = k.DeleteValue(r.Name)
}

// Disable deletes the value; a value (or key) that is not there is not an
// error.
func (r *RunKey) Disable() error {
	k, err := registry.OpenKey(r.Root, r.Path, registry.SET_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open start-at-login key: %w", err)
	}
	defer k.Close()
	if err := k.DeleteValue(r.Name); err != nil && !errors.Is(err, registry.ErrNotExist) {
		return fmt.Errorf("remove start-at-login value: %w", err)
	}
	return nil
}
