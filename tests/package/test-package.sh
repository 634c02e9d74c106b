#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# The Debian package: builds gimp-plugin-cnn-feature-maps with
# dpkg-buildpackage from a copy of the tree, checks it with lintian (no
# errors, no warnings), installs it with apt into a clean Debian root of
# this machine's release, runs the batch command on the sample photo there,
# removes it and checks that none of its files is left.  Needs root.
# Usage: test-package.sh   (the clean root is cached in
# $CFM_CLEAN_ROOT_CACHE, default /var/cache/cnn-feature-maps)
set -uo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cache=${CFM_CLEAN_ROOT_CACHE:-/var/cache/cnn-feature-maps}
suite=$(. /etc/os-release && echo "$VERSION_CODENAME")
work=$(mktemp -d /tmp/cfm-package-XXXXXX)
root=$work/root
logs=$src/build-logs/package
mkdir -p "$logs"
pass=0 fail=0
check () {   # $1 what, rest: the command; returns its status
  local what=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok - $what"; return 0; fi
  fail=$((fail + 1)); echo "not ok - $what"; return 1
}
finish () {
  for m in "$root/var/cache/apt/archives" "$root/proc"; do
    mountpoint -q "$m" && umount -l "$m"
  done
  cp "$work"/*.log "$logs/" 2>/dev/null
  rm -rf "$work"
  echo "$pass passed, $fail failed"
  [ $fail = 0 ]
  exit
}
trap finish EXIT
if [ "$(id -u)" != 0 ]; then
  echo "cannot run: the package test needs root"; fail=1; exit
fi

for tool in dpkg-buildpackage:dpkg-dev dh:debhelper lintian:lintian \
            debootstrap:debootstrap; do
  command -v "${tool%%:*}" >/dev/null \
    || apt-get install -y --no-install-recommends "${tool#*:}" >/dev/null 2>&1
done

# Build: a copy of the tracked files, so nothing lands in the tree.
mkdir -p "$work/src"
git -C "$src" ls-files -z | (cd "$src" && xargs -0 cp --parents -t "$work/src")
(cd "$work/src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1
deb=$(ls "$work"/gimp-plugin-cnn-feature-maps_*.deb 2>/dev/null | head -1)
check "dpkg-buildpackage makes the .deb" test -f "$deb" \
  || { tail -30 "$work/build.log"; exit; }
echo "# $(basename "$deb")"
lintian --fail-on error,warning "$deb" "$work"/*.changes >"$work/lintian.log" 2>&1
check "lintian: no errors or warnings" test $? = 0 || cat "$work/lintian.log"
dpkg-deb -c "$deb" >"$work/contents"
check "the plug-in in GIMP's system plug-in folder" \
  grep -qE '/usr/lib/[^ ]*gimp/[0-9.]+/plug-ins/cnn-feature-maps/cnn-feature-maps$' "$work/contents"
check "its catalogs beside it" \
  grep -q 'plug-ins/cnn-feature-maps/locale/zh_CN/LC_MESSAGES/cnn-feature-maps.mo' "$work/contents"
check "the batch command in /usr/bin" grep -q ' ./usr/bin/cnn-feature-maps-batch$' "$work/contents"
check "its man page" grep -q 'man1/cnn-feature-maps-batch.1.gz' "$work/contents"
check "Depends names the GIMP it was built for" \
  sh -c "dpkg-deb -f '$deb' Depends | grep -q 'gimp (>='"

# A clean root of this machine's Debian release, made once and kept as a
# tarball; apt's downloads are kept beside it.
tarball=$cache/clean-$suite.tar
mkdir -p "$cache/clean-$suite-apt"
if [ ! -f "$tarball" ]; then
  command -v debootstrap >/dev/null \
    || apt-get install -y --no-install-recommends debootstrap >/dev/null
  debootstrap --variant=minbase "$suite" "$work/fresh" >"$work/debootstrap.log" 2>&1 \
    && tar -C "$work/fresh" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
  rm -rf "$work/fresh"
fi
check "a clean $suite root" test -f "$tarball" || exit
mkdir -p "$root" && tar -C "$root" -xf "$tarball"
mount -t proc proc "$root/proc"
mount --bind "$cache/clean-$suite-apt" "$root/var/cache/apt/archives"
cp /etc/resolv.conf "$root/etc/resolv.conf"
cp "$deb" "$root/tmp/"
cp "$src/tests/data/chelsea.png" "$root/tmp/"
in_root () { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"; }
in_root apt-get update >"$work/apt.log" 2>&1
in_root sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y \
  /tmp/$(basename "$deb")" >>"$work/apt.log" 2>&1
check "apt-get install ./the.deb into the clean root" \
  in_root dpkg -s gimp-plugin-cnn-feature-maps >/dev/null || tail -20 "$work/apt.log"
in_root dpkg -L gimp-plugin-cnn-feature-maps >"$work/files"
in_root cnn-feature-maps-batch --png -o /tmp/out /tmp/chelsea.png \
  >"$work/batch.log" 2>&1
check "the installed batch command finds GIMP and the plug-in" \
  grep -q "^LAYER	Filter 1 conv" "$work/batch.log" || tail -20 "$work/batch.log"
check "it writes the image with its layers" test -s "$root/tmp/out/chelsea.xcf"
in_root apt-get purge -y gimp-plugin-cnn-feature-maps >>"$work/apt.log" 2>&1
left=0
while read -r f; do
  [ -f "$root$f" ] && { echo "left behind: $f"; left=1; }
done <"$work/files"
check "apt-get purge leaves none of its files" test $left = 0
