#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# One GIMP integration suite, as meson's "gimp2" and "gimp3" suites run it:
#   run-suite.sh 2.10 BUILD   the GIMP 2.10 plug-in of meson build BUILD in
#                             this machine's gimp-console-2.10
#   run-suite.sh 3 BUILD      the GIMP 3 plug-in, built and run in a Debian
#                             13 root (make-gimp3-root.sh; needs root), its
#                             layers compared with those the 2.10 suite kept
#   run-suite.sh 3.2 BUILD    the same with GIMP 3.2, in a Debian unstable
#                             root
# A suite that cannot run here exits 77 (meson's skip) with the reason, or,
# when CI=true, fails: CI must run every suite.
set -uo pipefail
series=$1
build=$(cd "$2" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
if [ "$series" = 3.2 ]; then
  root=${CFM_GIMP32_ROOT:-/var/cache/cnn-feature-maps/sid-gimp32}
  debian=sid debian_name="Debian unstable" gimp3_build=build-gimp32
else
  root=${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}
  debian=trixie debian_name="Debian 13" gimp3_build=build-gimp3
fi
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

[ "$(id -u)" = 0 ] || cannot_run "making the $debian_name root needs root"
bash "$src/tests/gimp/make-gimp3-root.sh" "$root" "$debian" \
  >"$logs/gimp$series-root.log" 2>&1 \
  || cannot_run "the $debian_name root could not be made (see $logs/gimp$series-root.log)"
mkdir -p "$root/src"
mountpoint -q "$root/src" && umount -l "$root/src"
mount --bind "$src" "$root/src"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
trap 'umount -l "$root/src" "$root/proc" 2>/dev/null' EXIT
if ! chroot "$root" sh -c "cd /src && rm -rf $gimp3_build \
       && meson setup $gimp3_build -Dwerror=true && ninja -C $gimp3_build" \
       >"$logs/gimp$series-build.log" 2>&1; then
  echo "the GIMP $series build failed (see $logs/gimp$series-build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi
compare=()
[ -d "$kept/gimp2.10/tutorial/chelsea-maps" ] \
  && compare=(--compare-with "$kept/gimp2.10/tutorial/chelsea-maps")
/usr/bin/python3 "$src/tests/gimp/gimp_tests.py" \
  --gimp3-build "$src/$gimp3_build" --gimp3-root "$root" \
  --gimp3-series "$series" --keep "$kept" --screenshots "$logs" "${compare[@]}"
