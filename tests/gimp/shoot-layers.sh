#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# A screenshot of GIMP's window with an XCF the plug-in made, its top layer
# group at 70% opacity over the photo and the Layers dock beside it (the
# README's pictures of a trained model's maps).  Needs gimp, Xvfb,
# ImageMagick's import.  Usage:
#   shoot-layers.sh XCF OUT.png          GIMP 2.10 of this machine
#   shoot-layers.sh XCF OUT.png ROOT     GIMP 3 of the Debian root ROOT
#                                        (tests/gimp/make-gimp3-root.sh)
# SHOT_OPACITY sets the group's opacity (default 70); SHOT_HIDE names a
# layer to hide (a class activation map's picture: the heat map alone
# over the photo).
set -eu
opacity=${SHOT_OPACITY:-70}
hide=${SHOT_HIDE:-}
xcf=$(realpath "$1") out=$2 root=${3:-}
tmp=$(mktemp -d "${root:+$root}/tmp/cfm-shot-XXXXXX")
inside=${tmp#"$root"}   # the folder as GIMP sees it
trap 'kill $gimp $xvfb 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/profile" "$tmp/home"
cp "$xcf" "$tmp/shot.xcf"
cat > "$tmp/profile/gimprc" <<G
(single-window-mode yes)
(show-tips no)
(save-session-info no)
(show-welcome-dialog no)
G
# One window: the image and, right of it, a wide Layers dock.
cat > "$tmp/profile/sessionrc" <<G
(session-info "toplevel"
    (factory-entry "gimp-single-image-window")
    (position 0 0)
    (size 1440 760)
    (open-on-exit)
    (aux-info (left-docks-width "1") (right-docks-width "620")
              (maximized "no"))
    (gimp-dock
        (side right)
        (book (current-page 0)
              (dockable "gimp-layer-list" (tab-style automatic)
                        (preview-size 32)
                        (aux-info (show-button-bar "true"))))))
(hide-docks no)
G
if [ -n "$root" ]; then
  run_env=(chroot "$root" env -i HOME="$inside/home"
           GIMP3_DIRECTORY="$inside/profile" PATH=/usr/bin:/bin LANG=C.UTF-8)
  console=(gimp-console-3.0 -i --batch-interpreter plug-in-script-fu-eval
           -b "(script-fu-use-v3) (let* ((image (gimp-file-load \
RUN-NONINTERACTIVE \"$inside/shot.xcf\")) (group (vector-ref \
(gimp-image-get-layers image) 0))) (gimp-layer-set-opacity group $opacity) \
(if (> (string-length \"$hide\") 0) (gimp-item-set-visible \
(gimp-image-get-layer-by-name image \"$hide\") FALSE)) \
(gimp-xcf-save RUN-NONINTERACTIVE image \"$inside/shot.xcf\"))" --quit)
  gui=(gimp-3.0 -n -s)
else
  run_env=(env -i HOME="$tmp/home" GIMP2_DIRECTORY="$tmp/profile"
           PATH=/usr/bin:/bin LANG=C.UTF-8)
  console=(gimp-console-2.10 -i -d -f -b "(let* ((image (car \
(gimp-file-load RUN-NONINTERACTIVE \"$tmp/shot.xcf\" \"x\"))) (group \
(aref (cadr (gimp-image-get-layers image)) 0))) (gimp-layer-set-opacity \
group $opacity) (if (> (string-length \"$hide\") 0) (gimp-item-set-visible \
(car (gimp-image-get-layer-by-name image \"$hide\")) FALSE)) \
(gimp-xcf-save 0 image group \"$tmp/shot.xcf\" \"x\"))" \
           -b '(gimp-quit 0)')
  gui=(gimp-2.10 -n -s -d)
fi
"${run_env[@]}" "${console[@]}" >/dev/null 2>&1
exec 3< <(Xvfb -displayfd 1 -screen 0 1440x760x24 -listen tcp -ac \
            2>/dev/null)
xvfb=$!
read -r display <&3
"${run_env[@]}" DISPLAY="127.0.0.1:$display" "${gui[@]}" "$inside/shot.xcf" \
  >/dev/null 2>&1 &
gimp=$!
for _ in $(seq 90); do
  sleep 1
  DISPLAY="127.0.0.1:$display" xdotool search --name "shot" >/dev/null 2>&1 \
    && break
done
sleep 8   # the layer previews
# the pointer out of the way: GIMP 3 draws its brush outline under it
DISPLAY="127.0.0.1:$display" xdotool mousemove 0 0 >/dev/null 2>&1 || true
sleep 1
DISPLAY="127.0.0.1:$display" import -window root "$out"
echo "wrote $out"
