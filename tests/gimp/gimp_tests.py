#!/usr/bin/python3
"""Integration tests: the plug-in in a real gimp-console, through the batch
command, against the PyTorch reference and against the core's rules.

    gimp_tests.py [--gimp2-build DIR] [--gimp3-build DIR --gimp3-root ROOT]

DIR is a meson build folder of this project (plugin/cnn-feature-maps and
plugin/cnn-feature-maps-batch inside it).  GIMP 3 runs inside the Debian 13
root ROOT (tests/gimp/make-gimp3-root.sh), where the source tree is mounted
at /src.  Prints "ok"/"not ok" per check and "N passed, N failed" last.
Needs Debian's python3-numpy and python3-pil.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(SRC, "tests", "fixtures")

passed = 0
failed = 0


def check(cond, name, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - %s" % name)
    else:
        failed += 1
        print("not ok - %s%s" % (name, ": " + detail if detail else ""))
    return cond


class Gimp:
    """One GIMP build: runs the batch command and maps paths."""

    def __init__(self, series, build, root=None):
        self.series = series
        self.root = root
        self.inside_src = "/src" if root else SRC
        self.build = build
        # A folder of this run's own, so runs side by side cannot meet.
        self.host_work = tempfile.mkdtemp(prefix="cfm-gimp%s-tests-" % series,
                                          dir=(root or "") + "/tmp")
        self.work = self.host_work[len(root or ""):]
        plug = os.path.join(self.host_work, "profile", "plug-ins",
                            "cnn-feature-maps")
        os.makedirs(plug)
        shutil.copy(os.path.join((root or "") + self.inside(build), "plugin",
                                 "cnn-feature-maps"), plug)
        mo_root = os.path.join((root or "") + self.inside(build), "po")
        for lang in os.listdir(mo_root) if os.path.isdir(mo_root) else []:
            mo = os.path.join(mo_root, lang, "LC_MESSAGES",
                              "cnn-feature-maps.mo")
            if os.path.exists(mo):
                dst = os.path.join(plug, "locale", lang, "LC_MESSAGES")
                os.makedirs(dst, exist_ok=True)
                shutil.copy(mo, dst)
        os.makedirs(os.path.join(self.host_work, "home"))

    def inside(self, path):
        """A path of the source tree as the GIMP process sees it."""
        return path.replace(SRC, self.inside_src, 1)

    def host(self, path):
        return (self.root or "") + path

    def batch(self, args, images, env_extra=None):
        env = {"HOME": self.work + "/home",
               "GIMP2_DIRECTORY": self.work + "/profile",
               "GIMP3_DIRECTORY": self.work + "/profile",
               "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        env.update(env_extra or {})
        cmd = [self.inside(os.path.join(self.build, "plugin",
                                        "cnn-feature-maps-batch"))]
        cmd += args + [self.inside(i) if i.startswith(SRC) else i
                       for i in images]
        if self.root:
            cmd = ["chroot", self.root, "env", "-i"] + \
                ["%s=%s" % kv for kv in env.items()] + cmd
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  timeout=600)
        else:
            proc = subprocess.run(cmd, capture_output=True, text=True,
                                  env=env, timeout=600)
        return proc.returncode, proc.stdout, proc.stderr


def layers_of(stdout):
    out = []
    for line in stdout.splitlines():
        if line.startswith("LAYER\t"):
            _, name, x, y, w, h = line.split("\t")
            out.append((name, int(x), int(y), int(w), int(h)))
    return out


def png(gimp, outdir, name):
    path = gimp.host(os.path.join(outdir, "chelsea-maps", name + ".png"))
    return np.asarray(Image.open(path))


def expected_codes(ref, lo=None, hi=None):
    lo = ref.min() if lo is None else lo
    hi = ref.max() if hi is None else hi
    return np.round(255.0 * (ref.astype(np.float64) - lo) / (hi - lo))


def compare(name, got, want, tol=1):
    got = got.astype(np.int32)
    if got.ndim == 3:
        got = got[:, :, 0]
    ok = got.shape == want.shape
    worst = int(np.abs(got - want).max()) if ok else -1
    return check(ok and worst <= tol, name,
                 "shape %s vs %s, worst %d" % (got.shape, want.shape, worst))


PHOTO = os.path.join(SRC, "tests", "data", "chelsea.png")


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


def same_maps(tag, a, b):
    """The PNG maps in folders A and B (host paths) are identical."""
    names = sorted(os.listdir(a)) if os.path.isdir(a) else []
    check(names and names == sorted(os.listdir(b)),
          tag + ": the same layers", str(names))
    for n in names:
        pa = np.asarray(Image.open(os.path.join(a, n)))
        pb = np.asarray(Image.open(os.path.join(b, n)))
        check(pa.shape == pb.shape and (pa == pb).all(),
              "%s: %s identical" % (tag, n))


def dead_runs_files(g):
    """Temporary XCF files in GIMP's temporary folder whose plug-in process
    is gone (live ones may belong to another test run)."""
    left = []
    for d, _, fs in os.walk(g.host("/tmp/gimp")):
        for f in fs:
            parts = f.split("-")
            if f.startswith("cnn-feature-maps-") and len(parts) > 3 \
               and not os.path.exists("/proc/" + parts[3]):
                left.append(os.path.join(d, f))
    return left


def test_transfer_routes(g, out):
    """8-bit maps reach GIMP in a temporary XCF file (gray, indexed or RGB
    layers); with CFM_TRANSFER=tiles they go tile by tile.  Both give the
    same layers, gray and viridis, also in an image with its own colour
    profile (which the file must carry, or GIMP would convert), and the
    temporary file is gone afterwards."""
    if not out:
        return
    tag = "GIMP %s XCF route vs tiles" % g.series
    tiles = g.work + "/tutorial-tiles"
    rc, so, se = g.batch(["-o", tiles, "--png"], [PHOTO],
                         {"CFM_TRANSFER": "tiles"})
    if check(rc == 0, tag + ": batch succeeds", se[-500:]):
        same_maps(tag, g.host(os.path.join(out, "chelsea-maps")),
                  g.host(os.path.join(tiles, "chelsea-maps")))
    # A grayscale image: gray layers, from a grayscale XCF file.
    for route in ("xcf", "tiles"):
        rc, so, se = g.batch(["-o", g.work + "/gray-" + route, "--png",
                              "--before", "(gimp-image-convert-grayscale "
                              "image)"], [PHOTO], {"CFM_TRANSFER": route})
        check(rc == 0 and len(layers_of(so)) == 12,
              "%s, grayscale image, %s: 12 layers" % (tag, route),
              se[-500:])
    same_maps(tag + ", grayscale image",
              g.host(g.work + "/gray-xcf/chelsea-maps"),
              g.host(g.work + "/gray-tiles/chelsea-maps"))
    # Viridis maps go as indexed layers, which GIMP turns into RGB.
    for route in ("xcf", "tiles"):
        rc, so, se = g.batch(["-o", g.work + "/viridis-" + route, "--png",
                              "--set", "colormap=viridis"], [PHOTO],
                             {"CFM_TRANSFER": route})
        check(rc == 0, "%s, viridis, %s: batch succeeds" % (tag, route),
              se[-500:])
    same_maps(tag + ", viridis", g.host(g.work + "/viridis-xcf/chelsea-maps"),
              g.host(g.work + "/viridis-tiles/chelsea-maps"))
    a98 = "/usr/share/color/icc/ghostscript/a98.icc"
    if os.path.exists(a98):
        photo = g.host(g.work + "/chelsea-a98.png")
        with open(a98, "rb") as f:
            Image.open(PHOTO).save(photo, icc_profile=f.read())
        for route in ("xcf", "tiles"):
            rc, so, se = g.batch(["-o", g.work + "/a98-" + route, "--png"],
                                 [g.work + "/chelsea-a98.png"],
                                 {"CFM_TRANSFER": route})
            check(rc == 0, "%s, Adobe RGB image, %s: batch succeeds"
                  % (tag, route), se[-500:])
        same_maps(tag + ", Adobe RGB image",
                  g.host(g.work + "/a98-xcf/chelsea-a98-maps"),
                  g.host(g.work + "/a98-tiles/chelsea-a98-maps"))
    else:
        print("skip - %s, Adobe RGB image: %s is not installed" % (tag, a98))
    check(dead_runs_files(g) == [],
          "GIMP %s: no temporary XCF file is left" % g.series,
          str(dead_runs_files(g)))


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


def conv_valid(x, k):
    """Cross-correlation, valid: independent of the core."""
    win = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    return np.einsum("ijkl,kl->ij", win.astype(np.float64), k)


def tutorial_maps(gray):
    k = np.array([[-1, -1, 1, 1]] * 4, np.float64)
    conv = np.stack([conv_valid(gray, kk) for kk in (k, -k, k.T, -k.T)])
    relu = np.maximum(conv, 0)
    h, w = relu.shape[1] // 2 * 2, relu.shape[2] // 2 * 2
    pool = relu[:, :h, :w].reshape(4, h // 2, 2, w // 2, 2).max(axis=(2, 4))
    return conv, relu, pool


def read_map(path):
    """A map PNG as values in 0..1, whatever its bit depth."""
    im = np.asarray(Image.open(path))
    if im.ndim == 3:
        im = im[:, :, 0]
    return im.astype(np.float64) / (65535.0 if im.dtype == np.uint16
                                    else 255.0)


def test_image_kinds(g):
    """Alpha, 16-bit and float precision, offsets: correct values."""
    rgb = np.load(os.path.join(FIXTURES, "photo_rgb.npy")).astype(np.float64)
    gray_f = (0.299 * rgb[:, :, 0] + 0.587 * rgb[:, :, 1]
              + 0.114 * rgb[:, :, 2]) / 255.0
    conv_f, relu_f, _ = tutorial_maps(gray_f)
    gray_u8 = np.load(os.path.join(FIXTURES, "photo_gray_u8.npy")) / 255.0
    conv_8, relu_8, _ = tutorial_maps(gray_u8)
    three = g.series == "3"
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


def test_two_layers(g):
    """GIMP 3 takes several selected layers: each gets its own group."""
    if g.series != "3":
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


def test_closed_mid_run(g):
    """When GIMP closes the plug-in in the middle of a run (what it does when
    the user cancels), the image keeps exactly its layers."""
    import threading
    import time
    plugin = os.path.join(g.work, "profile", "plug-ins", "cnn-feature-maps",
                          "cnn-feature-maps")
    killed = []
    temp = g.host("/tmp/gimp")   # GIMP's temporary folder is below it

    def files_of(pids):
        return [os.path.join(d, f) for d, _, fs in os.walk(temp) for f in fs
                if any(f.startswith("cnn-feature-maps-%s-" % p)
                       for p in pids)]

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pids = subprocess.run(["pgrep", "-f", plugin], capture_output=True,
                                  text=True).stdout.split()
            if pids:
                # Well inside the run: its maps half written to their
                # temporary file.
                wait = time.monotonic() + 30
                while not files_of(pids) and time.monotonic() < wait:
                    time.sleep(0.05)
                time.sleep(0.3)
                subprocess.run(["pkill", "-9", "-f", plugin])
                killed.extend(pids)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    rc, so, se = g.batch(["-o", g.work + "/killed", "--before",
                          "(gimp-image-scale image 6000 4000)"], [PHOTO])
    t.join()
    check(killed and rc == 1 and "\tlayers 1:" in se,
          "GIMP %s: plug-in closed mid-run leaves the image's layers as they "
          "were" % g.series, "killed %s, exit %d, %r" % (bool(killed), rc,
                                                          se[-300:]))
    # GIMP does not empty its temporary folder: the next run deletes the
    # killed run's file.
    left = files_of(killed)
    check(left != [], "GIMP %s: the killed run had a temporary XCF file"
          % g.series)
    rc, so, se = g.batch(["-o", g.work + "/after-killed"], [PHOTO])
    check(rc == 0 and files_of(killed) == [],
          "GIMP %s: the next run deletes the killed run's temporary file"
          % g.series, "before %s, after %s" % (left, files_of(killed)))


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


def run_script(g, script):
    """Runs a Script-Fu program in g's gimp-console; returns its output."""
    env = {"HOME": g.work + "/home", "GIMP2_DIRECTORY": g.work + "/profile",
           "GIMP3_DIRECTORY": g.work + "/profile", "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8"}
    if g.series == "3":
        cmd = ["gimp-console-3.0", "-i", "--batch-interpreter",
               "plug-in-script-fu-eval", "-b", script, "--quit"]
    else:
        cmd = ["gimp-console-2.10", "-i", "-d", "-f", "-b", script, "-b",
               "(gimp-quit 0)"]
    if g.root:
        cmd = ["chroot", g.root, "env", "-i"] + \
            ["%s=%s" % kv for kv in env.items()] + cmd
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                          env=None if g.root else env)
    return proc.stdout + proc.stderr


