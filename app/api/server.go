// Package api is the local REST layer of Milady Cloud: the
// Milady-compatible /api/cloud/* endpoints, this app's additions (events,
// chat, health, window, settings) and the embedded dashboard.
//
// It is an adapter and nothing more (docs/ARCHITECTURE.md, layers): every
// handler parses the request, calls one method of the app (Backend or its
// Agents and Chat parts) and writes JSON. The gate (Host,
// Origin, CORS, token, body size) and the one error mapper live here because
// they are HTTP concerns; every decision about the cloud lives in the Backend.
package api

import (
	"io/fs"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/milady-ai/milady-cloud/app"
)

// Options configures New.
type Options struct {
	Backend        Backend
	Agents         Agents        // the Service's Agents part
	Chat           Chat          // the Service's Chat part
	Billing        Billing       // the Service's Billing part
	Token          string        // MILADY_API_TOKEN ("" = no token)
	BindHost       string        // configured bind host (also accepted as Host)
	Port           int           // the port actually listened on (its origins are this app's own); 0 = unknown
	AllowedOrigins []string      // MILADY_ALLOWED_ORIGINS (comma-split by caller)
	Dashboard      fs.FS         // the built dashboard (index.html at root); nil → a small placeholder page
	Logger         *slog.Logger  // nil → discard
	PingInterval   time.Duration // SSE ": ping" comment interval, default 15s
}

// DefaultPingInterval keeps proxies and browsers from closing an idle event
// stream: a ping every 15 s is well inside common proxy idle limits.
const DefaultPingInterval = 15 * time.Second

// server is the http.Handler New returns. It holds no state of its own
// beyond its configuration: all state is the Backend's.
type server struct {
	b         Backend
	agents    Agents
	talk      Chat // the chat part (s.chat is the handler)
	bill      Billing
	log       *slog.Logger
	token     string
	bindHost  string
	origins   map[string]bool // normalised MILADY_ALLOWED_ORIGINS plus the Wails and shell origins
	own       map[string]bool // this server's own origins on its port
	listed    map[string]bool // MILADY_ALLOWED_ORIGINS alone (may pass as cross-site)
	shells    map[string]bool // the Wails and shell origins (no web page has them)
	dashboard fs.FS
	ping      time.Duration
	streams   chan struct{} // one token per open event stream
	routes    []route
}

