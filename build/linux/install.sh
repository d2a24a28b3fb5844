#!/bin/sh
# Installs Milady Cloud for the current user, without root:
#   ./install.sh              into ~/.local (or $PREFIX)
#   ./install.sh --uninstall  removes exactly the files it installed
# It writes bin/milady-cloud, the window program it starts on demand as
# lib/milady-cloud/milady-cloud-window (where bin/milady-cloud looks for it:
# ../lib/milady-cloud/ from its own folder; not on PATH), the menu entry (its
# Exec pointing at the installed binary, since ~/.local/bin is not always on
# the menu's PATH), the hicolor icons, the AppStream metainfo and the man
# page, and records every file in share/doc/milady-cloud/installed-files for
# --uninstall.
# Your data (~/.local/share/milady-cloud, the config file) is never touched.
set -eu

NAME=milady-cloud
WINDOW="lib/$NAME/$NAME-window"
PREFIX=${PREFIX:-$HOME/.local}
DOC="$PREFIX/share/doc/$NAME"
LIST="$DOC/installed-files"
HERE=$(cd "$(dirname "$0")" && pwd)

usage() {
  echo "usage: $0 [--uninstall]   (PREFIX=$PREFIX)"
}

refresh() {
  # An icon theme with a cache must have it rebuilt to see new icons; without
  # index.theme there is no cache. (No update-desktop-database: the entry
  # declares no MIME types, and its shared cache would outlive an uninstall.)
  command -v gtk-update-icon-cache >/dev/null 2>&1 && [ -f "$PREFIX/share/icons/hicolor/index.theme" ] &&
    gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" 2>/dev/null || true
}

uninstall() {
  if [ ! -f "$LIST" ]; then
    echo "$NAME is not installed in $PREFIX (no $LIST)." >&2
    exit 1
  fi
  while IFS= read -r f; do
    case "$f" in
      "$PREFIX"/*) rm -f "$f" ;;
    esac
  done <"$LIST"
  # Start at login points at the binary just removed: drop that entry too,
  # but only if it is ours.
  auto="${XDG_CONFIG_HOME:-$HOME/.config}/autostart/$NAME.desktop"
  if [ -f "$auto" ] && grep -q "^Exec=$PREFIX/bin/$NAME " "$auto"; then
    rm -f "$auto"
  fi
  rm -f "$LIST"
  # Remove the folders this install left empty, deepest first.
  for d in "$DOC" "$PREFIX/lib/$NAME" "$PREFIX/lib" \
    "$PREFIX/share/man/man1" "$PREFIX/share/metainfo" "$PREFIX/share/applications" \
    "$PREFIX"/share/icons/hicolor/*/apps "$PREFIX"/share/icons/hicolor/* "$PREFIX/share/icons/hicolor" "$PREFIX/share/icons" \
    "$PREFIX/share/man" "$PREFIX/share/doc"; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null || true
  done
  refresh
  echo "Removed $NAME from $PREFIX. Your data in ${XDG_DATA_HOME:-$HOME/.local/share}/$NAME was kept."
}

install_files() {
  [ -x "$HERE/bin/$NAME" ] || { echo "install.sh: run it from the unpacked archive (no bin/$NAME here)" >&2; exit 1; }
  [ -x "$HERE/$WINDOW" ] || { echo "install.sh: run it from the unpacked archive (no $WINDOW here)" >&2; exit 1; }
  mkdir -p "$DOC"
  tmp="$LIST.new"
  : >"$tmp"
  put() { # put SOURCE DEST MODE
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$" && chmod "$3" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
    echo "$2" >>"$tmp"
  }
  put "$HERE/bin/$NAME" "$PREFIX/bin/$NAME" 0755
  put "$HERE/$WINDOW" "$PREFIX/$WINDOW" 0755
  (cd "$HERE/share" && find icons metainfo man -type f) | while IFS= read -r f; do
    put "$HERE/share/$f" "$PREFIX/share/$f" 0644
  done
  sed -e "s|^Exec=$NAME|Exec=$PREFIX/bin/$NAME|" -e "s|^TryExec=$NAME|TryExec=$PREFIX/bin/$NAME|" \
    "$HERE/share/applications/$NAME.desktop" >"$tmp.desktop"
  put "$tmp.desktop" "$PREFIX/share/applications/$NAME.desktop" 0644
  rm -f "$tmp.desktop"
  put "$HERE/README.md" "$DOC/README.md" 0644
  put "$HERE/install.sh" "$DOC/install.sh" 0755
  mv -f "$tmp" "$LIST"
  refresh
  echo "Installed $NAME into $PREFIX ($("$PREFIX/bin/$NAME" --version 2>/dev/null || echo "$NAME"))."
  case ":$PATH:" in
    *":$PREFIX/bin:"*) ;;
    *) echo "Note: $PREFIX/bin is not on your PATH; the menu entry works regardless." ;;
  esac
  echo "Remove it with: $DOC/install.sh --uninstall"
}

case "${1:-}" in
  "") install_files ;;
  --uninstall) uninstall ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
