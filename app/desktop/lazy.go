package desktop

import (
	"log/slog"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// LazyConfig is what NewLazy needs. Options is passed to RunFunc as is,
// except that its OnReady is wrapped and Hidden is cleared for a window
// created on demand (the user just asked to see it).
type LazyConfig struct {
	Options Options
	// RunFunc opens the window and blocks until it closes for good; Run in
	// production, a fake in tests.
	RunFunc func(Options) error
	// TrayGrace is how long a hidden start waits for a tray host before it
	// opens the window anyway (default 10 s); Clock measures it.
	TrayGrace time.Duration
	Clock     clock.Clock
}

// Lazy is the one window, created the first time it is shown. WebKit costs
// about 200 MB once a webview exists, and Wails can create its window only
// once per process, so an app that sits in the tray all day must not create
// it until the user opens the dashboard. Lazy is the handle the Service and
// the tray hold from the start: Show before the window exists asks Run (on
// the main goroutine) to create it; afterwards Show, Hide and Quit go to the
// real window.
type Lazy struct {
	cfg   LazyConfig
	log   *slog.Logger
	clock clock.Clock
	grace time.Duration

	openOnce sync.Once
	open     chan struct{} // closed by the first Show

	mu  sync.Mutex
	win Window // the real window, once Wails has started it
}

// NewLazy builds the handle; nothing is created until Run and a Show.
func NewLazy(cfg LazyConfig) *Lazy {
	log, clk, grace := handleDefaults(cfg.Options.Logger, cfg.Clock, cfg.TrayGrace)
	if cfg.RunFunc == nil {
		cfg.RunFunc = Run
	}
	return &Lazy{cfg: cfg, log: log, clock: clk, grace: grace, open: make(chan struct{})}
}

// handleDefaults fills in what a window handle (Lazy, Child) was not
// given: no logging, the real clock, and 10 s for a tray host to appear
// before a hidden start opens the window anyway.
func handleDefaults(log *slog.Logger, clk clock.Clock, grace time.Duration) (*slog.Logger, clock.Clock, time.Duration) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if clk == nil {
		clk = clock.Real{}
	}
	if grace <= 0 {
		grace = 10 * time.Second
	}
	return log, clk, grace
}

// LazyStart reports whether this platform may defer the window. macOS may
// not: its tray shares the Cocoa run loop that wails.Run drives, so the
// window must run from the start there.
func LazyStart() bool { return lazyStart && Supported() }

func (l *Lazy) current() Window {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.win
}

// Show shows the window, creating it on first use. While it is being
// created, Show does nothing more: a new window opens shown.
func (l *Lazy) Show() {
	if w := l.current(); w != nil {
		w.Show()
		return
	}
	l.openOnce.Do(func() {
		l.log.Info("window: opening the dashboard for the first time; creating the window")
		close(l.open)
	})
}

// showAsked reports whether Show was called before the window existed.
func (l *Lazy) showAsked() bool {
	select {
	case <-l.open:
		return true
	default:
		return false
	}
}

// Hide hides the window if it exists.
func (l *Lazy) Hide() {
	if w := l.current(); w != nil {
		w.Hide()
	}
}

// Quit closes the window for good if it exists; before that, the quit
// channel given to Run is what ends it.
func (l *Lazy) Quit() {
	if w := l.current(); w != nil {
		w.Quit()
	}
}

// Run must be called on the main goroutine: wails.Run needs the thread
// GTK was initialised on. With openNow it opens the window at once (as
// configured, hidden or not); otherwise it waits for the first Show, or,
// when no tray host appears within the grace period, opens the window so
// the app stays reachable. It returns (false, nil) when quit closes before
// the window was ever asked for, else whether it opened and Run's error.
func (l *Lazy) Run(quit <-chan struct{}, openNow bool) (opened bool, err error) {
	opts := l.cfg.Options
	if !openNow {
		stop := make(chan struct{})
		defer close(stop)
		go keepReachable(l.clock, l.grace, l.cfg.Options.TrayHostPresent, l.log, l.Show, l.open, stop)
		select {
		case <-quit:
			return false, nil
		case <-l.open:
		}
		select {
		case <-quit: // both at once: quitting wins, nothing to create
			return false, nil
		default:
		}
		opts.Hidden = false
	}
	ready := opts.OnReady
	opts.OnReady = func(w Window) {
		l.mu.Lock()
		l.win = w
		l.mu.Unlock()
		if ready != nil {
			ready(w)
		}
		// A window started hidden that was asked for while Wails was
		// starting it: the request must not be lost.
		if opts.Hidden && l.showAsked() {
			w.Show()
		}
	}
	err = l.cfg.RunFunc(opts)
	l.mu.Lock()
	l.win = nil // gone: its runtime calls must not be made any more
	l.mu.Unlock()
	return true, err
}

// lazyTrayPoll is how often keepReachable looks for a tray host.
const lazyTrayPoll = 500 * time.Millisecond

// keepReachable calls show when no tray host has appeared within grace:
// without a tray icon the app would be unreachable. At login the panel may
// start after us, hence the wait rather than one check. It returns once a
// tray host is seen, once the window has been asked for (asked closed), or
// when stop closes. Lazy and Child share it so the rule is the same for the
// in-process window and the window process.
func keepReachable(clk clock.Clock, grace time.Duration, present func() bool, log *slog.Logger, show func(), asked, stop <-chan struct{}) {
	deadline := clk.Now().Add(grace)
	for {
		if present != nil && present() {
			return
		}
		if !clk.Now().Before(deadline) {
			log.Warn("window: started hidden but no tray host appeared; showing the window so the app stays reachable")
			show()
			return
		}
		t := clk.NewTimer(lazyTrayPoll)
		select {
		case <-stop:
			t.Stop()
			return
		case <-asked:
			t.Stop()
			return
		case <-t.C():
		}
	}
}
