#!/usr/bin/env bash
# in-display.sh — the part of window-test.sh that runs inside Xvfb and the
# private D-Bus session. Not meant to be run by hand; window-test.sh sets
# WT_BIN, WT_PORT, WT_WORK, WT_OPENED, WT_SHOT, WT_LOG, WT_TIMEOUT,
# WT_WMCLOSE, WT_FAKEWATCHER and WT_TRAYCLICK.
set -uo pipefail
exec 2>&1 # our errors to stdout: window-test.sh files stderr away as bus chatter

fails=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }

# Debian's ImageMagick; a `convert` earlier in PATH may be something else.
convert=convert
[[ -x /usr/bin/convert ]] && convert=/usr/bin/convert

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The app's environment: everything it writes goes to the temp dir, and
# "the browser" is the recorder.
export PATH="$WT_WORK/fakebin:$PATH"
export BROWSER="$WT_WORK/fakebin/record-url"
export MILADY_STATE_DIR="$WT_WORK/state"
export MILADY_CONFIG_PATH="$WT_WORK/config/milady.json"
export XDG_CONFIG_HOME="$WT_WORK/xdg-config"
export XDG_DATA_HOME="$WT_WORK/xdg-data"
export XDG_CACHE_HOME="$WT_WORK/xdg-cache"
export XDG_STATE_HOME="$WT_WORK/xdg-state"
export GDK_BACKEND=x11 NO_AT_BRIDGE=1
unset WAYLAND_DISPLAY MILADY_PORT MILADY_API_BIND

if [[ ${WINDOW_TEST_ONLY:-} == lazy ]]; then
	bash "$(dirname "${BASH_SOURCE[0]}")/lazy-cases.sh"
	exit $?
fi

start=$(now)
# Emptied here, not only by the child's redirection: the child may open it
# after the first grep below, which would then see the last run's log.
: >"$WT_LOG"
"$WT_BIN" --sim --port "$WT_PORT" >>"$WT_LOG" 2>&1 &
app=$!

stop_app() {
	kill -0 "$app" 2>/dev/null || return 0
	kill -TERM "$app" 2>/dev/null
	for _ in $(seq 1 75); do
		kill -0 "$app" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$app" 2>/dev/null
	return 1
}
trap stop_app EXIT

shot() { import -window root "$1" 2>/dev/null; }

# 1. The dashboard mounts and reports it (the facade logs this line when the
# page calls ReportReady).
deadline=$((SECONDS + WT_TIMEOUT))
until grep -qF "window: dashboard ready" "$WT_LOG"; do
	if ! kill -0 "$app" 2>/dev/null; then
		wait "$app"
		fail "the app exited (code $?) before the dashboard was ready; last log lines:"
		tail -n 20 "$WT_LOG" | sed 's/^/    /'
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		shot "$WT_SHOT"
		fail "dashboard not ready within ${WT_TIMEOUT}s; last log lines:"
		tail -n 20 "$WT_LOG" | sed 's/^/    /'
		exit 1
	fi
	sleep 0.1
done
pass "dashboard ready $(since "$start")s after start"

# 2. The window exists, with the simulator in its title.
wid=$(xdotool search --onlyvisible --name "Milady Cloud" 2>/dev/null | head -n 1)
if [[ -z $wid ]]; then
	shot "$WT_SHOT"
	fail "no visible window named 'Milady Cloud'"
	exit 1
fi
title=$(xdotool getwindowname "$wid")
if [[ $title == *SIMULATOR* ]]; then
	pass "window title: $title"
else
	fail "window title '$title' does not say SIMULATOR"
fi
eval "$(xdotool getwindowgeometry --shell "$wid")" # X Y WIDTH HEIGHT
crop="${WIDTH}x${HEIGHT}+${X}+${Y}"

# 3. A screenshot of the window is not blank. The page may still be
# fetching its first state when it reports ready, so wait (up to 10 s) for
# two screenshots in a row to show the same pixels.
pixels() { "$convert" "$1" -crop "$crop" +repage -format "%#" info: 2>/dev/null; }
settle() {
	local prev="" cur
	for _ in $(seq 1 20); do
		shot "$WT_SHOT"
		cur=$(pixels "$WT_SHOT")
		[[ -n $cur && $cur == "$prev" ]] && return 0
		prev=$cur
		sleep 0.5
	done
	return 1
}
settle || echo "note: the window kept changing for 10 s; using the last screenshot"
read -r sd colours < <("$convert" "$WT_SHOT" -crop "$crop" +repage \
	-format "%[fx:standard_deviation] %k\n" info: 2>/dev/null)
