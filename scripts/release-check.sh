#!/usr/bin/env bash
# release-check.sh VERSION OUTDIR — checks the Linux artifacts that
# `make deb tarball` left in OUTDIR:
#   1. lintian (0 errors, 0 warnings), desktop-file-validate and appstreamcli
#      on the .deb's files; the two programs in place (/usr/bin/milady-cloud,
#      /usr/lib/milady-cloud/milady-cloud-window), hardened, and only the
#      window one linked to GTK/WebKitGTK; Depends names both; the man page
#      names every flag of --help;
#   2. the tarball's install.sh into a temporary home: both programs, files,
#      Exec path, --version, then --uninstall leaves nothing behind;
#   3. as root: apt-get install ./….deb, milady-cloud --version, the window
#      program's libraries all found, a headless start answering
#      /api/health, apt-get remove leaving none of its files.
# Part 3 changes the system's packages, so it runs only as root (CI) and
# says SKIP otherwise.
set -euo pipefail

VERSION=${1:?version}
OUT=${2:?output folder}
NAME=milady-cloud
# The window program, relative to the prefix (/usr, ~/.local): the tray
# program starts it from ../lib/milady-cloud/ (docs/window-process.md).
WINDOW_REL=lib/$NAME/$NAME-window
# Libraries only the window program may link: the tray program must start
# (and stay small) on a machine without a display stack loaded.
GUI_LIBS='libwebkit2gtk|libjavascriptcoregtk|libgtk-|libgdk-'
DEB="$OUT/${NAME}_${VERSION}_amd64.deb"
TGZ="$OUT/$NAME-$VERSION-linux-amd64.tar.gz"
TMP=$(mktemp -d)
APP_PID=""
INSTALLED=""
cleanup() {
  [ -n "$APP_PID" ] && kill "$APP_PID" 2>/dev/null || true
  # A failed check must not leave the package on the machine.
  [ -n "$INSTALLED" ] && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq remove "$NAME" >/dev/null 2>&1 || true
  rm -rf "$TMP"
}
trap cleanup EXIT
fail() { echo "release-check: FAIL: $*" >&2; exit 1; }
step() { echo "release-check: $*"; }

# hardened FILE: PIE and full RELRO (lintian reports a missing BIND_NOW only
# as info, so it is checked here).
hardened() {
  readelf -h "$1" | grep -q 'Type: *DYN' || fail "$1 is not PIE"
  readelf -lW "$1" | grep -q GNU_RELRO || fail "$1 has no RELRO segment"
  readelf -dW "$1" | grep -q 'FLAGS.*BIND_NOW\|FLAGS_1.*NOW' || fail "$1 is not linked with -z now"
}

# programs PREFIX WHAT: PREFIX/bin/milady-cloud and PREFIX/lib/milady-cloud/
# milady-cloud-window are executables (0755), hardened, and only the window
# one needs GTK and WebKitGTK.
programs() {
  local tray="$1/bin/$NAME" win="$1/$WINDOW_REL" f needed
  for f in "$tray" "$win"; do
    [ -f "$f" ] || fail "$2: no $f"
    [ "$(stat -c %a "$f")" = 755 ] || fail "$2: $f has mode $(stat -c %a "$f"), want 755"
    hardened "$f"
  done
  needed=$(readelf -dW "$tray" | grep NEEDED || true)
  if grep -E "$GUI_LIBS" <<<"$needed"; then
    fail "$2: $tray links GTK/WebKitGTK (built with the desktop tags?)"
  fi
  needed=$(readelf -dW "$win" | grep NEEDED || true)
  grep -q 'libwebkit2gtk-4\.1\.so' <<<"$needed" || fail "$2: $win does not link libwebkit2gtk-4.1"
  grep -q 'libgtk-3\.so' <<<"$needed" || fail "$2: $win does not link libgtk-3"
}

[ -f "$DEB" ] || fail "no $DEB (run make deb)"
[ -f "$TGZ" ] || fail "no $TGZ (run make tarball)"

