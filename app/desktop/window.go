//go:build desktop

package desktop

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"sync"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/logger"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	wruntime "github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/milady-ai/milady-cloud/app"
	osopener "github.com/milady-ai/milady-cloud/internal/opener"
)

// Window geometry.
const (
	windowWidth     = 1100
	windowHeight    = 760
	windowMinWidth  = 800
	windowMinHeight = 600
)

// Supported reports whether this binary was built with a window.
func Supported() bool { return true }

// init keeps the main goroutine on the main thread. The window may now be
// created long after start (Lazy), and GTK must run on the thread it was
// first used on; the main goroutine, where Run is called, stays there.
func init() { runtime.LockOSThread() }

// Run opens the window and blocks until it is closed for good (Window.Quit,
// SIGINT/SIGTERM, or the close button without a tray host). It needs the build tags
// "desktop,production" (plus webkit2_41 on Linux) and a display; check
// DisplayAvailable first. A panic inside Wails (e.g. "failed to init GTK")
// is returned as an error so the caller can fall back to headless mode.
func Run(opts Options) (err error) {
	if opts.Backend == nil || opts.Agents == nil || opts.Chat == nil || opts.Assets == nil {
		return errors.New("run window: Backend, Agents, Chat and Assets are required")
	}
	if err := webviewPreflight(); err != nil {
		return fmt.Errorf("run window: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	title := opts.Title
	if title == "" {
		title = DefaultTitle
	}
	opener := opts.Opener
	if opener == nil {
		// Not pkg/browser: it hands the browser this process's environment,
		// which holds the API key (ELIZAOS_CLOUD_API_KEY).
		opener = app.OpenerFunc(osopener.New(nil).Open)
	}

	bg := windowBackground(os.Getenv)
	win := &runtimeWindow{}
	em := &runtimeEmitter{}
	facade := New(Config{
		Backend:         opts.Backend,
		Agents:          opts.Agents,
		Chat:            opts.Chat,
		Billing:         opts.Billing,
		Emitter:         em,
		Opener:          opener,
		Logger:          log,
		OnReady:         opts.OnDashboardReady,
		Window:          win,
		TrayHostPresent: opts.TrayHostPresent,
		StartHidden:     opts.Hidden,
	})
	win.facade = facade

	// Wails turns SIGINT/SIGTERM into a close, which hide-on-close would
	// swallow when a tray host is present; make a signal a real quit.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case s := <-sigs:
			log.Info("window: quitting on signal", "signal", s.String())
			win.Quit()
		case <-done:
		}
	}()

	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("run window: wails panicked: %v", r)
		}
	}()
	err = wails.Run(&options.App{
		Title:            title,
		Width:            windowWidth,
		Height:           windowHeight,
		MinWidth:         windowMinWidth,
		MinHeight:        windowMinHeight,
		StartHidden:      opts.Hidden,
		BackgroundColour: options.NewRGB(bg[0], bg[1], bg[2]),
		AssetServer: &assetserver.Options{
			Assets:  opts.Assets,
			Handler: opts.APIHandler,
		},
		Logger:             wailsLogger{log: log},
		LogLevel:           logger.INFO,
		LogLevelProduction: logger.WARNING,
		OnStartup: func(ctx context.Context) {
			// wails.Run installed its own handler, which prints "Ctrl+C
			// detected" on stderr for every SIGTERM; ours above already
			// quits cleanly and logs it, so take the signals back.
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
			em.set(ctx)
			win.set(ctx)
			facade.startup(ctx)
			if opts.OnReady != nil {
				opts.OnReady(win)
			}
		},
		OnDomReady:    facade.domReady,
		OnBeforeClose: facade.beforeClose,
		OnShutdown: func(ctx context.Context) {
			win.clear()
			facade.shutdown(ctx)
			em.clear()
		},
		Bind: []any{facade},
		Linux: &linux.Options{
			ProgramName: "milady-cloud",
			// WebKit's GPU path fails or flickers under Xvfb, VMs and
			// remote X; the dashboard needs no acceleration.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
	})
	if err != nil {
		return fmt.Errorf("run window: %w", err)
	}
	return nil
}

// runtimeEmitter emits through the Wails runtime while the window lives.
type runtimeEmitter struct {
	mu  sync.Mutex
	ctx context.Context
}

func (e *runtimeEmitter) set(ctx context.Context) {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()
}

// clear stops emitting: after shutdown the runtime must not be called.
func (e *runtimeEmitter) clear() {
	e.mu.Lock()
	e.ctx = nil
	e.mu.Unlock()
}

// Emit sends the event, or drops it when the window is gone.
func (e *runtimeEmitter) Emit(name string, data any) {
	e.mu.Lock()
	ctx := e.ctx
	e.mu.Unlock()
	if ctx != nil {
		wruntime.EventsEmit(ctx, name, data)
	}
}

// runtimeWindow is the Window handed to OnReady. The Wails runtime calls
// need the context Wails passes to OnStartup and must not be made after
// shutdown, so they are guarded; a Quit before startup is remembered.
type runtimeWindow struct {
	facade *App

	mu          sync.Mutex
	ctx         context.Context
	pendingQuit bool
}

// set enables the runtime calls, performing a Quit asked for earlier.
func (w *runtimeWindow) set(ctx context.Context) {
	w.mu.Lock()
	w.ctx = ctx
	quit := w.pendingQuit
	w.mu.Unlock()
	if quit {
		w.facade.requestQuit()
		wruntime.Quit(ctx)
	}
}

// clear disables the runtime calls once the window is gone.
func (w *runtimeWindow) clear() {
	w.mu.Lock()
	w.ctx = nil
	w.mu.Unlock()
}

func (w *runtimeWindow) current() context.Context {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ctx
}

// Show shows, un-minimises and raises the window. GTK's show does not
// raise a window that is already mapped, so it is briefly made
// always-on-top, the usual way to bring it in front without a WM hint.
func (w *runtimeWindow) Show() {
	ctx := w.current()
	if ctx == nil {
		return
	}
	wruntime.WindowShow(ctx)
	wruntime.WindowUnminimise(ctx)
	wruntime.WindowSetAlwaysOnTop(ctx, true)
	wruntime.WindowSetAlwaysOnTop(ctx, false)
}

// Hide hides the window.
func (w *runtimeWindow) Hide() {
	if ctx := w.current(); ctx != nil {
		wruntime.WindowHide(ctx)
	}
}

// Quit closes the window for good, bypassing hide-on-close.
func (w *runtimeWindow) Quit() {
	w.mu.Lock()
	ctx := w.ctx
	if ctx == nil {
		w.pendingQuit = true
	}
	w.mu.Unlock()
	if ctx == nil {
		return
	}
	w.facade.requestQuit()
	wruntime.Quit(ctx)
}
