#!/bin/bash
# Every test of the project, after installing what they need:
#   1. core unit tests and PyTorch fixtures (meson test),
#   2. the same under AddressSanitizer and UndefinedBehaviorSanitizer,
#   3. the GIMP 2.10 plug-in in gimp-console-2.10 (where it is installed),
#   4. the GIMP 3 plug-in, built and run in a Debian 13 root
#      (tests/gimp/make-gimp3-root.sh), and both builds compared.
# The last line is "N passed, N failed" (", N skipped" when any were).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
ROOT=${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}
LOG=$SRC/build-logs
mkdir -p "$LOG"
PASSED=0 FAILED=0 SKIPPED=0
# Debian's python3, which has python3-numpy and python3-pil.
PY=/usr/bin/python3

bash tests/setup-deps.sh || { echo "dependency set-up failed"; }

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
fail_step () { FAILED=$((FAILED + 1)); echo "   $1: FAILED (see $2)"; }
skip_step () { SKIPPED=$((SKIPPED + 1)); echo "   $1: skipped: $2"; }

core_tests () {   # $1 build dir, $2 label, rest: meson options
  local dir=$1 label=$2; shift 2
  rm -rf "$dir"
  if ! meson setup "$dir" -Dwerror=true "$@" >"$LOG/$label-setup.log" 2>&1 \
     || ! ninja -C "$dir" >"$LOG/$label-build.log" 2>&1; then
    fail_step "$label build" "$LOG/$label-build.log"; return
  fi
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C "$dir" --suite core --print-errorlogs >"$LOG/$label.log" 2>&1
  local rc=$?
  cat "$dir/meson-logs/testlog.txt" >>"$LOG/$label.log"
  count "$LOG/$label.log" "$label"
  [ $rc = 0 ] || { grep -q ' failed' "$LOG/$label.log" || fail_step "$label" "$LOG/$label.log"; }
}

echo "== core"
core_tests build core
echo "== core under ASan and UBSan (built with clang, plug-in included, warnings as errors)"
CC=clang core_tests build-asan core-asan-ubsan -Db_sanitize=address,undefined \
  -Db_lundef=false

echo "== core under valgrind"
if command -v valgrind >/dev/null && [ -d build/tests/core ]; then
  vpass=0 vfail=0
  for t in $(find build/tests/core -maxdepth 1 -type f -executable -name 'test_*' | sort); do
    if CFM_FIXTURES=$SRC/tests/fixtures valgrind -q --error-exitcode=9 \
         --leak-check=full --errors-for-leak-kinds=definite,indirect \
         "$t" >"$LOG/valgrind-$(basename "$t").log" 2>&1; then
      vpass=$((vpass + 1))
    else
      vfail=$((vfail + 1)); echo "   $(basename "$t") under valgrind: see $LOG/valgrind-$(basename "$t").log"
    fi
  done
  PASSED=$((PASSED + vpass)); FAILED=$((FAILED + vfail))
  echo "   valgrind (errors and leaks, each test program): $vpass passed, $vfail failed"
else
  skip_step "valgrind" "valgrind is not installed"
fi

echo "== fuzzing (30 s per target)"
if command -v clang >/dev/null; then
  bash tests/fuzz/run-fuzz.sh "${CFM_FUZZ_SECONDS:-30}" >"$LOG/fuzz.log" 2>&1
  grep "^fuzz_" "$LOG/fuzz.log" | sed 's/^/   /'
  count "$LOG/fuzz.log" "fuzz targets"
else
  skip_step "fuzzing" "clang is not installed"
fi

echo "== plug-in batch run under ASan and UBSan (GIMP 2.10)"
if command -v gimp-console-2.10 >/dev/null && pkg-config --exists gimp-2.0; then
  if meson setup build-plugin-asan -Dgimp-api=2.10 -Db_sanitize=address,undefined \
       -Db_lundef=false >"$LOG/plugin-asan-build.log" 2>&1 \
     && ninja -C build-plugin-asan >>"$LOG/plugin-asan-build.log" 2>&1; then
    prof=$(mktemp -d)
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
      -b '(gimp-quit 0)' >"$LOG/plugin-asan.log" 2>&1
    ours=$(awk '/leak of/ { if (b ~ /\/(plugin|core)\// && b !~ /gegl_init/) n++; b = "" }
                { b = b $0 "\n" }
                END { if (b ~ /\/(plugin|core)\// && b !~ /gegl_init/) n++; print n + 0 }' \
             "$LOG/plugin-asan.log")
    if grep -q "CFM-DONE" "$LOG/plugin-asan.log" && [ "$ours" = 0 ] \
       && ! grep -qE "ERROR: AddressSanitizer|runtime error" "$LOG/plugin-asan.log"; then
      PASSED=$((PASSED + 1)); echo "   plug-in under ASan, UBSan and LSan: 1 passed, 0 failed"
    else
      fail_step "plug-in under ASan and UBSan" "$LOG/plugin-asan.log"
    fi
    rm -rf "$prof"
  else
    fail_step "plug-in ASan build" "$LOG/plugin-asan-build.log"
  fi
else
  skip_step "plug-in under ASan" "gimp-console-2.10 or its plug-in SDK is not installed"
fi

echo "== GIMP plug-ins"
gimp_args=()
if command -v gimp-console-2.10 >/dev/null && [ -x build/plugin/cnn-feature-maps ] \
   && grep -q '"2.10"' build/plugin/config.h 2>/dev/null; then
  gimp_args+=(--gimp2-build build)
else
  skip_step "GIMP 2.10 integration" "gimp-console-2.10 or its plug-in SDK is not installed"
fi
if [ "$(id -u)" != 0 ]; then
  skip_step "GIMP 3 integration" "making the Debian 13 root needs root"
elif ! bash tests/gimp/make-gimp3-root.sh "$ROOT" >"$LOG/gimp3-root.log" 2>&1; then
  skip_step "GIMP 3 integration" "the Debian 13 root could not be made (see $LOG/gimp3-root.log)"
else
  mkdir -p "$ROOT/src"
  mountpoint -q "$ROOT/src" && umount -l "$ROOT/src"
  mount --bind "$SRC" "$ROOT/src"
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  trap 'umount -l "$ROOT/src" "$ROOT/proc" 2>/dev/null' EXIT
  if chroot "$ROOT" sh -c "cd /src && rm -rf build-gimp3 && meson setup build-gimp3 -Dwerror=true && ninja -C build-gimp3" \
       >"$LOG/gimp3-build.log" 2>&1; then
    gimp_args+=(--gimp3-build build-gimp3 --gimp3-root "$ROOT")
  else
    fail_step "GIMP 3 build" "$LOG/gimp3-build.log"
  fi
fi
if [ ${#gimp_args[@]} -gt 0 ]; then
  # With both builds, the run also checks that they make identical layers.
  $PY tests/gimp/gimp_tests.py "${gimp_args[@]}" >"$LOG/gimp.log" 2>&1
  count "$LOG/gimp.log" "GIMP integration"
  grep "^not ok" "$LOG/gimp.log" | head -20
fi

if [ $SKIPPED -gt 0 ]; then
  echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
else
  echo "$PASSED passed, $FAILED failed"
fi
[ $FAILED = 0 ]