def test_raw_refusals(g):
    """Called from Script-Fu directly (not through the batch command, which
    refuses these itself): a choice nick that does not exist and a number
    out of range are refused and the image keeps its layers."""
    photo = g.inside(PHOTO)
    _, calls, _ = g.batch(["--print-call", "--set", "stride=7"], [])
    line = [l for l in calls.splitlines()
            if l.startswith("GIMP %s:" % ("3" if g.series == "3" else "2.10"))]
    call = line[0].split(":", 1)[1].strip()
    bad_range = call.replace("7", "99", 1)
    if g.series == "3":
        script = ('(script-fu-use-v3) (gimp-message-set-handler CONSOLE) '
                  '(let* ((image (gimp-file-load RUN-NONINTERACTIVE "%s")) '
                  '(layers (gimp-image-get-selected-layers image))) '
                  '(catch (gimp-message "CFM-REFUSED range") %s) '
                  '(gimp-message (string-append "CFM-LAYERS " (number->string '
                  '(vector-length (gimp-image-get-layers image))))))'
                  % (photo, bad_range))
        # GIMP checks the range itself; under catch it prints no message.
        cases = [("a number out of range", "CFM-REFUSED range", "")]
    else:
        bad_nick = call.replace('"tutorial"', '"gabor"', 1)
        script = ('(gimp-message-set-handler 1) '
                  '(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" '
                  '"%s"))) (drawable (car (gimp-image-get-active-drawable '
                  'image)))) (catch (gimp-message "CFM-REFUSED nick") %s) '
                  '(catch (gimp-message "CFM-REFUSED range") %s) '
                  '(gimp-message (string-append "CFM-LAYERS " (number->string '
                  '(car (gimp-image-get-layers image))))))'
                  % (photo, photo, bad_nick, bad_range))
        cases = [("an unknown choice nick", "CFM-REFUSED nick",
                  'filter-bank: "gabor" is not one of its choices'),
                 ("a number out of range", "CFM-REFUSED range",
                  "stride must be between 1 and 16")]
    out = run_script(g, script)
    for what, mark, message in cases:
        check(mark in out and message in out,
              "GIMP %s refuses %s called from Script-Fu" % (g.series, what),
              out[-400:])
    check("CFM-LAYERS 1" in out, "GIMP %s: the image keeps its one layer "
          "after refused Script-Fu calls" % g.series, out[-300:])


