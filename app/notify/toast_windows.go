//go:build windows

package notify

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"git.sr.ht/~jackmordaunt/go-toast/v2"
	"git.sr.ht/~jackmordaunt/go-toast/v2/tmpl"
	"git.sr.ht/~jackmordaunt/go-toast/v2/wintoast"
	"github.com/go-ole/go-ole"
)

// ToastSender shows alerts as Windows toasts through go-toast, the library
// Wails' own runtime.SendNotification wraps. It is used directly so that
// alerts work before the (lazily created) window exists and without Wails
// registering a COM activator that would start the binary with arguments
// it does not take.
//
// Toasts go through WinRT (COM) only, never go-toast's PowerShell fallback:
// that one pastes the text into a double-quoted here-string, where an agent
// name holding $(…) would run as a command.
//
// WinRT wants the thread that initialised COM to make the calls, and Go
// moves goroutines between threads, so every toast is pushed from one
// goroutine locked to its own OS thread; Close uninitialises COM there,
// which releases the callback object go-toast registers (left registered,
// COM calls into the exiting Go runtime at process exit and it aborts).
type ToastSender struct {
	appID string
	reqs  chan toastReq
	// push shows one toast's XML; tests replace it.
	push func(appID, xml string) error
	// uninit ends COM on the sending thread after the last toast.
	uninit func()
	// stopped is closed when the sending thread has finished.
	stopped chan struct{}

	mu     sync.Mutex
	closed bool
}

type toastReq struct {
	xml  string
	done chan error
}

var _ DesktopSender = (*ToastSender)(nil)

// NewToastSender registers appName (shown as the sender in toasts and the
// Action Centre) for the current user and starts the sending thread.
func NewToastSender(appName string) (*ToastSender, error) {
	if err := toast.SetAppData(toast.AppData{AppID: appName}); err != nil {
		return nil, fmt.Errorf("register app for toast notifications: %w", err)
	}
	return startToastSender(appName, func(appID, xml string) error { return wintoast.Push(appID, xml) }, ole.CoUninitialize), nil
}

func startToastSender(appID string, push func(appID, xml string) error, uninit func()) *ToastSender {
	s := &ToastSender{appID: appID, reqs: make(chan toastReq), push: push, uninit: uninit, stopped: make(chan struct{})}
	go s.loop()
	return s
}

func (s *ToastSender) loop() {
	defer close(s.stopped)
	runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
	pushed := false
	for r := range s.reqs {
		pushed = true
		r.done <- s.push(s.appID, r.xml)
	}
	if pushed {
		s.uninit()
	}
}

// toastXML is the toast document for a, from go-toast's own template.
func toastXML(appID string, a Alert) (string, error) {
	spec := toastFor(a)
	n := toast.Notification{
		AppID:          appID,
		Title:          spec.Title,
		Body:           spec.Body,
		ActivationType: toast.Foreground,
		Duration:       toast.Short,
		Audio:          toast.Default,
	}
	if spec.Long {
		n.Duration = toast.Long
	}
	if spec.Silent {
		n.Audio = toast.Silent
	}
	var b bytes.Buffer
	if err := tmpl.XMLTemplate.Execute(&b, n); err != nil {
		return "", fmt.Errorf("build toast: %w", err)
	}
	return b.String(), nil
}

// Send shows a as a toast. Toasts cannot be replaced by id through this
// library, so a repeated alert stacks in the Action Centre; the policy
// sends each kind only on a crossing, which keeps that rare.
func (s *ToastSender) Send(a Alert) error {
	xml, err := toastXML(s.appID, a)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock() // held while sending, so Close cannot close reqs under us
	if s.closed {
		return errClosed
	}
	done := make(chan error, 1)
	s.reqs <- toastReq{xml: xml, done: done}
	if err := <-done; err != nil {
		return fmt.Errorf("send notification %s: %w", a.ID, err)
	}
	return nil
}

// Close stops the sending thread and waits for it; later Sends fail.
func (s *ToastSender) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errors.New("close toast sender: already closed")
	}
	s.closed = true
	close(s.reqs)
	s.mu.Unlock()
	<-s.stopped
	return nil
}