# --- 1. static checks of the .deb -------------------------------------------
step "lintian $(basename "$DEB")"
rc=0
lintian --fail-on error,warning --display-info --tag-display-limit 0 "$DEB" >"$TMP/lintian.log" 2>&1 || rc=$?
sed 's/^/  /' "$TMP/lintian.log"
[ "$rc" = 0 ] || fail "lintian reports errors or warnings (exit $rc)"

dpkg-deb -x "$DEB" "$TMP/deb"
programs "$TMP/deb/usr" ".deb"
# Only milady-cloud is on PATH: the window program needs the tray program's
# pipe and is no command of its own.
[ "$(ls "$TMP/deb/usr/bin")" = "$NAME" ] || fail ".deb: /usr/bin holds $(ls "$TMP/deb/usr/bin" | xargs), want only $NAME"
# The GUI libraries come in through the window program alone; its Depends
# must still pull them in.
depends=$(dpkg-deb -f "$DEB" Depends)
for p in libgtk-3-0 libwebkit2gtk-4.1-0; do
  grep -qE "(^|, )$p( |,|$)" <<<"$depends" || fail ".deb: Depends lacks $p: $depends"
done
step ".deb: /usr/bin/$NAME (no GTK/WebKitGTK) and /usr/$WINDOW_REL (GTK, WebKitGTK), both PIE + full RELRO; Depends has libgtk-3-0, libwebkit2gtk-4.1-0"
desktop-file-validate "$TMP/deb/usr/share/applications/$NAME.desktop" || fail "desktop-file-validate"
appstreamcli validate --no-net "$TMP/deb/usr/share/metainfo/"*.metainfo.xml >"$TMP/as.log" 2>&1 ||
  { cat "$TMP/as.log"; fail "appstreamcli validate"; }
step "desktop-file-validate, appstreamcli validate: ok"

# The man page is written by hand: every flag --help lists must be in it.
help=$("$TMP/deb/usr/bin/$NAME" --help 2>&1 || true)
man=$(zcat "$TMP/deb/usr/share/man/man1/$NAME.1.gz")
for flag in $(grep -o '^ *-[a-z-]*' <<<"$help" | tr -d ' -'); do
  grep -qF -- "\\-\\-$flag" <<<"$man" || fail "the man page lacks --$flag"
done
step "man page covers every flag of --help"

# --- 2. the tarball's install.sh into a temporary home -----------------------
home="$TMP/home"
mkdir -p "$home" "$TMP/tar"
tar -C "$TMP/tar" -xzf "$TGZ"
src="$TMP/tar/$NAME-$VERSION-linux-amd64"
HOME="$home" XDG_CONFIG_HOME="$home/.config" "$src/install.sh" >"$TMP/install.log" ||
  { cat "$TMP/install.log"; fail "install.sh"; }
local_="$home/.local"
programs "$src" "tarball"
programs "$local_" "install.sh"
for f in bin/$NAME $WINDOW_REL share/applications/$NAME.desktop share/icons/hicolor/48x48/apps/$NAME.png \
  share/icons/hicolor/256x256/apps/$NAME.png share/man/man1/$NAME.1.gz; do
  [ -f "$local_/$f" ] || fail "install.sh did not install $f"
done
grep -qx "Exec=$local_/bin/$NAME" "$local_/share/applications/$NAME.desktop" ||
  fail "the installed menu entry does not run $local_/bin/$NAME"
desktop-file-validate "$local_/share/applications/$NAME.desktop" || fail "installed desktop file"
got=$("$local_/bin/$NAME" --version)
[ "$got" = "$NAME $VERSION" ] || fail "tarball binary --version: got '$got', want '$NAME $VERSION'"
# Start at login, as the app writes it, must go with the program.
mkdir -p "$home/.config/autostart"
printf '[Desktop Entry]\nExec=%s --hidden\n' "$local_/bin/$NAME" >"$home/.config/autostart/$NAME.desktop"
HOME="$home" XDG_CONFIG_HOME="$home/.config" "$local_/share/doc/$NAME/install.sh" --uninstall >"$TMP/uninstall.log" ||
  { cat "$TMP/uninstall.log"; fail "install.sh --uninstall"; }
left=$(cd "$home" && find . -mindepth 1 ! -path ./.config ! -path ./.config/autostart ! -path ./.local ! -path ./.local/share ! -path ./.local/bin)
[ -z "$left" ] || fail "install.sh --uninstall left: $left"
step "tarball: both programs; install.sh into \$HOME/.local (bin/$NAME, $WINDOW_REL) and --uninstall: ok"

