#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs test_state_dicts (path $1) over the state dicts of every classifier
# torchvision builds, which tests/fixtures/make_state_dicts.py writes with
# Debian's python3-torch and python3-torchvision into a cache outside the
# tree (CFM_STATE_DICTS, default /var/cache/cnn-feature-maps/state-dicts,
# about 5.5 GB), again only when the script or torchvision changes.
# Exits 77 (skipped) when PyTorch is missing and CI is not set.
set -u
test_program=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
script=$src/tests/fixtures/make_state_dicts.py
dir=${CFM_STATE_DICTS:-/var/cache/cnn-feature-maps/state-dicts}
if ! /usr/bin/python3 -c "import torch, torchvision" 2>/dev/null; then
  echo "cannot make the state dicts: python3-torch and python3-torchvision are not installed"
  [ "${CI:-}" = true ] && exit 1
  exit 77
fi
mkdir -p "$dir" || exit 1
stamp="$(sha256sum "$script" | cut -c1-16) $(dpkg-query -W -f='${Version}' python3-torchvision python3-torch 2>/dev/null | tr '\n' ' ')"
(
  flock 9
  if [ "$(cat "$dir/stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -f "$dir"/*.pth "$dir"/*.txt "$dir/stamp"
    echo "writing the state dicts into $dir"
    /usr/bin/python3 "$script" "$dir" || exit 1
    echo "$stamp" >"$dir/stamp"
  fi
) 9>"$dir.lock" || { echo "make_state_dicts.py failed"; exit 1; }
exec "$test_program" "$dir"
