package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// checkPort tells apart a free port, one held by Milady Cloud (a running
// instance) and one held by another program, naming it when it can.
func (d *doctor) checkPort(ctx context.Context) {
	bind := d.getenv("MILADY_API_BIND")
	if bind == "" {
		bind = "127.0.0.1"
	}
	host := strings.Trim(bind, "[]")
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	addr := net.JoinHostPort(host, strconv.Itoa(d.port))
	name := "port " + strconv.Itoa(d.port)
	if v, ok := d.ourHealth(ctx, addr); ok {
		d.add(name, "ok", "in use by Milady Cloud "+v+" (running)", "")
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(strings.Trim(bind, "[]"), strconv.Itoa(d.port)))
	if err == nil {
		_ = ln.Close()
		d.add(name, "ok", "free", "")
		return
	}
	who := "another program"
	if p := portOwner(d.port); p != "" {
		who = p
	}
	d.add(name, "fail", "held by "+who,
		"stop it, or run Milady Cloud on another port: milady-cloud --port N (or MILADY_PORT=N)")
}

// ourHealth asks GET /api/health and reports the version when the answer
// is Milady Cloud's.
func (d *doctor) ourHealth(ctx context.Context, addr string) (string, bool) {
	// A local answer is immediate; a holder that accepts and stays silent
	// is not Milady Cloud.
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", "http://"+addr+"/api/health", nil)
	if err != nil {
		return "", false
	}
	hc := &http.Client{Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var h struct {
		App     string `json:"app"`
		Version string `json:"version"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&h) != nil || h.App != "milady-cloud" {
		return "", false
	}
	return h.Version, true
}

// checkBus looks for a tray host and a notification server on the session
// bus. It connects only to an existing bus (no autolaunch of one).
func (d *doctor) checkBus() {
	sev, note := d.desktopSeverity()
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		d.add("tray host", "ok", "provided by the OS", "")
		d.add("notifications", "ok", "provided by the OS", "")
		return
	}
	addr := d.getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		d.add("tray host", sev, "no session bus (DBUS_SESSION_BUS_ADDRESS is unset)"+note, "run inside a desktop session")
		d.add("notifications", sev, "no session bus"+note, "run inside a desktop session")
		return
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		d.add("tray host", sev, "cannot reach the session bus: "+err.Error()+note, "run inside a desktop session")
		d.add("notifications", sev, "cannot reach the session bus"+note, "run inside a desktop session")
		return
	}
	defer conn.Close()
	has := func(name string) (owned, activatable bool) {
		_ = conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned)
		var names []string
		_ = conn.BusObject().Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names)
		for _, n := range names {
			activatable = activatable || n == name
		}
		return owned, activatable
	}
	if owned, _ := has("org.kde.StatusNotifierWatcher"); owned {
		d.add("tray host", "ok", "org.kde.StatusNotifierWatcher is on the session bus", "")
	} else {
		d.add("tray host", sev, "no tray host (org.kde.StatusNotifierWatcher) on the session bus; the tray icon will not show"+note,
			"GNOME: install and enable the AppIndicator extension (gnome-shell-extension-appindicator); other desktops: enable their system tray")
	}
	switch owned, act := has("org.freedesktop.Notifications"); {
	case owned:
		d.add("notifications", "ok", "a notification server is running", "")
	case act:
		d.add("notifications", "ok", "a notification server starts on demand", "")
	default:
		d.add("notifications", sev, "no notification server (org.freedesktop.Notifications)"+note,
			"install one, e.g. dunst or your desktop's notification daemon")
	}
}

// checkLibraries looks up the GTK and WebKitGTK libraries that the desktop
// window loads, by name in the linker cache (nothing is loaded).
func (d *doctor) checkLibraries() {
	if runtime.GOOS != "linux" {
		d.add("GTK/WebKit", "ok", "not needed on this OS", "")
		return
	}
	sev, note := d.desktopSeverity()
	out, err := d.ldconfig()
	if err != nil {
		d.add("GTK/WebKit", "warn", "cannot list libraries: "+err.Error(), "")
		return
	}
	var missing []string
	for _, alts := range [][]string{{"libgtk-3.so.0"}, {"libwebkit2gtk-4.1.so.0", "libwebkit2gtk-4.0.so.37"}} {
		found := false
		for _, lib := range alts {
			found = found || strings.Contains(out, lib+" ")
		}
		if !found {
			missing = append(missing, alts[0])
		}
	}
	if len(missing) > 0 {
		d.add("GTK/WebKit", sev, "missing "+strings.Join(missing, ", ")+note,
			"sudo apt install libgtk-3-0 libwebkit2gtk-4.1-0 (Fedora: gtk3 webkit2gtk4.1)")
		return
	}
	d.add("GTK/WebKit", "ok", "libgtk-3 and libwebkit2gtk found", "")
}

// describeProcess names a process for a message.
func describeProcess(pid int, comm string) string {
	return fmt.Sprintf("%s (pid %d)", comm, pid)
}
