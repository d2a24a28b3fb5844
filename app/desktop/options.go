package desktop

import (
	"errors"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/milady-ai/milady-cloud/app"
)

// Options configures Run. Backend, Agents, Chat, Billing and Assets are required.
type Options struct {
	Backend Backend
	Agents  Agents
	Chat    Chat
	Billing Billing
	// Assets is the contents of frontend/dist (index.html at its root or in
	// a single sub-folder).
	Assets fs.FS
	// APIHandler serves what Assets does not have, so the page's fetches of
	// /api/* work inside the window as they do in a browser.
	APIHandler http.Handler
	// Title is "Milady Cloud", or "Milady Cloud — SIMULATOR" with --sim.
	Title string
	// Hidden starts the window hidden (--hidden, used by start-at-login).
	Hidden bool
	// TrayHostPresent reports whether a tray host shows our icon; closing
	// the window then hides it instead of quitting. Nil means never.
	TrayHostPresent func() bool
	Logger          *slog.Logger
	// OnReady is called once the window can be controlled (Wails startup),
	// with the handle the Service's ShowWindow and the tray use.
	OnReady func(w Window)
	// OnDashboardReady is called each time the page reports it has mounted.
	OnDashboardReady func()
	// Opener opens external links from the page; nil means the system
	// browser (internal/opener, which keeps ELIZAOS_* from the browser).
	Opener app.Opener
}

// Window controls the one window. Its methods may be called from any
// goroutine; before the window exists or after it is gone they do nothing.
type Window interface {
	// Show shows, un-minimises and raises the window.
	Show()
	// Hide hides the window; the app keeps running.
	Hide()
	// Quit closes the window for good; Run then returns.
	Quit()
}

// DefaultTitle is the window title outside the simulator.
const DefaultTitle = "Milady Cloud"

// ErrNoDesktop is what Run returns in a binary built without the desktop
// tags; the caller falls back to headless mode.
var ErrNoDesktop = errors.New("run window: built without the desktop tags (build with -tags desktop,production,webkit2_41)")
