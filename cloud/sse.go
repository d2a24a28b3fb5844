package cloud

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
)

// SSE limits: one line, and one event's joined data.
const (
	maxSSELine      = 1 << 20
	maxSSEEventData = 4 << 20
)

// SSEEvent is one dispatched server-sent event.
type SSEEvent struct {
	Event string // the "event:" field; "message" when absent
	Data  string // the "data:" lines joined with "\n"
}

// SSEReader parses a text/event-stream incrementally: Next returns each
// event as soon as its terminating blank line has been read, never waiting
// for more of the stream. It follows the WHATWG parsing rules (CR, LF or
// CRLF line ends; "field: value" with one optional space; ":" comments;
// multiple data lines joined by "\n"; a leading BOM skipped), with two
// deliberate differences: an event that set only "event:" is dispatched too
// (so a bare "event: done" ends a stream), and a final block cut off by EOF
// without its blank line is still dispatched.
type SSEReader struct {
	// OnComment, when set, is called with the text of each comment line
	// (after the colon and one optional space). Streams use comments as
	// keep-alives; the client ignores them, a test counts them.
	OnComment func(text string)

	br      *bufio.Reader
	line    []byte
	skipLF  bool // the previous line ended in CR; drop one following LF
	started bool // past the optional BOM
	eof     bool
}

// NewSSEReader reads events from r.
func NewSSEReader(r io.Reader) *SSEReader {
	return &SSEReader{br: bufio.NewReaderSize(r, 32<<10)}
}

// Next returns the next event, or io.EOF at the end of the stream. A line
// over 1 MiB or an event over 4 MiB of data is an error matching
// ErrMalformed; read errors are returned as they are.
func (s *SSEReader) Next() (SSEEvent, error) {
	var (
		event   string
		data    strings.Builder
		hasData bool
		seen    bool // an event or data field was set in this block
	)
	for {
		line, err := s.readLine()
		if line == nil {
			if errors.Is(err, io.EOF) && seen {
				return newSSEEvent(event, &data), nil
			}
			return SSEEvent{}, err
		}
		// line may be the unterminated last line (err == io.EOF); the next
		// readLine then reports EOF and the block is dispatched above.
		if len(line) == 0 {
			if seen {
				return newSSEEvent(event, &data), nil
			}
			continue
		}
		if line[0] == ':' {
			if s.OnComment != nil {
				s.OnComment(string(bytes.TrimPrefix(line[1:], []byte{' '})))
			}
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			value = bytes.TrimPrefix(value, []byte{' '})
		}
		switch string(field) {
		case "event":
			event, seen = string(value), true
		case "data":
			if data.Len()+len(value)+1 > maxSSEEventData {
				return SSEEvent{}, fmt.Errorf("%w: server-sent event larger than %d bytes", ErrMalformed, maxSSEEventData)
			}
			if hasData {
				data.WriteByte('\n')
			}
			data.Write(value)
			hasData, seen = true, true
		}
		// "id", "retry" and unknown fields are ignored.
	}
}

func newSSEEvent(event string, data *strings.Builder) SSEEvent {
	if event == "" {
		event = "message"
	}
	return SSEEvent{Event: event, Data: data.String()}
}

// readLine returns the next line without its terminator. At EOF a partial
// last line is returned (non-nil) together with io.EOF; after that, a nil
// line and io.EOF. It consumes only bytes already needed, so a complete
// event is handed out while the connection waits for the next one.
func (s *SSEReader) readLine() ([]byte, error) {
	if s.eof {
		return nil, io.EOF
	}
	s.line = s.line[:0]
	for {
		if _, err := s.br.Peek(1); err != nil {
			if errors.Is(err, io.EOF) {
				s.eof = true
				if len(s.line) > 0 {
					return s.line, io.EOF
				}
			}
			return nil, err
		}
		if !s.started {
			// Peek(3) waits for three bytes (or EOF) so a BOM is recognised
			// however the first read is cut.
			s.started = true
			if b, _ := s.br.Peek(3); bytes.Equal(b, []byte("\xEF\xBB\xBF")) {
				_, _ = s.br.Discard(3)
				continue
			}
		}
		buf, _ := s.br.Peek(s.br.Buffered())
		if s.skipLF {
			s.skipLF = false
			if buf[0] == '\n' {
				_, _ = s.br.Discard(1)
				continue
			}
		}
		i := bytes.IndexAny(buf, "\r\n")
		if i < 0 {
			if len(s.line)+len(buf) > maxSSELine {
				return nil, fmt.Errorf("%w: server-sent event line longer than %d bytes", ErrMalformed, maxSSELine)
			}
			s.line = append(s.line, buf...)
			_, _ = s.br.Discard(len(buf))
			continue
		}
		if len(s.line)+i > maxSSELine {
			return nil, fmt.Errorf("%w: server-sent event line longer than %d bytes", ErrMalformed, maxSSELine)
		}
		s.line = append(s.line, buf[:i]...)
		s.skipLF = buf[i] == '\r'
		_, _ = s.br.Discard(i + 1)
		if s.line == nil {
			s.line = []byte{}
		}
		return s.line, nil
	}
}
