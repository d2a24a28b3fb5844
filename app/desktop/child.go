package desktop

import (
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// ChildConfig is what NewChild needs.
type ChildConfig struct {
	// Path is the window executable (FindWindowBinary). Empty: every Show
	// falls back to the browser.
	Path string
	// Hello is what the child is told on its control pipe; the token
	// travels nowhere else.
	Hello ChildHello
	// Env is the child's environment before filtering; nil means
	// os.Environ() at each start. The ELIZAOS_* variables and
	// MILADY_API_TOKEN are always removed (opener.Filter).
	Env []string
	// TrayHostPresent reports whether a tray host shows our icon: a window
	// the user closed then leaves the app in the tray; without one the app
	// quits. Nil means never.
	TrayHostPresent func() bool
	// TrayGrace is how long Run, started without openNow, waits for a tray
	// host before it shows the window anyway (default 10 s); Clock
	// measures it and the waits while ending the child.
	TrayGrace time.Duration
	Clock     clock.Clock
	// Logger receives the child's own log lines and what happens to it;
	// main passes its logger With("component", "window").
	Logger *slog.Logger
	// Fallback is called (on its own goroutine) when the window was asked
	// for (a Show, or Run's openNow) and could not be opened: the
	// executable could not be started, or it exited reporting that it
	// cannot open a window. main opens the dashboard in the browser.
	Fallback func()
}

// Waits while ending the child, and for its output once it has exited.
const (
	childQuitWait   = 3 * time.Second // after "quit", before SIGTERM
	childTermWait   = 2 * time.Second // after SIGTERM, before SIGKILL
	childOutputWait = 2 * time.Second // exec.Cmd.WaitDelay: a grandchild holding stderr
	childWriteWait  = 2 * time.Second // a command write to a child that stopped reading
	childTailLines  = 10              // stderr lines quoted when it fails
)

// childOp is a request from Show or Hide, taken by Run's loop.
type childOp int

const (
	opNone childOp = iota
	opShow
	opHide
)

// Child is the window as a separate process (cmd/milady-cloud-window).
// WebKit costs about 200 MB once a webview exists and cannot give it back
// short of the process ending, so the tray app never loads it: the window
// runs in a child started on Show and ended on Hide, and the app goes back
// to its tray figure. docs/window-process.md has the design.
//
// Show, Hide and Quit may be called from any goroutine, before Run too;
// they record the request and Run's loop, which alone starts and ends
// children, acts on it. Only the latest of Show and Hide counts: a Show
// then a Hide before the loop runs starts nothing.
type Child struct {
	cfg   ChildConfig
	log   *slog.Logger
	clock clock.Clock
	grace time.Duration

	askOnce sync.Once
	asked   chan struct{} // closed by the first Show: the window was asked for
	kick    chan struct{} // a request is waiting (capacity 1)

	mu        sync.Mutex
	pending   childOp
	quitAsked bool // Quit was called
	running   bool // Run was called
	stopped   bool // Run has returned: requests are dropped

	// Owned by Run's goroutine.
	starter     chan func() // runs exec's Start on one locked thread (startThread)
	proc        *childProc
	showPending bool // a Show while the child was ending: start anew once it has
}

// NewChild builds the handle; nothing starts until Run.
func NewChild(cfg ChildConfig) *Child {
	log, clk, grace := handleDefaults(cfg.Logger, cfg.Clock, cfg.TrayGrace)
	return &Child{cfg: cfg, log: log, clock: clk, grace: grace,
		asked: make(chan struct{}), kick: make(chan struct{}, 1)}
}

// Show shows the window: it starts the window process if none runs, or
// tells the running one to show and raise its window.
func (c *Child) Show() {
	c.askOnce.Do(func() { close(c.asked) })
	c.request(opShow)
}

// Hide ends the window process (its memory goes back); the app stays in
// the tray and the next Show starts a new one.
func (c *Child) Hide() { c.request(opHide) }

// Quit closes the window for good: Run ends the window process and
// returns, as after a quit.
func (c *Child) Quit() {
	c.mu.Lock()
	c.quitAsked = true
	c.mu.Unlock()
	c.wake()
}

func (c *Child) request(op childOp) {
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return
	}
	c.pending = op
	c.mu.Unlock()
	c.wake()
}

func (c *Child) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// take returns the latest request and whether Quit was called.
func (c *Child) take() (childOp, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	op := c.pending
	c.pending = opNone
	return op, c.quitAsked
}

func (c *Child) wasAsked() bool {
	select {
	case <-c.asked:
		return true
	default:
		return false
	}
}

// Run runs the window process's life until the app quits; call it once
// (main calls it on the main goroutine, as it does Lazy.Run). With openNow
// it starts the window at once; otherwise the first Show does, or, when no
// tray host appears within the grace period, Run shows the window itself
// so the app stays reachable. Run returns when quit closes or Quit is
// called, ending the window process first ("quit", then SIGTERM after 3 s,
// then SIGKILL after 2 s more), and when the user closed the window while
// no tray host shows the app: nothing would be left to reach it, so the
// app quits. opened reports whether the window was ever asked for, as
// Lazy.Run's does. err is for a second call only: failures of the window
// process are logged and a Show that could not open it calls Fallback,
// so the next Show can try again.
func (c *Child) Run(quit <-chan struct{}, openNow bool) (opened bool, err error) {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return false, errors.New("window process: Run called twice")
	}
	c.running = true
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.stopped = true
		c.mu.Unlock()
	}()

	c.starter = make(chan func())
	go startThread(c.starter)
	defer close(c.starter)
	stop := make(chan struct{})
	defer close(stop)
	if openNow {
		c.askOnce.Do(func() { close(c.asked) })
		c.mu.Lock()
		quitAsked := c.quitAsked
		c.mu.Unlock()
		select {
		case <-quit: // quitting already: nothing to start
		default:
			if !quitAsked {
				c.start()
			}
		}
	} else {
		go keepReachable(c.clock, c.grace, c.cfg.TrayHostPresent, c.log, c.Show, c.asked, stop)
	}
	for {
		select { // quitting wins over anything else waiting
		case <-quit:
			c.endNow()
			return c.wasAsked(), nil
		default:
		}
		var exited <-chan struct{}
		var escalate <-chan time.Time
		if p := c.proc; p != nil {
			exited = p.done
			if p.timer != nil {
				escalate = p.timer.C()
			}
		}
		select {
		case <-quit:
			c.endNow()
			return c.wasAsked(), nil
		case <-c.kick:
			op, quitAsked := c.take()
			if quitAsked {
				c.endNow()
				return c.wasAsked(), nil
			}
			c.handle(op)
		case <-exited:
			if c.reap() {
				return true, nil
			}
		case <-escalate:
			c.escalate(c.proc)
		}
	}
}

