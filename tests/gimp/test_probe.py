#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The probe: pixels of the tutorial run's conv, ReLU and max-pool layers
(corners, the middle, align on and off, with padding and stride) give
PyTorch's value, the receptive field its geometry gives and the pooled
winner, and select that field; refusals leave the selection alone."""
import os
import re

import numpy as np

from harness import FIXTURES, PHOTO, check, run_script

# Finds the layer whose name starts with NAME, in groups too.
FIND3 = '''
(define (cfm-find items name)
  (if (null? items) -1
      (let ((it (car items)))
        (if (gimp-item-is-group it)
            (let ((r (cfm-find (vector->list (gimp-item-get-children it))
                               name)))
              (if (equal? r -1) (cfm-find (cdr items) name) r))
            (let ((n (gimp-item-get-name it)))
              (if (and (>= (string-length n) (string-length name))
                       (string=? (substring n 0 (string-length name)) name))
                  it (cfm-find (cdr items) name)))))))
'''
FIND2 = FIND3.replace("(gimp-item-is-group it)",
                      "(= 1 (car (gimp-item-is-group it)))") \
    .replace("(gimp-item-get-children it)",
             "(cadr (gimp-item-get-children it))") \
    .replace("(gimp-item-get-name it)", "(car (gimp-item-get-name it))")


def probe_script(g, xcf, probes, before=""):
    """Loads XCF, runs BEFORE, probes each (layer name, x, y) and prints
    its results and the selection after it."""
    if g.series == "2.10":
        head = ('(gimp-message-set-handler 1)' + FIND2 +
                '(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" '
                '"%s"))) (top (vector->list (cadr (gimp-image-get-layers '
                'image))))) %s ' % (xcf, xcf, before))
        call = ('(plug-in-cnn-feature-maps-probe RUN-NONINTERACTIVE image '
                '(cfm-find top "%s") %d %d)')
        sel = '(gimp-selection-bounds image)'
    else:
        head = ('(script-fu-use-v3) (gimp-message-set-handler CONSOLE)' +
                FIND3 + '(let* ((image (gimp-file-load RUN-NONINTERACTIVE '
                '"%s")) (top (vector->list (gimp-image-get-layers image)))) '
                '%s ' % (xcf, before))
        call = ('(plug-in-cnn-feature-maps-probe #:run-mode '
                'RUN-NONINTERACTIVE #:image image #:drawables (vector '
                '(cfm-find top "%s")) #:x %d #:y %d)')
        sel = '(gimp-selection-bounds image)'
    body = ""
    for name, x, y in probes:
        c = call % (name, x, y)
        body += ('(catch (gimp-message "CFM-PROBE-FAILED") (let ((r %s)) '
                 '(gimp-message (string-append "CFM-PROBE " (number->string '
                 '(car r)) " " (number->string (cadr r)) " " (number->string '
                 '(caddr r)) " " (number->string (cadddr r)) " " '
                 '(number->string (car (cddddr r))))) '
                 '(gimp-message (cadr (cddddr r)))))' % c)
        body += ('(let ((s %s)) (gimp-message (string-append "CFM-SEL " '
                 '(number->string (cadr s)) " " (number->string (caddr s)) '
                 '" " (number->string (cadddr s)) " " (number->string (car '
                 '(cddddr s))))))' % sel)
    return head + body + ")"


def parse(out):
    """The probes' results: (value, field) or None, and the selections."""
    res, sels = [], []
    for line in out.splitlines():
        i = line.find("CFM-")
        if i < 0:
            continue
        words = line[i:].split()
        if words[0] == "CFM-PROBE":
            res.append((float(words[1]), tuple(int(w) for w in words[2:6])))
        elif words[0] == "CFM-PROBE-FAILED":
            res.append(None)
        elif words[0] == "CFM-SEL":
            sels.append(tuple(int(w) for w in words[1:5]))
    return res, sels


def run_tutorial(g, tag, out, extra):
    rc, so, se = g.batch(["-o", out] + extra, [PHOTO])
    check(rc == 0, tag + ": the run succeeds", se[-300:])
    return os.path.join(out, "chelsea.xcf")


