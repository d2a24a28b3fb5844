package main

import (
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/milady-ai/milady-cloud/app/desktop"
)

// pipeWith returns the read end of a pipe holding text; closeWrite ends it.
func pipeWith(t *testing.T, text string) (r *os.File, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	return r, w
}

func TestReadHelloThenCommandsAndEOFIsQuit(t *testing.T) {
	r, w := pipeWith(t, `{"url":"http://127.0.0.1:2138/","token":"tok","title":"T","version":"1.2.3"}`+"\nshow\n\nshow\n")
	hello, cmds, err := readHello(r)
	if err != nil {
		t.Fatal(err)
	}
	if hello.URL != "http://127.0.0.1:2138/" || hello.Token != "tok" || hello.Title != "T" || hello.Version != "1.2.3" {
		t.Fatalf("hello = %+v", hello)
	}
	_ = w.Close() // the parent went away
	var got []string
	timeout := time.After(5 * time.Second)
	for done := false; !done; {
		select {
		case c, ok := <-cmds:
			if !ok {
				done = true
				break
			}
			got = append(got, c)
		case <-timeout:
			t.Fatalf("commands did not end; got %q", got)
		}
	}
	want := []string{desktop.ChildCmdShow, desktop.ChildCmdShow, desktop.ChildCmdQuit}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("commands = %q, want %q (blank lines skipped, EOF is a quit)", got, want)
	}
}

func TestReadHelloRefusesBadInput(t *testing.T) {
	for name, text := range map[string]string{
		"not JSON":  "hello\n",
		"no URL":    `{"version":"1"}` + "\n",
		"cut short": `{"url":"http://127.0.0.1:1/"`,
	} {
		t.Run(name, func(t *testing.T) {
			r, w := pipeWith(t, text)
			_ = w.Close()
			if _, _, err := readHello(r); err == nil {
				t.Fatal("readHello accepted it")
			}
		})
	}
	if _, _, err := readHello(nil); err == nil {
		t.Fatal("readHello accepted a missing descriptor")
	}
}

// recWindow records what obey asks of the window.
type recWindow struct {
	mu    sync.Mutex
	calls []string
}

func (w *recWindow) add(s string) { w.mu.Lock(); w.calls = append(w.calls, s); w.mu.Unlock() }
func (w *recWindow) Show()        { w.add("show") }
func (w *recWindow) Hide()        { w.add("hide") }
func (w *recWindow) Quit()        { w.add("quit") }

func TestObeyStopsAtQuit(t *testing.T) {
	cmds := make(chan string, 4)
	cmds <- desktop.ChildCmdShow
	cmds <- "dance"
	cmds <- desktop.ChildCmdQuit
	cmds <- desktop.ChildCmdShow // after quit: not applied
	w := &recWindow{}
	obey(cmds, w, slog.New(slog.DiscardHandler))
	if got := strings.Join(w.calls, ","); got != "show,quit" {
		t.Fatalf("window calls = %q, want show,quit (unknown commands ignored, nothing after quit)", got)
	}
}

func TestRunRefusesAnotherVersion(t *testing.T) {
	r, w := pipeWith(t, `{"url":"http://127.0.0.1:9/","version":"not-`+version+`"}`+"\n")
	defer w.Close()
	var log strings.Builder
	code := run(r, slog.New(slog.NewTextHandler(&log, nil)))
	if code != desktop.ChildExitNoWindow {
		t.Fatalf("exit = %d, want %d", code, desktop.ChildExitNoWindow)
	}
	if !strings.Contains(log.String(), "different builds") {
		t.Fatalf("log does not say why: %s", log.String())
	}
}
