package main

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/milady-ai/milady-cloud/app/desktop"
	"github.com/milady-ai/milady-cloud/app/tray"
	"github.com/milady-ai/milady-cloud/frontend"
	"github.com/milady-ai/milady-cloud/internal/opener"
)

// desktopRun is what runDesktop needs from run.
type desktopRun struct {
	f       flags
	a       *wired
	handler http.Handler
	url     string // the dashboard link shown to the user (may carry #token=)
	apiURL  string // the REST API's base URL, for the window process
	token   string // the REST API token, or empty
	stdout  io.Writer
	logger  *slog.Logger
	open    *opener.Opener
	quit    <-chan struct{}
	doQuit  func()
}

// windowRunner is the dashboard window as main drives it: the handle the
// Service and the tray hold from the start (desktop.Window), and Run, on
// the main goroutine, until the app quits.
type windowRunner interface {
	desktop.Window
	Run(quit <-chan struct{}, openNow bool) (opened bool, err error)
}

// runDesktop runs the tray beside the window until the window quits or a
// quit is asked for. The window is reached through the Service (SetWindow,
// ShowWindow), which is the one holder of it.
func runDesktop(d desktopRun) {
	a, logger := d.a, d.logger
	openDashboard := func() {
		if !a.svc.ShowWindow() {
			if err := d.open.Open(d.url); err != nil {
				logger.Warn("could not open the dashboard", "err", err)
			}
		}
	}
	// No OnQuit: the tray's Quit goes to the Service, whose quit function
	// is doQuit already.
	t := tray.New(a.svc, a.svc.Agents(), tray.Options{
		Logger:        logger.With("component", "tray"),
		StartAtLogin:  a.autostart != nil,
		OpenDashboard: openDashboard,
	})
	// Start runs here, on the main goroutine, before desktop.Run calls
	// wails.Run: on macOS both must be on the main thread (the tray and
	// Wails' darwin package lock the main goroutine to it in init), and
	// the tray then shares Wails' run loop.
	trayOK := t.Start()
	a.svc.SetTrayAvailable(trayOK && tray.TrayHostPresent())
	defer t.Stop()
	trayPresent := func() bool { return trayOK && tray.TrayHostPresent() }

	win, separate := newWindow(d, trayPresent)
	// The Service holds the window from the start, created or not: showing
	// it (tray, POST /api/window/show, a second instance) creates it.
	if separate || desktop.Supported() {
		a.svc.SetWindow(win)
	}
	// A start at login (--hidden) runs without the window until the
	// dashboard is first opened: WebKit would cost ~200 MB for a window
	// nobody looks at. Without a tray host the window still opens, after
	// the grace period, so the app stays reachable. A plain start is the
	// user asking for the window, so it opens at once.
	openNow := !d.f.hidden || (!separate && !desktop.LazyStart())
	if !openNow {
		logger.Info("window: started hidden; the window is created when the dashboard is first opened")
		if !separate {
			// The GTK/WebKit libraries this binary links were read in by
			// the loader and sit unused until then: give their clean
			// pages back.
			if n, err := desktop.ReleaseLibraryPages(); err != nil {
				logger.Info("window: could not release the window libraries' pages", "err", err)
			} else {
				logger.Debug("window: released the window libraries' pages until the window is opened", "mappings", n)
			}
		}
	}
	opened, err := win.Run(d.quit, openNow)
	if err != nil {
		a.svc.SetWindow(nil)
		logger.Warn("window unavailable; running without it", "err", err)
		fmt.Fprintf(d.stdout, "Milady Cloud dashboard: %s\n", d.url)
		if !openNow {
			// Someone asked to open the dashboard: the browser will do.
			openDashboard()
		}
		<-d.quit
		return
	}
	if opened {
		d.doQuit()
	}
}

// newWindow picks how the window runs. On Linux it is a process of its own
// (milady-cloud-window, found beside this executable or in the package's
// lib folder), started when the dashboard is opened and ended when it is
// closed, so the tray process never loads GTK or WebKit (see
// docs/window-process.md). Elsewhere, or when that program is missing, the
// window runs inside this process (desktop.Lazy); in a build without the
// window its Run reports desktop.ErrNoDesktop and the browser stands in.
func newWindow(d desktopRun, trayPresent func() bool) (w windowRunner, separate bool) {
	title := desktop.DefaultTitle
	if d.f.sim {
		title += " — SIMULATOR"
	}
	winLog := d.logger.With("component", "window")
	if runtime.GOOS == "linux" {
		exe, _ := os.Executable()
		path, err := desktop.FindWindowBinary(os.Getenv, exe)
		if err == nil {
			winLog.Debug("window: runs in its own process", "program", path)
			return desktop.NewChild(desktop.ChildConfig{
				Path: path,
				Hello: desktop.ChildHello{
					URL:     windowAPIURL(d.apiURL, d.f.bind),
					Token:   d.token,
					Title:   title,
					Version: version,
				},
				TrayHostPresent: trayPresent,
				Logger:          winLog,
				Fallback: func() {
					if err := d.open.Open(d.url); err != nil {
						d.logger.Warn("could not open the dashboard", "err", err)
					}
				},
			}), true
		}
		if !desktop.Supported() {
			winLog.Warn("window: the window program is missing; the dashboard opens in the browser", "err", err)
		}
	}
	return desktop.NewLazy(desktop.LazyConfig{Options: desktop.Options{
		Backend:         d.a.svc,
		Agents:          d.a.svc.Agents(),
		Chat:            d.a.svc.Chat(),
		Billing:         d.a.svc.Billing(),
		Assets:          frontend.Dist(),
		APIHandler:      d.handler,
		Title:           title,
		Hidden:          d.f.hidden,
		TrayHostPresent: trayPresent,
		Logger:          winLog,
		Opener:          d.open,
		OnReady: func(w desktop.Window) {
			// Quitting closes the window, including a quit asked for
			// before Wails had started it.
			go func() {
				<-d.quit
				w.Quit()
			}()
		},
	}}), false
}

// windowAPIURL is the address the window process calls: the REST API's
// own, except that a wildcard bind (0.0.0.0, ::) is reached on loopback.
func windowAPIURL(apiURL, bind string) string {
	ip := net.ParseIP(strings.Trim(bind, "[]"))
	if ip == nil || !ip.IsUnspecified() {
		return apiURL
	}
	port := apiURL[strings.LastIndex(apiURL, ":")+1:]
	port = strings.TrimSuffix(port, "/")
	if _, err := strconv.Atoi(port); err != nil {
		return apiURL
	}
	return "http://127.0.0.1:" + port + "/"
}