def test_probe_tutorial(g):
    """The tutorial's layers, aligned: a conv pixel covers input pixels
    j .. j+3 and lies at image x = j + 1; a pooled pixel q the conv pixels
    2q, 2q+1, at image x = 2q + 1 with two pixels a map pixel."""
    refs = {s: np.load(os.path.join(FIXTURES, "tutorial_%s.npy" % s))
            for s in ("conv", "relu", "pool")}
    tag = "GIMP %s probe" % g.series
    xcf = run_tutorial(g, tag, g.work + "/probe", [])
    h, w = refs["conv"].shape[1:]
    ph, pw = refs["pool"].shape[1:]
    cases = [   # layer, stage, filter, map row, column
        ("Filter 1 conv", "conv", 0, 0, 0),
        ("Filter 2 conv", "conv", 1, h - 1, w - 1),
        ("Filter 3 conv", "conv", 2, 150, 200),
        ("Filter 4 relu", "relu", 3, 77, 301),
        ("Filter 2 max-pool", "pool", 1, 30, 50),
        ("Filter 1 max-pool", "pool", 0, ph - 1, 0),
    ]
    probes = []
    for name, stage, f, i, j in cases:
        scale = 2 if stage == "pool" else 1
        probes.append((name, 1 + j * scale + scale - 1, 1 + i * scale))
    text = run_script(g, probe_script(g, g.inside(xcf), probes))
    res, sels = parse(text)
    check(len(res) == len(cases), tag + ": every probe answers",
          str(res))
    # The pooled winner the explanation names: the first largest of the
    # window in PyTorch's ReLU map, as MaxPool2d takes it.
    winners = re.findall(r"the largest: \S+, at row (\d+), column (\d+)",
                         text)
    pools = [(f, i, j) for _, stage, f, i, j in cases if stage == "pool"]
    for (f, i, j), won in zip(pools, winners):
        window = refs["relu"][f, 2 * i:2 * i + 2, 2 * j:2 * j + 2]
        a, b = np.unravel_index(window.argmax(), window.shape)
        check(won == (str(2 * i + a), str(2 * j + b)),
              "%s: the max-pool winner at pooled row %d, column %d"
              % (tag, i, j), "%r vs %r" % (won, (2 * i + a, 2 * j + b)))
    check(len(winners) == len(pools), tag + ": each pooled probe names its "
          "winner", str(winners))
    for (name, stage, f, i, j), r, sel in zip(cases, res, sels):
        what = "%s: %s at row %d, column %d" % (tag, name, i, j)
        want = refs[stage][f, i, j]
        if stage == "pool":
            field = (2 * j, 2 * i, 5, 5)
        else:
            field = (j, i, 4, 4)
        if not check(r is not None, what + " answers"):
            continue
        check(abs(r[0] - want) <= 1e-5 * max(1.0, abs(want)),
              what + " = PyTorch", "%r vs %r" % (r[0], want))
        check(r[1] == field, what + ": its receptive field",
              "%r vs %r" % (r[1], field))
        check(sel == (field[0], field[1], field[0] + field[2],
                      field[1] + field[3]),
              what + ": the field is selected", str(sel))


def padded_conv(gray, k, stride, pad):
    """Cross-correlation with zero padding and a stride, in numpy."""
    x = np.pad(gray.astype(np.float64), pad)
    win = np.lib.stride_tricks.sliding_window_view(x, k.shape)
    return np.einsum("ijkl,kl->ij", win[::stride, ::stride], k)


