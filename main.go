// Command milady-cloud is the Milady Cloud desktop app: a tray icon, a Wails
// window and a local REST API that connect a Milady agent to Eliza Cloud.
//
// This file is the composition root only: flags, the single-instance check,
// wiring, and the window. The work lives in packages cloud and app.
package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/milady-ai/milady-cloud/app"
	"github.com/milady-ai/milady-cloud/app/api"
	"github.com/milady-ai/milady-cloud/app/autostart"
	"github.com/milady-ai/milady-cloud/app/config"
	"github.com/milady-ai/milady-cloud/app/desktop"
	"github.com/milady-ai/milady-cloud/app/notify"
	"github.com/milady-ai/milady-cloud/app/store"
	"github.com/milady-ai/milady-cloud/cli"
	"github.com/milady-ai/milady-cloud/cloud/cloudsim"
	"github.com/milady-ai/milady-cloud/frontend"
	"github.com/milady-ai/milady-cloud/internal/httpserve"
	"github.com/milady-ai/milady-cloud/internal/opener"
	"github.com/milady-ai/milady-cloud/internal/single"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "0.1.0-dev"

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type flags struct {
	hidden, headless, sim, open, showVersion bool
	port                                     int
	bind                                     string
}

func parseFlags(args []string, stderr io.Writer) (flags, error) {
	var f flags
	fs := flag.NewFlagSet("milady-cloud", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port := 2138
	if v := os.Getenv("MILADY_PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 0 || p > 65535 {
			return f, fmt.Errorf("MILADY_PORT=%q is not a port number", v)
		}
		port = p
	}
	bind := "127.0.0.1"
	if v := os.Getenv("MILADY_API_BIND"); v != "" {
		bind = v
	}
	fs.BoolVar(&f.hidden, "hidden", false, "start with the window hidden (used by start at login)")
	fs.BoolVar(&f.headless, "headless", false, "no window, no tray: REST API and dashboard only")
	fs.BoolVar(&f.sim, "sim", false, "run against the built-in offline Eliza Cloud simulator")
	fs.BoolVar(&f.open, "open", false, "headless: open the dashboard in the default browser")
	fs.IntVar(&f.port, "port", port, "REST API port (env MILADY_PORT)")
	fs.StringVar(&f.bind, "bind", bind, "REST API bind address (env MILADY_API_BIND)")
	fs.BoolVar(&f.showVersion, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: milady-cloud [--headless | --hidden] [--sim] [--open] [--port N] [--bind ADDR]\n\n")
		fmt.Fprintf(stderr, "Connects your Milady agent to Eliza Cloud: a tray icon, a dashboard window and a REST API on 127.0.0.1:2138.\n\n")
		fs.PrintDefaults()
		fmt.Fprintln(stderr)
		cli.WriteCommands(stderr)
	}
	err := fs.Parse(args)
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return f, err
}

