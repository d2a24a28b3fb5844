package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// maxBodyBytes is the largest request body accepted (1 MiB): no call
// needs more, and a local page must not make the app buffer more.
const maxBodyBytes = 1 << 20

// WailsOrigins are the origins the Wails webview sends on the platforms it
// supports (macOS/Linux custom scheme, Windows WebView2). They are always
// accepted.
func WailsOrigins() []string {
	return []string{"wails://wails", "wails://wails.localhost", "http://wails.localhost"}
}

// ShellOrigins are the origins of Milady's own app shells (Capacitor,
// Electron). No web page can have them, and Milady's app calls this API
// cross-origin from them, so they are always accepted.
func ShellOrigins() []string {
	return []string{"capacitor://localhost", "capacitor-electron://-", "app://-"}
}

// corsAllowHeaders are the request headers a cross-origin caller may send:
// ours (the token headers) and the ones Milady's client sends on every call
// (a preflight that refused X-Milady-Client-Id would make Milady's whole UI
// show "disconnected").
const corsAllowHeaders = "Authorization, Content-Type, X-Milady-Token, X-Api-Key, X-Milady-Client-Id"

// serve is the gate, in its order: security headers, Host, Origin (and
// CORS), Sec-Fetch-Site, preflight, token, body size; then the route.
func (s *server) serve(w http.ResponseWriter, r *http.Request) {
	isAPI := r.URL.Path == "/api" || strings.HasPrefix(r.URL.Path, "/api/")
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if isAPI {
		h.Set("Cache-Control", "no-store")
	}

	// DNS-rebinding defence: a page on evil.example resolving to 127.0.0.1
	// still sends "Host: evil.example".
	if !s.hostAllowed(r.Host) {
		writeMessage(w, http.StatusForbidden, "Forbidden — invalid Host header")
		return
	}

	origin := r.Header.Get("Origin")
	if origin != "" {
		if !s.originAllowed(origin, r.Host) {
			writeMessage(w, http.StatusForbidden, "Origin not allowed")
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		h.Set("Access-Control-Max-Age", "600")
		if r.Header.Get("Access-Control-Request-Private-Network") == "true" {
			// Chrome's Private Network Access preflight: an allowed page may
			// reach this loopback server.
			h.Set("Access-Control-Allow-Private-Network", "true")
		}
	}
	// The answer depends on Origin, so caches must key on it even when no
	// CORS header was added.
	h.Add("Vary", "Origin")

	// Browsers say where a request comes from even when they send no
	// Origin (an <img>, a link, a form): an API request made by another
	// site is refused unless the user listed its origin. Scripts and the
	// CLI send no such header and are unaffected. The dashboard's static
	// files are public anyway, so a link from another site still opens it.
	if site := strings.ToLower(r.Header.Get("Sec-Fetch-Site")); isAPI && (site == "cross-site" || site == "same-site") && !s.crossSiteAllowed(origin) {
		writeMessage(w, http.StatusForbidden, "Forbidden — cross-site request")
		return
	}

	if r.Method == http.MethodOptions {
		// Preflights carry no credentials, so they are answered before the
		// token check.
		w.WriteHeader(http.StatusNoContent)
		return
	}

	if isAPI && s.token != "" && !(r.Method == http.MethodGet && r.URL.Path == "/api/health") && !s.tokenOK(r) {
		writeMessage(w, http.StatusUnauthorized, "Unauthorized")
		return
	}

	if r.ContentLength > maxBodyBytes {
		writeMessage(w, http.StatusRequestEntityTooLarge, "Request body too large")
		return
	}
	// Chunked bodies are cut off at the limit while being read (readObject
	// turns that into the same 413).
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)

	if isAPI {
		s.routeAPI(w, r)
		return
	}
	s.static(w, r)
}