def bad_npy_files(g):
    """Broken kernel files, made from a good one."""
    d = g.host(g.work + "/bad")
    os.makedirs(d, exist_ok=True)
    good = open(os.path.join(FIXTURES, "npy", "le_f4.npy"), "rb").read()
    open(os.path.join(d, "truncated.npy"), "wb").write(good[:-7])
    open(os.path.join(d, "magic.npy"), "wb").write(b"\x93NUMPZ" + good[6:])
    for name in ("f2.npy", "nan.npy", "shape_5d.npy"):
        shutil.copy(os.path.join(FIXTURES, "npy", name), d)
    big = good.replace(b"(2, 3, 4, 5)", b"(2, 3, 400, 5)")
    open(os.path.join(d, "absurd.npy"), "wb").write(big)
    os.chmod(os.path.join(d, "magic.npy"), 0o644)
    return g.work + "/bad"


def test_bad_inputs(g):
    bad = bad_npy_files(g)
    cases = [
        # (what, batch arguments, --before expression, message)
        ("unknown choice", ["--set", "filter-bank=gabor"], None,
         "not one of its choices", 2),
        ("number out of range", ["--set", "stride=99"], None,
         "stride must be between 1 and 16", 2),
        ("filters 0", ["--set", "filters=0"], None, "asks for 0", 1),
        ("filters 5-2", ["--set", "filters=5-2"], None, "runs backwards", 1),
        ("filters x", ["--set", "filters=x"], None, "is not a list", 1),
        ("filters beyond the bank", ["--set", "filters=2,9"], None,
         "asks for 9", 1),
        ("empty kernels", ["--set", "filter-bank=custom"], None,
         "needs kernel text", 1),
        ("malformed kernels", ["--set", "filter-bank=custom",
                               "--set", "kernels=1 2; 3"], None,
         "row 2 has 1 values", 1),
        ("missing kernel file", ["--set", "filter-bank=file", "--set",
                                 "kernel-file=/nonexistent/k.npy"], None,
         "cannot open", 2),
        ("truncated .npy", ["--set", "filter-bank=file", "--set",
                            "kernel-file=%s/truncated.npy" % bad], None,
         "truncated", 1),
        ("not a .npy", ["--set", "filter-bank=file", "--set",
                        "kernel-file=%s" % g.inside(PHOTO)], None,
         "neither a .npy file nor kernel text", 1),
        ("wrong magic", ["--set", "filter-bank=file", "--set",
                         "kernel-file=%s/magic.npy" % bad], None,
         "neither a .npy file nor kernel text", 1),
        ("float16 .npy", ["--set", "filter-bank=file", "--set",
                          "kernel-file=%s/f2.npy" % bad], None,
         "unsupported dtype", 1),
        ("absurd shape", ["--set", "filter-bank=file", "--set",
                          "kernel-file=%s/absurd.npy" % bad], None,
         "truncated", 1),
        ("5-D .npy", ["--set", "filter-bank=file", "--set",
                      "kernel-file=%s/shape_5d.npy" % bad], None,
         "5 dimensions", 1),
        ("NaN in .npy", ["--set", "filter-bank=file", "--set",
                         "kernel-file=%s/nan.npy" % bad], None, "NaN", 1),
        ("bias of wrong length", ["--set", "bias=1,2"], None,
         "2 values given for 4 filters", 1),
        ("kernel larger than the selection", [],
         "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 3 3)",
         "no output pixel", 1),
        ("dilated kernel larger than the input", ["--set", "dilation=16"],
         "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 40 40)",
         "no output pixel", 1),
        ("colormap needs RGB", ["--set", "colormap=viridis"],
         "(gimp-image-convert-grayscale image)", "needs an RGB image", 1),
        ("1x1 image", [], "(gimp-image-crop image 1 1 0 0)",
         "no output pixel", 1),
        ("empty selection", [],
         "(begin (gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
         "0 0 10 10) (gimp-layer-set-offsets (vector-ref layers 0) 500 500))",
         "selection does not touch", 1),
        ("nothing to show", ["--set", "show-conv=false", "--set",
                             "show-activation=false", "--set",
                             "show-pool=false"], None, "Nothing to show", 1),
        ("3-channel kernels on gray input",
         ["--set", "filter-bank=custom", "--set",
          "kernels=[[[[1]],[[2]],[[3]]]]"], None, "choose the input", 1),
    ]
    for what, args, before, message, code in cases:
        extra = ["--before", before] if before else []
        rc, so, se = g.batch(["-o", g.work + "/bad-out"] + args + extra,
                             [PHOTO])
        tag = "GIMP %s refuses %s" % (g.series, what)
        check(rc == code and message in se, tag,
              "exit %d, stderr %r" % (rc, se[-300:]))
        if code == 1:
            check("\tlayers 1:" in se, tag + ": image left unchanged",
                  se[-200:])


