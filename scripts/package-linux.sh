#!/usr/bin/env bash
# package-linux.sh deb|tarball BIN WINDOW_BIN VERSION OUTDIR
#
# BIN is the tray/REST/Service program (no GTK or WebKitGTK linked in),
# WINDOW_BIN the window program it starts on demand (docs/window-process.md).
# The window program goes to lib/milady-cloud/ next to bin/: it is not
# meant to be run by hand, and the tray program finds it there as
# ../lib/milady-cloud/milady-cloud-window from its own folder.
#
#   deb      OUTDIR/milady-cloud_<VERSION>_amd64.deb, built with dpkg-deb
#            from a staged tree: /usr/bin/milady-cloud and
#            /usr/lib/milady-cloud/milady-cloud-window, Depends computed by
#            dpkg-shlibdeps over both, a changelog and a man page gzipped
#            reproducibly, md5sums, every file owned by root with Debian's
#            modes.
#   tarball  OUTDIR/milady-cloud-<VERSION>-linux-amd64.tar.gz: the same
#            binaries, desktop file, icons, metainfo and man page under
#            bin/, lib/ and share/, with install.sh for ~/.local.
#
# The icons are rendered from build/appicon.png with ImageMagick; file times
# are set to the commit's time so the same commit gives the same archives.
set -euo pipefail

kind=${1:?usage: package-linux.sh deb|tarball BIN WINDOW_BIN VERSION OUTDIR}
BIN=${2:?binary}
WINDOW_BIN=${3:?window binary}
VERSION=${4:?version}
OUT=${5:?output folder}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NAME=milady-cloud
# Where the window program goes, relative to the prefix (/usr, ~/.local).
WINDOW_REL=lib/$NAME/$NAME-window
APPID=ai.milady.MiladyCloud
MAINTAINER=${DEB_MAINTAINER:-Milady AI <support@milady.ai>}
SIZES="16 22 24 32 48 64 128 256 512"

EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$ROOT" log -1 --format=%ct)}
export SOURCE_DATE_EPOCH=$EPOCH
umask 022
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
[ -x "$BIN" ] || { echo "package-linux: no binary at $BIN (run make build)" >&2; exit 1; }
[ -x "$WINDOW_BIN" ] || { echo "package-linux: no window binary at $WINDOW_BIN (run make build)" >&2; exit 1; }

# icons renders the hicolor PNGs once into OUT/icons (reused by both kinds).
icons() {
  local dir="$OUT/icons" src="$ROOT/build/appicon.png"
  if [ ! -f "$dir/.stamp" ] || [ "$src" -nt "$dir/.stamp" ]; then
    rm -rf "$dir"
    for s in $SIZES; do
      mkdir -p "$dir/${s}x${s}/apps"
      # -strip and a fixed date keep the PNGs byte-identical between builds.
      convert "$src" -resize "${s}x${s}" -strip -define png:exclude-chunks=date,time \
        "$dir/${s}x${s}/apps/$NAME.png"
    done
    touch "$dir/.stamp"
  fi
}

# share stages everything but the binary under $1/share.
share() {
  local share="$1/share"
  install -D -m 0644 "$ROOT/build/linux/$NAME.desktop" "$share/applications/$NAME.desktop"
  install -d "$share/metainfo"
  # The release entry names the version being built, dated by the commit.
  sed "s|</component>|  <releases>\n    <release version=\"$VERSION\" date=\"$(date -u -d "@$EPOCH" +%F)\"/>\n  </releases>\n</component>|" \
    "$ROOT/build/linux/$APPID.metainfo.xml" >"$share/metainfo/$APPID.metainfo.xml"
  chmod 0644 "$share/metainfo/$APPID.metainfo.xml"
  icons
  for s in $SIZES; do
    install -D -m 0644 "$OUT/icons/${s}x${s}/apps/$NAME.png" "$share/icons/hicolor/${s}x${s}/apps/$NAME.png"
  done
  install -d "$share/man/man1"
  gzip -9n <"$ROOT/build/linux/$NAME.1" >"$share/man/man1/$NAME.1.gz"
  chmod 0644 "$share/man/man1/$NAME.1.gz"
}

# settle gives every file the commit's time, for reproducible archives.
settle() { find "$1" -exec touch -h -d "@$EPOCH" {} +; }

