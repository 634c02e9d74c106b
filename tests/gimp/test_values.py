#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Layer values against PyTorch: the tutorial's twelve layers, colormaps
against matplotlib, every image kind and precision, raw values, and both
GIMP builds giving identical layers."""
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
    PHOTO,
    conv_valid,
    tutorial_maps,
    read_map)



def test_tutorial(g, align=True):
    tag = "GIMP %s tutorial%s" % (g.series, "" if align else " align off")
    out = g.work + "/tutorial" + ("" if align else "-noalign")
    args = ["-o", out, "--png"]
    if not align:
        args += ["--set", "align=false"]
    rc, so, se = g.batch(args, [PHOTO])
    if not check(rc == 0, tag + ": batch succeeds", se[-500:]):
        return None
    layers = {l[0].split(" (")[0]: l for l in layers_of(so)}
    names = ["Filter %d %s" % (f, s) for f in range(1, 5)
             for s in ("conv", "relu", "max-pool")]
    check(sorted(layers) == sorted(names), tag + ": 12 layers named "
          "Filter N conv/relu/max-pool", str(sorted(layers)))
    refs = {s: np.load(os.path.join(FIXTURES, "tutorial_%s.npy" % s))
            for s in ("conv", "relu", "pool")}
    h, w = refs["conv"].shape[1:]
    ph, pw = refs["pool"].shape[1:]
    for f in range(1, 5):
        for stage, ref in (("conv", "conv"), ("relu", "relu"),
                           ("max-pool", "pool")):
            name = "Filter %d %s" % (f, stage)
            if name not in layers:
                continue
            _, x, y, lw, lh = layers[name]
            scale = 2 if (stage == "max-pool" and align) else 1
            mh, mw = (ph, pw) if stage == "max-pool" else (h, w)
            off = 1 if align else 0
            check((x, y, lw, lh) == (off, off, mw * scale, mh * scale),
                  "%s: %s geometry" % (tag, name),
                  "%s vs %s" % ((x, y, lw, lh),
                                (off, off, mw * scale, mh * scale)))
            want = expected_codes(ref=refs[ref][f - 1])
            if scale > 1:
                want = np.kron(want, np.ones((scale, scale)))
            compare("%s: %s values = PyTorch" % (tag, name),
                    png(g, out, name), want)
    return out


def test_colormaps(g):
    """Viridis and the diverging colormap on the tutorial's ReLU and conv
    maps, against matplotlib's viridis of PyTorch's maps and against the
    diverging map's formula (blue, white, red about zero)."""
    from matplotlib import colormaps
    refs = {s: np.load(os.path.join(FIXTURES, "tutorial_%s.npy" % s))
            for s in ("conv", "relu")}
    for cmap in ("viridis", "diverging"):
        tag = "GIMP %s colormap %s" % (g.series, cmap)
        out = g.work + "/cmap-" + cmap
        rc, so, se = g.batch(["-o", out, "--png", "--set",
                              "colormap=" + cmap], [PHOTO])
        if not check(rc == 0, tag + ": batch succeeds", se[-500:]):
            continue
        for f, stage, ref in ((1, "relu", "relu"), (3, "conv", "conv")):
            v = refs[ref][f - 1].astype(np.float64)
            if cmap == "viridis":
                t = (v - v.min()) / (v.max() - v.min())
                # as float colours, which GIMP rounds to 8 bits
                want = np.round(255 * colormaps["viridis"](t)[:, :, :3])
            else:
                m = np.abs(v).max()
                t = np.clip((v + m) / (2 * m), 0, 1)[:, :, None]
                low = np.concatenate([2 * t, 2 * t, np.ones_like(t)], 2)
                high = np.concatenate([np.ones_like(t), 2 * (1 - t),
                                       2 * (1 - t)], 2)
                want = np.round(255 * np.where(t < 0.5, low, high))
            got = png(g, out, "Filter %d %s" % (f, stage))[:, :, :3]
            diff = np.abs(got.astype(np.int32) - want.astype(np.int32)) \
                if got.shape == want.shape else None
            # PyTorch's sums differ from the plug-in's in the last bits, so
            # a value on an entry's edge may take the next entry.
            check(diff is not None and diff.max() <= 4
                  and (diff.max(axis=2) == 0).mean() > 0.99,
                  "%s: Filter %d %s = PyTorch's map coloured" % (tag, f, stage),
                  "shape %s vs %s, worst %s, exact %.4f" % (
                      got.shape, want.shape,
                      diff.max() if diff is not None else "-",
                      (diff.max(axis=2) == 0).mean()
                      if diff is not None else 0))


