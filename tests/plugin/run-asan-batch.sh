#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One batch run of the GIMP 2.10 plug-in built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer (RGB input, reflect padding,
# a colormap, kernel figures and legends), in build-plugin-asan/.  Prints
# "1 passed, 0 failed" when it finishes with no report from the project's
# code; exits 77 where GIMP 2.10 is missing (a failure when CI=true).
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! command -v gimp-console-2.10 >/dev/null || ! pkg-config --exists gimp-2.0; then
  echo "cannot run: gimp-console-2.10 or its plug-in SDK is not installed"
  if [ "${CI:-}" = true ]; then echo "0 passed, 1 failed"; exit 1; fi
  exit 77
fi
if ! { meson setup build-plugin-asan -Dgimp-api=2.10 -Db_sanitize=address,undefined \
         -Db_lundef=false --wipe >/dev/null 2>&1 \
       || meson setup build-plugin-asan -Dgimp-api=2.10 \
            -Db_sanitize=address,undefined -Db_lundef=false >/dev/null; } \
   || ! ninja -C build-plugin-asan >/dev/null; then
  echo "the ASan plug-in build failed"
  echo "0 passed, 1 failed"
  exit 1
fi
prof=$(mktemp -d)
trap 'rm -rf "$prof"' EXIT
mkdir -p "$prof/plug-ins/cnn-feature-maps" "$prof/out"
cp build-plugin-asan/plugin/cnn-feature-maps "$prof/plug-ins/cnn-feature-maps/"
script=$(ASAN_OPTIONS=detect_leaks=0 build-plugin-asan/plugin/cnn-feature-maps-batch \
  --gimp "$(command -v gimp-console-2.10)" --print-script -o "$prof/out" \
  --set filter-bank=sobel --set input=rgb --set padding=2 \
  --set padding-mode=reflect --set colormap=viridis \
  --set kernel-swatches=true --set legend=true tests/data/chelsea.png)
# Leaks count when their stack passes through the project's code, except
# those GEGL's module loading makes inside gegl_init.
ASAN_OPTIONS=detect_leaks=1:fast_unwind_on_malloc=0 UBSAN_OPTIONS=print_stacktrace=1 \
  GIMP2_DIRECTORY=$prof HOME=$prof gimp-console-2.10 -i -d -f -b "$script" \
  -b '(gimp-quit 0)' >"$prof/gimp.log" 2>&1
cat "$prof/gimp.log"
ours=$(awk '/leak of/ { if (b ~ /\/(plugin|core)\// && b !~ /gegl_init/) n++; b = "" }
            { b = b $0 "\n" }
            END { if (b ~ /\/(plugin|core)\// && b !~ /gegl_init/) n++; print n + 0 }' \
         "$prof/gimp.log")
if grep -q "CFM-DONE" "$prof/gimp.log" && [ "$ours" = 0 ] \
   && ! grep -qE "ERROR: AddressSanitizer|runtime error" "$prof/gimp.log"; then
  echo "1 passed, 0 failed"
else
  echo "plug-in under ASan, UBSan and LSan: $ours leaks from the project's code, or an error above"
  echo "0 passed, 1 failed"
  exit 1
fi
