#!/usr/bin/env bash
# window-test.sh BINARY — end-to-end test of the desktop window.
#
# Runs BINARY --sim in a private D-Bus session on a virtual X display (Xvfb),
# waits until the dashboard reports it has mounted, checks a screenshot is not
# blank, clicks the login button and checks the system browser was asked to
# open the simulator's /auth/cli-login?session= page. Then the close button
# (window/close-cases.sh): a WM_DELETE_WINDOW message, as a window manager
# sends, quits the app when no tray host is on the bus and only hides the
# window when one is (a fake org.kde.StatusNotifierWatcher); POST
# /api/window/show brings it back. Then the lazy window (window/lazy-cases.sh):
# started --hidden with a tray host, no WebKit process runs until the tray
# menu's Open Dashboard creates the window. "The browser" is a
# recorder: fake xdg-open / x-www-browser / www-browser first in PATH (what
# github.com/pkg/browser runs on Linux) and BROWSER.
#
# Prints PASS/FAIL lines and exits non-zero on failure. The screenshot is
# saved to build/window-test.png and the app's log to build/window-test.log.
#
# Needs: xvfb-run, xauth, dbus-run-session, xdotool, xwininfo, ImageMagick
# (import, convert), gcc with the libX11 headers, and go. Environment: WINDOW_TEST_TIMEOUT (seconds to wait for the
# dashboard, default 60), WINDOW_TEST_NO_WATCHER=1 (leave the tray host out
# of the hide case, to see that case fail), WINDOW_TEST_ONLY=lazy (run only
# the lazy-window cases).
set -euo pipefail

if [[ $# -ne 1 ]]; then
	echo "usage: $0 BINARY" >&2
	exit 2
fi
bin=$(realpath "$1")
if [[ ! -x $bin ]]; then
	echo "FAIL binary not found or not executable: $1" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

missing=()
for tool in xvfb-run xauth dbus-run-session xdotool xwininfo import gcc go; do
	command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
	echo "FAIL missing tools: ${missing[*]} (apt-get install xvfb xauth dbus-daemon xdotool x11-utils imagemagick gcc libx11-dev)" >&2
	exit 2
fi

# A free loopback port: probe a few random ones with bash's /dev/tcp.
port=""
for _ in $(seq 1 50); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
if [[ -z $port ]]; then
	echo "FAIL no free port found" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/window-test.XXXXXX")
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/state" "$work/config" "$work/xdg-config" "$work/xdg-data" "$work/xdg-cache" "$work/xdg-state" "$work/fakebin"

# The recorder: appends each URL it is asked to open, one a line.
opened="$work/opened.txt"
: >"$opened"
cat >"$work/fakebin/record-url" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$opened"
EOF
chmod +x "$work/fakebin/record-url"
for name in xdg-open x-www-browser www-browser; do
	ln -s record-url "$work/fakebin/$name"
done

# The close button's tools: wmclose (C, libX11) and the fake tray host (Go).
if ! gcc -O2 -Wall -Wextra -o "$work/wmclose" "$here/window/wmclose.c" -lX11; then
	echo "FAIL cannot compile window/wmclose.c (apt-get install gcc libx11-dev)" >&2
	exit 2
fi
if ! (cd "$root" && go build -o "$work/fakewatcher" ./scripts/window/fakewatcher); then
	echo "FAIL cannot build scripts/window/fakewatcher" >&2
	exit 2
fi
if ! (cd "$root" && go build -o "$work/trayclick" ./scripts/window/trayclick); then
	echo "FAIL cannot build scripts/window/trayclick" >&2
	exit 2
fi

mkdir -p "$root/build"
export WT_WMCLOSE="$work/wmclose" WT_FAKEWATCHER="$work/fakewatcher" WT_TRAYCLICK="$work/trayclick"
export WT_BIN="$bin" WT_PORT="$port" WT_WORK="$work" WT_OPENED="$opened" \
	WT_SHOT="$root/build/window-test.png" WT_LOG="$root/build/window-test.log" \
	WT_TIMEOUT="${WINDOW_TEST_TIMEOUT:-60}"

# xvfb-run -a picks a free display; dbus-run-session gives the app (tray,
# notifications, GTK) a private session bus that dies with the test.
# The bus daemon's and the accessibility bus's chatter goes to a file.
set +e
dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" \
	bash "$here/window/in-display.sh" 2>"$work/session.log" |
	grep -v --line-buffered '^SpiRegistry daemon is running'
status=${PIPESTATUS[0]}
set -e
if ((status == 0)); then
	echo "window test: PASS"
else
	if [[ -s $work/session.log ]]; then
		echo "--- D-Bus / Xvfb output ---"
		tail -n 15 "$work/session.log"
	fi
	echo "window test: FAIL (log: build/window-test.log, screenshot: build/window-test.png)"
fi
exit "$status"
