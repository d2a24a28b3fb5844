package app

import (
	"errors"
	"strings"
	"sync"

	"github.com/milady-ai/milady-cloud/cloud"
)

// shell is the part of the state that belongs to the desktop around the
// app: the window (desktop mode only), whether a tray host shows our icon,
// and how to quit the whole process.
type shell struct {
	mu            sync.Mutex
	window        Window
	trayAvailable bool
	quit          func()
	opens         openGate // debounces browser opens; its own lock
	topUpURL      string   // the last top-up page opened (a debounced top-up answers it)
}

func (p *shell) lastTopUp(otherwise string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.topUpURL == "" {
		return otherwise
	}
	return p.topUpURL
}

func (p *shell) setLastTopUp(u string) {
	p.mu.Lock()
	p.topUpURL = u
	p.mu.Unlock()
}

func (p *shell) fill(snap *Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	snap.Desktop, snap.TrayAvailable = p.window != nil, p.trayAvailable
}

// SetWindow attaches the desktop window (desktop mode only).
func (s *Service) SetWindow(w Window) {
	s.shell.mu.Lock()
	s.shell.window = w
	s.shell.mu.Unlock()
	s.publishSettings()
}

// SetTrayAvailable records whether a tray host shows our icon.
func (s *Service) SetTrayAvailable(ok bool) {
	s.shell.mu.Lock()
	s.shell.trayAvailable = ok
	s.shell.mu.Unlock()
}

// SetQuit installs the function Quit calls (main's graceful shutdown).
func (s *Service) SetQuit(f func()) {
	s.shell.mu.Lock()
	s.shell.quit = f
	s.shell.mu.Unlock()
}

// ShowWindow shows and focuses the window; false when headless.
func (s *Service) ShowWindow() bool {
	s.shell.mu.Lock()
	w := s.shell.window
	s.shell.mu.Unlock()
	if w == nil {
		return false
	}
	w.Show()
	return true
}

// Quit asks the app to shut down gracefully.
func (s *Service) Quit() {
	s.shell.mu.Lock()
	q := s.shell.quit
	s.shell.mu.Unlock()
	if q != nil {
		go q()
	}
}

// OpenTopUp opens the billing page in the browser. Within OpenInterval of
// the last browser open it does nothing and still succeeds: the page is
// already opening.
func (s *Service) OpenTopUp() error {
	u := s.topUpURL()
	if s.opts.Opener == nil {
		return errors.New("no browser available: open " + u)
	}
	if !s.shell.opens.allow(s.clk.Now()) {
		s.log.Debug("top-up page opened moments ago; not opening it again")
		return nil
	}
	return s.opts.Opener.Open(u)
}

// simTopUpPath is the simulator's own billing page, at the same path as
// the real cloud's.
const simTopUpPath = "/dashboard/settings?tab=billing"

// topUpURL is where Top up leads: the real billing page, or under --sim the
// simulator's, so a demo never sends anyone to the real cloud's.
func (s *Service) topUpURL() string {
	if s.opts.Sim && s.opts.BaseURL != "" {
		return strings.TrimRight(s.opts.BaseURL, "/") + simTopUpPath
	}
	return cloud.TopUpURL
}
