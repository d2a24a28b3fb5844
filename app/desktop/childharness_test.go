//go:build linux

package desktop

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/apptest"
)

// quickRaceExit is the GORACE setting that spares each fake child built
// with -race the race detector's default second of sleep at exit; the
// options the test run was given are kept.
func quickRaceExit() string {
	return "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

// childHarness runs a Child whose window process is the test binary in a
// fake mode (childfake_test.go).
type childHarness struct {
	t         *testing.T
	c         *Child
	report    string
	logs      *recordLog
	fallbacks chan struct{}

	quit     chan struct{}
	quitOnce sync.Once
	done     chan lazyResult
	resOnce  sync.Once
	res      lazyResult
}

func newChildHarness(t *testing.T, mode string, edit func(*ChildConfig)) *childHarness {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h := &childHarness{
		t:         t,
		report:    filepath.Join(t.TempDir(), "report"),
		logs:      newRecordLog(),
		fallbacks: make(chan struct{}, 8),
		quit:      make(chan struct{}),
	}
	cfg := ChildConfig{
		Path:            exe,
		Hello:           testHello,
		Env:             append(os.Environ(), fakeChildEnv+"="+mode, fakeReportEnv+"="+h.report, quickRaceExit()),
		TrayHostPresent: func() bool { return true },
		Logger:          slog.New(h.logs),
		Fallback:        func() { h.fallbacks <- struct{}{} },
	}
	if edit != nil {
		edit(&cfg)
	}
	h.c = NewChild(cfg)
	return h
}

// run starts Run; the test's end quits it and waits for it.
func (h *childHarness) run(openNow bool) {
	h.done = make(chan lazyResult, 1)
	go func() {
		opened, err := h.c.Run(h.quit, openNow)
		h.done <- lazyResult{opened, err}
	}()
	h.t.Cleanup(func() {
		h.stop()
		h.wait()
	})
}

func (h *childHarness) stop() { h.quitOnce.Do(func() { close(h.quit) }) }

// wait returns Run's result, failing the test when it does not return.
func (h *childHarness) wait() lazyResult {
	h.t.Helper()
	h.resOnce.Do(func() { h.res = apptest.Receive(h.t, h.done, waitLimit, "Run to return") })
	return h.res
}

// running fails the test if Run has returned.
func (h *childHarness) running() {
	h.t.Helper()
	select {
	case res := <-h.done:
		h.t.Fatalf("Run returned (%v, %v) while the app should keep running", res.opened, res.err)
	default:
	}
}

// events reads what the fake children have reported so far.
func (h *childHarness) events() []fakeEvent {
	h.t.Helper()
	b, err := os.ReadFile(h.report)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		h.t.Fatal(err)
	}
	var evs []fakeEvent
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ev fakeEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			h.t.Fatalf("report line %q: %v", sc.Text(), err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// waitEvent waits for a reported event matching ev's non-zero fields.
func (h *childHarness) waitEvent(ev fakeEvent) fakeEvent {
	h.t.Helper()
	var got fakeEvent
	apptest.Eventually(h.t, waitLimit, "the window process to report "+ev.Event+" "+ev.Data, func() bool {
		for _, e := range h.events() {
			if e.Event == ev.Event && (ev.Data == "" || e.Data == ev.Data) && (ev.PID == 0 || e.PID == ev.PID) {
				got = e
				return true
			}
		}
		return false
	})
	return got
}

// of lists the events of one process after its start, as "event data"
// ("hello" without its data).
func (h *childHarness) of(pid int) []string {
	var out []string
	for _, e := range h.events() {
		switch {
		case e.PID != pid || e.Event == "start":
		case e.Event == "hello":
			out = append(out, e.Event)
		default:
			out = append(out, strings.TrimSpace(e.Event+" "+e.Data))
		}
	}
	return out
}

// helloPIDs lists the processes that got their hello, in order.
func (h *childHarness) helloPIDs() []int {
	var pids []int
	for _, e := range h.events() {
		if e.Event == "hello" {
			pids = append(pids, e.PID)
		}
	}
	return pids
}

// waitStarted waits for the n-th child's hello and returns its pid.
func (h *childHarness) waitStarted(n int) int {
	h.t.Helper()
	apptest.Eventually(h.t, waitLimit, fmt.Sprintf("window process number %d to start", n), func() bool {
		return len(h.helloPIDs()) >= n
	})
	return h.helloPIDs()[n-1]
}

// recordLog is a slog handler that keeps every record, for the tests to
// look for lines by message.
type recordLog struct {
	mu     *sync.Mutex
	recs   *[]logRecord
	attrs  []slog.Attr
	prefix string
}

type logRecord struct {
	level slog.Level
	msg   string
	attrs map[string]string // groups flattened to "g.k"
}

func newRecordLog() *recordLog { return &recordLog{mu: &sync.Mutex{}, recs: &[]logRecord{}} }

func (l *recordLog) Enabled(context.Context, slog.Level) bool { return true }

func (l *recordLog) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]string{}}
	var add func(prefix string, a slog.Attr)
	add = func(prefix string, a slog.Attr) {
		if a.Value.Kind() == slog.KindGroup {
			for _, g := range a.Value.Group() {
				add(prefix+a.Key+".", g)
			}
			return
		}
		rec.attrs[prefix+a.Key] = a.Value.String()
	}
	for _, a := range l.attrs {
		add("", a)
	}
	r.Attrs(func(a slog.Attr) bool { add(l.prefix, a); return true })
	l.mu.Lock()
	*l.recs = append(*l.recs, rec)
	l.mu.Unlock()
	return nil
}

func (l *recordLog) WithAttrs(as []slog.Attr) slog.Handler {
	c := *l
	c.attrs = append(slices.Clip(l.attrs), as...)
	return &c
}

func (l *recordLog) WithGroup(name string) slog.Handler {
	c := *l
	c.prefix += name + "."
	return &c
}

func (l *recordLog) find(msg string) (logRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range *l.recs {
		if r.msg == msg {
			return r, true
		}
	}
	return logRecord{}, false
}

// wait waits for a record with the message msg.
func (l *recordLog) wait(t *testing.T, msg string) logRecord {
	t.Helper()
	var r logRecord
	apptest.Eventually(t, waitLimit, "the log line "+msg, func() bool {
		var ok bool
		r, ok = l.find(msg)
		return ok
	})
	return r
}

func (l *recordLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, r := range *l.recs {
		b.WriteString(r.level.String() + " " + r.msg)
		for k, v := range r.attrs {
			b.WriteString(" " + k + "=" + v)
		}
		b.WriteString("\n")
	}
	return b.String()
}
