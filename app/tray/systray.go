//go:build linux || windows || (darwin && cgo)

package tray

// This is the only file that imports fyne.io/systray: everything it shows
// comes from MenuFor/IconFor, everything it does is in actions.go, and the
// event loop is in loop.go.

import (
	"context"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"fyne.io/systray"

	"github.com/milady-ai/milady-cloud/app"
)

// Tray is the system-tray face of the app. It can be started once per
// process (a limit of systray); Stop may be called any number of times.
type Tray struct {
	b    Backend
	c    *controller
	log  *slog.Logger
	size int

	mu       sync.Mutex
	started  bool
	running  bool
	cancel   context.CancelFunc
	end      func()
	stopReg  func()
	sub      app.Subscription
	loopDone chan struct{}
}

// New prepares a tray over the Backend and the agent part; nothing is shown until Start.
func New(b Backend, ag Agents, opts Options) *Tray {
	opts = opts.withDefaults()
	return &Tray{b: b, c: newController(b, ag, opts), log: opts.Logger, size: opts.IconSize}
}

// Start shows the tray icon and reports whether it did. It returns false,
// after one log line, when there is no session bus (Linux), or when called a
// second time. A bus without a StatusNotifierWatcher still returns true:
// systray registers as soon as a watcher appears; use TrayHostPresent to
// know whether the icon is visible now.
//
// On Linux call it before wails.Run; it does not block.
func (t *Tray) Start() (ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.started {
		t.log.Warn("tray: start called twice; systray can start only once per process")
		return false
	}
	t.started = true
	if err := preflight(); err != nil {
		t.log.Info("tray: no session bus, running without a tray icon", "err", err)
		return false
	}

	icons := make(IconSet, len(Glyphs)*len(Badges))
	for k, data := range RenderIcons(t.size) {
		icons[k] = nativeIcon(data, t.size)
	}
	initial := t.b.Snapshot()
	sub := t.b.Subscribe() // before the loop starts, so no event is missed
	ctx, cancel := context.WithCancel(context.Background())
	v := &systrayView{icons: icons}
	ready := make(chan clicks, 1)
	onReady := func() {
		// systray serves GetLayout only after onReady returns, so the first
		// menu a host reads is already the real one.
		cl := v.build(ctx)
		v.apply(t.c.menuFor(initial), IconFor(initial))
		v.logMenuIDs(t.log)
		ready <- cl
	}
	onExit := func() { t.log.Debug("tray: systray exited") }
	routeStdlog(t.log)
	t.stopReg = startRegistrar(t.log) // listening before systray starts closes its race

	if ownThread {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
			systray.Run(onReady, onExit)
		}()
		t.end = systray.Quit
	} else {
		if presetBeforeStart {
			// Title becomes the SNI Id at export time, so set it (and the
			// first icon) before start; hosts remember per-app settings by Id.
			m := t.c.menuFor(initial)
			systray.SetTitle(m.Title)
			systray.SetIcon(icons[IconFor(initial)])
			systray.SetTooltip(m.Tooltip)
		}
		// On macOS start() must run on the main thread (preflight checked);
		// onReady then runs on systray's goroutine once Wails' loop turns.
		start, end := systray.RunWithExternalLoop(onReady, onExit)
		start()
		t.end = end
	}

	t.c.opened = forward(ctx, systray.TrayOpenedCh) // set before the loop starts reading it
	t.cancel, t.sub, t.running = cancel, sub, true
	t.loopDone = make(chan struct{})
	go func(done chan<- struct{}) {
		defer close(done)
		var cl clicks
		select {
		case cl = <-ready:
		case <-ctx.Done():
			return
		}
		t.c.run(ctx, sub.C(), initial, cl, v)
	}(t.loopDone)
	t.log.Debug("tray: started")
	return true
}

// stopWait bounds each wait of Stop for systray. On macOS every systray call
// waits for the main run loop, which has already ended when the app stops
// after wails.Run returned; an update or end() in flight then never
// finishes, and quitting must not hang on it.
const stopWait = 2 * time.Second

