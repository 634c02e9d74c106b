#!/bin/bash
# Installs what building and testing need on Debian 12/13 or Ubuntu, asking
# for sudo only when not root.  Packages already present are left alone.
set -euo pipefail

PACKAGES="meson ninja-build gcc clang pkg-config gettext locales \
libglib2.0-dev libgegl-dev libbabl-dev python3 python3-numpy python3-pil \
valgrind debootstrap xvfb xauth x11-utils imagemagick fonts-wqy-microhei"
if apt-cache show libgimp-3.0-dev >/dev/null 2>&1; then
  PACKAGES="$PACKAGES gimp libgimp-3.0-dev"
else
  PACKAGES="$PACKAGES gimp libgimp2.0-dev"
fi
# The sanitizer runtime of the distribution's clang.
CLANG_MAJOR=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9]*\).*/\1/p' | head -1)
if [ -n "${CLANG_MAJOR:-}" ]; then
  PACKAGES="$PACKAGES libclang-rt-$CLANG_MAJOR-dev"
fi
PACKAGES="$PACKAGES ${CFM_EXTRA_PACKAGES:-}"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" \
    || missing="$missing $p"
done

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
if [ -n "$missing" ]; then
  echo "installing:$missing"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
fi
if ! command -v clang >/dev/null; then
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang >/dev/null
  bash "$0"
fi
# Locales for the translation tests and the locale-independence checks.
if ! locale -a 2>/dev/null | grep -qi '^zh_CN.utf8$'; then
  $SUDO sed -i 's/^# *\(zh_CN.UTF-8\|de_DE.UTF-8\|fr_FR.UTF-8\|ja_JP.UTF-8\)/\1/' /etc/locale.gen
  $SUDO locale-gen >/dev/null
fi
