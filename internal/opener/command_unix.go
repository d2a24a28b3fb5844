//go:build unix && !darwin

package opener

import "os/exec"

// command is xdg-open, else the Debian alternatives, as pkg/browser picks.
func command(url string) (string, []string, error) {
	for _, p := range []string{"xdg-open", "x-www-browser", "www-browser"} {
		if _, err := exec.LookPath(p); err == nil {
			return p, []string{url}, nil
		}
	}
	return "", nil, errNoHelper
}
