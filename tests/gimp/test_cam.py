#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Class activation maps in GIMP: the walk-through's residual network over
the photo of two textures, each method at layer2 and layer1.1 against
PyTorch's autograd (texture_resnet-cam.npz, make_network_fixtures.py
--texture-cam) within one code value, the layers' names and places, the
most probable class by default, classes by index and by label, the heat map
laid over the photo, its legend, and every refusal with the image left as
it was."""
import os

import numpy as np
from PIL import Image

from harness import FIXTURES, check, compare, check_refusals, \
    expected_codes, run_script, PHOTO

NETS = os.path.join(FIXTURES, "networks")
TEXTURES = os.path.join(os.path.dirname(PHOTO), "textures.png")
LABELS = ("brick", "grass", "gravel")


def cam_args(g, layer, method, classes, extra=()):
    """The batch arguments of METHOD at LAYER for CLASSES ("cam-class")."""
    return ["--set", "filter-bank=model",
            "--set", "model-file=" + g.inside(os.path.join(
                NETS, "texture_resnet.onnx")),
            "--set", "layer=" + layer, "--set", "input=luma",
            "--set", "input-normalize=0.5/0.25", "--set", "filters=1",
            "--set", "labels=@" + g.inside(os.path.join(
                NETS, "texture-labels.txt")),
            "--set", "cam=" + method, "--set", "cam-class=" + classes] + \
        list(extra)


def run_cam(g, tag, out, args, before=None):
    """The batch's layers by name (name -> (x, y, w, h)), or None."""
    extra = ["--before", before] if before else []
    rc, so, se = g.batch(["-o", out, "--png"] + args + extra, [TEXTURES])
    if not check(rc == 0, tag + ": batch succeeds", se[-600:]):
        return None
    return {l[len("LAYER\t"):].split("\t")[0]: tuple(
        int(v) for v in l.split("\t")[2:6])
        for l in so.splitlines() if l.startswith("LAYER\t")}


def layer_png(g, out, name):
    """Layer NAME's PNG (named without the note in parentheses)."""
    return np.asarray(Image.open(g.host(os.path.join(
        out, "textures-maps", name.split(" (")[0] + ".png"))))


def layer_opacity(g, xcf, name):
    """The opacity of layer NAME in the XCF file, as GIMP reads it."""
    if g.series == "2.10":
        script = ('(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE '
                  '"%s" "%s"))) (layer (car (gimp-image-get-layer-by-name '
                  'image "%s")))) (gimp-message-set-handler 1) (gimp-message '
                  '(string-append "CFM-OPACITY|" (number->string (car '
                  '(gimp-layer-get-opacity layer))) "|")))'
                  % (xcf, xcf, name))
    else:
        script = ('(script-fu-use-v3) (let* ((image (gimp-file-load '
                  'RUN-NONINTERACTIVE "%s")) (layer (gimp-image-get-layer-'
                  'by-name image "%s"))) (gimp-message (string-append '
                  '"CFM-OPACITY|" (number->string (gimp-layer-get-opacity '
                  'layer)) "|")))' % (xcf, name))
    out = run_script(g, script)
    if "CFM-OPACITY|" not in out:
        return out[-300:]
    return float(out.split("CFM-OPACITY|", 1)[1].split("|", 1)[0])


def upsample(m, h, w):
    """M bilinearly to H x W, pixel centres matched (PyTorch's
    F.interpolate with align_corners off), in numpy."""
    def axis(n, out):
        src = np.maximum((np.arange(out) + 0.5) * n / out - 0.5, 0.0)
        i0 = np.minimum(src.astype(np.int64), n - 1)
        return i0, np.minimum(i0 + 1, n - 1), src - i0
    y0, y1, ty = axis(m.shape[0], h)
    x0, x1, tx = axis(m.shape[1], w)
    top = m[y0][:, x0] * (1 - tx) + m[y0][:, x1] * tx
    bottom = m[y1][:, x0] * (1 - tx) + m[y1][:, x1] * tx
    return top * (1 - ty[:, None]) + bottom * ty[:, None]


def test_cam_values(g):
    """Each method at layer2 (and Layer-CAM at layer1.1) for two classes,
    one by index and one by label, as gray maps at the layer's size
    against PyTorch's; then the most probable class by default."""
    refs = np.load(os.path.join(NETS, "texture_resnet-cam.npz"))
    probs = np.load(os.path.join(NETS, "texture_resnet-probs.npz"))
    cases = [(m, "layer2") for m in ("cam", "grad-cam",
                                     "grad-cam-plus-plus", "layer-cam")]
    cases.append(("layer-cam", "layer1.1"))
    for method, layer in cases:
        tag = "GIMP %s %s at %s" % (g.series, method, layer)
        out = g.work + "/cam-%s-%s" % (method, layer)
        layers = run_cam(g, tag, out, cam_args(
            g, layer, method, "0, grass", ["--set", "align=false"]))
        if layers is None:
            continue
        for cls in (0, 1):
            name = "%s %s class %d (%s)" % (method, layer, cls, LABELS[cls])
            ref = refs["%s %s %d" % (method, layer, cls)]
            if not check(name in layers, "%s: layer %s" % (tag, name),
                         str(sorted(layers))):
                continue
            check(layers[name] == (0, 0, ref.shape[1], ref.shape[0]),
                  "%s: %s at the layer's size" % (tag, name),
                  str(layers[name]))
            compare("%s: %s = PyTorch" % (tag, name),
                    layer_png(g, out, name), expected_codes(ref))
    top = int(np.argmax(probs["whole"]))
    tag = "GIMP %s grad-cam of the most probable class" % g.series
    layers = run_cam(g, tag, g.work + "/cam-top",
                     cam_args(g, "layer2", "grad-cam", "",
                              ["--set", "align=false"]))
    name = "grad-cam layer2 class %d (%s)" % (top, LABELS[top])
    check(layers is not None and name in layers, tag + ": " + name,
          str(layers))