// New returns the REST API and dashboard handler. Backend, Agents, Chat
// and Billing are required.
func New(opts Options) http.Handler {
	if opts.Backend == nil || opts.Agents == nil || opts.Chat == nil || opts.Billing == nil {
		panic("api.New: Options.Backend, Agents, Chat and Billing are required")
	}
	s := &server{
		b:         opts.Backend,
		agents:    opts.Agents,
		talk:      opts.Chat,
		bill:      opts.Billing,
		log:       opts.Logger,
		token:     opts.Token,
		bindHost:  normaliseHost(opts.BindHost),
		origins:   make(map[string]bool),
		own:       make(map[string]bool),
		listed:    make(map[string]bool),
		shells:    make(map[string]bool),
		dashboard: opts.Dashboard,
		ping:      opts.PingInterval,
		streams:   make(chan struct{}, MaxEventStreams),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.ping <= 0 {
		s.ping = DefaultPingInterval
	}
	add := func(set map[string]bool, list []string) {
		for _, o := range list {
			if o = normaliseOrigin(o); o != "" {
				set[o] = true
				s.origins[o] = true
			}
		}
	}
	add(s.shells, append(WailsOrigins(), ShellOrigins()...))
	add(s.listed, opts.AllowedOrigins)
	for _, o := range ownOrigins(opts.Port, s.bindHost) {
		s.own[normaliseOrigin(o)] = true
	}
	s.routes = compileRoutes(s.table())
	return s
}

// table is the whole REST surface, one line per route. Patterns are exact:
// a path matches only with the same number of segments, so extra segments
// are a 404. "{id}" is an agent id, checked to be a UUID after the method.
func (s *server) table() []routeSpec {
	return []routeSpec{
		{"GET", "/api/health", s.health},

		{"POST", "/api/cloud/login", s.login},
		{"GET", "/api/cloud/login/status", s.loginStatus}, // ?sessionId=
		{"POST", "/api/cloud/login/cancel", s.loginCancel},
		{"POST", "/api/cloud/disconnect", s.logout},
		{"GET", "/api/cloud/status", s.status},
		{"GET", "/api/cloud/events", s.events},
		{"GET", "/api/cloud/snapshot", s.snapshot},
		{"GET", "/api/cloud/credits", s.credits}, // ?fresh=1
		{"GET", "/api/cloud/credits/history", s.creditHistory},
		{"POST", "/api/cloud/topup", s.topUp}, // {credits?}
		{"POST", "/api/cloud/topup/open", s.openTopUp},
		{"GET", "/api/cloud/usage", s.usage}, // ?hours=&limit=

		{"GET", "/api/cloud/agents", s.listAgents},
		{"POST", "/api/cloud/agents", s.createAgent}, // {agentName, agentConfig?, environmentVars?}
		{"GET", "/api/cloud/agents/{id}", s.getAgent},
		{"POST", "/api/cloud/agents/{id}/provision", s.connectAgent}, // ?async=1
		{"POST", "/api/cloud/agents/{id}/connect", s.connectAgent},   // ?async=1
		{"POST", "/api/cloud/agents/{id}/disconnect", s.disconnectAgent},
		{"POST", "/api/cloud/agents/{id}/shutdown", s.shutdownAgent},
		{"POST", "/api/cloud/agents/{id}/suspend", s.suspendAgent},
		{"POST", "/api/cloud/agents/{id}/resume", s.resumeAgent},
		{"GET", "/api/cloud/agents/{id}/backups", s.listBackups},
		{"POST", "/api/cloud/agents/{id}/snapshot", s.snapshotAgent},
		{"POST", "/api/cloud/agents/{id}/restore", s.restoreAgent}, // {backupId?}
		{"POST", "/api/cloud/agents/{id}/open", s.openAgent},

		{"POST", "/api/chat", s.chat},               // {text, roomId?, channelType?}
		{"POST", "/api/chat/stream", s.chatStream},  // same body; answers SSE
		{"GET", "/api/chat/history", s.chatHistory}, // ?roomId=

		{"POST", "/api/window/show", s.showWindow},
		{"POST", "/api/settings", s.settings}, // {notifications?, startAtLogin?, backupSkipWhenIdle?}
	}
}

// routeSpec is one line of the table.
type routeSpec struct {
	method  string
	pattern string
	handle  http.HandlerFunc
}

// route is a routeSpec with its pattern split into segments.
type route struct {
	routeSpec
	segs  []string
	hasID bool
}

const idSegment = "{id}"

func compileRoutes(specs []routeSpec) []route {
	out := make([]route, 0, len(specs))
	for _, sp := range specs {
		segs := strings.Split(strings.TrimPrefix(sp.pattern, "/"), "/")
		r := route{routeSpec: sp, segs: segs}
		for _, sg := range segs {
			if sg == idSegment {
				r.hasID = true
			}
		}
		out = append(out, r)
	}
	return out
}

// match reports whether the path segments fit the pattern, and the id
// segment if the pattern has one. An empty segment never matches "{id}".
func (rt *route) match(segs []string) (id string, ok bool) {
	if len(segs) != len(rt.segs) {
		return "", false
	}
	for i, p := range rt.segs {
		switch {
		case p == idSegment:
			if segs[i] == "" {
				return "", false
			}
			id = segs[i]
		case p != segs[i]:
			return "", false
		}
	}
	return id, true
}

// routeAPI dispatches an /api request in Milady's order of checks: the
// exact path (else 404), then the method (else 405 with Allow), then the
// agent id (else 400); login is the Backend's check.
func (s *server) routeAPI(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
	var allow []string
	for i := range s.routes {
		rt := &s.routes[i]
		id, ok := rt.match(segs)
		if !ok {
			continue
		}
		if rt.method != r.Method {
			allow = append(allow, rt.method)
			continue
		}
		if rt.hasID {
			if err := app.ValidAgentID(id); err != nil {
				s.writeError(w, r, err)
				return
			}
			r.SetPathValue("id", id)
		}
		rt.handle(w, r)
		return
	}
	if len(allow) == 0 {
		writeMessage(w, http.StatusNotFound, "Not found")
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeMessage(w, http.StatusMethodNotAllowed, "Method not allowed")
}

// ServeHTTP recovers from panics (a 500 JSON if nothing was written yet),
// logs one line per request without any header values, and runs the gate.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw := &statusWriter{ResponseWriter: w}
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("api: handler panicked", "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			if sw.status != 0 {
				// Headers (and maybe part of a stream) are out: the only
				// honest signal left is to abort the connection.
				panic(http.ErrAbortHandler)
			}
			writeMessage(sw, http.StatusInternalServerError, internalErrorMessage)
		}
		s.log.Debug("api: request", "method", r.Method, "path", r.URL.Path,
			"status", sw.status, "duration", time.Since(start))
	}()
	s.serve(sw, r)
}

// statusWriter remembers the status so the panic handler knows whether a
// JSON error can still be written. Unwrap lets http.ResponseController
// reach the real writer's Flush and SetWriteDeadline.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets code that type-asserts http.Flusher stream through the wrapper.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
