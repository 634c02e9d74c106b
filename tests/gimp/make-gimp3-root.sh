#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Creates (or reuses) a Debian root holding GIMP 3 and its plug-in SDK, so
# the GIMP 3 build and integration tests run on a Debian 12 machine: Debian
# 13 (trixie) has GIMP 3.0, Debian unstable (sid) GIMP 3.2.
# Usage: make-gimp3-root.sh [DIR [SUITE]]   (default: $CFM_GIMP3_ROOT or
# /var/cache/cnn-feature-maps/trixie-gimp3, and trixie).  Needs root and
# debootstrap.
set -euo pipefail

ROOT=${1:-${CFM_GIMP3_ROOT:-/var/cache/cnn-feature-maps/trixie-gimp3}}
SUITE=${2:-trixie}
# An unstable snapshot's Release file may have expired: apt inside takes it.
APT_OPTIONS=""
[ "$SUITE" = sid ] && APT_OPTIONS="-o Acquire::Check-Valid-Until=false"
# debootstrap takes its own default archive unless CFM_DEBIAN_MIRROR names one.
MIRROR=${CFM_DEBIAN_MIRROR:-}
PACKAGES="gimp libgimp-3.0-dev libgegl-dev libbabl-dev meson ninja-build gcc \
pkg-config gettext python3 xvfb xauth locales fonts-wqy-microhei"

# The marker holds the package list, so a root made with an older list is
# brought up to date instead of rebuilt.
exit_when_ready () {
  if [ -f "$ROOT/.cfm-ready" ] && [ "$(cat "$ROOT/.cfm-ready")" = "$PACKAGES" ]; then
    echo "GIMP 3 root ($SUITE) ready at $ROOT"
    exit 0
  fi
}
exit_when_ready
if [ "$(id -u)" != 0 ]; then
  echo "making the GIMP 3 root needs root" >&2
  exit 1
fi
# One maker at a time per root: the test runner starts both roots early,
# and a suite may ask for its root while that is still under way.
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock 9
exit_when_ready
command -v debootstrap >/dev/null || {
  apt-get install -y --no-install-recommends debootstrap >/dev/null
}
mkdir -p "$ROOT"
if [ ! -x "$ROOT/bin/sh" ] || [ ! -f "$ROOT/.cfm-bootstrapped" ]; then
  debootstrap --variant=minbase "$SUITE" "$ROOT" ${MIRROR:+"$MIRROR"}
  touch "$ROOT/.cfm-bootstrapped"
fi
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
cp /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
chroot "$ROOT" /bin/sh -c "apt-get $APT_OPTIONS update && \
  DEBIAN_FRONTEND=noninteractive apt-get $APT_OPTIONS install -y \
  --no-install-recommends $PACKAGES"
chroot "$ROOT" /bin/sh -c "sed -i 's/^# *zh_CN.UTF-8/zh_CN.UTF-8/; \
  s/^# *en_US.UTF-8/en_US.UTF-8/' /etc/locale.gen && locale-gen" || true
umount -l "$ROOT/proc" 2>/dev/null || true
printf '%s' "$PACKAGES" >"$ROOT/.cfm-ready"
echo "GIMP 3 root ($SUITE) ready at $ROOT"