def test_cam_over_photo(g):
    """With align on: Grad-CAM of grass at layer2 upsampled over the whole
    photo in jet (the colormap when "colormap" is gray), as the anchors
    draw it, and its legend; in turbo when that is the colormap."""
    import matplotlib
    refs = np.load(os.path.join(NETS, "texture_resnet-cam.npz"))
    ref = refs["grad-cam layer2 1"].astype(np.float64)
    # scaled to 0..1, then upsampled (pytorch-grad-cam's scale_cam_image)
    t = upsample((ref - ref.min()) / (ref.max() - ref.min()), 256, 256)
    for colormap in ("gray", "turbo"):
        tag = "GIMP %s grad-cam over the photo (%s)" % (g.series, colormap)
        out = g.work + "/cam-over-" + colormap
        layers = run_cam(g, tag, out, cam_args(
            g, "layer2", "grad-cam", "grass",
            ["--set", "colormap=" + colormap, "--set", "legend=true"]))
        if layers is None:
            continue
        name = "grad-cam layer2 class 1 (grass)"
        check(layers.get(name) == (0, 0, 256, 256),
              tag + ": the heat map covers the photo", str(layers))
        opacity = layer_opacity(g, os.path.join(out, "textures.xcf"), name)
        check(opacity == 50.0, tag + ": half transparent", str(opacity))
        check("grad-cam layer2 legend" in layers, tag + ": its legend",
              str(sorted(layers)))
        lut = matplotlib.colormaps["jet" if colormap == "gray" else colormap]
        want = np.round(255.0 * lut(np.minimum((t * 256).astype(int),
                                               255))[:, :, :3])
        got = layer_png(g, out, name)
        for ch, colour in enumerate(("red", "green", "blue")):
            compare("%s: the heat map's %s" % (tag, colour),
                    got[:, :, ch], want[:, :, ch])


def test_cam_refusals(g):
    """Classes past the classifier, unknown labels, CAM at a layer whose
    channels the Linear does not read, a filter bank, a network without a
    classifier, and a pass past the memory limit."""
    lenet = os.path.join(NETS, "lenet")
    cases = [
        ("a class past the classifier",
         cam_args(g, "layer2", "grad-cam", "3"), None,
         "class 3 is past the classifier's 3 classes", 1),
        ("an unknown label", cam_args(g, "layer2", "grad-cam", "cat"), None,
         "no class is labelled \"cat\"", 1),
        ("CAM at an inner layer", cam_args(g, "layer1.1", "cam", ""), None,
         "choose the layer before the pooling, or grad-cam", 1),
        ("a class activation map of a filter bank",
         ["--set", "filter-bank=sobel", "--set", "cam=grad-cam"], None,
         "need a trained classifier", 1),
        ("a network without a classifier",
         ["--set", "filter-bank=model",
          "--set", "model-file=" + g.inside(lenet + ".pth"),
          "--set", "network=@" + g.inside(lenet + ".txt"),
          "--set", "layer=features.0", "--set", "input=luma",
          "--set", "cam=grad-cam"], None, "has no classifier", 1),
    ]
    check_refusals(g, cases, TEXTURES)
    rc, so, se = g.batch(["-o", g.work + "/bad-out"]
                         + cam_args(g, "layer1.0", "grad-cam", ""),
                         [TEXTURES], {"CFM_MEMORY_LIMIT": "1"})
    check(rc == 1 and "past the memory limit" in se
          and "Set input-size" in se and "\tlayers 1:" in se,
          "GIMP %s refuses a gradient pass past the memory limit" % g.series,
          "exit %d, %r" % (rc, se[-400:]))


def test_cam_probe(g):
    """The probe on a heat map's pixel: the map's value there (the layer's
    pixel under the point, before scaling) as PyTorch's, the whole photo
    as its field, and the channels that give most of it."""
    from test_probe import parse, probe_script
    ref = np.load(os.path.join(NETS, "texture_resnet-cam.npz"))[
        "layer-cam layer2 1"]
    tag = "GIMP %s probe of a class activation map" % g.series
    out = g.work + "/cam-probe"
    if run_cam(g, tag, out, cam_args(g, "layer2", "layer-cam", "grass")) \
            is None:
        return
    name = "layer-cam layer2 class 1 (grass)"
    points = [(201, 37), (130, 250), (5, 100)]
    script = probe_script(g, g.inside(os.path.join(out, "textures.xcf")),
                          [(name, x, y) for x, y in points])
    text = run_script(g, script)
    res, _ = parse(text)
    check(len(res) == len(points), tag + ": every probe answers", text[-400:])
    for (x, y), r in zip(points, res):
        what = "%s at %d, %d" % (tag, x, y)
        if not check(r is not None, what + " answers"):
            continue
        want = float(ref[y * 64 // 256, x * 64 // 256])
        check(abs(r[0] - want) <= 1e-4 * float(ref.max()), what + " = PyTorch",
              "%r vs %r" % (r[0], want))
        check(r[1] == (0, 0, 256, 256), what + ": the whole photo's field",
              str(r[1]))
    check("the channels that contribute most" in text
          and "channel " in text, tag + ": the channels named", text[-600:])
