#!/usr/bin/env bash
# lazy-cases.sh — the window is created only when the dashboard is first
# opened (a start at login must not carry WebKit's ~200 MB for a window
# nobody looks at).
#
# Run by in-display.sh inside Xvfb and the private D-Bus session, after
# close-cases.sh; not meant to be run by hand. Besides in-display.sh's
# environment it needs WT_FAKEWATCHER and WT_TRAYCLICK (built by
# window-test.sh). With a tray host (fakewatcher) on the bus:
#   a) --hidden: no WebKit process under the app and no window 3 s after the
#      tray registered; the tray menu's "Open Dashboard" (a dbusmenu Event
#      "clicked", as a panel sends) then creates the window: the dashboard
#      reports ready and the window is viewable; the close button hides it
#      and the menu shows it again; SIGTERM quits with 0;
#   b) --hidden, then POST /api/window/show before any window exists:
#      answers {"ok":true,"shown":true} and the dashboard is drawn;
#   c) --hidden, SIGTERM before any window exists: exit 0 within 5 s.
set -uo pipefail
exec 2>&1

# shellcheck source=scripts/window/cases-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/cases-lib.sh"
wout="$WT_WORK/lazy-watcher.out"

windows() { xdotool search --name "^$title\$" 2>/dev/null; }


# webkit_children PID: the WebKit processes in PID's process tree.
webkit_children() {
	ps -e -o pid=,ppid=,comm= | awk -v root="$1" '
		{ parent[$1] = $2; name[$1] = $3 }
		END {
			for (p in parent) {
				q = p
				while (q in parent && q != root && q > 1) q = parent[q]
				if (q == root && p != root && name[p] ~ /^WebKit/) printf "%s(%s) ", name[p], p
			}
		}'
}

show_log() {
	echo "--- last lines of build/$(basename "$1") ---"
	grep -v '^Overriding existing handler' "$1" | tail -n 15 | sed 's/^/    /'
}

# start_hidden LOG: starts the app with --hidden and waits until the REST
# API answers and its tray item registered with the watcher; sets $app and
# $reg ("SENDER SERVICE").
start_hidden() {
	local log=$1 i before
	: >"$log"
	before=$(grep -c '^registered ' "$wout")
	"$WT_BIN" --sim --hidden --port "$WT_PORT" >>"$log" 2>&1 &
	app=$!
	for ((i = 0; i < WT_TIMEOUT * 10; i++)); do
		if ! kill -0 "$app" 2>/dev/null; then
			wait "$app"
			fail "the app exited (code $?) right after start"
			show_log "$log"
			app=""
			return 1
		fi
		if (($(grep -c '^registered ' "$wout") > before)) && http GET /api/health >/dev/null; then
			reg=$(grep '^registered ' "$wout" | tail -n 1 | cut -d' ' -f2-)
			return 0
		fi
		sleep 0.1
	done
	fail "the app's REST API or tray item did not come up within ${WT_TIMEOUT}s"
	show_log "$log"
	return 1
}

# wait_ready LOG SECONDS: until the page reports it has mounted.
wait_ready() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		grep -qF "window: dashboard ready" "$1" && return 0
		kill -0 "$app" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

quit_app() {
	local t0
	t0=$(now)
	kill -TERM "$app"
	if exited_within "$app" "${1:-15}"; then
		app=""
		if ((code == 0)); then
			pass "SIGTERM quit it with exit 0 in $(since "$t0")s"
		else
			fail "the app exited with code $code on SIGTERM"
		fi
	else
		fail "the app did not quit within ${1:-15}s of SIGTERM"
	fi
}

