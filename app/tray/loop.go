package tray

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/app"
)

// itemID names the entries of the fixed menu, in display order.
type itemID int

const (
	itemStatus itemID = iota
	itemBalance
	itemAction
	itemDashboard
	itemTopUp
	itemStartAtLogin
	itemLogout
	itemQuit
	numItems
)

// items lists the menu's entries indexed by itemID.
func (m Menu) items() [numItems]MenuItem {
	return [numItems]MenuItem{
		itemStatus:       m.Status,
		itemBalance:      m.Balance,
		itemAction:       m.Action,
		itemDashboard:    m.OpenDashboard,
		itemTopUp:        m.TopUp,
		itemStartAtLogin: m.StartAtLogin,
		itemLogout:       m.Logout,
		itemQuit:         m.Quit,
	}
}

// view is what the loop renders into: the systray adapter, or a recorder in
// tests. apply is only called from the loop goroutine.
type view interface {
	apply(m Menu, icon IconKey)
}

// clicks are the items' click channels, indexed by itemID. A nil channel
// (an item that does not exist) simply never fires.
type clicks [numItems]<-chan struct{}

// Timeouts of the work a click starts.
const (
	// clickTimeout bounds one Backend call started by a click; logging out
	// takes a final backup, hence minutes rather than seconds.
	clickTimeout = 2 * time.Minute
	// drainTimeout is how long Stop waits for clicks still in flight.
	drainTimeout = 5 * time.Second
)

// controller is the tray's event loop, independent of systray so it can be
// tested with plain channels: it renders every snapshot and dispatches
// clicks to actions on their own goroutines.
type controller struct {
	act actions
	log *slog.Logger
	b   Backend
	// rerender coalesces "render again from a fresh Snapshot" requests that
	// do not come with an event (a start-at-login change that failed);
	// buffered(1), latest wins.
	rerender chan struct{}
	// opened fires when a host opens the menu (nil: never). The autostart
	// file may have changed behind the app's back since the last render,
	// and nothing else would re-read it while no event arrives (logged
	// out, nothing happens for hours), so the menu renders from a fresh
	// Snapshot then: the Service re-reads the file for it.
	opened   <-chan struct{}
	inflight sync.WaitGroup
}

func newController(b Backend, ag Agents, opts Options) *controller {
	opts = opts.withDefaults()
	return &controller{
		act:      actions{b: b, ag: ag, opts: opts, log: opts.Logger},
		b:        b,
		log:      opts.Logger,
		rerender: make(chan struct{}, 1),
	}
}

// menuFor renders the model. Start at login comes from the snapshot, which
// the Service fills from the autostart file (the truth).
func (c *controller) menuFor(s app.Snapshot) Menu {
	m := MenuFor(s, s.Settings.StartAtLogin)
	if !c.act.opts.StartAtLogin {
		m.StartAtLogin.Visible, m.StartAtLogin.Enabled = false, false
	}
	return m
}

// run is the one goroutine that receives everything: every item's click
// channel (buffered by the adapter's forwarders, since systray drops a
// click that nobody is receiving at that moment), the snapshots, and
// ctx.Done. It never touches the tray
// itself: renders go through a buffered(1), latest-wins channel to a
// second goroutine, so a slow D-Bus update cannot make the loop miss a
// click. run returns after that renderer has stopped.
func (c *controller) run(ctx context.Context, events <-chan app.Event, snap app.Snapshot, cl clicks, v view) {
	renders := make(chan rendering, 1)
	rendererDone := make(chan struct{})
	go func() {
		defer close(rendererDone)
		for {
			select {
			case <-ctx.Done():
				return
			case r := <-renders:
				v.apply(r.menu, r.icon)
			}
		}
	}()
	defer func() { <-rendererDone }()

	var shown rendering
	rendered := false
	render := func() {
		r := rendering{menu: c.menuFor(snap), icon: IconFor(snap)}
		if rendered && r == shown {
			return
		}
		shown, rendered = r, true
		select { // latest wins: replace a render the renderer has not taken yet
		case <-renders:
		default:
		}
		renders <- r
	}
	render()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				events = nil // the Service is gone; keep serving Quit
				continue
			}
			if older(ev.Snapshot, snap) {
				continue
			}
			snap = ev.Snapshot
			render()
		case <-c.rerender:
			snap = c.b.Snapshot()
			render()
		case <-c.opened:
			snap = c.b.Snapshot()
			render()
		case <-cl[itemStatus]:
			// disabled line: hosts should not send this; nothing to do
		case <-cl[itemBalance]:
			c.spawn(ctx, func(context.Context) { c.act.topUp() })
		case <-cl[itemAction]:
			kind, s := shown.menu.ActionKind, snap
			c.spawn(ctx, func(ctx context.Context) { c.act.primary(ctx, kind, s) })
		case <-cl[itemDashboard]:
			c.spawn(ctx, func(context.Context) { c.act.openDashboard() })
		case <-cl[itemTopUp]:
			c.spawn(ctx, func(context.Context) { c.act.topUp() })
		case <-cl[itemStartAtLogin]:
			on := !shown.menu.StartAtLogin.Checked // what the click meant
			c.spawn(ctx, func(ctx context.Context) {
				c.act.setStartAtLogin(ctx, on)
				c.requestRender()
			})
		case <-cl[itemLogout]:
			c.spawn(ctx, func(ctx context.Context) { c.act.logout(ctx) })
		case <-cl[itemQuit]:
			// Not tracked in inflight: Quit may stop the tray synchronously,
			// and Stop waiting for this very goroutine would deadlock.
			go c.guard(func() { c.act.quit() })
		}
	}
}

// older reports whether next was taken before cur, so rendering it would
// show a state that has already been replaced. Unnumbered snapshots (0,
// test doubles) are never older.
func older(next, cur app.Snapshot) bool {
	return next.Seq != 0 && cur.Seq != 0 && next.Seq <= cur.Seq
}

// rendering is one state of the tray: the menu and the icon.
type rendering struct {
	menu Menu
	icon IconKey
}

// requestRender asks the loop to render again without blocking.
func (c *controller) requestRender() {
	select {
	case c.rerender <- struct{}{}:
	default:
	}
}

// spawn runs a click's work off the loop with a bounded context.
func (c *controller) spawn(ctx context.Context, f func(context.Context)) {
	c.inflight.Add(1)
	go func() {
		defer c.inflight.Done()
		ctx, cancel := context.WithTimeout(ctx, clickTimeout)
		defer cancel()
		c.guard(func() { f(ctx) })
	}()
}

// guard turns a panic in a Backend call into a log line: a tray click must
// not take the whole app down.
func (c *controller) guard(f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("tray: click handler panicked", "panic", r)
		}
	}()
	f()
}

// drain waits for clicks in flight, up to d, so Stop does not return while
// a Backend call started by the tray is still running.
func (c *controller) drain(d time.Duration) bool {
	done := make(chan struct{})
	go func() {
		c.inflight.Wait()
		close(done)
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		c.log.Warn("tray: clicks still running at stop")
		return false
	}
}
