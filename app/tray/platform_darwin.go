//go:build darwin && cgo

package tray

// On macOS the status item is AppKit, which works only on the main thread
// and only while NSApp's run loop runs. Wails owns that loop (wails.Run
// must be called on the main thread too), so the tray is started with
// systray.RunWithExternalLoop on the main thread just before wails.Run:
// start() creates the status item at once, and every later setter is
// performed on the main thread, waiting until Wails' loop picks it up.

/*
#include <pthread.h>
*/
import "C"

import (
	"errors"
	"log/slog"
	"runtime"
)

// init keeps the main goroutine on the main thread, where AppKit must be
// driven. Wails' darwin frontend does the same; this covers a build
// without the window.
func init() { runtime.LockOSThread() }

// ownThread is false on macOS: the tray shares Wails' main run loop.
const ownThread = false

// presetBeforeStart is false: the status item does not exist before start,
// and there is no SNI Id to fix early.
const presetBeforeStart = false

// showsTitle is false: on macOS a title is text beside the icon in the menu
// bar, which would take room from other apps' icons.
const showsTitle = false

// preflight refuses to start off the main thread: AppKit would abort the
// whole process ("NSWindow should only be instantiated on the main thread")
// rather than fail.
func preflight() error {
	if C.pthread_main_np() == 0 {
		return errors.New("tray: Start must be called on the main thread on macOS (before wails.Run)")
	}
	return nil
}

// nativeIcon is the identity: AppKit loads PNG.
func nativeIcon(pngData []byte, _ int) []byte { return pngData }

// TrayHostPresent is always true on macOS: the menu bar hosts the item.
func TrayHostPresent() bool { return true }

// startRegistrar has nothing to work around on macOS.
func startRegistrar(*slog.Logger) (stop func()) { return func() {} }

// endInline reports whether Stop runs on the main thread, where systray's
// main-thread calls execute at once; from any other thread they would wait
// for a run loop that has ended with wails.Run, so Stop bounds them there.
func endInline() bool { return C.pthread_main_np() != 0 }
