#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs test_graph (path $1) over torchvision's branching families exported
# to ONNX with their module outputs, which
# tests/fixtures/make_graph_fixtures.py writes with python3-torch,
# python3-torchvision and python3-onnx into a cache outside the tree (about
# 220 MB), again only when the script or those packages change:
#   run-graph-fixtures.sh TEST_GRAPH          Debian 12's PyTorch 1.13, into
#       CFM_GRAPH_FIXTURES (default /var/cache/cnn-feature-maps/graph-fixtures)
#   run-graph-fixtures.sh TEST_GRAPH --debian13   PyTorch 2.x of the GIMP 3
#       suite's Debian 13 root (CFM_GIMP3_ROOT, made when missing), into the
#       root's own /var/cache/cnn-feature-maps/graph-fixtures
#   run-graph-fixtures.sh TEST_GRAPH --onnx-cases   ONNX's own operator
#       cases (tests/fixtures/make_onnx_cases.py, python3-onnx alone), into
#       /var/cache/cnn-feature-maps/onnx-cases
# Exits 77 (skipped) when PyTorch is missing and CI is not set.
set -u
test_program=$1
root="" cases=""
[ "${2:-}" = --debian13 ] \
  && root=${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}
[ "${2:-}" = --onnx-cases ] && cases=1
modules="torch, torchvision, onnx"
[ -n "$cases" ] && modules="numpy, onnx"
src=$(cd "$(dirname "$0")/../.." && pwd)
script=$src/tests/fixtures/make_graph_fixtures.py
skip () {
  echo "cannot make the graph fixtures: $1"
  [ "${CI:-}" = true ] && exit 1
  exit 77
}
if [ -n "$root" ]; then
  bash "$src/tests/gimp/make-gimp3-root.sh" "$root" >/dev/null \
    || skip "the Debian 13 root could not be made"
  inside=/var/cache/cnn-feature-maps/graph-fixtures
  dir=$root$inside
  run () { chroot "$root" "$@"; }
  versions () { chroot "$root" dpkg-query -W -f='${Version} ' "$@" 2>/dev/null; }
  mkdir -p "$root/opt/cfm-graph" || exit 1
  cp "$script" "$src/tests/fixtures/photo_rgb.npy" "$root/opt/cfm-graph/"
  maker=/opt/cfm-graph/make_graph_fixtures.py
  modules="$modules, safetensors"   # Debian 13 packages it: .safetensors too
elif [ -n "$cases" ]; then
  script=$src/tests/fixtures/make_onnx_cases.py
  dir=/var/cache/cnn-feature-maps/onnx-cases
  inside=$dir
  run () { "$@"; }
  versions () { dpkg-query -W -f='${Version} ' "$@" 2>/dev/null; }
  maker=$script
else
  dir=${CFM_GRAPH_FIXTURES:-/var/cache/cnn-feature-maps/graph-fixtures}
  inside=$dir
  run () { "$@"; }
  versions () { dpkg-query -W -f='${Version} ' "$@" 2>/dev/null; }
  maker=$script
fi
if ! run /usr/bin/python3 -c "import $modules" 2>/dev/null; then
  [ -n "$root" ] || skip "python3-torch, python3-torchvision or python3-onnx is not installed"
  mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
  chroot "$root" /bin/sh -c "DEBIAN_FRONTEND=noninteractive apt-get install \
    -y -qq --no-install-recommends python3-torch python3-torchvision \
    python3-onnx python3-numpy python3-safetensors" >/dev/null 2>&1
  run /usr/bin/python3 -c "import $modules" 2>/dev/null \
    || skip "PyTorch could not be installed in $root"
fi
mkdir -p "$dir" || exit 1
stamp="$(sha256sum "$script" | cut -c1-16) $(versions python3-torchvision python3-torch python3-onnx python3-safetensors)"
(
  flock 9
  if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$dir"/*.onnx "$dir"/*.npy "$dir"/*.txt "$dir/stamp"
    echo "writing the graph fixtures into $dir"
    run /usr/bin/python3 "$maker" "$inside" >"$dir.log" 2>&1 \
      || { tail -20 "$dir.log"; exit 1; }
    echo "$stamp" >"$dir/stamp"
  fi
) 9>"$dir.lock" || { echo "make_graph_fixtures.py failed"; exit 1; }
if [ -n "$cases" ]; then
  echo "onnx $(versions python3-onnx)"
  exec "$test_program" --onnx-cases "$dir"
fi
echo "PyTorch $(versions python3-torch)"
exec "$test_program" "$dir"
