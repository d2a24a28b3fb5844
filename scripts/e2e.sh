#!/usr/bin/env bash
# Browser end-to-end test: starts `milady-cloud --headless --sim` on a free
# port with short heartbeat/backup intervals and a throw-away state folder,
# then drives the dashboard in Debian's headless Chromium (playwright-core).
set -euo pipefail
BIN=$(realpath "${1:-build/bin/milady-cloud}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TMP=$(mktemp -d)
APP_PID=""
BAD_PID=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null && wait "$APP_PID" 2>/dev/null || true
  [ -n "$BAD_PID" ] && kill "$BAD_PID" 2>/dev/null && wait "$BAD_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

# --sim reads its own milady.json in <state>/sim, never MILADY_CONFIG_PATH.
mkdir -p -m 700 "$TMP/state/sim"
cat > "$TMP/state/sim/milady.json" <<JSON
{
  // written by scripts/e2e.sh: short intervals so outages show in seconds
  "cloud": { "bridge": { "heartbeatIntervalMs": 1000, "reconnectIntervalMs": 500, "maxHeartbeatFailures": 2, "maxReconnectAttempts": 3 },
             "backup": { "autoBackupIntervalMs": 5000 } },
  "desktop": { "creditsPollIntervalMs": 1000 },
}
JSON
export MILADY_CONFIG_PATH="$TMP/milady.json" MILADY_STATE_DIR="$TMP/state" XDG_CONFIG_HOME="$TMP/xdg"
# "The system browser" is a recorder: the app opens the top-up checkout (and
# other pages) with xdg-open; the test reads the URLs from this file and
# opens them itself.
mkdir -p "$TMP/bin"
OPENED="$TMP/opened.txt"
: >"$OPENED"
printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\n' "$OPENED" >"$TMP/bin/record-url"
chmod +x "$TMP/bin/record-url"
for name in xdg-open x-www-browser www-browser; do ln -s record-url "$TMP/bin/$name"; done
export PATH="$TMP/bin:$PATH" MILADY_E2E_OPENED="$OPENED"
# A ping every 2 s, so the dashboard notices a hung (SIGSTOPped) app in ~5 s.
export MILADY_SSE_PING_MS=2000
unset DISPLAY WAYLAND_DISPLAY MILADY_API_TOKEN

# wait_url PID OUT prints the dashboard URL that the app PID writes to OUT;
# it fails when the app exits first or prints none within 20 s.
wait_url() {
  local url
  for _ in $(seq 1 200); do
    url=$(grep -o 'http://127.0.0.1:[0-9]*' "$2" | head -1 || true)
    [ -n "$url" ] && { echo "$url"; return 0; }
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

"$BIN" --headless --sim --port 0 >"$TMP/app.out" 2>"$TMP/app.log" &
APP_PID=$!
if ! URL=$(wait_url "$APP_PID" "$TMP/app.out"); then
  if kill -0 "$APP_PID" 2>/dev/null; then echo "e2e: the app did not print its URL"; else echo "e2e: the app exited early"; fi
  cat "$TMP/app.log"
  exit 1
fi
SIM_URL=$(grep -o 'SIMULATOR MODE[^"]*"[^ ]* url=https://127.0.0.1:[0-9]*' "$TMP/app.log" | grep -o 'https://127.0.0.1:[0-9]*' | head -1 || true)
[ -n "$SIM_URL" ] || SIM_URL=$(grep -o 'https://127.0.0.1:[0-9]*' "$TMP/app.log" | head -1)
# A second app whose config file is corrupt: the Login view must say which
# file and why, and that a login will not be remembered.
mkdir -p -m 700 "$TMP/bad/state/sim"
printf '{ "cloud": { not json' > "$TMP/bad/state/sim/milady.json"
MILADY_STATE_DIR="$TMP/bad/state" MILADY_CONFIG_PATH="$TMP/bad/milady.json" \
  "$BIN" --headless --sim --port 0 >"$TMP/bad.out" 2>"$TMP/bad.log" &
BAD_PID=$!
BAD_URL=$(wait_url "$BAD_PID" "$TMP/bad.out" || true)
export MILADY_E2E_BAD_CONFIG_URL="$BAD_URL"

# Screenshots go to build/e2e-screenshots so a test run leaves the tree
# clean; `make screenshots` refreshes the committed ones the README shows.
if [ "${UPDATE_SCREENSHOTS:-}" != 1 ]; then
  export MILADY_E2E_SHOTS="$ROOT/build/e2e-screenshots"
  mkdir -p "$MILADY_E2E_SHOTS"
fi
export MILADY_E2E_URL="$URL" MILADY_SIM_URL="$SIM_URL" MILADY_SIM_CA="$TMP/state/sim-ca.pem" MILADY_APP_PID="$APP_PID"
echo "e2e: app $MILADY_E2E_URL, simulator $MILADY_SIM_URL"
status=0
(cd "$ROOT/frontend" && node e2e/run.mjs) || status=$?
if [ $status -ne 0 ]; then echo "---- app log (tail) ----"; tail -50 "$TMP/app.log"; fi
exit $status
