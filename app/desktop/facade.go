// Package desktop is the Wails face of the app: one facade (App) whose
// exported methods are the window's JavaScript API, the event bridge that
// turns the Backend's stream into Wails runtime events, and Run, which opens
// the window.
//
// The facade carries no logic of its own (docs/ARCHITECTURE.md, layers):
// every method calls the Backend (or its Agents, Chat and Billing parts) and returns
// its result, so the window, the REST API and the tray cannot disagree.
// Only window.go imports the Wails runtime; everything else builds and
// tests without GTK.
package desktop

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// Emitter sends a named event to the page. In the window it is the Wails
// runtime's EventsEmit; tests record the calls.
type Emitter interface {
	Emit(name string, data any)
}

// Config is what New needs. Only Backend, Agents, Chat and Billing are
// required.
type Config struct {
	Backend Backend
	Agents  Agents  // the Service's Agents part
	Chat    Chat    // the Service's Chat part
	Billing Billing // the Service's Billing part
	// Emitter receives the forwarded Backend events and chat chunks. It is
	// used only between startup and shutdown.
	Emitter Emitter
	// Opener opens external links (a page inside the webview cannot open
	// new windows, so they go through OpenURL); nil makes OpenURL fail.
	Opener app.Opener
	Logger *slog.Logger
	// OnReady is called by ReportReady, i.e. each time the page has mounted.
	OnReady func()

	// Window is the window the close policy hides or shows; nil in tests
	// that do not exercise it.
	Window Window
	// TrayHostPresent reports whether a tray host shows our icon, so that
	// closing the window may hide it instead of quitting. Nil means never.
	TrayHostPresent func() bool
	// StartHidden is --hidden: the window starts hidden. If no tray host
	// appears within TrayGrace the window is shown anyway, because a hidden
	// window without a tray icon would leave the app unreachable.
	StartHidden bool
	TrayGrace   time.Duration // default 10 s
	Clock       clock.Clock   // default clock.Real
}

// App is the facade bound to the window: its exported methods are the
// JavaScript API (window.go.desktop.App.*). Each returns (T, error) so the
// page's promise rejects with the error's message; errors are passed on
// unwrapped because the Backend already words them for a person.
type App struct {
	backend Backend
	agents  Agents
	chat    Chat
	billing Billing
	emitter Emitter
	opener  app.Opener
	log     *slog.Logger
	onReady func()

	window      Window
	trayPresent func() bool
	startHidden bool
	trayGrace   time.Duration
	clock       clock.Clock

	// closeMu serialises beforeClose, which Wails calls from a goroutine of
	// its own for each close request; closedAt is when one was last let
	// through (zero: never).
	closeMu  sync.Mutex
	closedAt time.Time

	mu       sync.Mutex
	quitting bool            // Quit was asked for: closing must not be prevented
	ctx      context.Context // cancelled at shutdown; nil before startup
	cancel   context.CancelFunc
	workers  sync.WaitGroup // the event forwarder and keepReachable
	started  bool
}

// New builds the facade. It does nothing until startup.
func New(cfg Config) *App {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	grace := cfg.TrayGrace
	if grace <= 0 {
		grace = 10 * time.Second
	}
	clk := cfg.Clock
	if clk == nil {
		clk = clock.Real{}
	}
	return &App{
		backend:     cfg.Backend,
		agents:      cfg.Agents,
		chat:        cfg.Chat,
		billing:     cfg.Billing,
		emitter:     cfg.Emitter,
		opener:      cfg.Opener,
		log:         log,
		onReady:     cfg.OnReady,
		window:      cfg.Window,
		trayPresent: cfg.TrayHostPresent,
		startHidden: cfg.StartHidden,
		trayGrace:   grace,
		clock:       clk,
	}
}

// startup is the Wails OnStartup hook: it creates the context every bound
// call runs under and starts forwarding the Backend's events to the page.
// Calling it twice is harmless.
func (a *App) startup(ctx context.Context) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.started {
		return
	}
	a.started = true
	// Detached from Wails' context on purpose: that one is never cancelled,
	// and calls still in flight at quit must be told to stop.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.ctx, a.cancel = life, cancel
	sub := a.backend.Subscribe()
	a.workers.Add(1)
	go func() {
		defer a.workers.Done()
		a.forward(life, sub)
	}()
	if a.startHidden && a.window != nil {
		a.workers.Add(1)
		go func() {
			defer a.workers.Done()
			a.keepReachable(life)
		}()
	}
}

