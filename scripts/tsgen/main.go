// Command tsgen writes the dashboard's TypeScript description of the Go
// contract: every DTO the REST API, the event stream and the Wails window
// exchange, the event map, and the window's bound facade (WailsApp). The
// types come from the Go types by reflection, so the frontend cannot drift
// from the backend unnoticed: `make lint` and a Go test fail when the
// committed file differs from a fresh generation.
//
// Run it from the repository root (the facade's parameter names and doc
// comments are read from its source):
//
//	go run ./scripts/tsgen                 # write the file
//	go run ./scripts/tsgen -check          # exit 1 if the file is stale
//
// The Wails CLI's own generator (scripts/window/bindgen) needs a cgo build
// with WebKit and writes classes with converters; this one needs neither,
// and writes plain interfaces that match encoding/json.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// Output is where the generated file lives, relative to the repository root.
const Output = "frontend/src/lib/generated/contract.ts"

func main() {
	root := flag.String("root", ".", "repository root")
	check := flag.Bool("check", false, "do not write; exit 1 if the committed file is stale")
	flag.Parse()
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "tsgen:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	out, err := Generate(root)
	if err != nil {
		return err
	}
	path := filepath.Join(root, Output)
	if check {
		old, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read generated file: %w", err)
		}
		if !bytes.Equal(old, out) {
			return fmt.Errorf("%s is stale: run `make generate` and commit it", Output)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		return fmt.Errorf("write generated file: %w", err)
	}
	return nil
}