def test_image_kinds(g):
    """Alpha, 16-bit and float precision, offsets: correct values."""
    rgb = np.load(os.path.join(FIXTURES, "photo_rgb.npy")).astype(np.float64)
    gray_f = (0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1]
              + 0.114 * rgb[:, :, 2]) / 255.0
    conv_f, relu_f, _ = tutorial_maps(gray_f)
    gray_u8 = np.load(os.path.join(FIXTURES, "photo_gray_u8.npy")) / 255.0
    conv_8, relu_8, _ = tutorial_maps(gray_u8)
    three = g.series != "2.10"
    drawable = "(vector-ref layers 0)"
    cases = [
        ("alpha channel", "(gimp-layer-add-alpha %s)" % drawable,
         conv_8, (1, 1), 1.5 / 255),
        ("16-bit perceptual", "(gimp-image-convert-precision image 250)",
         conv_f, (1, 1), 1.5 / 255),
        ("32-bit float perceptual",
         "(gimp-image-convert-precision image 650)", conv_f, (1, 1),
         1.5 / 255),
        ("32-bit float linear", "(gimp-image-convert-precision image 600)",
         conv_f, (1, 1), None),
        ("layer offsets", "(gimp-layer-set-offsets %s 30 20)" % drawable,
         conv_8, (31, 21), 1.5 / 255),
    ]
    for what, before, ref, origin, tol in cases:
        out = g.work + "/kind-" + what.replace(" ", "-")
        rc, so, se = g.batch(["-o", out, "--png", "--before", before],
                             [PHOTO])
        tag = "GIMP %s %s" % (g.series, what)
        if not check(rc == 0, tag + ": batch succeeds", se[-300:]):
            continue
        layers = {l[0].split(" (")[0]: l for l in layers_of(so)}
        _, x, y, w, h = layers.get("Filter 1 conv", (0, 0, 0, 0, 0))
        check((x, y, w, h) == origin + (ref.shape[2], ref.shape[1]),
              tag + ": geometry", str((x, y, w, h)))
        if tol is None:
            # Linear storage: GIMP 3 exports the sRGB encoding of each
            # stored value to PNG, GIMP 2.10 the value as it is.
            c = read_map(g.host(os.path.join(out, "chelsea-maps",
                                             "Filter 1 conv.png")))
            if three:
                c = np.where(c <= 0.04045, c / 12.92,
                             ((c + 0.055) / 1.055) ** 2.4)
            want = (ref[0] - ref[0].min()) / (ref[0].max() - ref[0].min())
            worst = np.abs(c - want).max() if c.shape == want.shape else 9
            check(worst <= 0.012, tag + ": stored values are the map's",
                  "worst %.5f" % worst)
            continue
        for f in range(4):
            got = read_map(g.host(os.path.join(out, "chelsea-maps",
                                               "Filter %d conv.png" % (f + 1))))
            want = (ref[f] - ref[f].min()) / (ref[f].max() - ref[f].min())
            worst = np.abs(got - want).max() if got.shape == want.shape else 9
            check(worst <= tol, "%s: Filter %d conv values" % (tag, f + 1),
                  "worst %.5f, tolerance %.5f" % (worst, tol))
    # Refused up front: a layer group, an indexed image.
    if three:
        group = ("(let ((g (gimp-group-layer-new image \"g\"))) "
                 "(gimp-image-insert-layer image g 0 0) "
                 "(set! layers (vector g)))")
        indexed = ("(gimp-image-convert-indexed image CONVERT-DITHER-NONE "
                   "CONVERT-PALETTE-GENERATE 255 #f #f \"\")")
    else:
        group = ("(let ((g (car (gimp-layer-group-new image)))) "
                 "(gimp-image-insert-layer image g 0 0) (set! drawable g))")
        indexed = ("(gimp-image-convert-indexed image CONVERT-DITHER-NONE "
                   "CONVERT-PALETTE-GENERATE 255 FALSE FALSE \"\")")
    for what, before, message, layers_after in (
            ("a layer group", group, "is a layer group", 2),
            ("an indexed image", indexed, "Indexed images are not", 1)):
        rc, so, se = g.batch(["-o", g.work + "/refused", "--before", before],
                             [PHOTO])
        tag = "GIMP %s refuses %s" % (g.series, what)
        check(rc == 1 and message in se
              and "\tlayers %d:" % layers_after in se, tag,
              "exit %d, %r" % (rc, se[-300:]))


def test_raw_values(g):
    """normalize none: raw values in a float image, clipped (and said so)
    in an 8-bit one."""
    rgb = np.load(os.path.join(FIXTURES, "photo_rgb.npy")).astype(np.float64)
    gray_f = (0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1]
              + 0.114 * rgb[:, :, 2]) / 255.0
    blur = conv_valid(gray_f, np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]])
                      / 16.0)
    out = g.work + "/raw"
    args = ["-o", out, "--png", "--set", "filter-bank=gaussian", "--set",
            "normalize=none", "--set", "show-activation=false", "--set",
            "show-pool=false"]
    rc, so, se = g.batch(args + ["--before",
                                 "(gimp-image-convert-precision image 650)"],
                         [PHOTO])
    tag = "GIMP %s normalize none" % g.series
    if check(rc == 0, tag + " in a float image: batch succeeds", se[-300:]):
        got = read_map(g.host(os.path.join(out, "chelsea-maps",
                                           "Filter 1 conv.png")))
        worst = np.abs(got - blur).max() if got.shape == blur.shape else 9
        check(worst <= 1.5 / 255, tag + ": the raw values are stored",
              "worst %.5f" % worst)
    rc, so, se = g.batch(["-o", out + "-8bit"] + args[3:] +
                         ["--set", "filter-bank=tutorial"], [PHOTO])
    check(rc == 0 and "clipped" in se, tag + " in an 8-bit image: clipped, "
          "and the user is told", se[-300:])


def test_identical_builds(label_a, maps_a, label_b, maps_b):
    """The tutorial's layers of two builds (folders of their PNGs) are
    identical."""
    names = sorted(os.listdir(maps_a))
    check(names == sorted(os.listdir(maps_b)), "%s and %s make the same "
          "layers" % (label_a, label_b))
    for n in names:
        a = np.asarray(Image.open(os.path.join(maps_a, n)))
        b = np.asarray(Image.open(os.path.join(maps_b, n)))
        check(a.shape == b.shape and (a == b).all(),
              "%s and %s give identical %s" % (label_a, label_b, n))
