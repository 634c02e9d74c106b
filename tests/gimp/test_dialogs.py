#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The dialog under Xvfb, in C and zh_CN, with a screenshot, and its
preview showing the map."""
import os
import shutil
import subprocess

import numpy as np
from PIL import Image

from harness import (check, FIXTURES, PHOTO)



DIALOG_TITLES = {"zh_CN.UTF-8": "CNN 特征图", "C.UTF-8": "CNN Feature Maps"}


TEXTURES = os.path.join(os.path.dirname(PHOTO), "textures.png")


def walkthrough_values(g):
    """The README's walk-through as the dialog's values: the residual
    network of BasicBlocks on brick and grass, its first block's maps."""
    nets = os.path.join(FIXTURES, "networks")
    return [("filter-bank", "model"),
            ("model-file", g.inside(os.path.join(nets, "texture_resnet.pth"))),
            ("network", open(os.path.join(nets, "texture_resnet.txt")).read()),
            ("layer", "layer1.0"), ("input", "luma"),
            ("input-normalize", "0.5/0.25"), ("colormap", "viridis"),
            ("labels", open(os.path.join(nets, "texture-labels.txt")).read()
             .strip())]


def escaped(text):
    """TEXT with backslashes, quotes and newlines escaped, as g_strescape
    and GIMP 3's config files write them."""
    return text.replace("\\", "\\\\").replace('"', '\\"') \
        .replace("\n", "\\n")


def last_values_script(g):
    """Script-Fu that gives GIMP 2.10's plug-in the walk-through's values
    as its last values (name=value lines, strings escaped as g_strescape
    writes them), so that its dialog opens on them."""
    lines = ["%s=%s" % (k, escaped(v)) for k, v in walkthrough_values(g)]
    codes = [ord(c) for c in "\n".join(lines) + "\n"] + [0]
    return ('(gimp-procedural-db-set-data "plug-in-cnn-feature-maps" %d '
            '(list->vector (list %s)))' % (len(codes),
                                           " ".join(map(str, codes))))


def write_last_values(g):
    """GIMP 3's last values of the procedure, the walk-through's, in the
    profile's plug-in-settings as GIMP's config files hold them, so that
    its dialog opens on them."""
    folder = g.host(g.work + "/profile/plug-in-settings")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "GimpProcedureConfigRun-"
                           "plug-in-cnn-feature-maps.last"), "w") as f:
        f.write("# settings\n\n")
        for k, v in walkthrough_values(g):
            if k == "model-file":   # a GFile, by its URI
                v = "file://" + v
            f.write('(%s "%s")\n' % (k, escaped(v)))
        f.write("\n# end of settings\n")


def probe_script(g):
    """A tutorial run's layers, a one-pixel selection on the ReLU map of
    filter 3, and the probe run interactively on it."""
    from test_probe import FIND2, FIND3
    out = g.work + "/dialog-probe"
    g.batch(["-o", out], [PHOTO])
    xcf = os.path.join(out, "chelsea.xcf")
    select = "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 150 90 1 1)"
    if g.series == "2.10":
        return ('%s (let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" '
                '"%s"))) (top (vector->list (cadr (gimp-image-get-layers '
                'image))))) %s (plug-in-cnn-feature-maps-probe '
                'RUN-INTERACTIVE image (cfm-find top "Filter 3 relu") 0 0))'
                % (FIND2, xcf, xcf, select))
    return ('(script-fu-use-v3) %s (let* ((image (gimp-file-load '
            'RUN-NONINTERACTIVE "%s")) (top (vector->list '
            '(gimp-image-get-layers image)))) %s '
            '(plug-in-cnn-feature-maps-probe #:run-mode RUN-INTERACTIVE '
            '#:image image #:drawables (vector (cfm-find top "Filter 3 '
            'relu")) #:x 0 #:y 0))' % (FIND3, xcf, select))


