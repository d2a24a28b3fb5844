// Package httpserve builds the http.Server of the local REST API with the
// limits a server that any local program can reach needs: a request body
// must arrive within a deadline, and idle keep-alive connections close.
// Without them a client that starts a chunked body and never ends it, or
// opens connections and leaves them idle, holds a connection and a
// goroutine each for as long as it likes.
//
// The body deadline is http.Server.ReadTimeout. Older net/http kept that
// deadline armed on the background read it runs once the body is read, so
// any response that outlived it (an event stream, a chat stream) had its
// request context cancelled. The net/http of the Go this module requires
// lifts the deadline in startBackgroundRead, when the body is done; the
// tests here hold it to that: streams outlive the body deadline.
package httpserve

import (
	"log"
	"net/http"
	"time"
)

// Defaults of Options.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultBodyTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
)

// Options are the server's limits; zero values take the defaults.
type Options struct {
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration
	// BodyTimeout bounds reading a whole request, headers and body,
	// counted from its first byte. It does not bound the response.
	BodyTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request for this
	// long.
	IdleTimeout time.Duration
	// ErrorLog receives net/http's own errors (nil = the log package).
	ErrorLog *log.Logger
}

func (o Options) withDefaults() Options {
	if o.ReadHeaderTimeout <= 0 {
		o.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if o.BodyTimeout <= 0 {
		o.BodyTimeout = DefaultBodyTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return o
}

// New returns a server for h with the limits of o. WriteTimeout stays zero:
// it would end long-lived streams.
func New(h http.Handler, o Options) *http.Server {
	o = o.withDefaults()
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.BodyTimeout,
		IdleTimeout:       o.IdleTimeout,
		ErrorLog:          o.ErrorLog,
	}
}
