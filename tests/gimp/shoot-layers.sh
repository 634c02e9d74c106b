#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A screenshot of GIMP 2.10's window with an XCF the plug-in made, its top
# layer group at 70% opacity over the photo and the Layers dock beside it
# (the README's picture of a trained model's maps).  Needs gimp, Xvfb,
# ImageMagick's import.  Usage: shoot-layers.sh XCF OUT.png
set -eu
xcf=$(realpath "$1") out=$2
tmp=$(mktemp -d)
trap 'kill $gimp $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile" "$tmp/home"
cp "$xcf" "$tmp/shot.xcf"
cat > "$tmp/profile/gimprc" <<G
(single-window-mode yes)
(show-tips no)
(save-session-info no)
G
# One window: the image and, right of it, a wide Layers dock.
cat > "$tmp/profile/sessionrc" <<G
(session-info "toplevel"
    (factory-entry "gimp-single-image-window")
    (position 0 0)
    (size 1280 760)
    (open-on-exit)
    (aux-info (left-docks-width "1") (right-docks-width "430")
              (maximized "no"))
    (gimp-dock
        (side right)
        (book (current-page 0)
              (dockable "gimp-layer-list" (tab-style automatic)
                        (preview-size 32)
                        (aux-info (show-button-bar "true"))))))
(hide-docks no)
G
run_env=(env -i HOME="$tmp/home" GIMP2_DIRECTORY="$tmp/profile"
         PATH=/usr/bin:/bin LANG=C.UTF-8)
"${run_env[@]}" gimp-console-2.10 -i -d -f -b "(let* ((image (car \
  (gimp-file-load RUN-NONINTERACTIVE \"$tmp/shot.xcf\" \"x\"))) (group \
  (aref (cadr (gimp-image-get-layers image)) 0))) (gimp-layer-set-opacity \
  group 70) (gimp-xcf-save 0 image group \"$tmp/shot.xcf\" \"x\"))" \
  -b '(gimp-quit 0)' >/dev/null 2>&1
exec 3< <(Xvfb -displayfd 1 -screen 0 1280x760x24 -ac 2>/dev/null)
xvfb=$!
read -r display <&3
"${run_env[@]}" DISPLAY=":$display" gimp-2.10 -n -s -d "$tmp/shot.xcf" \
  >/dev/null 2>&1 &
gimp=$!
for _ in $(seq 60); do
  sleep 1
  DISPLAY=":$display" xdotool search --name "shot.xcf" >/dev/null 2>&1 \
    && break
done
sleep 5   # the layer previews
DISPLAY=":$display" import -window root "$out"
echo "wrote $out"
