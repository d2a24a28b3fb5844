package desktop

import (
	"runtime"
	"strings"
	"testing"
)

func TestCheckDisplay(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		files   []string // paths that exist
		dialOK  []string // "network addr" pairs that answer
		want    bool
		wantWhy string // substring of the reason
	}{
		{name: "nothing set", want: false, wantWhy: "DISPLAY and WAYLAND_DISPLAY are unset"},
		{name: "x11 socket file", env: map[string]string{"DISPLAY": ":99"}, files: []string{"/tmp/.X11-unix/X99"}, want: true},
		{name: "x11 with screen", env: map[string]string{"DISPLAY": ":1.0"}, files: []string{"/tmp/.X11-unix/X1"}, want: true},
		{name: "x11 unix host", env: map[string]string{"DISPLAY": "unix:2"}, files: []string{"/tmp/.X11-unix/X2"}, want: true},
		{name: "x11 abstract socket only", env: map[string]string{"DISPLAY": ":3"}, dialOK: []string{"unix @/tmp/.X11-unix/X3"}, want: true},
		{name: "x11 dead", env: map[string]string{"DISPLAY": ":5"}, want: false, wantWhy: "DISPLAY=:5: no X server socket at /tmp/.X11-unix/X5"},
		{name: "x11 over tcp", env: map[string]string{"DISPLAY": "localhost:10.0"}, dialOK: []string{"tcp localhost:6010"}, want: true},
		{name: "x11 tcp dead", env: map[string]string{"DISPLAY": "localhost:10.0"}, want: false, wantWhy: "no X server answers at localhost:6010"},
		{name: "x11 garbage", env: map[string]string{"DISPLAY": "nonsense"}, want: false, wantWhy: "not of the form"},
		{name: "x11 bad number", env: map[string]string{"DISPLAY": ":x"}, want: false, wantWhy: "not of the form"},
		{name: "wayland relative", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1000"},
			files: []string{"/run/user/1000/wayland-0"}, want: true},
		{name: "wayland absolute", env: map[string]string{"WAYLAND_DISPLAY": "/tmp/wl"}, files: []string{"/tmp/wl"}, want: true},
		{name: "wayland dead, x11 alive", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1", "DISPLAY": ":0"},
			files: []string{"/tmp/.X11-unix/X0"}, want: true},
		{name: "both dead", env: map[string]string{"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": "/run/user/1", "DISPLAY": ":0"},
			want: false, wantWhy: "WAYLAND_DISPLAY=wayland-0: no socket at /run/user/1/wayland-0; DISPLAY=:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := displayEnv{
				getenv: func(k string) string { return tt.env[k] },
				exists: func(p string) bool { return contains(tt.files, p) },
				dial:   func(n, a string) bool { return contains(tt.dialOK, n+" "+a) },
			}
			got, why := checkDisplay(env)
			if got != tt.want {
				t.Fatalf("available = %v (%s), want %v", got, why, tt.want)
			}
			if !got && (!strings.Contains(why, tt.wantWhy) || !strings.HasPrefix(why, "no display (") || strings.Contains(why, "\n")) {
				t.Errorf("reason = %q, want a one-line 'no display (…)' containing %q", why, tt.wantWhy)
			}
			if got && why != "" {
				t.Errorf("reason = %q, want empty when available", why)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestDisplayAvailableUnset runs the real check with no display variables.
func TestDisplayAvailableUnset(t *testing.T) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		t.Skip("always true on this OS")
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	ok, why := DisplayAvailable()
	if ok || why != "no display (DISPLAY and WAYLAND_DISPLAY are unset)" {
		t.Errorf("DisplayAvailable() = %v, %q", ok, why)
	}
}
