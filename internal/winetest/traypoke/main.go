//go:build windows

// Command traypoke drives the app's tray from another process, for the
// Wine test (make test-windows): it finds fyne.io/systray's hidden window,
// posts the right-click that the notification icon would send, checks that
// a visible popup menu of the same process appears, closes it, and posts
// WM_COMMAND with the Quit item's id, the message Windows sends when the
// item is chosen. Under Wine another process cannot read a menu's items
// (GetMenuItemCount gives -1), so the id comes from the app's debug log and
// the item is chosen by its id rather than by keystrokes.
//
// Usage: traypoke -quit-id N [-timeout 30s]. It exits 0 when every step
// worked and 1, with the failed step on stderr, otherwise.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The window messages and the class names involved; systray's callback
// message is WM_USER+1 with the mouse message in lParam.
const (
	wmCommand     = 0x0111
	wmCancelMode  = 0x001F
	wmRButtonUp   = 0x0205
	wmUser        = 0x0400
	systrayNotify = wmUser + 1
	systrayClass  = "SystrayClass"
	menuClass     = "#32768"
)

var (
	user32                    = windows.NewLazySystemDLL("user32.dll")
	procFindWindowW           = user32.NewProc("FindWindowW")
	procPostMessageW          = user32.NewProc("PostMessageW")
	procEnumWindows           = user32.NewProc("EnumWindows")
	procIsWindowVisible       = user32.NewProc("IsWindowVisible")
	procGetClassNameW         = user32.NewProc("GetClassNameW")
	procGetWindowThreadProcId = user32.NewProc("GetWindowThreadProcessId")
)

func main() {
	quitID := flag.Uint("quit-id", 0, "the tray's Quit item id (from the app's \"tray menu item\" debug line)")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for each step")
	flag.Parse()
	if err := run(uint32(*quitID), *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "traypoke:", err)
		os.Exit(1)
	}
}

func run(quitID uint32, timeout time.Duration) error {
	if quitID == 0 {
		return errors.New("-quit-id is required")
	}
	var tray windows.HWND
	if err := poll(timeout, "the systray window (class "+systrayClass+")", func() bool {
		tray = findWindow(systrayClass)
		return tray != 0
	}); err != nil {
		return err
	}
	pid := processOf(tray)
	fmt.Printf("traypoke: systray window %#x of process %d\n", tray, pid)

	if m := visibleMenuOf(pid); m != 0 {
		return fmt.Errorf("a popup menu (%#x) of the tray's process is open before the right click", m)
	}
	if err := post(tray, systrayNotify, 0, wmRButtonUp); err != nil {
		return fmt.Errorf("post the right click: %w", err)
	}
	var menu windows.HWND
	if err := poll(timeout, "a visible popup menu ("+menuClass+") of the tray's process", func() bool {
		menu = visibleMenuOf(pid)
		return menu != 0
	}); err != nil {
		return err
	}
	fmt.Printf("traypoke: menu appeared: window %#x\n", menu)

	// The menu's modal loop ends on a WM_CANCELMODE to its owner, which is
	// what EndMenu does.
	if err := post(tray, wmCancelMode, 0, 0); err != nil {
		return fmt.Errorf("post WM_CANCELMODE: %w", err)
	}
	if err := poll(timeout, "the menu to close", func() bool { return visibleMenuOf(pid) == 0 }); err != nil {
		return err
	}
	fmt.Println("traypoke: menu closed")

	if err := post(tray, wmCommand, uintptr(quitID), 0); err != nil {
		return fmt.Errorf("post WM_COMMAND %d: %w", quitID, err)
	}
	fmt.Printf("traypoke: posted WM_COMMAND %d (Quit)\n", quitID)
	return nil
}

// poll calls ok every 50 ms until it reports true or d has passed.
func poll(d time.Duration, what string, ok func() bool) error {
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			return fmt.Errorf("no %s within %s", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return nil
}

func findWindow(class string) windows.HWND {
	p, _ := windows.UTF16PtrFromString(class)
	h, _, _ := procFindWindowW.Call(uintptr(unsafe.Pointer(p)), 0)
	return windows.HWND(h)
}

func processOf(h windows.HWND) uint32 {
	var pid uint32
	procGetWindowThreadProcId.Call(uintptr(h), uintptr(unsafe.Pointer(&pid)))
	return pid
}

func post(h windows.HWND, msg uint32, wParam, lParam uintptr) error {
	if r, _, err := procPostMessageW.Call(uintptr(h), uintptr(msg), wParam, lParam); r == 0 {
		return err
	}
	return nil
}

// visibleMenuOf is a visible top-level popup-menu window owned by process
// pid, or 0.
func visibleMenuOf(pid uint32) windows.HWND {
	enumPID, enumFound = pid, 0
	procEnumWindows.Call(enumMenus, 0)
	return enumFound
}

// The EnumWindows callback is made once: Go can create only a limited
// number of callbacks per process, and the menu is polled many times.
var (
	enumPID   uint32
	enumFound windows.HWND
	enumMenus = syscall.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		if v, _, _ := procIsWindowVisible.Call(uintptr(h)); v == 0 {
			return 1
		}
		var buf [64]uint16
		n, _, _ := procGetClassNameW.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if windows.UTF16ToString(buf[:n]) == menuClass && processOf(h) == enumPID {
			enumFound = h
			return 0
		}
		return 1
	})
)