if awk -v sd="${sd:-0}" -v n="${colours:-0}" 'BEGIN { exit !(sd > 0.01 && n >= 32) }'; then
	pass "screenshot not blank (stddev $sd, $colours colours) → build/window-test.png"
else
	fail "the window looks blank (stddev ${sd:-?}, ${colours:-?} colours) — see build/window-test.png"
fi

# 4. The REST API is up beside the window.
if command -v curl >/dev/null; then
	if curl -fsS --max-time 5 "http://127.0.0.1:$WT_PORT/api/health" >/dev/null; then
		pass "GET /api/health on port $WT_PORT"
	else
		fail "GET /api/health on port $WT_PORT did not answer 200"
	fi
fi

# 5. Clicking "log in" opens the browser on the simulator's login page.
opened_login() {
	local until=$((SECONDS + $1))
	while ((SECONDS < until)); do
		grep -q '/auth/cli-login?session=' "$WT_OPENED" && return 0
		sleep 0.2
	done
	return 1
}
# The main (saturated) button: the biggest high-chroma blob in the window.
button_centre() {
	"$convert" "$WT_SHOT" -crop "$crop" +repage -colorspace HCL -channel G -separate +channel \
		-threshold 25% -define connected-components:verbose=true \
		-define connected-components:area-threshold=200 -connected-components 8 null: 2>/dev/null |
		awk '$NF == "gray(255)" && $4 + 0 > best { best = $4 + 0; split($3, c, ","); x = int(c[1]); y = int(c[2]) }
			END { if (best) print x, y }'
}

xdotool windowfocus --sync "$wid" 2>/dev/null || true
how=""
# a) The Login view focuses its button on mount: Return presses it.
xdotool key --clearmodifiers Return
if opened_login 3; then
	how="Return on the focused login button"
else
	# b) Click the main button, found on a fresh screenshot.
	settle >/dev/null
	read -r bx by < <(button_centre)
	if [[ -n ${bx:-} ]]; then
		xdotool mousemove --sync $((X + bx)) $((Y + by)) click 1
		opened_login 5 && how="a click at ($((X + bx)),$((Y + by)))"
	fi
	if [[ -z $how ]]; then
		# c) The login button is the first thing Tab reaches.
		xdotool windowfocus --sync "$wid" 2>/dev/null || true
		xdotool key --clearmodifiers Tab Return
		opened_login 5 && how="Tab, Return"
	fi
fi
if [[ -n $how ]]; then
	pass "login opened the browser via $how: $(grep -m1 '/auth/cli-login?session=' "$WT_OPENED")"
	sleep 0.5
	shot "${WT_SHOT%.png}-login.png"
else
	shot "${WT_SHOT%.png}-login.png"
	if [[ -s $WT_OPENED ]]; then
		fail "the browser was opened, but not on /auth/cli-login?session=: $(head -n 3 "$WT_OPENED" | tr '\n' ' ')"
	else
		fail "clicking the login button did not open the browser (data-testid=login-button)"
	fi
fi

# 6. SIGTERM quits the app (no tray host on this bus, so nothing hides).
trap - EXIT
if stop_app; then
	wait "$app" 2>/dev/null
	code=$?
	if ((code == 0)); then
		pass "the app quit on SIGTERM (exit 0)"
	else
		fail "the app exited with code $code on SIGTERM"
	fi
else
	fail "the app did not quit within 15s of SIGTERM (killed)"
fi

# 7. The close button: quits without a tray host, hides with one
# (close-cases.sh starts two more apps on the same display and bus).
if ! bash "$(dirname "${BASH_SOURCE[0]}")/close-cases.sh"; then
	fails=$((fails + 1))
fi

# 8. The window is created only when the dashboard is first opened.
if ! bash "$(dirname "${BASH_SOURCE[0]}")/lazy-cases.sh"; then
	fails=$((fails + 1))
fi

if ((fails)); then
	echo "--- last log lines ---"
	tail -n 30 "$WT_LOG"
	exit 1
fi
exit 0
