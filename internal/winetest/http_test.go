//go:build winee2e

package winetest

import (
	"net/http"
	"time"
)

// newHTTPClient talks to the app's loopback REST API; Wine's sockets are
// the host's, so the app answers on 127.0.0.1 like a Linux build.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
