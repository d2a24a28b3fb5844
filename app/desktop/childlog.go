package desktop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"unicode/utf8"
)

// The window process logs with slog's JSON handler on stderr, and GTK and
// WebKit write their own warnings there as plain text. childLog puts every
// line into the app's log, so what the window says ("window: dashboard
// ready", which the window tests and the bench wait for) lands in the same
// file as before the window moved into its own process.

// maxChildLine bounds the bytes kept for one line: a child writing without
// newlines must not grow the parent's memory.
const maxChildLine = 64 << 10

// childLog is an io.Writer for one of the child's output streams (exec
// copies the pipe into it). It relays whole lines; flush relays what is
// left once the stream has ended.
type childLog struct {
	log  *slog.Logger
	tail *tailLines // the stream's last lines, for a crash report; nil: none kept

	mu  sync.Mutex
	buf []byte
}

func (w *childLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			if len(w.buf) >= maxChildLine {
				w.emit()
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.emit()
		p = p[i+1:]
	}
	return n, nil
}

// flush relays a last line that had no newline.
func (w *childLog) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.emit()
}

func (w *childLog) emit() {
	line := strings.TrimRight(string(w.buf), "\r\n\t ")
	w.buf = w.buf[:0]
	if line == "" {
		return
	}
	if w.tail != nil {
		w.tail.add(line)
	}
	relayChildLine(w.log, line)
}

// relayChildLine logs one line of the child's output: a line of slog's
// JSON handler with its own level, message and attributes (its time is
// dropped: the app's handler stamps the line when it is relayed, a few
// microseconds later), anything else as Debug text.
func relayChildLine(log *slog.Logger, line string) {
	if level, msg, attrs, ok := parseChildJSON(line); ok {
		log.LogAttrs(context.Background(), level, msg, attrs...)
		return
	}
	log.Debug(line)
}

// parseChildJSON reads a line of slog's JSON handler, keeping the order of
// its attributes; nested objects (slog groups) become groups again. ok is
// false for anything that is not one JSON object with a string "msg".
func parseChildJSON(line string) (level slog.Level, msg string, attrs []slog.Attr, ok bool) {
	if !strings.HasPrefix(line, "{") {
		return 0, "", nil, false
	}
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the '{'
		return 0, "", nil, false
	}
	all, err := decodeAttrs(dec)
	if err != nil {
		return 0, "", nil, false
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) { // more after the object
		return 0, "", nil, false
	}
	level = slog.LevelInfo
	hasMsg := false
	attrs = all[:0]
	for _, a := range all {
		switch a.Key {
		case slog.TimeKey:
		case slog.LevelKey:
			var l slog.Level
			if a.Value.Kind() == slog.KindString && l.UnmarshalText([]byte(a.Value.String())) == nil {
				level = l
			}
		case slog.MessageKey:
			if a.Value.Kind() != slog.KindString {
				return 0, "", nil, false
			}
			msg, hasMsg = a.Value.String(), true
		default:
			attrs = append(attrs, a)
		}
	}
	return level, msg, attrs, hasMsg
}

// decodeAttrs reads an object's members after its '{', through its '}'.
func decodeAttrs(dec *json.Decoder) ([]slog.Attr, error) {
	var attrs []slog.Attr
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := tok.(string)
		if !ok {
			return nil, errors.New("object key is not a string")
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		v, err := jsonValue(raw)
		if err != nil {
			return nil, err
		}
		attrs = append(attrs, slog.Attr{Key: key, Value: v})
	}
	if _, err := dec.Token(); err != nil { // the '}'
		return nil, err
	}
	return attrs, nil
}

// jsonValue turns one JSON value into the slog value it was logged from,
// as near as JSON allows.
func jsonValue(raw json.RawMessage) (slog.Value, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		if _, err := dec.Token(); err != nil {
			return slog.Value{}, err
		}
		attrs, err := decodeAttrs(dec)
		if err != nil {
			return slog.Value{}, err
		}
		return slog.GroupValue(attrs...), nil
	}
	var v any
	if err := dec.Decode(&v); err != nil {
		return slog.Value{}, err
	}
	switch x := v.(type) {
	case string:
		return slog.StringValue(x), nil
	case bool:
		return slog.BoolValue(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return slog.Int64Value(i), nil
		}
		if f, err := x.Float64(); err == nil {
			return slog.Float64Value(f), nil
		}
		return slog.StringValue(x.String()), nil
	default: // null, arrays
		return slog.AnyValue(x), nil
	}
}

// tailLines keeps the last few lines of a stream.
type tailLines struct {
	mu    sync.Mutex
	max   int
	lines []string
}

// maxTailLine bounds one kept line; the whole line is in the log already.
const maxTailLine = 500

func (t *tailLines) add(line string) {
	if len(line) > maxTailLine {
		cut := maxTailLine
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		line = line[:cut] + "…"
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == t.max {
		copy(t.lines, t.lines[1:])
		t.lines = t.lines[:t.max-1]
	}
	t.lines = append(t.lines, line)
}

func (t *tailLines) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