// startThread runs the functions it receives on one OS thread, locked to
// it for as long as Run runs. The kernel sends Pdeathsig when the thread
// that started the child ends, not the process: Go ends a thread when a
// goroutine locked to it exits, so a child started on any thread could
// get SIGTERM the moment some library's locked goroutine ends there. No
// other goroutine runs on this one's thread, and it unlocks before it
// ends, once the last child has gone.
func startThread(calls <-chan func()) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for f := range calls {
		f()
	}
}

// handle acts on a Show or Hide.
func (c *Child) handle(op childOp) {
	p := c.proc
	switch op {
	case opShow:
		switch {
		case p == nil:
			c.start()
		case p.ending: // it cannot show any more: a new one once it has gone
			c.showPending = true
		default:
			if err := p.send(ChildCmdShow); err != nil {
				c.log.Debug("window: could not ask the window process to show", "err", err)
			}
		}
	case opHide:
		c.showPending = false
		if p != nil && !p.ending {
			c.log.Info("window: hidden; ending the window process so its memory goes back")
			c.beginEnd(p)
		}
	}
}

// start starts a window process, or falls back to the browser. A Show
// that came while it was starting is dropped: the new window opens shown.
func (c *Child) start() {
	p, err := c.spawn()
	c.mu.Lock()
	if c.pending == opShow {
		c.pending = opNone
	}
	c.mu.Unlock()
	if err != nil {
		c.log.Warn("window: could not start the window process; opening the dashboard in the browser", "err", err)
		c.fallback()
		return
	}
	c.proc = p
}

func (c *Child) fallback() {
	if f := c.cfg.Fallback; f != nil {
		go f()
	}
}

// reap handles the exit of the window process. It reports whether Run
// must return: the user closed the window and no tray host shows the app.
func (c *Child) reap() (quitApp bool) {
	p := c.proc
	c.proc = nil
	p.release()
	code := p.cmd.ProcessState.ExitCode()
	status := p.cmd.ProcessState.String()
	switch {
	case p.ending:
		c.log.Info("window: the window process ended", "pid", p.pid, "status", status)
	case code == ChildExitClosed:
		if c.cfg.TrayHostPresent == nil || !c.cfg.TrayHostPresent() {
			c.log.Info("window: closed, and no tray host shows the app; quitting")
			return true
		}
		c.log.Info("window: closed; the app keeps running in the tray")
	default:
		c.log.Warn("window: the window process failed", "pid", p.pid, "code", code, "status", status, "stderr", p.tail.String())
		if code == ChildExitNoWindow {
			c.fallback()
		}
	}
	if c.showPending {
		c.showPending = false
		c.start()
	}
	return false
}

// beginEnd asks p to quit and arms the first escalation.
func (c *Child) beginEnd(p *childProc) {
	p.ending = true
	if err := p.send(ChildCmdQuit); err != nil {
		c.log.Debug("window: could not send quit; closing the pipe says the same", "err", err)
	}
	// End of file says the same, and is the only word left to a child
	// that has stopped reading.
	p.closeCtl()
	p.timer = c.clock.NewTimer(childQuitWait)
}

// escalate follows a quit the child has not obeyed: SIGTERM, then SIGKILL.
func (c *Child) escalate(p *childProc) {
	p.timer = nil
	switch p.stage {
	case 0:
		c.log.Warn("window: the window process did not quit; terminating it", "pid", p.pid, "after", childQuitWait)
		p.stage = 1
		if err := p.terminate(); err != nil {
			c.log.Warn("window: could not terminate the window process; killing it", "pid", p.pid, "err", err)
			c.escalate(p)
			return
		}
		p.timer = c.clock.NewTimer(childTermWait)
	case 1:
		c.log.Warn("window: the window process did not end; killing it", "pid", p.pid, "after", childTermWait)
		p.stage = 2
		if err := p.cmd.Process.Kill(); err != nil {
			c.log.Warn("window: could not kill the window process", "pid", p.pid, "err", err)
		}
	}
}

// endNow ends the running child, if any, in order and waits until it has
// gone (after SIGKILL, as long as the kernel takes).
func (c *Child) endNow() {
	p := c.proc
	if p == nil {
		return
	}
	if !p.ending {
		c.beginEnd(p)
	}
	for {
		var escalate <-chan time.Time
		if p.timer != nil {
			escalate = p.timer.C()
		}
		select {
		case <-p.done:
			c.proc = nil
			p.release()
			c.log.Info("window: the window process ended", "pid", p.pid, "status", p.cmd.ProcessState.String())
			return
		case <-escalate:
			c.escalate(p)
		}
	}
}