// trayPollInterval is how often keepReachable looks for a tray host.
const trayPollInterval = 500 * time.Millisecond

// keepReachable shows a window started hidden when no tray host has shown up
// within the grace period. At login the panel may start after us, hence the
// wait rather than a single check.
func (a *App) keepReachable(ctx context.Context) {
	deadline := a.clock.Now().Add(a.trayGrace)
	for {
		if a.trayHostPresent() {
			return
		}
		if !a.clock.Now().Before(deadline) {
			a.log.Warn("window: started hidden but no tray host appeared; showing the window so the app stays reachable")
			a.window.Show()
			return
		}
		t := a.clock.NewTimer(trayPollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

func (a *App) trayHostPresent() bool {
	return a.trayPresent != nil && a.trayPresent()
}

// forward copies every Backend event to the page as a runtime event named
// after its type, so the page's EventsOn('state', …) sees the same stream
// as the browser's SSE. One goroutine keeps the order, and an event whose
// snapshot is numbered at or below the last one forwarded is dropped, so
// the page never receives an older state after a newer one.
func (a *App) forward(ctx context.Context, sub app.Subscription) {
	defer sub.Close()
	var last uint64
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			if seq := ev.Snapshot.Seq; seq != 0 { // 0: unnumbered (test doubles)
				if seq <= last {
					a.log.Debug("window: dropped an out-of-order event", "type", ev.Type, "seq", seq, "last", last)
					continue
				}
				last = seq
			}
			a.emit(ev.Type, ev.Data)
		}
	}
}

// domReady is the Wails OnDomReady hook. Readiness that matters (the page
// mounted and fetched its snapshot) is reported by the page via ReportReady.
func (a *App) domReady(context.Context) {
	a.log.Debug("window: DOM ready")
}

// closeRetryAfter is how long a close that was let through has to end the
// main loop before another one is let through too (see beforeClose).
const closeRetryAfter = 3 * time.Second

// beforeClose is the Wails OnBeforeClose hook; true prevents the close.
// Wails routes both the window's close button and runtime.Quit here, so a
// quit we asked for (requestQuit) always goes through. Otherwise, with a
// tray host present, closing hides the window and the app keeps running in
// the tray; without one it quits, since a hidden window could not be
// brought back.
//
// Only one close is let through: for each one Wails calls gtk_main_quit
// from a goroutine, and a second call racing GTK's main loop as it ends
// crashes the process (SIGSEGV in gtk_main_quit). A SIGTERM makes up to
// three (Wails' own signal handler, Run's, and main's quit), so the later
// ones are prevented; the quit under way ends the app anyway. A close that
// comes closeRetryAfter later is let through again, in case the first was
// lost (gtk_main_quit before the main loop started is ignored).
func (a *App) beforeClose(context.Context) (prevent bool) {
	a.closeMu.Lock()
	defer a.closeMu.Unlock()
	now := a.clock.Now()
	if !a.closedAt.IsZero() && now.Sub(a.closedAt) < closeRetryAfter {
		a.log.Debug("window: already closing; ignoring another close request")
		return true
	}
	a.mu.Lock()
	quitting := a.quitting
	a.mu.Unlock()
	if !quitting {
		if a.window != nil && a.trayHostPresent() {
			a.log.Info("window: closed; hiding it, the app keeps running in the tray")
			a.window.Hide()
			return true
		}
		a.log.Info("window: closed and no tray host is present; quitting")
	}
	a.closedAt = now
	return false
}

// requestQuit marks the coming close as a real quit (see beforeClose).
func (a *App) requestQuit() {
	a.mu.Lock()
	a.quitting = true
	a.mu.Unlock()
}

// shutdown is the Wails OnShutdown hook: it cancels calls in flight and
// waits for the event forwarder to stop. Calling it twice, or without
// startup, is harmless.
func (a *App) shutdown(context.Context) {
	a.mu.Lock()
	cancel := a.cancel
	a.cancel = nil
	a.mu.Unlock()
	if cancel == nil {
		return
	}
	cancel()
	a.workers.Wait()
}

// context is what bound calls pass to the Backend: the window's lifetime
// context, or Background before startup (tests).
func (a *App) context() context.Context {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.ctx == nil {
		return context.Background()
	}
	return a.ctx
}

// errNoOpener is returned by OpenURL when the facade was built without one.
var errNoOpener = errors.New("opening links is not available")
