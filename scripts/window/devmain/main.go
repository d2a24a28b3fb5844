//go:build windowdev

// Command devmain is a throwaway stand-in for the real main.go, used only to
// check the window code under Xvfb before the app and the dashboard exist:
// it opens the real desktop.Run window over a fake Backend and a one-page
// dashboard with the same login button, and takes the same flags the window
// test passes (--sim --port N). Not shipped; build with
//
//	go build -tags desktop,production,webkit2_41,windowdev -o build/bin/window-devmain ./scripts/window/devmain
package main

import (
	"context"
	"embed"
	"flag"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/pkg/browser"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/desktop"
)

//go:embed assets
var assets embed.FS

func main() {
	sim := flag.Bool("sim", false, "pretend to run against the simulator")
	port := flag.Int("port", 2138, "listen port")
	hidden := flag.Bool("hidden", false, "start hidden")
	tray := flag.Bool("tray-present", false, "pretend a tray host is present (closing hides)")
	assetDir := flag.String("assets", "", "serve this folder (e.g. frontend/dist) instead of the built-in page")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if ok, why := desktop.DisplayAvailable(); !ok {
		fmt.Fprintln(os.Stderr, why)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true,"service":"milady-cloud-devmain"}`))
	})
	go func() { _ = http.Serve(ln, mux) }()

	b := &devBackend{port: *port, sim: *sim}
	title := desktop.DefaultTitle
	if *sim {
		title += " — SIMULATOR"
	}
	dist, _ := fs.Sub(assets, "assets")
	if *assetDir != "" {
		dist = os.DirFS(*assetDir)
	}
	err = desktop.Run(desktop.Options{
		Backend:         b,
		Agents:          struct{ desktop.Agents }{}, // any call panics, as devBackend's
		Chat:            struct{ desktop.Chat }{},
		Billing:         struct{ desktop.Billing }{},
		Assets:          dist,
		APIHandler:      mux,
		Title:           title,
		Hidden:          *hidden,
		TrayHostPresent: func() bool { return *tray },
		Logger:          log,
		OnReady:         func(desktop.Window) { log.Info("devmain: window up") },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// devBackend implements the few Backend methods the page uses; the embedded
// nil interface makes any other call panic, which Wails turns into a
// rejected promise.
type devBackend struct {
	desktop.Backend
	port int
	sim  bool
	mu   sync.Mutex
	n    int
}

func (b *devBackend) Snapshot() app.Snapshot {
	return app.Snapshot{Version: "devmain", Sim: b.sim, BaseURL: fmt.Sprintf("https://127.0.0.1:%d", b.port),
		Login: app.LoginView{Status: "idle"}, Desktop: true}
}

func (b *devBackend) BeginBrowserLogin(context.Context) (app.LoginStart, error) {
	b.mu.Lock()
	b.n++
	id := fmt.Sprintf("devmain-session-%d", b.n)
	b.mu.Unlock()
	u := fmt.Sprintf("https://127.0.0.1:%d/auth/cli-login?session=%s", b.port, id)
	if err := browser.OpenURL(u); err != nil {
		return app.LoginStart{}, fmt.Errorf("open browser: %w", err)
	}
	return app.LoginStart{OK: true, SessionID: id, BrowserURL: u}, nil
}

func (b *devBackend) Subscribe() app.Subscription {
	s := &devSub{ch: make(chan app.Event), done: make(chan struct{})}
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		ev := app.Event{Type: app.EventSnapshot, Data: b.Snapshot()}
		for i := 0; ; i++ {
			select {
			case s.ch <- ev:
			case <-s.done:
				return
			}
			select {
			case <-t.C:
			case <-s.done:
				return
			}
			ev = app.Event{Type: app.EventHeartbeat, Data: app.HeartbeatEvent{AgentID: "dev", At: time.Now()}}
		}
	}()
	return s
}

type devSub struct {
	ch   chan app.Event
	done chan struct{}
	once sync.Once
}

func (s *devSub) C() <-chan app.Event { return s.ch }
func (s *devSub) Close()              { s.once.Do(func() { close(s.done) }) }