DIALOG_TITLES = {"zh_CN.UTF-8": "CNN 特征图", "C.UTF-8": "CNN Feature Maps"}


def test_dialog(g, lang, display, shots):
    """The dialog comes up, in LANG, when the procedure runs interactively
    under Xvfb; a screenshot of it goes to SHOTS."""
    tag = "GIMP %s dialog in %s" % (g.series, lang)
    if not shutil.which("Xvfb") or not shutil.which("xwininfo"):
        print("skip - %s: Xvfb or xwininfo is not installed" % tag)
        return
    # Xvfb picks a free display and tells which (-displayfd).
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0",
                             "1600x1200x24", "-listen", "tcp", "-ac"],
                            stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    display = int(xvfb.stdout.readline().strip() or display)
    photo = g.inside(PHOTO)
    if g.series == "3":
        script = ('(script-fu-use-v3) (let* ((image (gimp-file-load '
                  'RUN-NONINTERACTIVE "%s")) (layers '
                  '(gimp-image-get-selected-layers image))) '
                  '(plug-in-cnn-feature-maps #:run-mode RUN-INTERACTIVE '
                  '#:image image #:drawables layers))' % photo)
        cmd = ["gimp-console-3.0", "-i", "--batch-interpreter",
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
        cmd = ["gimp-console-2.10", "-i", "-d", "-f", "-b", script, "-b",
               "(gimp-quit 0)"]
    env = {"HOME": g.work + "/home", "GIMP2_DIRECTORY": g.work + "/profile",
           "GIMP3_DIRECTORY": g.work + "/profile", "PATH": "/usr/bin:/bin",
           "LANG": lang, "LC_ALL": lang, "LANGUAGE": lang.split(".")[0],
           "DISPLAY": "127.0.0.1:%d" % display}
    if g.root:
        cmd = ["chroot", g.root, "env", "-i"] + \
            ["%s=%s" % kv for kv in env.items()] + cmd
    title = DIALOG_TITLES[lang]
    window = None
    gimp = None
    try:
        gimp = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL,
                                env=None if g.root else env,
                                start_new_session=True)
        for _ in range(60):
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
            shot = os.path.join(shots, "dialog-gimp%s-%s.png"
                                % (g.series, lang.split(".")[0]))
            subprocess.run(["import", "-display", "127.0.0.1:%d" % display,
                            "-window", window, shot],
                           capture_output=True)
            check(os.path.exists(shot), tag + ": screenshot " + shot)
            if os.path.exists(shot):
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


