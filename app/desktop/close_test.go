package desktop

import (
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
)

// TestBeforeCloseLetsOneCloseThrough checks that of the several close
// requests a SIGTERM makes (Wails' signal handler, Run's, main's quit) only
// the first reaches gtk_main_quit: a second one racing the end of GTK's
// main loop crashed the app with SIGSEGV (seen in the window test).
func TestBeforeCloseLetsOneCloseThrough(t *testing.T) {
	for _, tray := range []bool{false, true} {
		clk := clock.NewFake(time.Unix(0, 0))
		w := &fakeWindow{}
		a := New(newFake(fakeBackend{}).config(Config{Window: w, Clock: clk,
			TrayHostPresent: func() bool { return tray }}))
		if !tray {
			// The close button without a tray host is itself the quit.
			if a.beforeClose(context.Background()) {
				t.Fatalf("tray=%v: the first close was prevented", tray)
			}
		}
		a.requestQuit()
		if got, want := a.beforeClose(context.Background()), !tray; got != want {
			t.Fatalf("tray=%v: the quit's close: prevent = %v, want %v", tray, got, want)
		}
		if !a.beforeClose(context.Background()) {
			t.Fatalf("tray=%v: a second close while closing was let through", tray)
		}
		clk.Advance(closeRetryAfter - time.Millisecond)
		if !a.beforeClose(context.Background()) {
			t.Fatalf("tray=%v: a close just before closeRetryAfter was let through", tray)
		}
		clk.Advance(time.Millisecond)
		if a.beforeClose(context.Background()) {
			t.Fatalf("tray=%v: a close closeRetryAfter after a lost one was prevented", tray)
		}
		if got := w.got(); len(got) != 0 {
			t.Errorf("tray=%v: window calls = %v, want none", tray, got)
		}
	}
}

// TestBeforeCloseHidingIsNotClosing checks that hiding for the tray does
// not count as a close under way: a later quit still goes through.
func TestBeforeCloseHidingIsNotClosing(t *testing.T) {
	w := &fakeWindow{}
	a := New(newFake(fakeBackend{}).config(Config{Window: w, Clock: clock.NewFake(time.Unix(0, 0)),
		TrayHostPresent: func() bool { return true }}))
	for i := 0; i < 2; i++ {
		if !a.beforeClose(context.Background()) {
			t.Fatalf("close %d with a tray host was not prevented", i+1)
		}
	}
	if got, want := w.got(), []string{"Hide", "Hide"}; !reflect.DeepEqual(got, want) {
		t.Errorf("window calls = %v, want %v", got, want)
	}
	a.requestQuit()
	if a.beforeClose(context.Background()) {
		t.Error("the quit after hiding was prevented")
	}
}

// TestBeforeCloseConcurrent checks that close requests arriving together,
// as Wails delivers them (one goroutine each), let exactly one through.
func TestBeforeCloseConcurrent(t *testing.T) {
	a := New(newFake(fakeBackend{}).config(Config{Window: &fakeWindow{}, Clock: clock.NewFake(time.Unix(0, 0))}))
	a.requestQuit()
	const n = 8
	var wg sync.WaitGroup
	results := make(chan bool, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- a.beforeClose(context.Background())
		}()
	}
	wg.Wait()
	close(results)
	through := 0
	for prevent := range results {
		if !prevent {
			through++
		}
	}
	if through != 1 {
		t.Errorf("%d of %d concurrent closes let through, want 1", through, n)
	}
}
