package desktop

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestRelayChildLine: a line of slog's JSON handler comes back with its
// level, message and attributes in order (groups as groups), without its
// time; anything else is Debug text.
func TestRelayChildLine(t *testing.T) {
	var child bytes.Buffer
	clog := slog.New(slog.NewJSONHandler(&child, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clog.Warn("window: a warning", "n", 3, "f", 1.5, "ok", true, "s", "x y", slog.Group("g", "a", "b", slog.Group("h", "c", 1)), "list", []int{1, 2}, "nil", nil)
	clog.Log(t.Context(), slog.LevelInfo+2, "window: odd level")
	clog.Debug("window: debug")

	for _, tc := range []struct{ line, want string }{
		{strings.Split(child.String(), "\n")[0], `level=WARN msg="window: a warning" n=3 f=1.5 ok=true s="x y" g.a=b g.h.c=1 list="[1 2]" nil=<nil>`},
		{strings.Split(child.String(), "\n")[1], `level=INFO+2 msg="window: odd level"`},
		{strings.Split(child.String(), "\n")[2], `level=DEBUG msg="window: debug"`},
		{`{"msg":"no level","k":"v"}`, `level=INFO msg="no level" k=v`},
		{`{"level":"bogus","msg":"bad level"}`, `level=INFO msg="bad level"`},
		{`(WebKitWebProcess:12): Gtk-WARNING **: x`, `level=DEBUG msg="(WebKitWebProcess:12): Gtk-WARNING **: x"`},
		{`{"msg":"cut`, `level=DEBUG msg="{\"msg\":\"cut"`},
		{`{"level":"INFO"}`, `level=DEBUG msg="{\"level\":\"INFO\"}"`},
		{`{"msg":7}`, `level=DEBUG msg="{\"msg\":7}"`},
		{`{"msg":"a"} trailing`, `level=DEBUG msg="{\"msg\":\"a\"} trailing"`},
		{`{"msg":"a"}{"msg":"b"}`, `level=DEBUG msg="{\"msg\":\"a\"}{\"msg\":\"b\"}"`},
	} {
		var out bytes.Buffer
		relayChildLine(textLogger(&out), tc.line)
		if got := strings.TrimSpace(out.String()); got != tc.want {
			t.Errorf("relay of %s:\n got %s\nwant %s", tc.line, got, tc.want)
		}
	}
}

// textLogger logs like the app (text, no time) at every level.
func textLogger(w *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}

// TestChildLogSplitsLines: output arrives in arbitrary pieces; each line
// is relayed once whole, a line without newline on flush, and a line too
// long to keep in pieces of maxChildLine; the tail keeps the last lines.
func TestChildLogSplitsLines(t *testing.T) {
	var out bytes.Buffer
	w := &childLog{log: textLogger(&out), tail: &tailLines{max: 2}}
	for _, p := range []string{"one\ntw", "o\r\n\n", `{"msg":"thr`, `ee"}` + "\nfour"} {
		if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	if got, want := out.String(), "level=DEBUG msg=one\nlevel=DEBUG msg=two\nlevel=INFO msg=three\n"; got != want {
		t.Fatalf("relayed before flush:\n%s\nwant\n%s", got, want)
	}
	w.flush()
	if !strings.HasSuffix(out.String(), "level=DEBUG msg=four\n") {
		t.Fatalf("flush did not relay the last line:\n%s", out.String())
	}
	if got := w.tail.String(); got != "{\"msg\":\"three\"}\nfour" {
		t.Errorf("tail = %q", got)
	}

	out.Reset()
	long := strings.Repeat("x", maxChildLine+10)
	_, _ = w.Write([]byte(long))
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("a line over maxChildLine was relayed as %d lines before its end, want 1", n)
	}
	if len(w.buf) != 0 {
		t.Errorf("%d bytes still held after relaying a long line", len(w.buf))
	}
	if last := w.tail.String(); !strings.HasSuffix(last, "…") || len(last) > 2*maxTailLine+10 {
		t.Errorf("the tail kept %d bytes of a long line", len(last))
	}
}