def test_identical_builds(g2, g3, out2, out3):
    if not (out2 and out3):
        return
    d2 = g2.host(os.path.join(out2, "chelsea-maps"))
    d3 = g3.host(os.path.join(out3, "chelsea-maps"))
    names = sorted(os.listdir(d2))
    check(names == sorted(os.listdir(d3)), "both builds make the same layers")
    for n in names:
        a = np.asarray(Image.open(os.path.join(d2, n)))
        b = np.asarray(Image.open(os.path.join(d3, n)))
        check(a.shape == b.shape and (a == b).all(),
              "GIMP 2.10 and GIMP 3 give identical %s" % n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gimp2-build")
    ap.add_argument("--gimp3-build")
    ap.add_argument("--gimp3-root")
    ap.add_argument("--screenshots", default=os.path.join(SRC, "build-logs"))
    ap.add_argument("--only", help="run the tests whose name contains this "
                    "(or one of these, comma-separated)")
    opts = ap.parse_args()
    outs = {}
    gimps = {}
    if opts.gimp2_build:
        gimps["2.10"] = Gimp("2.10", os.path.abspath(opts.gimp2_build))
    if opts.gimp3_build:
        gimps["3"] = Gimp("3", os.path.abspath(opts.gimp3_build),
                          opts.gimp3_root)
    def guarded(test, *args):
        """A test that raises counts as one failure; the others still run."""
        if opts.only and not any(o in test.__name__
                                 for o in opts.only.split(",")):
            return None
        try:
            return test(*args)
        except Exception:
            check(False, "%s raised" % test.__name__, traceback.format_exc())
            return None

    for key, g in gimps.items():
        outs[key] = guarded(test_tutorial, g)
        guarded(test_tutorial, g, False)
        guarded(test_transfer_routes, g, outs[key])
        guarded(test_colormaps, g)
        for test in (test_per_stage_and_selection, test_bad_inputs,
                     test_image_kinds, test_raw_values, test_two_layers,
                     test_expand_and_recipe, test_closed_mid_run,
                     test_swatches_and_legend, test_raw_refusals):
            guarded(test, g)
        for n, lang in enumerate(("zh_CN.UTF-8", "C.UTF-8")):
            guarded(test_dialog, g, lang,
                    90 + n + (0 if key == "2.10" else 5), opts.screenshots)
    if len(gimps) == 2:
        guarded(test_identical_builds, gimps["2.10"], gimps["3"],
                outs["2.10"], outs["3"])
    for g in gimps.values():
        # CFM_KEEP_WORK=DIR keeps each build's outputs in DIR/gimpSERIES,
        # e.g. to compare the layers of two commits.
        if os.environ.get("CFM_KEEP_WORK"):
            shutil.move(g.host_work, os.path.join(os.environ["CFM_KEEP_WORK"],
                                                  "gimp" + g.series))
        else:
            shutil.rmtree(g.host_work, ignore_errors=True)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
