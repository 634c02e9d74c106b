#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The filter bank "selection": the selected patch, made zero-mean and of
unit norm, as the kernel of a matched filter over the whole layer; its
maps against numpy's, its peak on the patch, its rotations, refusals."""
import os

import numpy as np
from PIL import Image

from harness import FIXTURES, PHOTO, check, layers_of, read_map, \
    check_refusals, run_script


def matched(gray, patch):
    """Cross-correlation of GRAY with PATCH made zero-mean, unit-norm."""
    k = patch - patch.mean()
    k = k / np.sqrt((k * k).sum())
    win = np.lib.stride_tricks.sliding_window_view(gray, k.shape)
    return np.einsum("ijkl,kl->ij", win, k)


def select(x, y, w, h):
    return ("(gimp-image-select-rectangle image CHANNEL-OP-REPLACE %d %d %d "
            "%d)" % (x, y, w, h))


def test_selection_bank(g):
    tag = "GIMP %s filter bank selection" % g.series
    # In a float image luma is the weighted sum of the channels, unrounded.
    rgb = np.load(os.path.join(FIXTURES, "photo_rgb.npy")).astype(np.float64)
    gray = (0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1]
            + 0.114 * rgb[:, :, 2]) / 255.0
    # Raw values in a float image: the map is numpy's matched filter of
    # the patch, over the whole layer although a patch is selected.
    out = g.work + "/selection"
    rc, so, se = g.batch(["-o", out, "--png", "--set", "filter-bank=selection",
                          "--set", "normalize=none", "--set",
                          "show-activation=false", "--set", "show-pool=false",
                          "--set", "align=false", "--before",
                          select(140, 80, 15, 11) +
                          "(gimp-image-convert-precision image 650)"],
                         [PHOTO])
    if check(rc == 0, tag + ": batch succeeds", se[-300:]):
        want = matched(gray, gray[80:91, 140:155])
        layers = {l[0].split(" (")[0]: l for l in layers_of(so)}
        check(layers.get("Filter 1 conv", ())[1:] == (0, 0) + want.shape[::-1],
              tag + ": one map over the whole layer", str(layers))
        got = read_map(g.host(os.path.join(out, "chelsea-maps",
                                           "Filter 1 conv.png")))
        # a PNG keeps 0..1
        worst = (np.abs(got - np.clip(want, 0, 1)).max()
                 if got.shape == want.shape else 9)
        check(worst <= 1.5 / 255, tag + ": the map is numpy's matched filter "
              "of the zero-mean, unit-norm patch", "worst %.5f" % worst)
    # A pattern on a quiet background: the map peaks where the patch was
    # taken, and the eight orientations come with expand=rotations.
    rng = np.random.default_rng(1)
    quiet = 128 + rng.integers(-3, 4, (90, 120))
    pattern = np.kron([[1, 0, 1], [0, 1, 1], [1, 1, 0]], np.ones((3, 3)))
    quiet[40:49, 60:69] = np.where(pattern > 0, 230, 30)
    path = g.host(os.path.join(g.work, "pattern.png"))
    Image.fromarray(quiet.astype(np.uint8), "L").save(path)
    out = g.work + "/selection-pattern"
    rc, so, se = g.batch(["-o", out, "--png", "--set", "filter-bank=selection",
                          "--set", "expand=rotations", "--set",
                          "show-activation=false", "--set", "show-pool=false",
                          "--set", "align=false", "--before",
                          select(60, 40, 9, 9)],
                         [os.path.join(g.work, "pattern.png")])
    if check(rc == 0, tag + " on a pattern: batch succeeds", se[-300:]):
        names = sorted(l[0].split(" (")[0] for l in layers_of(so))
        check(names == sorted("Filter %d conv" % f for f in range(1, 9)),
              tag + ": expand=rotations gives the 8 orientations",
              str(names))
        m = read_map(g.host(os.path.join(out, "pattern-maps",
                                         "Filter 1 conv.png")))
        check(np.unravel_index(m.argmax(), m.shape) == (40, 60),
              tag + ": the map peaks on the patch's own place",
              str(np.unravel_index(m.argmax(), m.shape)))
        # The probe finds the patch again from the recipe: its value at
        # the peak is numpy's (1: the patch against itself).
        from test_probe import parse, probe_script
        want = matched(quiet / 255.0, quiet[40:49, 60:69] / 255.0)[40, 60]
        res, _ = parse(run_script(g, probe_script(
            g, g.inside(os.path.join(out, "pattern.xcf")),
            [("Filter 1 conv", 60, 40)])))
        check(len(res) == 1 and res[0] is not None
              and abs(res[0][0] - want) <= 1e-5,
              tag + ": the probe of its map gives numpy's value", str(res))
    check_refusals(g, [
        ("a selection larger than 31 x 31",
         ["--set", "filter-bank=selection"], select(10, 10, 40, 20),
         "at most 31 x 31", 1),
        ("no selection", ["--set", "filter-bank=selection"], None,
         "select a patch", 1),
    ], PHOTO)
    flat = g.host(os.path.join(g.work, "flat.png"))
    Image.fromarray(np.full((40, 60), 128, np.uint8), "L").save(flat)
    check_refusals(g, [("a flat patch", ["--set", "filter-bank=selection"],
                        select(5, 5, 7, 7), "one flat value", 1)],
                   os.path.join(g.work, "flat.png"))
