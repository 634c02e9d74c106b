#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Every test of the project, after installing what they need, as meson's
# suites (meson test --suite NAME):
#   core    the core's unit tests and PyTorch fixtures, plainly, then under
#           AddressSanitizer and UndefinedBehaviorSanitizer, then valgrind
#   fuzz    libFuzzer on every parser
#   plugin  the plug-in's GIMP-free parts, the argument table, catalogs;
#           and one batch run of an ASan/UBSan plug-in in GIMP 2.10
#   gimp2   the GIMP 2.10 plug-in in gimp-console-2.10
#   gimp3   the GIMP 3 plug-in in a Debian 13 root that it makes when
#           missing, its layers compared with GIMP 2.10's
#   gimp32  the same with GIMP 3.2 in a Debian unstable root
# and then the Debian package (tests/package/test-package.sh).
# A suite that cannot run is skipped with its reason, and is a failure when
# CI=true.  The last line is "N passed, N failed" (", N skipped" when any
# were).  Logs are in build-logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
LOG=$SRC/build-logs
mkdir -p "$LOG"
PASSED=0 FAILED=0 SKIPPED=0

bash tests/setup-deps.sh || echo "dependency set-up failed"

# The GIMP 3 roots are mostly downloads: both are made (or checked) while
# the core builds and runs; their suites wait for them.
if [ "$(id -u)" = 0 ]; then
  bash tests/gimp/make-gimp3-root.sh "${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}" \
    trixie >"$LOG/gimp3-root-early.log" 2>&1 &
  bash tests/gimp/make-gimp3-root.sh "${CFM_GIMP32_ROOT:-/var/cache/cnn-feature-maps/sid-gimp32}" \
    sid >"$LOG/gimp3.2-root-early.log" 2>&1 &
fi

fail_step () { FAILED=$((FAILED + 1)); echo "   $1: FAILED (see $2)"; }
skip_step () {
  if [ "${CI:-}" = true ]; then
    fail_step "$1 (cannot run: $2)" "$LOG"
  else
    SKIPPED=$((SKIPPED + 1)); echo "   $1: skipped: $2"
  fi
}

# Adds the "N passed, N failed" totals printed in file $1.
count () {
  local p f
  if ! grep -aqE '[0-9]+ passed, [0-9]+ failed' "$1"; then
    fail_step "$2 (no result line)" "$1"; return
  fi
  p=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' "$1" | awk '{s+=$1} END {print s+0}')
  f=$(grep -aoE '[0-9]+ passed, [0-9]+ failed' "$1" | awk '{s+=$3} END {print s+0}')
  PASSED=$((PASSED + p)); FAILED=$((FAILED + f))
  echo "   $2: $p passed, $f failed"
}

build () {   # $1 build dir, $2 label, rest: meson options
  local dir=$1 label=$2; shift 2
  rm -rf "$dir"
  meson setup "$dir" -Dwerror=true "$@" >"$LOG/$label-setup.log" 2>&1 \
    && ninja -C "$dir" >"$LOG/$label-build.log" 2>&1
}

# Runs meson suite $2 of build $1 into $LOG/$3.log, its exit status in
# $LOG/$3.rc; the rest are meson test options.  Suites started side by side
# take --no-rebuild and their own --logbase.
run_suite () {
  local dir=$1 name=$2 label=$3; shift 3
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$dir" --suite "$name" --print-errorlogs --verbose "$@" \
    >"$LOG/$label.log" 2>&1
  echo $? >"$LOG/$label.rc"
}

# Adds the result of a suite run_suite ran (label $1) to the totals.
tally_suite () {
  local label=$1 rc
  rc=$(cat "$LOG/$label.rc" 2>/dev/null || echo 1)
  if grep -qE "^ *[0-9]+/[0-9]+ .* SKIP" "$LOG/$label.log"; then
    skip_step "$label" "$(grep -m1 '^cannot' "$LOG/$label.log" || echo 'see the log')"
    return
  fi
  count "$LOG/$label.log" "$label"
  [ $rc = 0 ] || grep -q ' [1-9][0-9]* failed' "$LOG/$label.log" \
    || fail_step "$label" "$LOG/$label.log"
  grep -a "^not ok" "$LOG/$label.log" | head -20
}