def test_probe_stride_padding(g):
    """Stride 2, padding 3, align off: the corner's field reaches into the
    padding, and the value is numpy's."""
    gray = np.load(os.path.join(FIXTURES, "photo_gray_u8.npy")) / 255.0
    k = np.array([[-1, -1, 1, 1]] * 4, np.float64)
    conv = padded_conv(gray, k, 2, 3)
    tag = "GIMP %s probe, stride 2, padding 3, align off" % g.series
    xcf = run_tutorial(g, tag, g.work + "/probe-stride",
                       ["--set", "stride=2", "--set", "padding=3",
                        "--set", "align=false", "--set", "show-pool=false"])
    probes = [("Filter 1 conv", 0, 0), ("Filter 1 conv", 40, 30)]
    res, sels = parse(run_script(g, probe_script(g, g.inside(xcf), probes)))
    for (name, x, y), r, sel in zip(probes, res, sels):
        what = "%s: map pixel %d, %d" % (tag, y, x)
        if not check(r is not None, what + " answers"):
            continue
        check(abs(r[0] - conv[y, x]) <= 1e-5, what + " = numpy",
              "%r vs %r" % (r[0], conv[y, x]))
        check(r[1] == (2 * x - 3, 2 * y - 3, 4, 4), what + ": its field",
              str(r[1]))
        fx, fy = max(0, 2 * x - 3), max(0, 2 * y - 3)
        check(sel == (fx, fy, 2 * x + 1, 2 * y + 1),
              what + ": the field clipped to the layer is selected",
              str(sel))
    check(len(res) == 2, tag + ": both probes answer", str(res))


def test_probe_refusals(g):
    """A point outside the map, a layer that is no map, and a source
    edited after the run: refused, the selection left as it was."""
    tag = "GIMP %s probe refuses" % g.series
    xcf = run_tutorial(g, tag, g.work + "/probe-refusals", [])
    select = "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 3 4 5 6)"
    cases = [
        ("a point outside the map", [("Filter 1 conv", 1000, 10)], ""),
        ("a layer that is no map", [("Background", 10, 10)], ""),
        ("an edited source",
         [("Filter 1 conv", 10, 10)],
         "(gimp-drawable-invert (cfm-find top \"Background\") %s)"
         % ("FALSE" if g.series == "2.10" else "#f")),
    ]
    for what, probes, edit in cases:
        res, sels = parse(run_script(g, probe_script(
            g, g.inside(xcf), probes, select + edit)))
        check(res == [None], "%s %s" % (tag, what), str(res))
        check(sels == [(3, 4, 8, 10)], "%s %s: the selection is left as it "
              "was" % (tag, what), str(sels))


