#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The benchmark table of docs/benchmarks.md: builds the project (and, as root, the
# GIMP 3 build in its Debian 13 root) and runs the benchmark program.
#   bash tests/bench/run-bench.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
SRC=$PWD
ROOT=${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}
# OpenCV (table 1), PyTorch (tables 3 and 4, the model in GIMP: torchvision)
CFM_EXTRA_PACKAGES="python3-opencv python3-torch python3-torchvision" \
  bash tests/setup-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
if [ "$(id -u)" = 0 ] && bash tests/gimp/make-gimp3-root.sh "$ROOT" >/dev/null 2>&1; then
  mkdir -p "$ROOT/src"
  mountpoint -q "$ROOT/src" && umount -l "$ROOT/src"
  mount --bind "$SRC" "$ROOT/src"
  mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
  trap 'umount -l "$ROOT/src" "$ROOT/proc" 2>/dev/null' EXIT
  chroot "$ROOT" sh -c "cd /src && { [ -f build-gimp3/build.ninja ] || meson setup build-gimp3; } && ninja -C build-gimp3" >/dev/null
  export CFM_GIMP3_BUILD=$SRC/build-gimp3 CFM_GIMP3_ROOT=$ROOT
  # PyTorch 2.x beside it, for torch.load in the model files' table
  chroot "$ROOT" sh -c "dpkg-query -W python3-torch >/dev/null 2>&1 || \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      --no-install-recommends python3-torch >/dev/null" \
    || echo "PyTorch could not be installed in the GIMP 3 root"
fi
# onnxruntime's CPU build, for the benchmark only (never the plug-in's):
# from the npm registry, without its download of GPU libraries.
ORT=$SRC/build/onnxruntime-node
if command -v npm >/dev/null && [ ! -d "$ORT/node_modules/onnxruntime-node" ]; then
  mkdir -p "$ORT"
  ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix "$ORT" onnxruntime-node \
    >/dev/null 2>&1 || echo "onnxruntime-node could not be installed"
fi
[ -d "$ORT/node_modules/onnxruntime-node" ] && export CFM_ORT_MODULES=$ORT/node_modules
echo "$(lscpu | sed -n 's/^Model name: *//p'), $(nproc) processors, $(free -g | awk '/Mem:/ {print $2}') GB"
CFM_FIXTURES=$SRC/tests/fixtures CFM_SOURCE_ROOT=$SRC CFM_BUILD_ROOT=$SRC/build \
  build/tests/bench/cfm-bench
# A trained model's layer in GIMP 2.10: the plug-in's memory at 0.3, 2 and
# 12 megapixels (needs python3-torch and python3-torchvision).
if command -v gimp-console-2.10 >/dev/null && [ -x build/plugin/cnn-feature-maps ]; then
  /usr/bin/python3 tests/bench/model_memory.py build
fi
# Opening a model file: VGG-11 as a state dict, safetensors and ONNX,
# mapped and read as before, and in GIMP 2.10 (needs python3-torch and
# python3-torchvision).
/usr/bin/python3 tests/bench/model_files.py build
# Networks with branches (the graph engine): ResNet-50, MobileNetV2 and
# EfficientNet-B0 against onnxruntime and PyTorch, and their memory (needs
# python3-torch, python3-torchvision and python3-onnx).
/usr/bin/python3 tests/bench/graph_bench.py build