// hostAllowed accepts the loopback names, with or without a port, and the
// configured bind host.
func (s *server) hostAllowed(hostport string) bool {
	host, ok := splitHost(hostport)
	if !ok {
		return false
	}
	return isLoopbackName(host) || (s.bindHost != "" && host == s.bindHost)
}

// splitHost returns the lower-cased host of a Host header value without
// brackets or port; ok is false when the port is not numeric.
func splitHost(hostport string) (string, bool) {
	if hostport == "" {
		return "", false
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		// No port: "localhost", "[::1]".
		host, port = strings.TrimSuffix(strings.TrimPrefix(hostport, "["), "]"), ""
	}
	for _, c := range port {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return strings.ToLower(host), host != ""
}

// normaliseHost turns a configured bind host ("127.0.0.1", "[::1]",
// "Example.lan") into the form splitHost produces.
func normaliseHost(h string) string {
	h = strings.TrimSpace(h)
	if h == "" {
		return ""
	}
	if host, ok := splitHost(h); ok {
		return host
	}
	return strings.ToLower(h)
}

func isLoopbackName(host string) bool {
	switch host {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// originAllowed accepts this app's own origin (the loopback names and the
// bind host on the listening port, or exactly the origin of the Host the
// request was sent to), the Wails and shell origins and
// MILADY_ALLOWED_ORIGINS, compared after normalising. Other loopback ports
// are refused: any local program or dev server may be listening there.
func (s *server) originAllowed(origin, host string) bool {
	norm := normaliseOrigin(origin)
	if norm == "" {
		return false
	}
	if s.origins[norm] || s.own[norm] {
		return true
	}
	// Same origin as the request itself: the dashboard served by this
	// server (the Host was checked before, so it names this server).
	return host != "" && norm == normaliseOrigin("http://"+host)
}

// crossSiteAllowed reports whether a request a browser marked cross-site
// may pass: only when its origin is one the user listed, or one of the
// fixed app-shell origins that no web page can have.
func (s *server) crossSiteAllowed(origin string) bool {
	norm := normaliseOrigin(origin)
	if norm == "" {
		return false
	}
	return s.listed[norm] || (s.shells[norm] && !strings.HasPrefix(norm, "http"))
}

// ownOrigins are the origins of this server on port: the three loopback
// names and, when bound elsewhere, the bind host.
func ownOrigins(port int, bindHost string) []string {
	if port <= 0 {
		return nil
	}
	p := strconv.Itoa(port)
	out := []string{"http://127.0.0.1:" + p, "http://localhost:" + p, "http://[::1]:" + p}
	if bindHost != "" && !isLoopbackName(bindHost) {
		out = append(out, "http://"+net.JoinHostPort(bindHost, p))
	}
	return out
}

// normaliseOrigin lower-cases an origin and drops one trailing slash; it
// returns "" for anything that is not scheme://host[:port] (e.g. "null",
// or a value with a path, query or credentials).
func normaliseOrigin(o string) string {
	o = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(o), "/"))
	u, err := url.Parse(o)
	if err != nil || u.Scheme == "" || u.Host == "" || u.User != nil ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return ""
	}
	return o
}

// tokenOK reports whether any of the three accepted headers carries the
// token. Both sides are hashed first so the comparison takes the same time
// whatever the length of the guess (a prefix of the token fails).
func (s *server) tokenOK(r *http.Request) bool {
	want := sha256.Sum256([]byte(s.token))
	check := func(got string) bool {
		if got == "" {
			return false
		}
		g := sha256.Sum256([]byte(got))
		return subtle.ConstantTimeCompare(g[:], want[:]) == 1
	}
	auth := r.Header.Get("Authorization")
	if len(auth) > len("Bearer ") && strings.EqualFold(auth[:len("Bearer ")], "Bearer ") {
		if check(strings.TrimSpace(auth[len("Bearer "):])) {
			return true
		}
	}
	return check(r.Header.Get("X-Milady-Token")) || check(r.Header.Get("X-Api-Key"))
}
