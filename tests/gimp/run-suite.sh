#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One GIMP integration suite, as meson's "gimp2" and "gimp3" suites run it:
#   run-suite.sh 2.10 BUILD   the GIMP 2.10 plug-in of meson build BUILD in
#                             this machine's gimp-console-2.10
#   run-suite.sh 3 BUILD      the GIMP 3 plug-in, built and run in a Debian
#                             13 root (make-gimp3-root.sh; needs root), its
#                             layers compared with those the 2.10 suite kept
# A suite that cannot run here exits 77 (meson's skip) with the reason, or,
# when CI=true, fails: CI must run every suite.
set -uo pipefail
series=$1
build=$(cd "$2" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
root=${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}
logs=$src/build-logs
kept=$build/gimp-kept
mkdir -p "$logs"

cannot_run () {
  echo "cannot run the GIMP $series suite: $1"
  if [ "${CI:-}" = true ]; then
    echo "0 passed, 1 failed"
    exit 1
  fi
  exit 77
}

if [ "$series" = 2.10 ]; then
  command -v gimp-console-2.10 >/dev/null \
    || cannot_run "gimp-console-2.10 is not installed"
  grep -q '"2.10"' "$build/plugin/config.h" 2>/dev/null \
    || cannot_run "$build is not a GIMP 2.10 build"
  exec /usr/bin/python3 "$src/tests/gimp/gimp_tests.py" --gimp2-build "$build" \
    --keep "$kept" --screenshots "$logs"
fi

[ "$(id -u)" = 0 ] || cannot_run "making the Debian 13 root needs root"
bash "$src/tests/gimp/make-gimp3-root.sh" "$root" >"$logs/gimp3-root.log" 2>&1 \
  || cannot_run "the Debian 13 root could not be made (see $logs/gimp3-root.log)"
mkdir -p "$root/src"
mountpoint -q "$root/src" && umount -l "$root/src"
mount --bind "$src" "$root/src"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount -l "$root/src" "$root/proc" 2>/dev/null' EXIT
if ! chroot "$root" sh -c "cd /src && rm -rf build-gimp3 \
       && meson setup build-gimp3 -Dwerror=true && ninja -C build-gimp3" \
       >"$logs/gimp3-build.log" 2>&1; then
  echo "the GIMP 3 build failed (see $logs/gimp3-build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi
compare=()
[ -d "$kept/gimp2.10/tutorial/chelsea-maps" ] \
  && compare=(--compare-with "$kept/gimp2.10/tutorial/chelsea-maps")
/usr/bin/python3 "$src/tests/gimp/gimp_tests.py" --gimp3-build "$src/build-gimp3" \
  --gimp3-root "$root" --keep "$kept" --screenshots "$logs" "${compare[@]}"
