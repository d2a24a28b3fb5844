//go:build bindings

// Command bindgen writes the window's TypeScript bindings without the Wails
// CLI (which does not build on Go 1.26): a binary built with the "bindings"
// tag makes wails.Run generate them instead of opening a window. Run it from
// the repository root, where wails.json names the output folder
// (wailsjsdir → <wailsjsdir>/wailsjs/{go,runtime}):
//
//	go run -tags desktop,bindings ./scripts/window/bindgen
package main

import (
	"fmt"
	"os"
	"testing/fstest"

	"github.com/milady-ai/milady-cloud/app/desktop"
)

// noBackend satisfies desktop.Backend; the generator only reflects on the
// facade's method signatures and never calls it.
type noBackend struct{ desktop.Backend }

func main() {
	// Plain TypeScript interfaces rather than classes with converters; the
	// Wails CLI would take this from wails.json's bindings.ts_generation.
	if os.Getenv("tsoutputtype") == "" {
		_ = os.Setenv("tsoutputtype", "interfaces")
	}
	err := desktop.Run(desktop.Options{
		Backend: noBackend{},
		Agents:  struct{ desktop.Agents }{},
		Chat:    struct{ desktop.Chat }{},
		Billing: struct{ desktop.Billing }{},
		Assets:  fstest.MapFS{"index.html": {Data: []byte("<!doctype html>")}},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "bindgen:", err)
		os.Exit(1)
	}
}