// Stop removes the icon, ends the loop and waits briefly for clicks in
// flight. Safe to call when Start failed or was never called.
func (t *Tray) Stop() {
	t.mu.Lock()
	if !t.running {
		t.mu.Unlock()
		return
	}
	t.running = false
	cancel, end, stopReg, sub, done := t.cancel, t.end, t.stopReg, t.sub, t.loopDone
	t.mu.Unlock()

	cancel()
	if !waitFor(done, stopWait) {
		t.log.Warn("tray: menu update still in flight at stop; not waiting for it")
	}
	stopReg()
	safeEnd := func() {
		defer func() {
			if r := recover(); r != nil { // systray's end() dereferences a nil bus if it never connected
				t.log.Warn("tray: systray end panicked", "panic", r)
			}
		}()
		end()
	}
	if endInline() {
		safeEnd()
	} else {
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			safeEnd()
		}()
		if !waitFor(ended, stopWait) {
			t.log.Warn("tray: systray did not end in time; leaving it to process exit")
		}
	}
	sub.Close()
	t.c.drain(drainTimeout)
}

// waitFor reports whether done closed within d.
func waitFor(done <-chan struct{}, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// systrayView is the fixed menu: built once, then mutated item by item,
// and only where the model changed (hosts redraw on every signal).
type systrayView struct {
	icons   IconSet
	items   [numItems]*systray.MenuItem
	shown   [numItems]MenuItem
	icon    IconKey
	tooltip string
	title   string
	applied bool
}

// build creates every item once, in display order, and returns their click
// channels (forwarded: see forward), which stop at ctx's end.
func (v *systrayView) build(ctx context.Context) clicks {
	v.items[itemStatus] = systray.AddMenuItem("", "")
	v.items[itemBalance] = systray.AddMenuItem("", "")
	systray.AddSeparator()
	v.items[itemAction] = systray.AddMenuItem("", "")
	v.items[itemDashboard] = systray.AddMenuItem("", "")
	v.items[itemTopUp] = systray.AddMenuItem("", "")
	systray.AddSeparator()
	v.items[itemStartAtLogin] = systray.AddMenuItemCheckbox("", "", false)
	systray.AddSeparator()
	v.items[itemLogout] = systray.AddMenuItem("", "")
	v.items[itemQuit] = systray.AddMenuItem("", "")
	var cl clicks
	for i, it := range v.items {
		cl[i] = forward(ctx, it.ClickedCh)
	}
	return cl
}

// forward receives from one of systray's signal channels on a goroutine
// that does nothing else and passes the signals on through a buffered
// channel, until ctx ends. systray sends without blocking on unbuffered
// channels, so a click (or menu-opened signal) that arrives while nobody
// is receiving is dropped; the event loop also renders and starts work, so
// reading systray's channels there directly lost clicks that came while
// it was busy or not yet running. A signal that arrives while one is still
// pending is merged with it.
func forward(ctx context.Context, in <-chan struct{}) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-in:
				if !ok {
					return
				}
				select {
				case out <- struct{}{}:
				default: // one is pending already
				}
			}
		}
	}()
	return out
}

// apply brings the tray in line with the model; the first call sets
// everything.
func (v *systrayView) apply(m Menu, k IconKey) {
	force := !v.applied
	want := m.items()
	for i, it := range v.items {
		setItem(it, v.shown[i], want[i], force, itemID(i) == itemStartAtLogin)
	}
	v.shown = want
	if force || k != v.icon {
		systray.SetIcon(v.icons[k])
	}
	if force || m.Tooltip != v.tooltip {
		systray.SetTooltip(m.Tooltip)
	}
	if showsTitle && (force || m.Title != v.title) {
		systray.SetTitle(m.Title)
	}
	v.icon, v.tooltip, v.title, v.applied = k, m.Tooltip, m.Title, true
}

// setItem applies the fields of one item that changed. Only the checkbox
// item is ever checked: on Windows Check() puts a tick on any item.
func setItem(it *systray.MenuItem, old, want MenuItem, force, checkbox bool) {
	if force || want.Title != old.Title {
		it.SetTitle(want.Title)
	}
	if force || want.Enabled != old.Enabled {
		if want.Enabled {
			it.Enable()
		} else {
			it.Disable()
		}
	}
	if checkbox && (force || want.Checked != old.Checked) {
		if want.Checked {
			it.Check()
		} else {
			it.Uncheck()
		}
	}
	if force || want.Visible != old.Visible {
		if want.Visible {
			it.Show()
		} else {
			it.Hide()
		}
	}
}
