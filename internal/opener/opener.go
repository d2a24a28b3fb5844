// Package opener opens URLs in the system browser without handing the app's
// secrets to it.
//
// github.com/pkg/browser starts the helper (xdg-open, open) with the app's
// whole environment, and the app puts the Eliza Cloud API key there for
// Milady (ELIZAOS_CLOUD_API_KEY): every browser the app started, and every
// program that browser started, could read the key. This package runs the
// same per-OS helpers with the ELIZAOS_* variables and the REST API token
// (MILADY_API_TOKEN) removed; Filter is the same rule for the other programs
// the app starts.
package opener

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"strings"
)

// SecretPrefix marks the environment variables that never reach a child.
const SecretPrefix = "ELIZAOS_"

// TokenVar is the REST API token's variable. It never reaches a child
// either: the browser, its helpers and the window process have no use for
// it, and a child's environment is readable by anything running as the user.
const TokenVar = "MILADY_API_TOKEN"

// Opener opens URLs with the platform's helper. The zero value is ready to
// use; the fields are for tests and for routing the helper's output.
type Opener struct {
	// Environ is the environment to filter; nil means os.Environ, read at
	// each Open (the key is set and unset while the app runs).
	Environ func() []string
	// Stdout and Stderr receive the helper's output; nil discards it.
	Stdout, Stderr io.Writer
}

// New returns an Opener that sends the helper's output to w (nil discards
// it).
func New(w io.Writer) *Opener { return &Opener{Stdout: w, Stderr: w} }

// Open runs the helper for rawURL and waits for it, as pkg/browser does
// (xdg-open and open return once the browser has the URL). Only http and
// https URLs are opened: the helpers would run a file or any registered
// scheme handler just as readily.
func (o *Opener) Open(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("open browser: not an http(s) URL: %q", redact(rawURL))
	}
	name, args, err := command(rawURL)
	if err != nil {
		return fmt.Errorf("open browser: %w", err)
	}
	cmd := exec.Command(name, args...)
	env := os.Environ
	if o != nil && o.Environ != nil {
		env = o.Environ
	}
	cmd.Env = Filter(env())
	if o != nil {
		cmd.Stdout, cmd.Stderr = o.Stdout, o.Stderr
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("open browser with %s: %w", name, err)
	}
	return nil
}

// Filter returns env without the ELIZAOS_* variables and MILADY_API_TOKEN:
// the environment for any program the app starts (the browser helper, the
// window process). (On Windows names are case-insensitive, so names are
// compared without case.)
func Filter(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if len(name) >= len(SecretPrefix) && strings.EqualFold(name[:len(SecretPrefix)], SecretPrefix) {
			continue
		}
		if strings.EqualFold(name, TokenVar) {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// errNoHelper is returned where none of the helpers is installed.
var errNoHelper = errors.New("no program to open a browser found (install xdg-utils)")

// redact hides credentials in a URL that goes into an error.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparseable URL)"
}