# --- 3. install, run and remove the .deb (root only) -------------------------
if [ "$(id -u)" != 0 ]; then
  echo "release-check: SKIP apt-get install/remove of the .deb: needs root (CI runs as root)"
  exit 0
fi
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 -y -qq "$@" >"$TMP/apt.log" 2>&1 ||
    { cat "$TMP/apt.log"; fail "apt-get $*"; }
}
t0=$(date +%s.%N)
apt_get install --no-install-recommends "$(cd "$(dirname "$DEB")" && pwd)/$(basename "$DEB")"
t1=$(date +%s.%N)
INSTALLED=1
[ "$(dpkg-query -W -f='${Version}' $NAME)" = "$VERSION" ] || fail "dpkg does not list $NAME $VERSION"
files=$(dpkg -L $NAME | while read -r f; do [ -f "$f" ] && echo "$f"; done)
[ -n "$files" ] || fail "dpkg -L lists no files"
got=$(/usr/bin/$NAME --version)
[ "$got" = "$NAME $VERSION" ] || fail "installed --version: got '$got', want '$NAME $VERSION'"
grep -qx "/usr/$WINDOW_REL" <<<"$files" || fail "dpkg -L $NAME does not list /usr/$WINDOW_REL"
programs /usr "installed"
# The package's Depends (from dpkg-shlibdeps) brought every library the
# window program needs.
missing=$(ldd "/usr/$WINDOW_REL" | grep 'not found' || true)
[ -z "$missing" ] || fail "installed /usr/$WINDOW_REL lacks libraries: $missing"
# The window program comes from the same build as the app (it refuses an
# app of another version).
got=$("/usr/$WINDOW_REL" --version)
[ "$got" = "milady-cloud-window $VERSION" ] || fail "installed window --version: got '$got', want 'milady-cloud-window $VERSION'"

# A headless start in a throw-away home, against the built-in simulator so
# that nothing leaves the machine.
state="$TMP/run"
mkdir -p "$state/home"
HOME="$state/home" XDG_CONFIG_HOME="$state/home/.config" XDG_DATA_HOME="$state/home/.local/share" \
  MILADY_STATE_DIR="$state/state" MILADY_CONFIG_PATH="$state/milady.json" \
  env -u DISPLAY -u WAYLAND_DISPLAY -u MILADY_API_TOKEN -u MILADY_PORT \
  /usr/bin/$NAME --headless --sim --port 0 >"$state/out" 2>"$state/log" &
APP_PID=$!
url=""
for _ in $(seq 1 300); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$state/out" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 "$APP_PID" 2>/dev/null || { cat "$state/log"; fail "the installed app exited early"; }
  sleep 0.1
done
[ -n "$url" ] || { cat "$state/log"; fail "the installed app printed no URL"; }
health=$(curl -fsS --max-time 5 "$url/api/health") || fail "GET $url/api/health"
grep -q '"ok":true' <<<"$health" && grep -q "\"version\":\"$VERSION\"" <<<"$health" ||
  fail "unexpected /api/health: $health"
kill -TERM "$APP_PID"
rc=0
wait "$APP_PID" || rc=$?
APP_PID=""
[ "$rc" = 0 ] || { cat "$state/log"; fail "the installed app exited $rc on SIGTERM"; }
step "installed: both programs in place, the window's libraries found, --version and /api/health ($health) ok"

t2=$(date +%s.%N)
apt_get remove "$NAME"
t3=$(date +%s.%N)
INSTALLED=""
status=$(dpkg-query -W -f='${db:Status-Abbrev}' $NAME 2>/dev/null || true)
case "$status" in "" | un* | pn*) ;; *) fail "after remove dpkg says '$status' (want not installed)" ;; esac
while read -r f; do
  [ ! -e "$f" ] || fail "apt-get remove left $f"
done <<<"$files"
step "apt-get install $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s, remove $(awk "BEGIN{printf \"%.1f\", $t3 - $t2}") s: $(wc -l <<<"$files") files installed and removed cleanly"
