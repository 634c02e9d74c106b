#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The batch command's own work: the expanded bank and the recipe it
reads back."""
import os

import numpy as np

from harness import (
    FIXTURES,
    check,
    layers_of,
    png,
    expected_codes,
    compare,
    PHOTO,
    conv_valid)



def test_expand_and_recipe(g):
    """expand grows the bank as numpy would; the group carries its recipe,
    and running the recipe again gives the same layers."""
    tag = "GIMP %s expand and recipe" % g.series
    out = g.work + "/expand"
    rc, so, se = g.batch(["-o", out, "--png", "--set", "filter-bank=sobel",
                          "--set", "expand=tutorial", "--set", "filters=2,7",
                          "--set", "show-pool=false"], [PHOTO])
    if not check(rc == 0, tag + ": batch succeeds", se[-300:]):
        return
    names = sorted(l[0].split(" (")[0] for l in layers_of(so))
    check(names == ["Filter 2 conv", "Filter 2 relu", "Filter 7 conv",
                    "Filter 7 relu"], tag + ": filters 2 and 7 of 8",
          str(names))
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    sy = sx.T
    gray = np.load(os.path.join(FIXTURES, "photo_gray_u8.npy")) / 255.0
    # sobel x, y each grown into k, -k, k.T, -k.T: 2 is -sx, 7 is sy.T
    for n, k in ((2, -sx), (7, sy.T)):
        ref = conv_valid(gray, k)
        compare("%s: Filter %d conv values" % (tag, n),
                png(g, out, "Filter %d conv" % n), expected_codes(ref))
    xcf = open(g.host(out + "/chelsea.xcf"), "rb").read()
    start = xcf.find(b"filter-bank=")
    recipe = xcf[start:xcf.find(b"\0", start)].decode() if start >= 0 else ""
    check("filter-bank=sobel\n" in recipe and "expand=tutorial\n" in recipe
          and "filters=2,7\n" in recipe, tag + ": the group carries the "
          "recipe", recipe[:200])
    sets = []
    for line in recipe.splitlines():
        name, _, value = line.partition("=")
        if name == "kernel-file" and value == "":
            continue
        sets += ["--set", "%s=%s" % (name, value.encode().decode(
            "unicode_escape"))]
    out2 = g.work + "/expand-again"
    rc, so, se = g.batch(["-o", out2, "--png"] + sets, [PHOTO])
    same = rc == 0
    for n in (2, 7):
        for st in ("conv", "relu"):
            a = png(g, out, "Filter %d %s" % (n, st)) if same else None
            b = png(g, out2, "Filter %d %s" % (n, st)) if same else None
            same = same and a.shape == b.shape and (a == b).all()
    check(same, tag + ": the recipe run again gives identical layers",
          se[-300:])
