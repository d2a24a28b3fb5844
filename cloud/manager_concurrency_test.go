package cloud

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/internal/clock"
	"go.uber.org/goleak"
)

// TestConcurrentOperationsStayConsistent is the reliability suite's "100 concurrent
// connect/disconnect/log-out/login calls": while the fake clock runs the
// schedulers and monitors (heartbeats failing now and then, so sessions are
// also given up from the monitor goroutine), 100 goroutines mix every
// operation. Every event must be an allowed transition, never concurrent,
// connected always with an agent and a proxy; at the end nothing may run.
func TestConcurrentOperationsStayConsistent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	clk := clock.NewFake(time.Time{})
	api := newFakeAPI()
	var beats atomic.Int64
	api.on("heartbeat", func(_ context.Context, id string) error {
		if beats.Add(1)%4 != 0 || id == "agent-2" {
			return errNotRunning
		}
		return nil
	})
	// Calls take fake time, so sessions live across several clock steps and
	// the monitor gives up on some of them while operations run.
	takes := func(d time.Duration) func(context.Context, string) error {
		return func(ctx context.Context, _ string) error {
			tm := clk.NewTimer(d)
			defer tm.Stop()
			select {
			case <-tm.C():
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
	api.on("provision", takes(300*time.Millisecond))
	api.on("snapshot", takes(700*time.Millisecond))
	rec := newMgrRecorder()
	var m *Manager
	var bad atomic.Int64
	m = NewManager(ManagerOptions{
		Config: ManagerConfig{
			HeartbeatInterval: time.Second, BackupInterval: 2 * time.Second,
			ReconnectInterval: time.Second, MaxReconnectDelay: 2 * time.Second,
			MaxReconnectAttempts: 2, MaxHeartbeatFailures: 1,
		},
		Clock: clk,
		OnEvent: func(e Event) {
			rec.on(e)
			p, err := m.Proxy()
			switch e.State.State {
			case StateConnected:
				if err != nil || p == nil || p.AgentID() != e.State.AgentID {
					bad.Add(1)
				}
			case StateDisconnected:
				if e.State.AgentID != "" || !errors.Is(err, ErrNotConnected) {
					bad.Add(1)
				}
			}
		},
	})
	m.SetAPI(api)

	stopClock := make(chan struct{})
	clockDone := make(chan struct{})
	go func() {
		defer close(clockDone)
		for {
			select {
			case <-stopClock:
				return
			default:
				clk.Advance(500 * time.Millisecond)
				runtime.Gosched() // let the woken goroutines run before the next step
			}
		}
	}()

	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 42))
			ctx, cancel := context.WithTimeout(context.Background(), mgrHangGuard)
			defer cancel()
			for range 20 {
				switch r.IntN(9) {
				case 0, 1, 2:
					_ = m.Connect(ctx, fmt.Sprintf("agent-%d", r.IntN(3)))
				case 3:
					_ = m.Disconnect(ctx)
				case 4:
					_ = m.Logout(ctx)
				case 5:
					m.SetAPI(api)
				case 6:
					_, _ = m.SnapshotNow(ctx)
				case 7:
					st := m.State()
					if st.State == StateConnected && st.AgentID == "" {
						bad.Add(1)
					}
				case 8:
					if p, err := m.Proxy(); err == nil && p.AgentID() == "" {
						bad.Add(1)
					}
				}
			}
		}()
	}
	waitGroupOrFail(t, &wg, "operations")
	close(stopClock)
	<-clockDone
	api.on("snapshot", nil) // the clock no longer runs

	ctx, cancel := context.WithTimeout(context.Background(), mgrHangGuard)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		t.Fatal(err)
	}
	rec.check(t)
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d inconsistent observations", n)
	}
	st := m.State()
	if st.State != StateDisconnected || st.AgentID != "" {
		t.Fatalf("final state = %+v", st)
	}
	if _, err := m.Proxy(); !errors.Is(err, ErrNotConnected) {
		t.Fatalf("Proxy() = %v", err)
	}
	if n := clk.Pending(); n != 0 {
		t.Fatalf("%d timers still armed", n)
	}
	if n := api.maxConcurrentSnapshots(); n > 1 {
		t.Fatalf("%d snapshots overlapped", n)
	}
	if len(rec.states()) < 20 {
		t.Fatalf("only %d state events: the test did not exercise the manager", len(rec.states()))
	}
	counts := map[ConnState]int{}
	for _, s := range rec.states() {
		counts[s]++
	}
	t.Logf("%d events %v, %d heartbeats, %d snapshots, %d provisions",
		len(rec.all()), counts, beats.Load(), api.count("snapshot"), api.count("provision"))
}

func waitGroupOrFail(t *testing.T, wg *sync.WaitGroup, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not finish: deadlock?", what)
	}
}
