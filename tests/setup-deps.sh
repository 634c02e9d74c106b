#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Installs what building and testing need on Debian 12/13 or Ubuntu, asking
# for sudo only when not root.  Packages already present are left alone.
set -euo pipefail

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
# A machine that has never fetched the package lists cannot tell which GIMP
# its distribution has.
if ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; then
  $SUDO apt-get update -qq || true
fi

# PyTorch and torchvision: the core tests make every torchvision
# classifier's state dict (tests/core/run-state-dicts.sh).
PACKAGES="meson ninja-build gcc clang pkg-config gettext locales \
libglib2.0-dev libgegl-dev libbabl-dev python3 python3-numpy python3-pil \
python3-matplotlib python3-torch python3-torchvision python3-onnx valgrind debootstrap \
xvfb xauth x11-utils xdotool imagemagick fonts-wqy-microhei"
if apt-cache show libgimp-3.0-dev >/dev/null 2>&1; then
  PACKAGES="$PACKAGES gimp libgimp-3.0-dev"
else
  PACKAGES="$PACKAGES gimp libgimp2.0-dev"
fi
PACKAGES="$PACKAGES ${CFM_EXTRA_PACKAGES:-}"

updated=0
install_missing () {
  local missing="" p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
      || missing="$missing $p"
  done
  [ -n "$missing" ] || return 0
  echo "installing:$missing"
  if [ $updated = 0 ]; then
    $SUDO apt-get update -qq
    updated=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
}

install_missing $PACKAGES
# The sanitizer and libFuzzer runtime of the clang just installed.
CLANG_MAJOR=$(clang --version | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
install_missing "libclang-rt-$CLANG_MAJOR-dev"
# Locales for the translation tests and the locale-independence checks.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN.utf8$'; then
  $SUDO sed -i 's/^# *\(zh_CN.UTF-8\|de_DE.UTF-8\|fr_FR.UTF-8\|ja_JP.UTF-8\)/\1/' /etc/locale.gen
  $SUDO locale-gen >/dev/null
fi
