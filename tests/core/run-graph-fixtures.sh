#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs test_graph (path $1) over torchvision's branching families exported
# to ONNX with their module outputs, which
# tests/fixtures/make_graph_fixtures.py writes with Debian's python3-torch,
# python3-torchvision and python3-onnx into a cache outside the tree
# (CFM_GRAPH_FIXTURES, default /var/cache/cnn-feature-maps/graph-fixtures,
# about 200 MB), again only when the script or those packages change.
# Exits 77 (skipped) when PyTorch is missing and CI is not set.
set -u
test_program=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
script=$src/tests/fixtures/make_graph_fixtures.py
dir=${CFM_GRAPH_FIXTURES:-/var/cache/cnn-feature-maps/graph-fixtures}
if ! /usr/bin/python3 -c "import torch, torchvision, onnx" 2>/dev/null; then
  echo "cannot make the graph fixtures: python3-torch, python3-torchvision or python3-onnx is not installed"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
mkdir -p "$dir" || exit 1
stamp="$(sha256sum "$script" | cut -c1-16) $(dpkg-query -W -f='${Version}' python3-torchvision python3-torch python3-onnx 2>/dev/null | tr '\n' ' ')"
(
  flock 9
  if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$dir"/*.onnx "$dir"/*.npy "$dir"/*.txt "$dir/stamp"
    echo "writing the graph fixtures into $dir"
    /usr/bin/python3 "$script" "$dir" || exit 1
    echo "$stamp" >"$dir/stamp"
  fi
) 9>"$dir.lock" || { echo "make_graph_fixtures.py failed"; exit 1; }
exec "$test_program" "$dir"
