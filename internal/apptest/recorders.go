package apptest

import (
	"bytes"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app"
)

// Env records the environment the Service sets (the API key at login), so
// that a test never writes to its own process environment. The zero value
// is ready to use.
type Env struct {
	mu sync.Mutex
	m  map[string]string
}

// Setenv records k=v.
func (e *Env) Setenv(k, v string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[string]string{}
	}
	e.m[k] = v
	return nil
}

// Unsetenv forgets k.
func (e *Env) Unsetenv(k string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.m, k)
	return nil
}

// Lookup returns k's value and whether it is set.
func (e *Env) Lookup(k string) (string, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	v, ok := e.m[k]
	return v, ok
}

// Get returns k's value ("" when unset).
func (e *Env) Get(k string) string {
	v, _ := e.Lookup(k)
	return v
}

// Opener stands in for the system browser: it records the URLs the Service
// asks to open. The zero value is ready to use.
type Opener struct {
	mu   sync.Mutex
	urls []string
}

// Open records u.
func (o *Opener) Open(u string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.urls = append(o.urls, u)
	return nil
}

// URLs returns a copy of what was opened, in order.
func (o *Opener) URLs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.urls...)
}

// Buffer is a bytes.Buffer safe for concurrent writers and readers: a log
// sink that handlers and background goroutines write to while the test
// reads it (for instance to prove the API key never appears).
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logger returns a text logger onto w that keeps records at level and
// above.
func Logger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// Sub is an app.Subscription a test feeds by hand: what the test sends on
// Ch is what the face under test receives; Closed is closed when the face
// lets go of the subscription.
type Sub struct {
	Ch     chan app.Event
	Closed chan struct{}
	once   sync.Once
}

// NewSub returns a subscription whose channel holds buf events.
func NewSub(buf int) *Sub {
	return &Sub{Ch: make(chan app.Event, buf), Closed: make(chan struct{})}
}

// C is the stream the face reads.
func (s *Sub) C() <-chan app.Event { return s.Ch }

// Close records that the face released the subscription.
func (s *Sub) Close() { s.once.Do(func() { close(s.Closed) }) }

// Send delivers ev, failing the test if the face does not take it within
// 5 s.
func (s *Sub) Send(t testing.TB, ev app.Event) {
	t.Helper()
	select {
	case s.Ch <- ev:
	case <-time.After(5 * time.Second):
		t.Fatalf("the subscriber did not receive %q", ev.Type)
	}
}