suite () {   # $1 build dir, $2 suite, $3 label
  run_suite "$1" "$2" "$3"
  tally_suite "$3"
}

# The core's valgrind pass over each test program; its totals in
# $LOG/valgrind.log.
run_valgrind () {
  local vpass=0 vfail=0 t
  for t in $(find build/tests/core -maxdepth 1 -type f -executable -name 'test_*' | sort); do
    if CFM_FIXTURES=$SRC/tests/fixtures valgrind -q --error-exitcode=9 \
         --leak-check=full --errors-for-leak-kinds=definite,indirect \
         "$t" >"$LOG/valgrind-$(basename "$t").log" 2>&1; then
      vpass=$((vpass + 1))
    else
      vfail=$((vfail + 1)); echo "   $(basename "$t") under valgrind: see $LOG/valgrind-$(basename "$t").log"
    fi
  done
  echo "$vpass passed, $vfail failed"
}

echo "== building (GIMP 2.10 plug-in where its SDK is installed)"
if ! build build main; then
  fail_step "build" "$LOG/main-build.log"
  echo "$PASSED passed, $FAILED failed"
  exit 1
fi
echo "== core"
suite build core core
echo "== core and plugin under ASan and UBSan (built with clang)"
if CC=clang build build-asan asan -Db_sanitize=address,undefined -Db_lundef=false; then
  suite build-asan core core-asan-ubsan
  suite build-asan plugin plugin-asan-ubsan
else
  fail_step "ASan build" "$LOG/asan-build.log"
fi

# Valgrind runs one test program at a time on one processor, the fuzzers
# for a fixed time each: side by side they take the time of the longer.
echo "== core under valgrind, and fuzz (${CFM_FUZZ_SECONDS:-30} s per target)"
if command -v valgrind >/dev/null; then
  run_valgrind >"$LOG/valgrind.log" 2>&1 &
  valgrind_job=$!
else
  valgrind_job=""
fi
run_suite build fuzz fuzz
if [ -n "$valgrind_job" ]; then
  wait "$valgrind_job"
  grep -a "under valgrind: see" "$LOG/valgrind.log"
  count "$LOG/valgrind.log" "valgrind (errors and leaks, each test program)"
else
  skip_step "valgrind" "valgrind is not installed"
fi
tally_suite fuzz
echo "== plugin"
if [ -x build/plugin/cnn-feature-maps ]; then
  suite build plugin plugin
  bash tests/plugin/run-asan-batch.sh >"$LOG/plugin-asan.log" 2>&1
  if [ $? = 77 ]; then
    skip_step "plug-in batch run under ASan" "$(grep -m1 '^cannot' "$LOG/plugin-asan.log")"
  else
    count "$LOG/plugin-asan.log" "plug-in batch run under ASan, UBSan and LSan"
  fi
else
  skip_step "plugin" "no GIMP plug-in SDK is installed"
fi
echo "== gimp2"
if [ -x build/plugin/cnn-feature-maps ]; then
  suite build gimp2 gimp2
  # Each runs in its own root, against the layers gimp2 kept.
  echo "== gimp3 and gimp32, side by side"
  run_suite build gimp3 gimp3 --no-rebuild --logbase gimp3 &
  run_suite build gimp32 gimp32 --no-rebuild --logbase gimp32
  wait
  tally_suite gimp3
  tally_suite gimp32
else
  skip_step "gimp2 and gimp3" "no GIMP plug-in SDK is installed"
fi
echo "== Debian package"
if [ "$(id -u)" = 0 ]; then
  bash tests/package/test-package.sh >"$LOG/package.log" 2>&1
  count "$LOG/package.log" "package (build, lintian, install, batch run, purge)"
  grep -a "^not ok" "$LOG/package.log" | head -20
else
  skip_step "Debian package" "installing into a clean root needs root"
fi

if [ $SKIPPED -gt 0 ]; then
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
  echo "$PASSED passed, $FAILED failed"
fi
[ $FAILED = 0 ]
