package remote

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"

	"github.com/milady-ai/milady-cloud/app/api"
)

// Proxy is the window's APIHandler in its own process: the page's own
// fetches of /api/* (its REST fallbacks) go to the parent's API, with the
// token added. Everything else the page's requests carry is kept, Origin
// included: the window's origin (wails://…) is one the API's gate always
// accepts, and the gate must see it to answer CORS as it does in one
// process. The Host becomes the parent's loopback address, which the gate
// also requires. Answers are streamed (the event stream and chat replies
// are flushed as they come). Paths outside /api are not the API's and are
// answered 404 here, so the page's missing assets do not reach the parent.
//
// A configuration New would refuse gives a handler that answers every
// request with that error.
func Proxy(cfg Config) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, err := parseBase(cfg.BaseURL)
	if err != nil {
		log.Error("remote: API proxy not available", "err", err)
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusInternalServerError, err.Error())
		})
	}
	target, _ := url.Parse(base) // parsed once already
	transport := defaultHTTPClient().Transport
	if cfg.HTTPClient != nil {
		transport = cfg.HTTPClient.Transport
		if transport == nil {
			transport = http.DefaultTransport
		}
	}
	token := cfg.Token
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target) // also sets the outbound Host to the parent's
			if token != "" {
				pr.Out.Header.Set("Authorization", "Bearer "+token)
			}
		},
		Transport:     transport,
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) || r.Context().Err() != nil {
				return // the page went away; nobody reads an answer
			}
			log.Warn("remote: API proxy could not reach the app", "method", r.Method, "path", r.URL.Path, "err", err)
			writeError(w, http.StatusBadGateway, UnreachableMessage)
		},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api" && !strings.HasPrefix(r.URL.Path, "/api/") {
			writeError(w, http.StatusNotFound, "Not found")
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// writeError answers {"error": msg} like the API itself, so the page reads
// the proxy's failures the same way.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(api.ErrorResponse{Error: msg}) // a struct of one string cannot fail
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
