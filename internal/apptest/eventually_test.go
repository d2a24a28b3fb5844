package apptest

import (
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fatalTB records Fatalf and ends the goroutine as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}
func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	Eventually(t, 10*time.Second, "the third poll", func() bool { return n.Add(1) == 3 })
	if n.Load() != 3 {
		t.Fatalf("polled %d times, want 3", n.Load())
	}
}

func TestEventuallyFailsAfterTheBound(t *testing.T) {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Eventually(f, 30*time.Millisecond, "never", func() bool { return false })
	}()
	<-done
	if !strings.Contains(f.msg, "timed out after 30ms waiting for never") {
		t.Fatalf("Fatalf message %q", f.msg)
	}
}

func TestReceiveReturnsTheValue(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	if got := Receive(t, ch, 10*time.Second, "seven"); got != 7 {
		t.Fatalf("Receive = %d, want 7", got)
	}
}

func TestReceiveFailsAfterTheBound(t *testing.T) {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Receive(f, make(chan struct{}), 30*time.Millisecond, "a signal nobody sends")
	}()
	<-done
	if !strings.Contains(f.msg, "timed out after 30ms waiting for a signal nobody sends") {
		t.Fatalf("Fatalf message %q", f.msg)
	}
}
