#!/usr/bin/env bash
# version_test.sh checks scripts/version.sh in throw-away git repositories:
# without a tag, on a tag, after a tag, with a pre-release tag and with
# uncommitted changes; and that dpkg sorts each step above the previous one.
set -euo pipefail
SCRIPT="$(cd "$(dirname "$0")" && pwd)/version.sh"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.invalid GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.invalid
git init -q .
fails=0
commit() { echo "$1" >f; git add f; git commit -qm "$1"; }
expect() { # expect NAME WANT GOT
  if [ "$2" = "$3" ]; then echo "ok   $1: $3"; else echo "FAIL $1: want $2, got $3"; fails=$((fails + 1)); fi
}
above() { # above LOWER HIGHER
  if dpkg --compare-versions "$2" gt "$1"; then echo "ok   $2 > $1"; else echo "FAIL $2 does not sort above $1"; fails=$((fails + 1)); fi
}

commit one; commit two; commit three
h=$(git rev-parse --short=7 HEAD)
expect "no tag" "0.1.0+git3.$h" "$("$SCRIPT")"
expect "no tag, windows" "0.1.0.3" "$("$SCRIPT" --windows)"
notag=$("$SCRIPT")
# Untagged builds count as after the base version, so the first release tag
# must be above it (v0.1.1 when wails.json says 0.1.0) for apt to upgrade.
above "0.1.0" "$notag"
above "$notag" "0.1.1"
echo '{ "info": { "productVersion": "0.2.0" } }' >wails.json; git add wails.json; git commit -qm wails
expect "no tag, base from wails.json" "0.2.0+git4.$(git rev-parse --short=7 HEAD)" "$("$SCRIPT")"
git rm -q wails.json; git commit -qm "no wails"

echo change >>f
expect "no tag, dirty" "0.1.0+git5.$(git rev-parse --short=7 HEAD).dirty" "$("$SCRIPT")"
git checkout -q f

git tag v0.1.0
expect "on tag" "0.1.0" "$("$SCRIPT")"
expect "on tag, windows" "0.1.0.0" "$("$SCRIPT" --windows)"
echo change >>f
expect "on tag, dirty" "0.1.0+dirty" "$("$SCRIPT")"
git checkout -q f

commit four; commit five
h=$(git rev-parse --short=7 HEAD)
expect "after tag" "0.1.0+git2.$h" "$("$SCRIPT")"
expect "after tag, windows" "0.1.0.2" "$("$SCRIPT" --windows)"
above "0.1.0" "0.1.0+git2.$h"

git tag -a -m "rc" v0.2.0-rc1
expect "pre-release tag" "0.2.0~rc1" "$("$SCRIPT")"
expect "pre-release tag, windows" "0.2.0.0" "$("$SCRIPT" --windows)"
above "0.1.0+git2.$h" "0.2.0~rc1"
commit release; git tag -a -m release v0.2.0
expect "release after rc" "0.2.0" "$("$SCRIPT")"
above "0.2.0~rc1" "0.2.0"

git tag other-tag
commit six
expect "tags not shaped vX.Y.Z are ignored" "0.2.0+git1.$(git rev-parse --short=7 HEAD)" "$("$SCRIPT")"

if [ "$fails" -ne 0 ]; then echo "version_test: $fails failed"; exit 1; fi
echo "version_test: all passed"
