package api

import (
	"testing"
	"testing/fstest"
)

// TestDashboard: files, the index fallback for browser navigations only,
// and JSON 404s for missing assets.
func TestDashboard(t *testing.T) {
	t.Parallel()
	dist := fstest.MapFS{
		"index.html":        {Data: []byte("<!doctype html><title>dash</title>")},
		"assets/app-abc.js": {Data: []byte("console.log(1)")},
		"favicon.svg":       {Data: []byte("<svg/>")},
		"assets/sub/x.css":  {Data: []byte("body{}")},
	}
	html := map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
	runCases(t, []apiCase{
		{name: "index", method: "GET", path: "/", wantStatus: 200, wantSub: "<title>dash</title>",
			wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-cache", "X-Frame-Options": "DENY"}},
		{name: "index by name", method: "GET", path: "/index.html", wantStatus: 200, wantSub: "<title>dash</title>"},
		{name: "asset", method: "GET", path: "/assets/app-abc.js", wantStatus: 200, wantSub: "console.log(1)",
			wantHeader: map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=31536000, immutable"}},
		{name: "nested asset", method: "GET", path: "/assets/sub/x.css", wantStatus: 200, wantSub: "body{}"},
		{name: "root file", method: "GET", path: "/favicon.svg", wantStatus: 200, wantHeader: map[string]string{"Content-Type": "image/svg+xml"}},
		{name: "client route from a browser", method: "GET", path: "/agents/123", headers: html, wantStatus: 200, wantSub: "<title>dash</title>"},
		{name: "unknown path without Accept html", method: "GET", path: "/agents", wantStatus: 404, wantJSON: errJSON("Not found")},
		{name: "missing asset from a browser", method: "GET", path: "/assets/gone.js", headers: html, wantStatus: 404, wantJSON: errJSON("Not found")},
		{name: "directory is not listed", method: "GET", path: "/assets/", wantStatus: 404},
		{name: "dot-dot stays inside", method: "GET", path: "/../../etc/passwd", wantStatus: 404},
		{name: "api never falls back", method: "GET", path: "/api/agents", headers: html, wantStatus: 404, wantJSON: errJSON("Not found")},
		{name: "post to index", method: "POST", path: "/", wantStatus: 405, wantHeader: map[string]string{"Allow": "GET, HEAD"}},
		{name: "post to unknown", method: "POST", path: "/nope", wantStatus: 404},
		{name: "head index", method: "HEAD", path: "/", wantStatus: 200},
	}, func(o *Options) { o.Dashboard = dist })
}

// TestPlaceholder: without a built dashboard, / still answers a page.
func TestPlaceholder(t *testing.T) {
	t.Parallel()
	runCases(t, []apiCase{
		{name: "placeholder", method: "GET", path: "/", wantStatus: 200, wantSub: "dashboard was not built",
			wantHeader: map[string]string{"Content-Type": "text/html; charset=utf-8"}},
		{name: "placeholder for client route", method: "GET", path: "/settings", headers: map[string]string{"Accept": "text/html"},
			wantStatus: 200, wantSub: "Milady Cloud"},
	}, nil)
}
