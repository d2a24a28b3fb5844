#!/usr/bin/env bash
# version.sh prints the version of the checked-out tree, derived from git so
# that every build names the commit it came from and versions sort upwards
# for dpkg/apt:
#   tag vX.Y.Z at HEAD          -> X.Y.Z
#   tag vX.Y.Z plus N commits   -> X.Y.Z+gitN.<hash>
#   no tag (N commits in all)   -> <base>+gitN.<hash>   (base from wails.json)
# Untagged builds sort above <base>, so the first release tag must be higher
# than wails.json's productVersion (v0.1.1 for 0.1.0).
#   uncommitted changes         -> ".dirty" appended ("+dirty" on a bare tag)
# A "~" would sort below the tag (0.1.0~3 < 0.1.0), so "+" is used; a tag
# with a pre-release part (v1.0.0-rc1) becomes 1.0.0~rc1, which dpkg sorts
# before 1.0.0 as it should.
# --windows prints the a.b.c.d form Windows version resources need:
# X.Y.Z.N with N the commits since the tag (or since the root), capped at
# 65535 because each part is 16 bits.
set -euo pipefail

form=debian
case "${1:-}" in
  "") ;;
  --windows) form=windows ;;
  *) echo "usage: $0 [--windows]" >&2; exit 2 ;;
esac

hash=$(git rev-parse --short=7 HEAD)
git update-index -q --refresh >/dev/null 2>&1 || true
dirty=""
git diff-index --quiet HEAD -- || dirty=1

if tag=$(git describe --tags --abbrev=0 --match 'v[0-9]*.[0-9]*.[0-9]*' 2>/dev/null); then
  base=${tag#v}
  n=$(git rev-list --count "$tag..HEAD")
else
  top=$(git rev-parse --show-toplevel)
  base=$(sed -n 's/.*"productVersion": *"\([0-9][0-9.]*\)".*/\1/p' "$top/wails.json" 2>/dev/null | head -1 || true)
  base=${base:-0.1.0}
  n=$(git rev-list --count HEAD)
  tag=""
fi

if [ "$form" = windows ]; then
  IFS=. read -r x y z _ <<<"${base%%-*}.0.0.0"
  [ "$n" -gt 65535 ] && n=65535
  echo "$((10#${x:-0})).$((10#${y:-0})).$((10#${z:-0})).$n"
  exit 0
fi

v=${base//-/\~}
if [ -n "$tag" ] && [ "$n" = 0 ]; then
  [ -n "$dirty" ] && v="$v+dirty"
else
  v="$v+git$n.$hash"
  [ -n "$dirty" ] && v="$v.dirty"
fi
echo "$v"
