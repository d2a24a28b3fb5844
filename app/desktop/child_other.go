//go:build !linux

package desktop

import "syscall"

// childSysProcAttr: only Linux runs the window as a child today (macOS
// and Windows keep it in the app's process), so nothing more is set.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
