package apptest

import (
	"errors"
	"io"
	"testing"

	"github.com/milady-ai/milady-cloud/cloud"
)

// SSE reads a Server-Sent Events body in a test with the parser the app
// itself uses on the cloud's streams (cloud.SSEReader), so that no test
// carries a parser of its own. Next (from the embedded reader) returns
// errors for use in a goroutine; Event and All fail the test instead.
type SSE struct {
	*cloud.SSEReader
	t testing.TB
}

// NewSSE reads events from body.
func NewSSE(t testing.TB, body io.Reader) *SSE {
	return &SSE{SSEReader: cloud.NewSSEReader(body), t: t}
}

// Event returns the next event, failing the test if the stream ends or
// breaks first. Call it from the test's goroutine.
func (s *SSE) Event() cloud.SSEEvent {
	s.t.Helper()
	ev, err := s.Next()
	if err != nil {
		s.t.Fatalf("read event stream: %v", err)
	}
	return ev
}

// All reads a finite stream (a chat reply) to its end.
func (s *SSE) All() []cloud.SSEEvent {
	s.t.Helper()
	var out []cloud.SSEEvent
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			s.t.Fatalf("read event stream: %v", err)
		}
		out = append(out, ev)
	}
}

// ReadSSE reads a whole finite event stream.
func ReadSSE(t testing.TB, body io.Reader) []cloud.SSEEvent {
	t.Helper()
	return NewSSE(t, body).All()
}
