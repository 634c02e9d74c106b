#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds the fuzz targets with clang's libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer and runs each for SECONDS (default 30) from the
# committed seed corpus (copied, so runs do not grow the tree).
#   tests/fuzz/run-fuzz.sh [SECONDS]      e.g. 3600 for an hour each
# Prints "fuzz: N passed, N failed".  Inputs that crash are written under
# the output folder (CFM_FUZZ_DIR, default build-fuzz), never into the
# tree; a fixed one belongs in the seed corpus as a regression input.
set -u
cd "$(dirname "$0")/../.."
seconds=${1:-${CFM_FUZZ_SECONDS:-30}}
if ! command -v clang >/dev/null; then
  echo "cannot fuzz: clang is not installed"
  if [ "${CI:-}" = true ]; then echo "fuzz: 0 passed, 1 failed"; exit 1; fi
  exit 77
fi
out=${CFM_FUZZ_DIR:-build-fuzz}
mkdir -p "$out"
pass=0 fail=0
# The core once, instrumented for libFuzzer, both processors at work.
flags="-g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
rm -rf "$out/core"   # no object of a source that is gone is linked
mkdir -p "$out/core"
includes=$(for d in core/*/; do printf -- '-I%s ' "$d"; done)
ls core/*/cfm_*.c | xargs -P 2 -I{} sh -c \
  'clang '"$flags $includes"' -c {} -o "'"$out"'/core/$(basename {} .c).o"' \
  2>"$out/build-core.log" || echo "the core did not build (see $out/build-core.log)"
for target in kernel_text npy weights network_text onnx graph graph_text model; do
  if ! clang -g -O1 -fsanitize=fuzzer,address,undefined \
       -fno-sanitize-recover=undefined $includes "$out"/core/cfm_*.o \
       "tests/fuzz/fuzz_$target.c" -o "$out/fuzz_$target" -lm -lpthread \
       2>"$out/build-$target.log"; then
    echo "fuzz_$target: build failed (see $out/build-$target.log)"
    fail=$((fail + 1)); continue
  fi
  rm -rf "$out/corpus-$target" && cp -r "tests/fuzz/corpus/$target" "$out/corpus-$target"
  mkdir -p "$out/artifacts-$target"
  if "$out/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 \
       -artifact_prefix="$out/artifacts-$target/" -print_final_stats=1 \
       "$out/corpus-$target" >"$out/run-$target.log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/run-$target.log" | grep -o '[0-9]*$')
    echo "fuzz_$target: ${runs:-?} executions in ${seconds} s, no crash, leak or sanitizer report"
    pass=$((pass + 1))
  else
    echo "fuzz_$target: FAILED, see $out/run-$target.log"
    grep -m5 -E "ERROR|SUMMARY|runtime error" "$out/run-$target.log"
    fail=$((fail + 1))
  fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail = 0 ]
