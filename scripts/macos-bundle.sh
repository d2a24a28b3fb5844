#!/bin/sh
# Makes "Milady Cloud.app" on a Mac from a binary built with
#   go build -tags desktop,production -o build/bin/milady-cloud .
# Usage: scripts/macos-bundle.sh <binary> <version> [out-dir]
# Fills build/darwin/Info.plist (a Wails template) without the wails CLI and
# makes the icon set from build/appicon.png with sips and iconutil.
set -eu
bin=$1 version=$2 out=${3:-build/bin}
app="$out/Milady Cloud.app"
rm -rf "$app"
mkdir -p "$app/Contents/MacOS" "$app/Contents/Resources"
cp "$bin" "$app/Contents/MacOS/milady-cloud"
# A plist version is numbers and dots: 0.1.0+git3.660d42f → 0.1.0; a bare
# commit hash (no tag yet) → 0.0.0.
short=$(printf '%s' "$version" | sed -nE 's/^v?([0-9]+\.[0-9]+(\.[0-9]+)?).*$/\1/p')
[ -n "$short" ] || short=0.0.0
sed -e 's/{{.Info.ProductName}}/Milady Cloud/g' \
    -e 's/{{.OutputFilename}}/milady-cloud/g' \
    -e "s/{{.Info.ProductVersion}}/$short/g" \
    -e 's/{{.Info.Comments}}/Connects your Milady agent to Eliza Cloud/g' \
    -e 's/{{.Info.Copyright}}/Copyright © 2026 Milady AI/g' \
    build/darwin/Info.plist > "$app/Contents/Info.plist"
if grep -q '{{' "$app/Contents/Info.plist"; then
  echo "macos-bundle: unfilled template field in Info.plist" >&2; exit 1
fi
plutil -lint "$app/Contents/Info.plist"
set_dir=$(mktemp -d)/iconfile.iconset
mkdir -p "$set_dir"
for s in 16 32 128 256 512; do
  sips -z $s $s build/appicon.png --out "$set_dir/icon_${s}x${s}.png" >/dev/null
  d=$((s * 2))
  sips -z $d $d build/appicon.png --out "$set_dir/icon_${s}x${s}@2x.png" >/dev/null
done
iconutil -c icns "$set_dir" -o "$app/Contents/Resources/iconfile.icns"
echo "$app"
