// Command bare is the baseline for `make bench`: a bare net/http server
// started the same way as milady-cloud, answering /api/health and a
// status-shaped JSON document, so start-up time and throughput of the app
// can be given as a difference and a ratio on the same machine.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

func main() {
	port := flag.Int("port", 0, "port")
	flag.Parse()
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(*port)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	status := map[string]any{"connected": false, "enabled": false, "hasApiKey": false, "reason": "not_authenticated",
		"connection": map[string]any{"state": "disconnected", "since": "2026-01-01T00:00:00Z"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": true, "app": "bare"})
	})
	mux.HandleFunc("GET /api/cloud/status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(status)
	})
	fmt.Printf("listening on http://%s/\n", ln.Addr())
	_ = http.Serve(ln, mux)
}
