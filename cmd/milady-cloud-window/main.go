// Command milady-cloud-window is the dashboard window of Milady Cloud on
// Linux, in a process of its own. The tray process (milady-cloud) starts it
// when the user opens the dashboard and ends it when the window is closed,
// so the ~200 MB that GTK and WebKit cost are held only while the window is
// on screen. It is not meant to be started by hand: everything it needs
// comes from the tray process on file descriptor 3 (see
// docs/window-process.md and docs/ARCHITECTURE.md, "The window process").
//
// The window talks to the app through the app's own REST API (package
// app/desktop/remote), so the page, its Wails bindings and its events are
// the same as when the window ran inside the tray process.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/desktop"
	"github.com/milady-ai/milady-cloud/app/desktop/remote"
	"github.com/milady-ai/milady-cloud/frontend"
	"github.com/milady-ai/milady-cloud/internal/opener"
)

// version is set at build time (-ldflags "-X main.version=…"), like the
// tray process's: the two must come from the same build.
var version = "0.1.0-dev"

// exitNoWindow tells the tray process no window could be opened (the
// reason is logged); 0 means the window was closed.
const exitNoWindow = desktop.ChildExitNoWindow

func main() {
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
		fmt.Println("milady-cloud-window", version)
		os.Exit(0)
	}
	os.Exit(run(os.NewFile(desktop.ChildControlFD, "control"), log))
}

func run(control *os.File, log *slog.Logger) int {
	hello, commands, err := readHello(control)
	if err != nil {
		log.Error("window: this program is started by milady-cloud; run that instead", "err", err)
		return exitNoWindow
	}
	if hello.Version != version {
		log.Error("window: the window program and milady-cloud come from different builds; reinstall Milady Cloud",
			"window_version", version, "app_version", hello.Version)
		return exitNoWindow
	}
	if ok, why := desktop.DisplayAvailable(); !ok {
		log.Error("window: no display", "reason", why)
		return exitNoWindow
	}
	assets := frontend.Dist()
	if assets == nil {
		log.Error("window: built without the dashboard (run make frontend before building)")
		return exitNoWindow
	}
	browser := opener.New(os.Stderr)
	cfg := remote.Config{BaseURL: hello.URL, Token: hello.Token, Opener: app.OpenerFunc(browser.Open), Logger: log}
	client, err := remote.New(cfg)
	if err != nil {
		log.Error("window: cannot reach the app", "err", err)
		return exitNoWindow
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	appVersion, err := client.Health(ctx)
	cancel()
	if err != nil {
		log.Error("window: the app does not answer", "err", err)
		return exitNoWindow
	}
	if appVersion != version {
		log.Error("window: the app answering is another build; reinstall Milady Cloud",
			"window_version", version, "app_version", appVersion)
		return exitNoWindow
	}

	log.Debug("window: the app answered; opening the window")
	err = desktop.Run(desktop.Options{
		Backend:    client,
		Agents:     client.Agents(),
		Chat:       client.Chat(),
		Billing:    client.Billing(),
		Assets:     assets,
		APIHandler: remote.Proxy(cfg),
		Title:      hello.Title,
		Logger:     log,
		Opener:     app.OpenerFunc(browser.Open),
		// TrayHostPresent stays nil: closing the window ends this process,
		// and the tray process decides whether the app keeps running.
		OnReady: func(w desktop.Window) { go obey(commands, w, log) },
	})
	if err != nil {
		log.Error("window: could not open the window", "err", err)
		return exitNoWindow
	}
	return 0
}

// readHello reads the tray process's first line on the control descriptor
// and starts reading the commands that follow.
func readHello(control *os.File) (desktop.ChildHello, <-chan string, error) {
	var hello desktop.ChildHello
	if control == nil {
		return hello, nil, errors.New("no control descriptor")
	}
	r := bufio.NewReader(control)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return hello, nil, fmt.Errorf("read the control descriptor: %w", err)
	}
	if err := json.Unmarshal(line, &hello); err != nil {
		return hello, nil, fmt.Errorf("read the control descriptor: %w", err)
	}
	if hello.URL == "" {
		return hello, nil, errors.New("read the control descriptor: no app address")
	}
	commands := make(chan string, 4)
	go readCommands(r, control, commands)
	return hello, commands, nil
}

// readCommands turns the control lines into commands. The end of the
// stream (the tray process quit or died) is a quit.
func readCommands(r *bufio.Reader, control io.Closer, out chan<- string) {
	defer close(out)
	defer control.Close()
	for {
		line, err := r.ReadString('\n')
		if cmd := strings.TrimSpace(line); cmd != "" {
			out <- cmd
		}
		if err != nil {
			out <- desktop.ChildCmdQuit
			return
		}
	}
}

// obey applies the tray process's commands to the window.
func obey(commands <-chan string, w desktop.Window, log *slog.Logger) {
	for cmd := range commands {
		switch cmd {
		case desktop.ChildCmdShow:
			w.Show()
		case desktop.ChildCmdQuit:
			log.Debug("window: closing on the app's request")
			w.Quit()
			return
		default:
			log.Warn("window: unknown command from the app", "command", cmd)
		}
	}
}
