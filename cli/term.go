package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/mattn/go-isatty"
)

// isTTY reports whether w is a terminal: colour and spinners are only for
// people, never for pipes, files or CI logs.
func isTTY(w any) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}

// style colours text for a terminal that wants it (a TTY, NO_COLOR unset,
// TERM not dumb, see no-color.org).
type style struct{ on bool }

func newStyle(e *Env, w io.Writer) style {
	return style{on: isTTY(w) && e.Getenv("NO_COLOR") == "" && e.Getenv("TERM") != "dumb"}
}

func (s style) paint(code, text string) string {
	if !s.on {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (s style) green(t string) string  { return s.paint("32", t) }
func (s style) red(t string) string    { return s.paint("31", t) }
func (s style) yellow(t string) string { return s.paint("33", t) }
func (s style) bold(t string) string   { return s.paint("1", t) }
func (s style) dim(t string) string    { return s.paint("2", t) }

// spinner animates one status line on a TTY; elsewhere it prints the text
// once, so logs stay readable.
type spinner struct {
	w    io.Writer
	tty  bool
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

var spinFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

func startSpinner(w io.Writer, text string) *spinner {
	s := &spinner{w: w, tty: isTTY(w), stop: make(chan struct{}), done: make(chan struct{})}
	if !s.tty {
		fmt.Fprintln(w, text)
		close(s.done)
		return s
	}
	go func() {
		defer close(s.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(w, "\r\x1b[K%s %s", spinFrames[i%len(spinFrames)], text)
			select {
			case <-s.stop:
				fmt.Fprint(w, "\r\x1b[K")
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Stop ends the animation and clears its line; safe to call twice.
func (s *spinner) Stop() {
	s.once.Do(func() {
		if s.tty {
			close(s.stop)
		}
		<-s.done
	})
}
