# cases-lib.sh — helpers shared by close-cases.sh and lazy-cases.sh
# (sourced, not run): the window's title, verdict lines, timing, process and
# window waits, and one HTTP request over bash's /dev/tcp. $app and
# $watcher hold the PIDs the EXIT trap stops; the sourcing script sets them.

title="Milady Cloud — SIMULATOR"
logdir=$(dirname "$WT_LOG")
app=""
watcher=""
fails=0
pass() { echo "PASS $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

# kill_wait PID SECONDS: SIGTERM, then SIGKILL if it outlives SECONDS.
kill_wait() {
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < $2 * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.2
	done
	kill -KILL "$pid" 2>/dev/null
	return 1
}
cleanup() {
	[[ -n $app ]] && kill_wait "$app" 15
	[[ -n $watcher ]] && kill_wait "$watcher" 2
}
trap cleanup EXIT

# exited_within PID SECONDS: true once PID has exited; sets $code.
exited_within() {
	local pid=$1 i
	for ((i = 0; i < $2 * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			code=$?
			return 0
		fi
		sleep 0.1
	done
	return 1
}

map_state() { xwininfo -id "$1" 2>/dev/null | awk -F': *' '/Map State/ { print $2 }'; }

# wait_for SECONDS COMMAND…: runs COMMAND every 0.1 s until it succeeds.
wait_for() {
	local i n=$(($1 * 10))
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

in_state() { [[ $(map_state "$1") == "$2" ]]; }

# closed WID: the window is unmapped, or gone altogether (on Linux the
# window lives in its own process, which ends when the window is closed and
# takes the X window with it).
closed() {
	local state
	state=$(map_state "$1")
	[[ $state == IsUnMapped || -z $state ]]
}

# found_visible: a viewable window with our title exists; sets wid to it (a
# window opened again is a new X window when its process is new).
found_visible() {
	local w
	w=$(xdotool search --onlyvisible --name "^$title\$" 2>/dev/null | head -n 1)
	[[ -n $w ]] && wid=$w
}

# wait_state WID STATE SECONDS
wait_state() { wait_for "$3" in_state "$1" "$2"; }
# wait_closed WID SECONDS
wait_closed() { wait_for "$2" closed "$1"; }
# wait_visible SECONDS
wait_visible() { wait_for "$1" found_visible; }

# visible: whether xdotool sees a viewable window with our title.
visible() { [[ -n $(xdotool search --onlyvisible --name "^$title\$" 2>/dev/null) ]]; }

# http METHOD PATH [BODY]: one request to the app over bash's /dev/tcp (no
# curl needed); prints the body and succeeds on status 200.
http() {
	local method=$1 path=$2 body=${3:-} response status
	response=$(
		exec 3<>"/dev/tcp/127.0.0.1/$WT_PORT" || exit 1
		printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
			"$method" "$path" "$WT_PORT" "${#body}" "$body" >&3
		timeout 5 cat <&3
	) 2>/dev/null || return 1
	status=$(head -n 1 <<<"$response" | awk '{ print $2 }')
	printf '%s' "${response#*$'\r\n\r\n'}"
	[[ $status == 200 ]]
}

