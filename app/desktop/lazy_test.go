package desktop

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/apptest"
	"github.com/milady-ai/milady-cloud/internal/clock"
)

// countWindow counts the calls the real window receives.
type countWindow struct{ shows, hides, quits atomic.Int32 }

func (w *countWindow) Show() { w.shows.Add(1) }
func (w *countWindow) Hide() { w.hides.Add(1) }
func (w *countWindow) Quit() { w.quits.Add(1) }

// fakeRun stands in for Run: it records the options, hands the window to
// OnReady and blocks until closed.
type fakeRun struct {
	mu     sync.Mutex
	calls  int
	opts   Options
	win    *countWindow
	called chan struct{}
	closed chan struct{}
}

func newFakeRun() *fakeRun {
	return &fakeRun{win: &countWindow{}, called: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (f *fakeRun) run(o Options) error {
	f.mu.Lock()
	f.calls++
	f.opts = o
	f.mu.Unlock()
	o.OnReady(f.win)
	f.called <- struct{}{}
	<-f.closed
	return nil
}

type lazyResult struct {
	opened bool
	err    error
}

func startLazy(t *testing.T, l *Lazy, quit chan struct{}, openNow bool) <-chan lazyResult {
	t.Helper()
	done := make(chan lazyResult, 1)
	go func() {
		opened, err := l.Run(quit, openNow)
		done <- lazyResult{opened, err}
	}()
	return done
}

func TestLazyCreatesTheWindowOnFirstShowOnly(t *testing.T) {
	f := newFakeRun()
	l := NewLazy(LazyConfig{
		Options: Options{Hidden: true, TrayHostPresent: func() bool { return true }},
		RunFunc: f.run,
	})
	quit := make(chan struct{})
	done := startLazy(t, l, quit, false)

	l.Hide() // nothing to hide yet, nothing created
	l.Quit() // the window's Quit; before it exists only quit ends Run
	select {
	case <-f.called:
		t.Fatal("the window was created before anyone showed it")
	default:
	}
	l.Show()
	apptest.Receive(t, f.called, waitLimit, "the window to be created by Show")
	f.mu.Lock()
	hidden := f.opts.Hidden
	f.mu.Unlock()
	if hidden {
		t.Error("a window created because the user opened it was created hidden")
	}
	l.Show()
	l.Show()
	l.Hide()
	if got := f.win.shows.Load(); got != 2 {
		t.Errorf("the real window got %d Show calls after creation, want 2", got)
	}
	if got := f.win.hides.Load(); got != 1 {
		t.Errorf("the real window got %d Hide calls, want 1", got)
	}
	close(f.closed)
	res := apptest.Receive(t, done, waitLimit, "Run to return")
	if !res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want true, nil", res.opened, res.err)
	}
	if f.calls != 1 {
		t.Errorf("Run called %d times, want 1", f.calls)
	}
}

func TestLazyQuitBeforeTheWindowCreatesNothing(t *testing.T) {
	f := newFakeRun()
	l := NewLazy(LazyConfig{Options: Options{TrayHostPresent: func() bool { return true }}, RunFunc: f.run})
	quit := make(chan struct{})
	done := startLazy(t, l, quit, false)
	close(quit)
	res := apptest.Receive(t, done, waitLimit, "Run to return on quit")
	if res.opened || res.err != nil {
		t.Errorf("Run = %v, %v; want false, nil", res.opened, res.err)
	}
	l.Show() // after Run has returned: must not block or create
	if f.calls != 0 {
		t.Errorf("the window was created %d times", f.calls)
	}
}

func TestLazyOpenNowRunsAtOnceAsConfigured(t *testing.T) {
	f := newFakeRun()
	l := NewLazy(LazyConfig{Options: Options{Hidden: true}, RunFunc: f.run})
	done := startLazy(t, l, make(chan struct{}), true)
	apptest.Receive(t, f.called, waitLimit, "the window to be created at once")
	f.mu.Lock()
	hidden := f.opts.Hidden
	f.mu.Unlock()
	if !hidden {
		t.Error("an eager start lost --hidden")
	}
	close(f.closed)
	apptest.Receive(t, done, waitLimit, "Run to return")
}

func TestLazyOpensTheWindowWhenNoTrayHostAppears(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	f := newFakeRun()
	var present atomic.Bool
	l := NewLazy(LazyConfig{
		Options:   Options{Hidden: true, TrayHostPresent: present.Load},
		RunFunc:   f.run,
		TrayGrace: 10 * time.Second,
		Clock:     clk,
	})
	done := startLazy(t, l, make(chan struct{}), false)
	for i := 0; i < 19; i++ { // 9.5 s of polls: still no window
		if !clk.WaitFor(1, 10*time.Second) {
			t.Fatal("keepReachable never armed its poll timer")
		}
		clk.Advance(lazyTrayPoll)
	}
	select {
	case <-f.called:
		t.Fatal("the window was opened before the grace period ended")
	default:
	}
	if !clk.WaitFor(1, 10*time.Second) {
		t.Fatal("keepReachable never armed its poll timer")
	}
	clk.Advance(lazyTrayPoll)
	apptest.Receive(t, f.called, waitLimit, "the window to open after the grace period without a tray host")
	close(f.closed)
	apptest.Receive(t, done, waitLimit, "Run to return")
}

func TestLazyStaysClosedWhenATrayHostIsPresent(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	f := newFakeRun()
	checked := make(chan struct{}, 1)
	l := NewLazy(LazyConfig{
		Options: Options{TrayHostPresent: func() bool {
			select {
			case checked <- struct{}{}:
			default:
			}
			return true
		}},
		RunFunc: f.run,
		Clock:   clk,
	})
	quit := make(chan struct{})
	done := startLazy(t, l, quit, false)
	apptest.Receive(t, checked, waitLimit, "the first look for a tray host")
	clk.Advance(time.Minute)
	close(quit)
	res := apptest.Receive(t, done, waitLimit, "Run to return on quit")
	if res.opened || f.calls != 0 {
		t.Errorf("the window was created with a tray host present (opened %v, %d calls)", res.opened, f.calls)
	}
}

func TestLazyEagerHiddenKeepsAShowAskedForWhileStarting(t *testing.T) {
	f := newFakeRun()
	l := NewLazy(LazyConfig{Options: Options{Hidden: true}, RunFunc: f.run})
	l.Show() // before Wails has started the window
	done := startLazy(t, l, make(chan struct{}), true)
	apptest.Receive(t, f.called, waitLimit, "the window to be created at once")
	if got := f.win.shows.Load(); got != 1 {
		t.Errorf("the window got %d Show calls, want the 1 asked for while it was starting", got)
	}
	close(f.closed)
	apptest.Receive(t, done, waitLimit, "Run to return")
}
