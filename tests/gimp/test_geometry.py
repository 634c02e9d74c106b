#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where layers lie and what they cover: per-stage ranges on a selection,
two selected layers, kernel figures and legends."""
import os

import numpy as np
from PIL import Image

from harness import (
    FIXTURES,
    check,
    layers_of,
    png,
    expected_codes,
    compare,
    PHOTO)



def test_per_stage_and_selection(g):
    tag = "GIMP %s" % g.series
    out = g.work + "/stage"
    sel = ("(gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
           "100 50 200 120)")
    rc, so, se = g.batch(["-o", out, "--png", "--set", "normalize=per-stage",
                          "--set", "show-pool=false", "--before", sel],
                         [PHOTO])
    if not check(rc == 0, tag + " selection: batch succeeds", se[-500:]):
        return
    layers = {l[0].split(" (")[0]: l for l in layers_of(so)}
    check(len(layers) == 8, tag + " selection: 8 layers without pooling",
          str(sorted(layers)))
    conv = np.load(os.path.join(FIXTURES, "tutorial_conv.npy"))
    crop = conv[:, 50:50 + 117, 100:100 + 197]
    relu = np.maximum(crop, 0)
    _, x, y, w, h = layers.get("Filter 3 conv", (0, 0, 0, 0, 0))
    check((x, y, w, h) == (101, 51, 197, 117),
          tag + " selection: maps placed over the selection",
          str((x, y, w, h)))
    for f in range(4):
        compare("%s selection per-stage: Filter %d conv" % (tag, f + 1),
                png(g, out, "Filter %d conv" % (f + 1)),
                expected_codes(crop[f], crop.min(), crop.max()))
        compare("%s selection per-stage: Filter %d relu" % (tag, f + 1),
                png(g, out, "Filter %d relu" % (f + 1)),
                expected_codes(relu[f], relu.min(), relu.max()))


def test_two_layers(g):
    """GIMP 3 takes several selected layers: each gets its own group."""
    if g.series == "2.10":
        return
    before = ("(let ((l2 (gimp-layer-copy (vector-ref layers 0)))) "
              "(gimp-image-insert-layer image l2 0 0) "
              "(gimp-layer-set-offsets l2 40 30) "
              "(set! layers (vector (vector-ref layers 0) l2)))")
    rc, so, se = g.batch(["-o", g.work + "/two", "--before", before], [PHOTO])
    layers = layers_of(so)
    check(rc == 0 and len(layers) == 24, "GIMP 3 two selected layers: a "
          "group each (24 layers)", "exit %d, %d layers %s" % (
              rc, len(layers), se[-200:]))
    offsets = sorted({(l[1], l[2]) for l in layers if " conv" in l[0]})
    check(offsets == [(1, 1), (41, 31)], "GIMP 3 two selected layers: each "
          "group over its own layer", str(offsets))


def test_swatches_and_legend(g):
    """The kernel figure and the legend layers, as the tutorial draws its
    filters: gray cells from the bank's lowest to highest weight, values
    written on them; the legend's ends are the colormap's ends."""
    tag = "GIMP %s kernels and legend" % g.series
    out = g.work + "/swatch"
    rc, so, se = g.batch(["-o", out, "--png", "--set", "kernel-swatches=true",
                          "--set", "legend=true", "--set",
                          "normalize=per-stage"], [PHOTO])
    if not check(rc == 0, tag + ": batch succeeds", se[-300:]):
        return
    layers = {l[0]: l for l in layers_of(so)}
    for n in range(1, 5):
        check(layers.get("Filter %d kernel" % n, (0,) * 5)[3:] == (112, 112),
              "%s: Filter %d kernel, 4x4 cells of 28 px" % (tag, n))
    check(all(("%s legend" % st) in layers for st in
              ("conv", "relu", "max-pool")), tag + ": a legend per stage",
          str(sorted(layers)))
    kern = np.asarray(Image.open(g.host(os.path.join(
        out, "chelsea-maps", "Filter 3 kernel.png"))))[:, :, 0]
    # filter_3 = filter_1.T: the top two rows -1 (black), the others 1.
    for cy in range(4):
        for cx in range(4):
            cell = kern[cy * 28:(cy + 1) * 28, cx * 28:(cx + 1) * 28]
            shade, ink = (0, 255) if cy < 2 else (255, 0)
            check(cell[1, 1] == shade and (cell == ink).sum() > 20,
                  "%s: Filter 3 cell (%d, %d) gray %d with its value "
                  "written" % (tag, cy, cx, shade))
    leg = np.asarray(Image.open(g.host(os.path.join(
        out, "chelsea-maps", "conv legend.png"))))[:, :, 0]
    check(leg[2, 0] == 0 and leg[2, -1] == 255, tag + ": legend from black "
          "to white", "%d .. %d" % (leg[2, 0], leg[2, -1]))