def test_probe_model(g):
    """A trained model's block: the README's texture network's second
    convolution, its ReLU and its max-pool at pixels of the photo's crop
    give PyTorch's module outputs, and the receptive field that the chain
    of kernels, paddings and strides gives."""
    from test_models import crop_image, model_args
    outs = np.load(os.path.join(FIXTURES, "networks", "texture-out.npz"))
    tag = "GIMP %s probe of a model" % g.series
    out = g.work + "/probe-model"
    rc, so, se = g.batch(["-o", out] + model_args(g, "texture", "texture.pth",
                                                  "features.3"),
                         [crop_image(g, "crop")])
    if not check(rc == 0, tag + ": the run succeeds", se[-300:]):
        return
    # (kernel, stride, padding) of features.0, .2, .3, .5: field size and
    # start as receptive-field arithmetic gives them
    chain = [(5, 1, 2), (2, 2, 0), (3, 1, 1), (2, 2, 0)]

    def field(n_modules, i, j):
        size, jump, start = 1, 1, 0
        for k, s, p in chain[:n_modules]:
            size += (k - 1) * jump
            start -= p * jump
            jump *= s
        return (j * jump + start, i * jump + start, size, size)

    cases = [("features.3 map 2", "features.3", 1, 10, 20, 3, 2),
             ("features.4 map 5", "features.4", 4, 0, 0, 3, 2),
             ("features.5 map 7", "features.5", 6, 9, 13, 4, 4)]
    probes = [(n, j * s + s // 2, i * s + s // 2)
              for n, _, _, i, j, _, s in cases]
    res, sels = parse(run_script(g, probe_script(
        g, g.inside(os.path.join(out, "crop.xcf")), probes)))
    check(len(res) == len(cases), tag + ": every probe answers", str(res))
    for (name, module, c, i, j, n, s), r in zip(cases, res):
        what = "%s: %s at row %d, column %d" % (tag, name, i, j)
        if not check(r is not None, what + " answers"):
            continue
        want = outs[module][c, i, j]
        check(abs(r[0] - want) <= 1e-4 * max(1.0, abs(want)),
              what + " = PyTorch", "%r vs %r" % (r[0], want))
        check(r[1] == field(n, i, j), what + ": its receptive field",
              "%r vs %r" % (r[1], field(n, i, j)))


def test_probe_node(g):
    """The probe on nodes past ResNet-18's first branch, from its state
    dict with its text, over the photo's crop: layer1.0 (the block's last
    ReLU) gives PyTorch's block output, and its receptive field (conv1 7/2
    pad 3, maxpool 3/2 pad 1, two 3x3 convolutions: 27 pixels starting 13
    before 4j); the explanation names what it reads, the add before it,
    whose probe writes its sum out, its value the ReLU's input."""
    from test_models import GRAPHS, GRAPH_SELECTION, graph_files, graph_refs
    if not check(os.path.exists(os.path.join(GRAPHS, "resnet18.txt")),
                 "GIMP %s graph fixtures present" % g.series):
        return
    ref = np.load(graph_refs("resnet18")["layer1.0"])
    files = graph_files(g, "resnet18")
    tag = "GIMP %s probe of a node" % g.series
    out = g.work + "/probe-node"
    rc, so, se = g.batch(
        ["-o", out, "--before", GRAPH_SELECTION,
         "--set", "filter-bank=model", "--set", "model-file=" + files["pth"],
         "--set", "network=@" + files["txt"], "--set", "layer=layer1.0",
         "--set", "input=rgb", "--set", "input-normalize=imagenet",
         "--set", "filters=4"], [PHOTO])
    rc2, _, se2 = g.batch(
        ["-o", out + "-add", "--before", GRAPH_SELECTION,
         "--set", "filter-bank=model", "--set", "model-file=" + files["pth"],
         "--set", "network=@" + files["txt"], "--set", "layer=layer1.0/Add",
         "--set", "input=rgb", "--set", "input-normalize=imagenet",
         "--set", "filters=4"], [PHOTO])
    if not check(rc == 0 and rc2 == 0, tag + ": the runs succeed",
                 (se + se2)[-400:]):
        return
    pixels = [(0, 0), (5, 9), (16, 20)]
    for i, j in pixels:
        x, y = 100 - 2 + 4 * j + 1, 40 - 2 + 4 * i + 1
        text = run_script(g, probe_script(
            g, g.inside(os.path.join(out, "chelsea.xcf")),
            [("layer1.0 map 4", x, y)]))
        text_add = run_script(g, probe_script(
            g, g.inside(os.path.join(out + "-add", "chelsea.xcf")),
            [("layer1.0/Add map 4", x, y)]))
        (r,), _ = parse(text)
        (r_add,), _ = parse(text_add)
        what = "%s: layer1.0 at row %d, column %d" % (tag, i, j)
        if not check(r is not None and r_add is not None, what + " answers",
                     (text + text_add)[-400:]):
            continue
        want = ref[3, i, j]
        check(abs(r[0] - want) <= 1e-4 * max(1.0, abs(want)),
              what + " = PyTorch", "%r vs %r" % (r[0], want))
        check(r[1] == (100 + 4 * j - 13, 40 + 4 * i - 13, 27, 27),
              what + ": its receptive field", str(r[1]))
        check("(relu)" in text.lower() and "layer1.0/Add, channel 4: " in text,
              what + ": names the add it reads",
              text[text.find("CFM-PROBE"):][:600])
        check(abs(max(r_add[0], 0.0) - r[0]) <= 1e-5 * max(1.0, abs(r[0])),
              what + ": the add's value is the ReLU's input",
              "%r vs %r" % (r_add[0], r[0]))
        sums = [l for l in text_add.splitlines() if " + " in l and " = " in l]
        ok = False
        if sums:
            a, rest = sums[-1].split(" + ")
            b, total = rest.split(" = ")
            a = float(a.split()[-1])
            ok = abs(a + float(b) - float(total)) <= 1e-4 * max(
                1.0, abs(float(total))) and abs(float(total) - r_add[0]) \
                <= 1e-4 * max(1.0, abs(r_add[0]))
        check(ok, what + ": the add's probe writes its sum out",
              text_add[-400:])