deb() {
  local stage="$OUT/deb-root" doc
  rm -rf "$stage"
  install -D -m 0755 "$BIN" "$stage/usr/bin/$NAME"
  install -D -m 0755 "$WINDOW_BIN" "$stage/usr/$WINDOW_REL"
  # The linker's .comment section (compiler versions) is dead weight lintian
  # points out; go build -s keeps it.
  objcopy --remove-section=.comment "$stage/usr/bin/$NAME"
  objcopy --remove-section=.comment "$stage/usr/$WINDOW_REL"
  share "$stage/usr"
  doc="$stage/usr/share/doc/$NAME"
  install -d "$doc"
  install -m 0644 "$ROOT/build/linux/copyright" "$doc/copyright"
  # A version without a Debian revision makes this a native package, whose
  # changelog lintian expects as changelog.gz.
  {
    echo "$NAME ($VERSION) unstable; urgency=medium"
    echo
    echo "  * Built from git commit $(git -C "$ROOT" rev-parse --short=7 HEAD)."
    echo
    echo " -- $MAINTAINER  $(date -u -R -d "@$EPOCH")"
  } | gzip -9n >"$doc/changelog.gz"
  chmod 0644 "$doc/changelog.gz"

  # dpkg-shlibdeps reads debian/control from the current folder. Both
  # binaries: GTK and WebKitGTK come in only through the window program.
  local work depends
  work=$(mktemp -d)
  mkdir -p "$work/debian"
  printf 'Source: %s\n\nPackage: %s\nArchitecture: amd64\n' "$NAME" "$NAME" >"$work/debian/control"
  depends=$(cd "$work" && dpkg-shlibdeps -O -e"$stage/usr/bin/$NAME" -e"$stage/usr/$WINDOW_REL" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
  rm -rf "$work"
  [ -n "$depends" ] || { echo "package-linux: dpkg-shlibdeps found no dependencies" >&2; exit 1; }

  install -d -m 0755 "$stage/DEBIAN"
  (cd "$stage" && find usr -type f -print0 | LC_ALL=C sort -z | xargs -0 md5sum) >"$stage/DEBIAN/md5sums"
  cat >"$stage/DEBIAN/control" <<EOF
Package: $NAME
Version: $VERSION
Architecture: amd64
Maintainer: $MAINTAINER
Installed-Size: $(du -sk --apparent-size "$stage/usr" | cut -f1)
Depends: $depends
Recommends: xdg-utils
Section: net
Priority: optional
Homepage: https://github.com/milady-ai/milady-cloud
Description: tray app connecting a Milady agent to Eliza Cloud
 Milady Cloud logs in to Eliza Cloud through the browser, shows the credit
 balance, creates, provisions and connects cloud agents, routes chat to the
 connected agent, backs it up every minute and keeps the connection alive.
 .
 A tray icon shows the connection state and warns when credits run low; a
 window hosts the dashboard; the same dashboard and a REST API compatible
 with Milady listen on 127.0.0.1:2138.
EOF
  chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/md5sums"
  settle "$stage"
  local deb="$OUT/${NAME}_${VERSION}_amd64.deb"
  rm -f "$OUT/${NAME}"_*_amd64.deb
  dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >/dev/null
  rm -rf "$stage"
  echo "built $deb ($(du -h "$deb" | cut -f1))"
}

tarball() {
  local base="$NAME-$VERSION-linux-amd64" stage
  stage="$OUT/tar-root/$base"
  rm -rf "$OUT/tar-root"
  install -D -m 0755 "$BIN" "$stage/bin/$NAME"
  # The same layout as installed, so bin/milady-cloud also finds its window
  # when run from the unpacked archive.
  install -D -m 0755 "$WINDOW_BIN" "$stage/$WINDOW_REL"
  share "$stage"
  install -m 0755 "$ROOT/build/linux/install.sh" "$stage/install.sh"
  # README: the top of the project README (what it is, how to run it).
  {
    echo "Milady Cloud $VERSION for Linux (amd64)"
    echo
    echo "Install into ~/.local:   ./install.sh"
    echo "Remove again:            ~/.local/share/doc/$NAME/install.sh --uninstall"
    echo "The window ($WINDOW_REL) needs GTK 3 and WebKitGTK 4.1"
    echo "(Debian 12: libgtk-3-0 libwebkit2gtk-4.1-0)."
    echo
    sed -n '/^Milady Cloud is a desktop/,/^$/p' "$ROOT/README.md"
    sed -n '/^## Running it/,/^### Environment/p' "$ROOT/README.md" | sed '$d'
  } >"$stage/README.md"
  chmod 0644 "$stage/README.md"
  settle "$OUT/tar-root"
  local tgz="$OUT/$base.tar.gz"
  rm -f "$OUT/$NAME"-*-linux-amd64.tar.gz
  tar -C "$OUT/tar-root" --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$EPOCH" -cf - "$base" |
    gzip -9n >"$tgz"
  rm -rf "$OUT/tar-root"
  echo "built $tgz ($(du -h "$tgz" | cut -f1))"
}

case "$kind" in
  deb) deb ;;
  tarball) tarball ;;
  *) echo "usage: package-linux.sh deb|tarball BIN WINDOW_BIN VERSION OUTDIR" >&2; exit 2 ;;
esac