func run(args []string, stdout, stderr io.Writer) int {
	// `milady-cloud <command> …` is the terminal client; anything else
	// (no arguments, or flags first) runs the app as before.
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") && cli.IsCommand(args[0]) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		return cli.Run(ctx, &cli.Env{Getenv: os.Getenv, Stdin: os.Stdin, Stdout: stdout, Stderr: stderr, Version: version}, args)
	}
	f, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "milady-cloud:", err)
		return 2
	}
	if f.showVersion {
		fmt.Fprintln(stdout, "milady-cloud", version)
		return 0
	}

	// Catch SIGINT/SIGTERM from here on: a supervisor that stops the app as
	// soon as it started (or as soon as /api/health answers) must get a
	// graceful exit 0, not the default "killed by signal". A signal that
	// arrives while wiring and starting waits in the channel and shuts down
	// once the app is up; one before the port is ours just ends the run.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)

	stateDir, err := stateDir()
	if err != nil {
		fmt.Fprintln(stderr, "milady-cloud:", err)
		return 1
	}
	logger, closeLog := newLogger(stateDir, stderr)
	defer closeLog()

	token := os.Getenv("MILADY_API_TOKEN")
	if token == "" && !isLoopback(f.bind) {
		// The token is never logged or printed: it goes to a 0600 file in
		// the state folder, and only its fingerprint and that path are said.
		token = newToken()
		sum := sha256.Sum256([]byte(token))
		tokenFile := filepath.Join(stateDir, "api-token")
		if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
			fmt.Fprintln(stderr, "milady-cloud: save the generated API token:", err)
			return 1
		}
		logger.Warn("binding a non-loopback address: generated an API token (send it as Authorization: Bearer)",
			"fingerprint", hex.EncodeToString(sum[:4]), "file", tokenFile)
	}

	addr := net.JoinHostPort(f.bind, strconv.Itoa(f.port))
	ln, handedOff, err := single.Listen(addr, token)
	if handedOff {
		if err != nil {
			fmt.Fprintln(stderr, "milady-cloud: already running, but:", err)
			return 1
		}
		fmt.Fprintln(stdout, "Milady Cloud is already running; asked it to show its window.")
		return 0
	}
	if err != nil {
		if errors.Is(err, single.ErrForeign) {
			fmt.Fprintf(stderr, "milady-cloud: port %d on %s is in use by another program; choose another with --port or MILADY_PORT\n", f.port, f.bind)
		} else {
			fmt.Fprintln(stderr, "milady-cloud:", err)
		}
		return 1
	}

	desktopMode := !f.headless
	if desktopMode {
		if ok, why := desktop.DisplayAvailable(); !ok {
			fmt.Fprintf(stdout, "Running headless: %s.\n", why)
			desktopMode = false
		}
	}

	// Every browser the app opens goes through this: the key the app puts
	// in its environment for Milady must not reach the browser.
	open := opener.New(stderr)
	a, err := wire(f, desktopMode, stateDir, logger, open)
	if err != nil {
		_ = ln.Close()
		fmt.Fprintln(stderr, "milady-cloud:", err)
		return 1
	}
	quit := make(chan struct{})
	var quitOnce sync.Once
	doQuit := func() { quitOnce.Do(func() { close(quit) }) }
	a.svc.SetQuit(doQuit)
	// Start before serving, so that no request sees a Service that has not
	// restored its session yet, or reads the settings while Start rewrites
	// them. Connections made meanwhile wait in the listen backlog.
	a.svc.Start()

	handler := api.New(api.Options{
		Backend:        a.svc,
		Agents:         a.svc.Agents(),
		Chat:           a.svc.Chat(),
		Billing:        a.svc.Billing(),
		Token:          token,
		BindHost:       f.bind,
		Port:           ln.Addr().(*net.TCPAddr).Port, // the real one, also with --port 0
		AllowedOrigins: splitList(os.Getenv("MILADY_ALLOWED_ORIGINS")),
		Dashboard:      frontend.Dist(),
		Logger:         logger.With("component", "api"),
		PingInterval:   pingInterval(logger),
	})
	srv := httpserve.New(handler, httpserve.Options{ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)})
	// Event streams never end by themselves; Shutdown would wait for them
	// until its deadline.
	srv.RegisterOnShutdown(a.svc.EndStreams)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("REST API stopped", "err", err)
		}
	}()
	url := "http://" + ln.Addr().String() + "/"
	if isLoopback(f.bind) {
		url = "http://127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + "/"
	} else if ip := net.ParseIP(strings.Trim(f.bind, "[]")); ip == nil || !ip.IsUnspecified() {
		// The bind host as given: it is the Host and Origin the gate admits.
		url = "http://" + net.JoinHostPort(strings.Trim(f.bind, "[]"), strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)) + "/"
	}
	apiURL := url  // what the window process calls
	openURL := url // what --open opens
	if token != "" && os.Getenv("MILADY_API_TOKEN") != "" {
		// The user chose this token; the fragment hands it to the browser
		// tab (kept in sessionStorage) without it reaching any server log.
		url += "#token=" + token
		openURL = url
	} else if token != "" {
		// A generated token is never printed: the link that carries it goes
		// to a 0600 file beside api-token, and only that file is named.
		if file, err := saveDashboardLink(stateDir, url+"#token="+token); err != nil {
			logger.Warn("could not save the dashboard link", "err", err)
		} else {
			openURL = url + "#token=" + token
			logger.Warn("open the dashboard with the link in this file (it carries the generated API token)", "file", file)
		}
	}
	logger.Info("REST API listening", "addr", ln.Addr().String(), "sim", f.sim)

	go func() {
		select {
		case s := <-sigs:
			logger.Info("signal received; shutting down", "signal", s.String())
			doQuit()
		case <-quit:
		}
	}()

	if desktopMode {
		runDesktop(desktopRun{
			f: f, a: a, handler: handler, url: url, apiURL: apiURL, token: token,
			stdout: stdout, logger: logger, open: open, quit: quit, doQuit: doQuit,
		})
	} else {
		fmt.Fprintf(stdout, "Milady Cloud dashboard: %s\n", url)
		if f.open {
			if err := open.Open(openURL); err != nil {
				logger.Warn("could not open the browser", "err", err)
			}
		}
		<-quit
	}

	// In order: the HTTP server (no new request reaches the Service, event
	// streams end, running requests get a moment before their connections
	// are cut), then the Service, then the database under it.
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	hctx, hcancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	if err := srv.Shutdown(hctx); err != nil {
		_ = srv.Close()
	}
	hcancel()
	if err := a.svc.Shutdown(ctx); err != nil {
		logger.Warn("shutdown", "err", err)
	}
	a.close()
	logger.Info("stopped")
	return 0
}

// wired holds what main built, for closing in order.
type wired struct {
	svc       *app.Service
	db        *store.DB
	sim       *cloudsim.Server
	autostart autostart.Switch
	closers   []func()
}

func (w *wired) close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
}