def test_dialog(g, lang, display, shots, model=False, probe=False):
    """The dialog comes up, in LANG, when the procedure runs interactively
    under Xvfb; a screenshot of it goes to SHOTS.  MODEL (GIMP 2.10): on a
    trained model's layer, its module table in the summary and its map in
    the preview.  PROBE: the probe's dialog on a pixel of a map."""
    tag = "GIMP %s dialog in %s%s" % (g.series, lang,
                                      " on a model" if model else
                                      " of the probe" if probe else "")
    if not shutil.which("Xvfb") or not shutil.which("xwininfo"):
        print("skip - %s: Xvfb or xwininfo is not installed" % tag)
        return
    # Xvfb picks a free display and tells which (-displayfd).
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0",
                             "1600x1200x24", "-listen", "tcp", "-ac"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    display = int(xvfb.stdout.readline().strip() or display)
    photo = g.inside(TEXTURES if model else PHOTO)
    if model and g.series != "2.10":
        write_last_values(g)
    if g.series != "2.10":
        script = ('(script-fu-use-v3) (let* ((image (gimp-file-load '
                  'RUN-NONINTERACTIVE "%s")) (layers '
                  '(gimp-image-get-selected-layers image))) '
                  '(plug-in-cnn-feature-maps #:run-mode RUN-INTERACTIVE '
                  '#:image image #:drawables layers))' % photo)
        cmd = [g.console, "-i", "--batch-interpreter",
               "plug-in-script-fu-eval", "-b", script, "--quit"]
    else:
        # Every positional argument, as the batch command writes the call.
        _, calls, _ = g.batch(["--print-call"], [])
        call = [l for l in calls.splitlines() if l.startswith("GIMP 2.10:")]
        call = call[0].split(":", 1)[1].strip().replace(
            "RUN-NONINTERACTIVE", "RUN-INTERACTIVE")
        script = ('(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE '
                  '"%s" "%s"))) (drawable (car (gimp-image-get-active-drawable '
                  'image)))) %s)' % (photo, photo, call))
        if model:
            script = "(begin %s %s)" % (last_values_script(g), script)
        cmd = ["gimp-console-2.10", "-i", "-d", "-f", "-b", script, "-b",
               "(gimp-quit 0)"]
    if probe:
        cmd[cmd.index("-b") + 1] = probe_script(g)
    env = {"HOME": g.work + "/home", "GIMP2_DIRECTORY": g.work + "/profile",
           "GIMP3_DIRECTORY": g.work + "/profile", "PATH": "/usr/bin:/bin",
           "LANG": lang, "LC_ALL": lang, "LANGUAGE": lang.split(".")[0],
           "DISPLAY": "127.0.0.1:%d" % display}
    if g.root:
        cmd = ["chroot", g.root, "env", "-i"] + \
            ["%s=%s" % kv for kv in env.items()] + cmd
    title = "CNN Feature Maps Probe" if probe else DIALOG_TITLES[lang]
    window = None
    gimp = None
    try:
        gimp = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                env=None if g.root else env,
                                start_new_session=True)
        # GIMP 3.2 can take most of a minute to open the dialog on a busy
        # machine: wait up to two.
        for _ in range(240):
            tree = subprocess.run(["xwininfo", "-root", "-tree", "-display",
                                   "127.0.0.1:%d" % display],
                                  capture_output=True, text=True).stdout
            for line in tree.splitlines():
                if '"%s"' % title in line:
                    window = line.split()[0]
            if window:
                break
            import time
            time.sleep(0.5)
        check(window is not None, tag + ": the dialog is titled %r" % title)
        if window and shutil.which("import"):
            import time
            if shutil.which("xdotool"):
                # The pointer starts mid-screen, where a tooltip would open.
                subprocess.run(["xdotool", "mousemove", "0", "0"],
                               env={"DISPLAY": "127.0.0.1:%d" % display},
                               capture_output=True)
            time.sleep(2.5)   # let it draw, and the preview compute
            os.makedirs(shots, exist_ok=True)
            shot = os.path.join(shots, "dialog-gimp%s-%s%s.png"
                                % (g.series, lang.split(".")[0],
                                   "-model" if model else
                                   "-probe" if probe else ""))
            subprocess.run(["import", "-display", "127.0.0.1:%d" % display,
                            "-window", window, shot],
                           capture_output=True)
            check(os.path.exists(shot), tag + ": screenshot " + shot)
            if probe:
                pass   # the explanation is text, checked by test_probe
            elif os.path.exists(shot) and model:
                # The preview shows channel 1's ReLU map in viridis, whose
                # zero is its darkest purple (68, 1, 84).
                px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
                dark = int((np.abs(px - [68, 1, 84]).sum(axis=2) < 12).sum())
                check(dark > 2000, tag + ": the preview shows the model's "
                      "map in viridis (%d pixels)" % dark)
            elif os.path.exists(shot):
                # The preview starts on filter 1's ReLU map in gray, scaled
                # to its range: its zeros are pure black, which neither the
                # photo nor the dialog's theme has.
                px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
                black = int((px.sum(axis=2) == 0).sum())
                check(black > 5000, tag + ": the preview shows the ReLU "
                      "map (%d black pixels)" % black)
    finally:
        if gimp:
            os.killpg(gimp.pid, 9)
            gimp.wait()
        xvfb.terminate()   # SIGTERM: Xvfb removes its lock file
        xvfb.wait()
