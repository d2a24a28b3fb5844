package cloud

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// readAllEvents drains r, returning the events and the final error.
func readAllEvents(r io.Reader, limit int) ([]SSEEvent, error) {
	sr := NewSSEReader(r)
	var out []SSEEvent
	for i := 0; i < limit; i++ {
		ev, err := sr.Next()
		if err != nil {
			return out, err
		}
		out = append(out, ev)
	}
	return out, errors.New("too many events")
}

func TestSSEReader(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []SSEEvent
	}{
		{"milady stream", "event: connected\ndata: {\"rpcId\":1}\n\nevent: chunk\ndata: {\"text\":\"hi\"}\n\nevent: done\ndata: {}\n\n",
			[]SSEEvent{{"connected", `{"rpcId":1}`}, {"chunk", `{"text":"hi"}`}, {"done", "{}"}}},
		{"multiple data lines joined", "data: a\ndata: b\ndata:\n\n", []SSEEvent{{"message", "a\nb\n"}}},
		{"CRLF", "event: chunk\r\ndata: x\r\n\r\n", []SSEEvent{{"chunk", "x"}}},
		{"lone CR", "event: chunk\rdata: x\r\revent: done\rdata: y\r\r", []SSEEvent{{"chunk", "x"}, {"done", "y"}}},
		{"comments and unknown fields", ": ping\nid: 7\nretry: 10\nfoo: bar\nevent: e\ndata: d\n\n", []SSEEvent{{"e", "d"}}},
		{"no space after colon keeps the rest", "data:x\ndata:  two\n\n", []SSEEvent{{"message", "x\n two"}}},
		{"field without colon", "data\n\n", []SSEEvent{{"message", ""}}},
		{"colon in value", "data: {\"a\":\"b:c\"}\n\n", []SSEEvent{{"message", `{"a":"b:c"}`}}},
		{"final block without blank line", "event: chunk\ndata: last\n", []SSEEvent{{"chunk", "last"}}},
		{"final line without newline", "event: done\ndata: {}", []SSEEvent{{"done", "{}"}}},
		{"event-only block is dispatched", "event: done\n\n", []SSEEvent{{"done", ""}}},
		{"blank lines and id-only blocks dispatch nothing", "\n\nid: 1\n\n: c\n\n", nil},
		{"BOM skipped", "\xEF\xBB\xBFdata: x\n\n", []SSEEvent{{"message", "x"}}},
		{"event name resets between events", "event: a\ndata: 1\n\ndata: 2\n\n", []SSEEvent{{"a", "1"}, {"message", "2"}}},
		{"empty stream", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, wrap := range []func(io.Reader) io.Reader{
				func(r io.Reader) io.Reader { return r },
				iotest.OneByteReader,
				iotest.HalfReader,
			} {
				got, err := readAllEvents(wrap(strings.NewReader(c.in)), 100)
				if !errors.Is(err, io.EOF) {
					t.Fatalf("final error = %v, want io.EOF", err)
				}
				if !reflect.DeepEqual(got, c.want) {
					t.Fatalf("events = %q, want %q", got, c.want)
				}
			}
		})
	}
}

func TestSSEReaderLineCap(t *testing.T) {
	long := "data: " + strings.Repeat("x", maxSSELine) + "\n\n"
	_, err := readAllEvents(strings.NewReader(long), 10)
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("over-long line: %v, want ErrMalformed", err)
	}
	// Just under the cap is fine.
	ok := "data: " + strings.Repeat("x", maxSSELine-len("data: ")) + "\n\n"
	evs, err := readAllEvents(strings.NewReader(ok), 10)
	if !errors.Is(err, io.EOF) || len(evs) != 1 || len(evs[0].Data) != maxSSELine-len("data: ") {
		t.Fatalf("line at the cap: %d events, %v", len(evs), err)
	}
	// Many lines adding up past the event cap.
	many := strings.Repeat("data: "+strings.Repeat("y", 1<<19)+"\n", 9) + "\n"
	if _, err := readAllEvents(strings.NewReader(many), 10); !errors.Is(err, ErrMalformed) {
		t.Fatalf("over-large event: %v, want ErrMalformed", err)
	}
}

func TestSSEReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(strings.NewReader("data: partial"), iotest.ErrReader(boom))
	if _, err := readAllEvents(r, 10); !errors.Is(err, boom) {
		t.Fatalf("error = %v, want the read error", err)
	}
}

// TestSSEReaderIncremental: an event is returned as soon as its blank line
// arrives, while the writer still holds the rest of the stream back.
func TestSSEReaderIncremental(t *testing.T) {
	pr, pw := io.Pipe()
	defer pr.Close()
	sr := NewSSEReader(pr)
	type result struct {
		ev  SSEEvent
		err error
	}
	next := func() chan result {
		ch := make(chan result, 1)
		go func() {
			ev, err := sr.Next()
			ch <- result{ev, err}
		}()
		return ch
	}
	wait := func(ch chan result) result {
		select {
		case r := <-ch:
			return r
		case <-time.After(5 * time.Second):
			t.Fatal("Next did not return an event whose blank line had arrived")
			return result{}
		}
	}
	ch := next()
	if _, err := pw.Write([]byte("event: chunk\ndata: one\r\n\r")); err != nil {
		t.Fatal(err)
	}
	if r := wait(ch); r.err != nil || r.ev != (SSEEvent{"chunk", "one"}) {
		t.Fatalf("first event = %+v, %v", r.ev, r.err)
	}
	ch = next()
	if _, err := pw.Write([]byte("\nevent: chunk\ndata: two\n\n")); err != nil {
		t.Fatal(err)
	}
	if r := wait(ch); r.err != nil || r.ev != (SSEEvent{"chunk", "two"}) {
		t.Fatalf("second event = %+v, %v", r.ev, r.err)
	}
	ch = next()
	pw.Close()
	if r := wait(ch); !errors.Is(r.err, io.EOF) {
		t.Fatalf("after close: %+v, %v", r.ev, r.err)
	}
}

// FuzzSSEReader: never panics, always terminates, yields the same events
// whatever the read sizes, and no event carries a line break where the
// format forbids one.
func FuzzSSEReader(f *testing.F) {
	for _, s := range []string{
		"event: connected\ndata: {\"rpcId\":1}\n\nevent: chunk\ndata: {\"text\":\"hi\"}\n\nevent: done\ndata: {}\n\n",
		"data: a\r\ndata: b\r\n\r\n", "event: x\rdata: y\r\r", ": c\n\n", "\xEF\xBB\xBFdata: x", "data", "event: done",
		"event: error\ndata: {\"message\":\"Sandbox is not running or unreachable\"}\n\n", "\r\n\r\n\n\r",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		limit := len(in) + 2
		whole, errWhole := readAllEvents(strings.NewReader(string(in)), limit)
		bytewise, errByte := readAllEvents(iotest.OneByteReader(strings.NewReader(string(in))), limit)
		if !errors.Is(errWhole, io.EOF) || !errors.Is(errByte, io.EOF) {
			t.Fatalf("final errors %v / %v, want io.EOF", errWhole, errByte)
		}
		if !reflect.DeepEqual(whole, bytewise) {
			t.Fatalf("events differ by read size:\n%q\n%q", whole, bytewise)
		}
		for _, ev := range whole {
			if ev.Event == "" || strings.ContainsAny(ev.Event, "\r\n") || strings.Contains(ev.Data, "\r") {
				t.Fatalf("bad event %q", ev)
			}
		}
	})
}

// TestSSEReaderOnComment: comments are skipped as events but reported to
// OnComment, in order and without the colon and its one space.
func TestSSEReaderOnComment(t *testing.T) {
	r := NewSSEReader(strings.NewReader(": ping\n\n:raw\nevent: a\ndata: 1\n\n:  two spaces\n\n"))
	var comments []string
	r.OnComment = func(c string) { comments = append(comments, c) }
	ev, err := r.Next()
	if err != nil || ev.Event != "a" || ev.Data != "1" {
		t.Fatalf("Next = %+v, %v", ev, err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("second Next err = %v, want EOF", err)
	}
	if want := []string{"ping", "raw", " two spaces"}; !reflect.DeepEqual(comments, want) {
		t.Fatalf("comments %q, want %q", comments, want)
	}
}