func wire(f flags, desktopMode bool, stateDir string, logger *slog.Logger, open *opener.Opener) (*wired, error) {
	w := &wired{}
	home, _ := os.UserHomeDir()
	exe, _ := os.Executable()
	cfgPath := config.ResolvePath(os.Getenv, home)
	dbDir := stateDir
	w.autostart = autostart.Default(os.Getenv, home, exe)
	if f.sim {
		// The simulator is sealed off from the user's real setup: its own
		// config, database and autostart entry in <state>/sim, whatever
		// MILADY_CONFIG_PATH or ~/.milady say. Otherwise a demo would show
		// the real key as logged in and a simulator login would replace it.
		simDir := filepath.Join(stateDir, "sim")
		if err := os.MkdirAll(simDir, 0o700); err != nil {
			return nil, fmt.Errorf("create simulator folder: %w", err)
		}
		cfgPath, dbDir = filepath.Join(simDir, config.FileName), simDir
		simStart := autostart.New(os.Getenv, home, exe)
		simStart.Dir = filepath.Join(simDir, "autostart")
		w.autostart = simStart
	}
	cfg, err := config.Open(cfgPath, logger.With("component", "config"))
	if err != nil {
		return nil, fmt.Errorf("open config %s: %w", cfgPath, err)
	}
	db, err := store.Open(dbDir)
	if err != nil {
		return nil, fmt.Errorf("open local database: %w", err)
	}
	w.db = db
	w.closers = append(w.closers, func() { _ = db.Close() })

	opts := app.Options{
		Version:       version,
		Config:        cfg,
		DB:            db,
		Logger:        logger,
		AllowLoopback: os.Getenv("MILADY_CLOUD_ALLOW_LOOPBACK") == "1",
		Opener:        open,
	}
	if opts.AllowLoopback {
		logger.Warn("MILADY_CLOUD_ALLOW_LOOPBACK=1: the cloud base URL may point at a loopback address")
	}
	if f.sim {
		// Provisioning in the demo takes a second or two (the real cloud
		// announces 5 s polls and ~90 s jobs), so the demo stays lively.
		sim, err := cloudsim.New(cloudsim.Options{
			Logger:            logger.With("component", "cloudsim"),
			ProvisionDelay:    1500 * time.Millisecond,
			JobPollIntervalMs: 500,
		})
		if err != nil {
			w.close()
			return nil, fmt.Errorf("start simulator: %w", err)
		}
		w.sim = sim
		w.closers = append(w.closers, sim.Close)
		opts.BaseURL, opts.RootCAs, opts.AllowLoopback, opts.Sim = sim.URL(), sim.CertPool(), true, true
		// The simulator's certificate, for tools that talk to its /__sim/
		// control API (the browser tests); it is trusted by nothing else.
		_ = os.WriteFile(stateDir+"/sim-ca.pem", sim.CertPEM(), 0o600)
		logger.Warn("SIMULATOR MODE: using the built-in offline Eliza Cloud simulator, not the real cloud",
			"url", sim.URL(), "config", cfgPath, "database", db.Path())
	}
	opts.Autostart = w.autostart
	if desktopMode {
		if s, err := notify.NewDesktop("Milady Cloud", "milady-cloud"); err == nil {
			opts.Notifier = s
			w.closers = append(w.closers, func() { _ = s.Close() })
		} else {
			logger.Warn("desktop notifications unavailable; logging them instead", "err", err)
		}
	}
	svc, err := app.New(opts)
	if err != nil {
		w.close()
		return nil, err
	}
	w.svc = svc
	return w, nil
}

// stateDir is the state folder as store.DataDir names it (the one rule,
// which config.ResolvePath follows for MILADY_STATE_DIR too), created 0700
// when missing (an existing folder's mode is left alone).
func stateDir() (string, error) {
	home, _ := os.UserHomeDir() // unknown: DataDir falls back to the XDG default
	dir := store.DataDir(os.Getenv, home)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create state folder %s: %w", dir, err)
	}
	return dir, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// saveDashboardLink writes link to <state>/dashboard-url as a new file
// readable by the user alone (an old file, whatever its mode, is replaced
// first, so the token never sits in a wider-readable file) and returns the
// file's path.
func saveDashboardLink(stateDir, link string) (string, error) {
	file := filepath.Join(stateDir, "dashboard-url")
	if err := os.Remove(file); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("replace dashboard link: %w", err)
	}
	fh, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return "", fmt.Errorf("write dashboard link: %w", err)
	}
	_, err = fh.WriteString(link + "\n")
	if cerr := fh.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("write dashboard link: %w", err)
	}
	return file, nil
}

func newToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// pingInterval is the event stream's keep-alive interval: the default
// unless MILADY_SSE_PING_MS sets another (the browser e2e shortens it so a
// hung app is noticed in seconds). A bad value is reported and ignored.
func pingInterval(logger *slog.Logger) time.Duration {
	v := os.Getenv("MILADY_SSE_PING_MS")
	if v == "" {
		return 0
	}
	ms, err := strconv.Atoi(v)
	if err != nil || ms < 100 || ms > 600_000 {
		logger.Warn("ignoring MILADY_SSE_PING_MS: want milliseconds between 100 and 600000", "value", v)
		return 0
	}
	return time.Duration(ms) * time.Millisecond
}
