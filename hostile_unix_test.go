//go:build unix

package main

// A hostile milady.json at start, from outside the process: FIFOs need a
// Unix system (the Windows build vets these tests too).

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/milady-ai/milady-cloud/internal/testbin"
)

// TestHostileConfigAtStart: a milady.json that is a FIFO, 2 MB of "[" or
// a link to a device neither hangs nor crashes the app: it starts,
// answers, refuses to save settings (409 naming the file) and leaves the
// file as it was.
func TestHostileConfigAtStart(t *testing.T) {
	t.Parallel()
	cases := map[string]func(t *testing.T, path string){
		"fifo": func(t *testing.T, path string) {
			if err := syscall.Mkfifo(path, 0o600); err != nil {
				t.Skip("mkfifo:", err)
			}
		},
		"2 MB of [": func(t *testing.T, path string) {
			if err := os.WriteFile(path, bytes.Repeat([]byte("["), 2<<20), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"link to a directory": func(t *testing.T, path string) {
			if err := os.Symlink(t.TempDir(), path); err != nil {
				t.Skip("symlink:", err)
			}
		},
	}
	for name, mk := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := testbin.NewHome(t)
			mk(t, h.Config)
			before, _ := os.Lstat(h.Config)
			app := startApp(t, "app", h, nil, "--headless", "--port", "0")
			call(t, httpc, "GET", app.url+"/api/health", nil, 200)
			refused := call(t, httpc, "POST", app.url+"/api/settings", map[string]any{"notifications": false}, 409)
			if !strings.Contains(fmt.Sprint(refused["error"]), h.Config) {
				t.Fatalf("settings with a hostile config = %v, want an error naming %s", refused, h.Config)
			}
			app.stop(t, syscall.SIGTERM)
			after, err := os.Lstat(h.Config)
			if err != nil || after.Mode() != before.Mode() || !os.SameFile(before, after) {
				t.Fatalf("%s was replaced: %v → %v (%v)", h.Config, before.Mode(), after, err)
			}
		})
	}
}
