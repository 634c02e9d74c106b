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

    gimp_e2e.py --model [--gimp2-build DIR]
A trained network's layer instead: ResNet-50's layer3 (graph_bench.py's
ONNX exports: the whole network, and its trunk to layer3), channels 1 to 4
aligned over the photo enlarged to 2 and 12 megapixels, against the core's
own forward pass on the same input in a process of its own (cfm-graph-run,
the plug-in's two threads).
Prints "model|GIMP|network|megapixels|plugin s|core to layer3 s|core to
layer3 and the end s|ratio to layer3|ratio to the same values|plugin MB":
for the classifier the plug-in computes layer3 and the logits in one pass,
as the core's second run does (layer3 first, so its bands pace the pass).
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


# The model runs: four channels of ResNet-50's layer3, from the whole
# network (a classifier: the run also takes it to its end for the
# prediction) and from its trunk alone (the first seven modules as a
# Sequential: layer3 is "6"), graph_bench.py's ONNX exports.
MODEL_SETTINGS = ["filter-bank=model", "input=rgb",
                  "input-normalize=imagenet", "filters=1-4"]
MODELS = [("ResNet-50", "resnet50.onnx", "layer3"),
          ("ResNet-50 trunk", "resnet50-layer3.onnx", "6")]
MODEL_SIZES = [(1632, 1224), (4000, 3000)]   # 2 and 12 megapixels
GRAPH_BENCH = "/var/cache/cnn-feature-maps/graph-bench"


def model_call2(build, model, layer):
    """The GIMP 2.10 call of the model run, as the batch command writes it."""
    sets = []
    for v in MODEL_SETTINGS + ["model-file=" + model, "layer=" + layer]:
        sets += ["--set", v]
    calls = subprocess.run([os.path.join(build, "plugin",
                                         "cnn-feature-maps-batch"),
                            "--print-call"] + sets, capture_output=True,
                           text=True).stdout
    call = [l for l in calls.splitlines() if l.startswith("GIMP 2.10:")]
    return call[0].split(":", 1)[1].strip().replace("drawable", "d")


def script2_model(photo, size, call):
    return ('(gimp-message-set-handler 1)'
            '(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" "%s")))'
            ' (d (car (gimp-image-get-active-drawable image))))'
            ' (gimp-image-scale image %d %d) (gimp-message "CFM-T start")'
            ' %s (gimp-message "CFM-T plugin") (gimp-message "CFM-T '
            'convmatrix"))' % (photo, photo, size[0], size[1], call))


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


def launch(series, build, root, work, size, call=None):
    """One gimp-console run on the photo enlarged to SIZE in profile WORK;
    the plug-in's and the four Convolution Matrix runs' seconds and the
    plug-in's peak memory; with CALL (GIMP 2.10), that call instead of the
    tutorial's."""
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
               script2_model(photo, size, call) if call
               else script2(photo, size, build), "-b", "(gimp-quit 0)"]
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


def run(series, build, root, size, call=None):
    work = tempfile.mkdtemp(prefix="cfm-e2e-", dir=(root or "") + "/tmp")
    plug = os.path.join(work, "plug-ins", "cnn-feature-maps")
    os.makedirs(plug)
    shutil.copy(os.path.join(build, "plugin", "cnn-feature-maps"), plug)
    shutil.copy(PHOTO, os.path.join(work, "photo.png"))
    launch(series, build, root, work, (451, 300), call)   # fills the caches
    result = launch(series, build, root, work, size, call)
    shutil.rmtree(work, ignore_errors=True)
    return result


def core_forward(build, model, size, *nodes):
    """The core's forward pass to NODES on SIZE, best of two, seconds."""
    p = subprocess.run([os.path.join(build, "tests/bench/cfm-graph-run"),
                        model, str(size[0]), str(size[1]), "4"] + list(nodes),
                       capture_output=True, text=True, check=True,
                       env=dict(os.environ, CFM_THREADS="2"))
    return float(p.stdout.strip().split("|")[1])


def model_rows(build):
    """The model runs in GIMP 2.10 against the core's forward pass to the
    layer, and to the layer and the classifier's end in one pass (the
    values the plug-in computes)."""
    for title, name, layer in MODELS:
        model = os.path.join(GRAPH_BENCH, name)
        if not os.path.exists(model):
            sys.exit("%s is missing: run tests/bench/graph_bench.py first"
                     % model)
        call = model_call2(build, model, layer)
        for size in MODEL_SIZES:
            plugin, _, mem = run("2.10", build, None, size, call)
            core = core_forward(build, model, size, layer)
            end = core_forward(build, model, size, layer, "fc") \
                if layer == "layer3" else core
            print("model|GIMP 2.10|%s|%.1f|%.2f|%.2f|%.2f|%.2f|%.2f|%s"
                  % (title, size[0] * size[1] / 1e6, plugin, core, end,
                     plugin / core, plugin / end, mem))
            sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gimp2-build")
    ap.add_argument("--gimp3-build")
    ap.add_argument("--gimp3-root")
    ap.add_argument("--model", action="store_true")
    o = ap.parse_args()
    if o.model:
        return model_rows(os.path.abspath(o.gimp2_build))
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
