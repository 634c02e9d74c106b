#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The tutorial's pipeline in GIMP, from a fresh Debian/Ubuntu machine:
# installs what is missing, builds the plug-in, installs it into a private
# GIMP profile (your own profile is not touched), runs Conv2d -> ReLU ->
# MaxPool2d with the tutorial's four filters on the sample photo through
# gimp-console, and writes an XCF with the stacked maps and a PNG contact
# sheet of every map.
#   bash run-tutorial.sh [IMAGE] [--set NAME=VALUE]...
# Results go to ./tutorial-output (or $CFM_OUTPUT).
set -euo pipefail
cd "$(dirname "$0")"
SRC=$PWD
OUT=${CFM_OUTPUT:-$SRC/tutorial-output}
IMAGE=$SRC/tests/data/chelsea.png
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  IMAGE=$(realpath "$1"); shift
fi

CFM_EXTRA_PACKAGES="imagemagick fonts-dejavu-core" bash tests/setup-deps.sh
mkdir -p "$OUT"
BUILD=$SRC/build-tutorial
if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" --prefix "$OUT/prefix" \
    -Dplugin-dir="$OUT/profile/plug-ins" >/dev/null
fi
meson compile -C "$BUILD" >/dev/null
meson install -C "$BUILD" >/dev/null

export GIMP2_DIRECTORY=$OUT/profile GIMP3_DIRECTORY=$OUT/profile
"$OUT/prefix/bin/cnn-feature-maps-batch" -o "$OUT" --png "$@" "$IMAGE"

name=$(basename "${IMAGE%.*}")
maps=$OUT/$name-maps
sheet=$OUT/$name-contact-sheet.png
# One row per stage, one column per filter, titled as the tutorial titles
# its figures.
files=()
for stage in conv relu max-pool; do
  for f in $(ls "$maps" | sed -n 's/^Filter \([0-9]*\) .*/\1/p' | sort -nu); do
    for png in "$maps/Filter $f $stage"*.png; do
      [ -f "$png" ] && files+=(-label "Filter $f $stage" "$png")
    done
  done
done
if [ ${#files[@]} -gt 0 ] && command -v montage >/dev/null; then
  cols=$(ls "$maps" | sed -n 's/^Filter \([0-9]*\) .*/\1/p' | sort -nu | wc -l)
  montage "${files[@]}" -tile "${cols}x" -geometry 320x240+6+6 \
    -pointsize 16 -background white "$sheet"
fi
echo
echo "Layers:        $OUT/$name.xcf   (open it in GIMP)"
echo "Every map:     $maps/"
[ -f "$sheet" ] && echo "Contact sheet: $sheet"