case_tray() {
	local log="$logdir/window-test-lazy-tray.log" t0 wid kids i
	echo "--hidden with a tray host, opened from the tray menu:"
	start_hidden "$log" || return
	sleep 3 # a window created at start would have its WebKit processes by now
	kids=$(webkit_children "$app")
	if [[ -z $kids ]]; then
		pass "no WebKit process under the app (pid $app) 3s after its tray registered"
	else
		fail "WebKit processes under the app before the dashboard was opened: $kids"
	fi
	if [[ -z $(windows) ]]; then
		pass "no window named '$title' exists yet"
	else
		fail "a window exists before the dashboard was opened: $(windows | tr '\n' ' ')"
	fi
	if grep -qF "window: dashboard ready" "$log"; then
		fail "the dashboard was loaded before it was opened"
	fi

	t0=$(now)
	if ! out=$("$WT_TRAYCLICK" $reg "Open Dashboard" 2>&1); then
		fail "could not click Open Dashboard in the tray menu: $out"
		return
	fi
	if wait_ready "$log" "$WT_TIMEOUT"; then
		pass "Open Dashboard ($out): dashboard ready $(since "$t0")s after the click"
	else
		fail "the dashboard did not get ready within ${WT_TIMEOUT}s of the tray click"
		show_log "$log"
		return
	fi
	wid=$(xdotool search --onlyvisible --name "^$title\$" 2>/dev/null | head -n 1)
	if [[ -n $wid ]] && wait_state "$wid" IsViewable 5; then
		pass "the window $wid is viewable (xwininfo: IsViewable)"
	else
		fail "no viewable window named '$title' after the tray click (windows: $(windows | tr '\n' ' '))"
		return
	fi
	kids=$(webkit_children "$app")
	[[ -n $kids ]] && echo "     WebKit now runs: $kids"

	"$WT_WMCLOSE" "$wid"
	if wait_closed "$wid" 5; then
		pass "the close button closed the window (map state: '$(map_state "$wid")')"
	else
		fail "the close button did not close the window (map state: '$(map_state "$wid")')"
	fi
	# The window's process, and WebKit's under it, end with the window:
	# the app goes back to its tray-only weight.
	for ((i = 0; i < 50; i++)); do
		[[ -z $(webkit_children "$app") ]] && break
		sleep 0.1
	done
	kids=$(webkit_children "$app")
	if [[ -z $kids ]]; then
		pass "no WebKit process under the app after the close"
	else
		fail "WebKit processes still run under the app 5s after the close: $kids"
	fi
	if kill -0 "$app" 2>/dev/null; then
		pass "the app keeps running in the tray"
	else
		fail "the app ended when its window was closed with a tray host present"
		return
	fi
	t0=$(now)
	"$WT_TRAYCLICK" $reg "Open Dashboard" >/dev/null 2>&1
	if wait_visible "$WT_TIMEOUT"; then
		pass "Open Dashboard opened the window again $(since "$t0")s after the click"
	else
		fail "Open Dashboard did not open the window again"
	fi
	quit_app 15
}

case_api() {
	local log="$logdir/window-test-lazy-api.log" t0 body wid
	echo "--hidden with a tray host, opened by POST /api/window/show:"
	start_hidden "$log" || return
	t0=$(now)
	body=$(http POST /api/window/show '{}')
	if [[ $(tr -d ' \n\r\t' <<<"$body") == '{"ok":true,"shown":true}' ]]; then
		pass "POST /api/window/show before any window existed answered $body"
	else
		fail "POST /api/window/show answered '$body', want {\"ok\":true,\"shown\":true}"
	fi
	if wait_ready "$log" "$WT_TIMEOUT"; then
		pass "dashboard ready $(since "$t0")s after /api/window/show"
	else
		fail "the dashboard did not get ready after /api/window/show"
		show_log "$log"
	fi
	wid=$(xdotool search --onlyvisible --name "^$title\$" 2>/dev/null | head -n 1)
	if [[ -n $wid ]] && wait_state "$wid" IsViewable 5; then
		pass "the window is viewable"
	else
		fail "no viewable window after /api/window/show"
	fi
	quit_app 15
}

case_quit() {
	local log="$logdir/window-test-lazy-quit.log"
	echo "--hidden with a tray host, SIGTERM before any window existed:"
	start_hidden "$log" || return
	quit_app 5
	if grep -qF 'msg=stopped' "$log"; then
		pass "it shut down in order (\"stopped\" logged)"
	else
		fail "the log does not end with \"stopped\""
		show_log "$log"
	fi
}

: >"$wout"
"$WT_FAKEWATCHER" >"$wout" 2>&1 &
watcher=$!
for ((i = 0; i < 50; i++)); do
	grep -q '^owner ' "$wout" && break
	sleep 0.1
done
if ! grep -q '^owner ' "$wout"; then
	fail "the fake watcher did not take org.kde.StatusNotifierWatcher: $(head -n 3 "$wout")"
	exit 1
fi

case_tray
case_api
case_quit
((fails == 0))
