package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// maxBodyBytes is the largest request body accepted (SPEC §9: 1 MiB).
const maxBodyBytes = 1 << 20

// WailsOrigins are the origins the Wails webview sends on the platforms it
// supports (macOS/Linux custom scheme, Windows WebView2). They are always
// accepted, like loopback origins.
func WailsOrigins() []string {
	return []string{"wails://wails", "wails://wails.localhost", "http://wails.localhost"}
}

// serve is the gate of SPEC §9, in its order: security headers, Host,
// Origin (and CORS), preflight, token, body size; then the route.
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

	if origin := r.Header.Get("Origin"); origin != "" {
		if !s.originAllowed(origin) {
			writeMessage(w, http.StatusForbidden, "Origin not allowed")
			return
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Milady-Token, X-Api-Key")
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

// originAllowed accepts http(s) origins on a loopback name (any port), the
// Wails origins and MILADY_ALLOWED_ORIGINS, compared after normalising.
func (s *server) originAllowed(origin string) bool {
	norm := normaliseOrigin(origin)
	if norm == "" {
		return false
	}
	if s.origins[norm] {
		return true
	}
	u, err := url.Parse(norm)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host, ok := splitHost(u.Host)
	return ok && isLoopbackName(host)
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
