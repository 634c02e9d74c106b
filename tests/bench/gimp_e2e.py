#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end figures in GIMP, for the benchmark table.

In one gimp-console batch run per GIMP: the sample photo enlarged to
4000x3000, then the plug-in with the tutorial's settings (12 layers), then
GIMP's own Convolution Matrix four times on the same layer.  The times are
taken between messages the script prints, so GIMP's start-up and file
loading are not in them; the plug-in reports the peak memory of its whole
process, start-up included (CFM_REPORT).  A small run first fills the
profile's caches (babl's fish cache), as a user's GIMP has them.  A
10000x10000 run (100 megapixels) reports its memory too.

    gimp_e2e.py [--gimp2-build DIR] [--gimp3-build DIR --gimp3-root ROOT]
Prints lines "e2e|GIMP|plugin s|convmatrix s|plugin MB|100MP MB".
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PHOTO = os.path.join(SRC, "tests", "data", "chelsea.png")
MATRIX = "-1 -1 1 1 0 -1 -1 1 1 0 -1 -1 1 1 0 -1 -1 1 1 0 0 0 0 0 0"


def script2(photo, size, build):
    # Every positional argument, as the batch command writes the call.
    calls = subprocess.run([os.path.join(build, "plugin",
                                         "cnn-feature-maps-batch"),
                            "--print-call"], capture_output=True,
                           text=True).stdout
    call = [l for l in calls.splitlines() if l.startswith("GIMP 2.10:")]
    call = call[0].split(":", 1)[1].strip().replace("drawable", "d")
    conv = ('(plug-in-convmatrix RUN-NONINTERACTIVE image d 25 (vector %s) 0 '
            '1 0 5 (vector 0 1 1 1 0) 0)' % MATRIX)
    return ('(gimp-message-set-handler 1)'
            '(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" "%s")))'
            ' (d (car (gimp-image-get-active-drawable image))))'
            ' (gimp-image-scale image %d %d) (gimp-message "CFM-T start")'
            ' %s (gimp-message "CFM-T plugin") %s'
            ' (gimp-message "CFM-T convmatrix"))'
            % (photo, photo, size[0], size[1], call,
               " ".join([conv] * 4) if size[0] == 4000 else ""))


def script3(photo, size):
    conv = ('(gimp-drawable-merge-new-filter d "gegl:convolution-matrix" 0 '
            'LAYER-MODE-REPLACE 1.0 %s "divisor" 1.0 "normalize" #f)'
            % " ".join('"%s%d" %s' % ("abcde"[i % 5], i // 5 + 1, v)
                       for i, v in enumerate(MATRIX.split())))
    return ('(script-fu-use-v3) (gimp-message-set-handler CONSOLE)'
            '(let* ((image (gimp-file-load RUN-NONINTERACTIVE "%s"))'
            ' (layers (gimp-image-get-selected-layers image))'
            ' (d (vector-ref layers 0)))'
            ' (gimp-image-scale image %d %d) (gimp-message "CFM-T start")'
            ' (plug-in-cnn-feature-maps #:run-mode RUN-NONINTERACTIVE'
            ' #:image image #:drawables layers)'
            ' (gimp-message "CFM-T plugin") %s'
            ' (gimp-message "CFM-T convmatrix"))'
            % (photo, size[0], size[1],
               " ".join([conv] * 4) if size[0] == 4000 else ""))


def launch(series, build, root, work, size):
    """One gimp-console run on the photo enlarged to SIZE in profile WORK;
    the plug-in's and the four Convolution Matrix runs' seconds and the
    plug-in's peak memory."""
    inside = work[len(root or ""):]
    photo = os.path.join(inside, "photo.png")
    env = {"HOME": inside, "GIMP2_DIRECTORY": inside,
           "GIMP3_DIRECTORY": inside, "PATH": "/usr/bin:/bin",
           "CFM_REPORT": "1", "GEGL_SWAP": inside}
    if series == "3":
        cmd = ["gimp-console-3.0", "-i", "--batch-interpreter",
               "plug-in-script-fu-eval", "-b", script3(photo, size), "--quit"]
    else:
        cmd = ["gimp-console-2.10", "-i", "-d", "-f", "-b",
               script2(photo, size, build), "-b", "(gimp-quit 0)"]
    if root:
        cmd = ["chroot", root, "env", "-i"] + \
            ["%s=%s" % kv for kv in env.items()] + cmd
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True,
                            env=None if root else env)
    marks, mem = {}, None
    for line in proc.stderr:
        m = re.search(r"CFM-T (\w+)", line)
        if m:
            marks[m.group(1)] = time.monotonic()
        m = re.search(r"process peak memory (\d+) MB", line)
        if m:
            mem = int(m.group(1))
    proc.wait()
    plugin = marks.get("plugin", 0) - marks.get("start", 0)
    conv = marks.get("convmatrix", 0) - marks.get("plugin", 0)
    return plugin, conv, mem


def run(series, build, root, size):
    work = tempfile.mkdtemp(prefix="cfm-e2e-", dir=(root or "") + "/tmp")
    plug = os.path.join(work, "plug-ins", "cnn-feature-maps")
    os.makedirs(plug)
    shutil.copy(os.path.join(build, "plugin", "cnn-feature-maps"), plug)
    shutil.copy(PHOTO, os.path.join(work, "photo.png"))
    launch(series, build, root, work, (451, 300))   # fills the caches
    result = launch(series, build, root, work, size)
    shutil.rmtree(work, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gimp2-build")
    ap.add_argument("--gimp3-build")
    ap.add_argument("--gimp3-root")
    o = ap.parse_args()
    todo = []
    if o.gimp2_build and shutil.which("gimp-console-2.10"):
        todo.append(("2.10", os.path.abspath(o.gimp2_build), None))
    if o.gimp3_build and o.gimp3_root:
        todo.append(("3", os.path.abspath(o.gimp3_build), o.gimp3_root))
    for series, build, root in todo:
        p, c, mem = run(series, build, root, (4000, 3000))
        _, _, mem100 = run(series, build, root, (10000, 10000))
        print("e2e|GIMP %s|%.2f|%.2f|%s|%s" % (series, p, c, mem, mem100))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
