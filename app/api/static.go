package api

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// placeholderPage is served at / when no dashboard was built in (a build
// without the frontend, or a test).
const placeholderPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Milady Cloud</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem">
<h1>Milady Cloud</h1>
<p>The dashboard was not built into this binary. The REST API is available under <code>/api/</code>,
for example <a href="/api/cloud/status">/api/cloud/status</a>.</p>
</body></html>
`

// static serves the dashboard. A path with no file falls back to
// index.html only for a browser navigation (Accept: text/html) to a path
// without a file extension, so client-side routes survive a reload while
// a missing script or an API-style probe still gets the JSON 404 — never
// an HTML page under a .js name.
func (s *server) static(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	isIndex := name == "" || name == "index.html"
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if isIndex || s.isFile(name) {
			w.Header().Set("Allow", "GET, HEAD")
			writeMessage(w, http.StatusMethodNotAllowed, "Method not allowed")
			return
		}
		writeMessage(w, http.StatusNotFound, "Not found")
		return
	}
	if isIndex {
		s.serveIndex(w, r)
		return
	}
	if s.serveFile(w, r, name) {
		return
	}
	if path.Ext(name) == "" && strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.serveIndex(w, r)
		return
	}
	writeMessage(w, http.StatusNotFound, "Not found")
}

// serveIndex serves index.html (revalidated on every load so a new build
// is picked up) or the placeholder.
func (s *server) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	if s.serveFile(w, r, "index.html") {
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, "index.html", time.Time{}, strings.NewReader(placeholderPage))
}

// isFile reports whether the dashboard has a regular file at name.
func (s *server) isFile(name string) bool {
	if s.dashboard == nil || !fs.ValidPath(name) {
		return false
	}
	st, err := fs.Stat(s.dashboard, name)
	return err == nil && st.Mode().IsRegular()
}

// serveFile serves a regular file of the dashboard; directories are never
// listed. It reports false when there is no such file.
func (s *server) serveFile(w http.ResponseWriter, r *http.Request, name string) bool {
	if s.dashboard == nil || !fs.ValidPath(name) {
		return false
	}
	f, err := s.dashboard.Open(name)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	content, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := io.ReadAll(f)
		if err != nil {
			s.log.Warn("api: reading dashboard file", "name", name, "err", err)
			return false
		}
		content = bytes.NewReader(b)
	}
	if strings.HasPrefix(name, "assets/") {
		// Vite puts content-hashed files here: a name never changes meaning.
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	http.ServeContent(w, r, name, st.ModTime(), content)
	return true
}
