#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Trained models in GIMP: the fixture networks in every file format, their
layers against the outputs PyTorch's forward hooks recorded (within one
code value), align on and off, every stage, a selection, a layer deep in
the chain, and every refusal with the image left as it was."""
import os
import shutil

import numpy as np
from PIL import Image

from harness import FIXTURES, check, layers_of, expected_codes, \
    compare, read_map, check_refusals, run_script, PHOTO

NETS = os.path.join(FIXTURES, "networks")
# The fixtures' input is the photo's top-left 96 x 72 pixels.
CROP_SELECTION = ("(gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
                  "0 0 96 72)")


def norm_of(name):
    return open(os.path.join(NETS, name + "-norm.txt")).read().strip()


def model_args(g, name, model_file, layer, extra=()):
    """The batch arguments that run NAME's MODEL_FILE at LAYER in g."""
    args = ["--set", "filter-bank=model",
            "--set", "model-file=" + g.inside(os.path.join(NETS, model_file)),
            "--set", "layer=" + layer,
            "--set", "input-normalize=" + norm_of(name),
            "--set", "input=" + ("luma" if name in ("lenet", "texture")
                                 else "rgb")]
    if not model_file.endswith(".onnx"):
        args += ["--set", "network=@" + g.inside(os.path.join(NETS,
                                                             name + ".txt"))]
    return args + list(extra)


def crop_image(g, name):
    """The photo's top-left 96 x 72 pixels as an image of its own."""
    path = g.host(os.path.join(g.work, name + ".png"))
    if not os.path.exists(path):
        Image.open(PHOTO).convert("RGB").crop((0, 0, 96, 72)).save(path)
    return os.path.join(g.work, name + ".png")


def run(g, tag, out, args, image, before=None):
    """Runs the batch; the layers it added by name, or None."""
    extra = ["--before", before] if before else []
    rc, so, se = g.batch(["-o", out, "--png"] + args + extra, [image])
    if not check(rc == 0, tag + ": batch succeeds", se[-600:]):
        return None
    return {l[0].split(" (")[0]: l for l in layers_of(so)}


def check_maps(g, tag, out, base, layers, stages, channels, place,
               image=PHOTO):
    """Each of STAGES (module name, the module whose PyTorch output it
    shows, its total stride, its first pixel's place) for CHANNELS: the
    layer exists, lies where PLACE says and has PyTorch's values."""
    refs = np.load(os.path.join(NETS, base + "-out.npz"))
    base_of = [os.path.splitext(os.path.basename(image))[0]]
    for module, ref_name, stride, corner in stages:
        for n in channels:
            name = "%s map %d" % (module, n)
            if not check(name in layers, "%s: layer %s" % (tag, name),
                         str(sorted(layers))):
                continue
            ref = refs[ref_name][n - 1]
            scale = stride if place else 1
            want = (corner if place else (0, 0)) + \
                (ref.shape[1] * scale, ref.shape[0] * scale)
            check(tuple(layers[name][1:]) == want,
                  "%s: %s geometry" % (tag, name),
                  "%s vs %s" % (layers[name][1:], want))
            codes = expected_codes(ref)
            if scale > 1:
                codes = np.kron(codes, np.ones((scale, scale)))
            compare("%s: %s = PyTorch" % (tag, name),
                    np.asarray(Image.open(g.host(os.path.join(
                        out, base_of[0] + "-maps", name + ".png")))), codes)


def test_model_formats(g):
    """vgg_bn's second block (conv 3, ReLU 5, max-pool 6) from every file
    format PyTorch 1.13 and 2.x write, over the photo's crop as a
    selection.  ONNX's Conv holds the BatchNorm folded in: its conv maps
    are BatchNorm 4's."""
    for model_file in ("vgg_bn.pth", "vgg_bn-checkpoint.pth",
                       "vgg_bn.safetensors", "vgg_bn.npz", "vgg_bn.onnx",
                       "vgg_bn-fp64.pth", "torch2/vgg_bn.pth",
                       "torch2/vgg_bn.safetensors"):
        tag = "GIMP %s model %s" % (g.series, model_file)
        out = g.work + "/model-" + model_file.replace("/", "-")
        layers = run(g, tag, out,
                     model_args(g, "vgg_bn", model_file, "3",
                                ["--set", "filters=1,5"]),
                     PHOTO, CROP_SELECTION)
        if layers is None:
            continue
        conv_ref = "4" if model_file.endswith(".onnx") else "3"
        check(len(layers) == 6, tag + ": 2 channels x 3 stages",
              str(sorted(layers)))
        check_maps(g, tag, out, "vgg_bn", layers,
                   [("3", conv_ref, 1, (0, 0)), ("5", "5", 1, (0, 0)),
                    ("6", "6", 2, (0, 0))], (1, 5), True)


def test_model_layers(g):
    """Layers of other networks: a gray LeNet's second block (tanh,
    average pooling with padding) with align on and off, the ResNet stem
    (stride 2, pooling 3/2 with padding 1), a block deep in a chain of
    depthwise and pointwise convolutions, and a non-square stride."""
    crop = crop_image(g, "crop")
    cases = [
        # (tag, network, file, layer, batch extra, align, stages)
        ("lenet features.3", "lenet", "lenet.pth", "features.3", [], True,
         [("features.3", "features.3", 2, (6, 6)),
          ("features.4", "features.4", 2, (6, 6)),
          ("features.5", "features.5", 4, (5, 5))]),
        ("lenet features.3 align off", "lenet", "lenet.safetensors",
         "features.4", ["--set", "align=false"], False,
         [("features.3", "features.3", 1, (0, 0)),
          ("features.5", "features.5", 2, (0, 0))]),
        ("resnet stem", "resnet_stem", "resnet_stem.onnx", "maxpool", [],
         True, [("relu", "relu", 2, (-1, -1)),
                ("maxpool", "maxpool", 4, (-2, -2))]),
        ("resnet stem .pth", "resnet_stem", "resnet_stem.pth", "conv1", [],
         True, [("conv1", "conv1", 2, (-1, -1)),
                ("relu", "relu", 2, (-1, -1)),
                ("maxpool", "maxpool", 4, (-2, -2))]),
        ("depthwise deep", "depthwise", "depthwise.npz", "18", [], True,
         [("18", "18", 2, (-1, -1)), ("19", "19", 2, (-1, -1))]),
        ("the README's texture example", "texture", "texture.pth",
         "features.3", [], True,
         [("features.3", "features.3", 2, (0, 0)),
          ("features.4", "features.4", 2, (0, 0)),
          ("features.5", "features.5", 4, (0, 0))]),
        ("the texture example as ONNX", "texture", "texture.onnx",
         "/features/features.3/Conv", [], True,
         [("features.4", "features.4", 2, (0, 0)),
          ("features.5", "features.5", 4, (0, 0))]),
        ("pools align off", "pools", "pools-checkpoint.pth", "0",
         ["--set", "align=false"], False,
         [("0", "0", 1, (0, 0)), ("1", "1", 1, (0, 0))]),
    ]
    for what, name, model_file, layer, extra, align, stages in cases:
        tag = "GIMP %s model %s" % (g.series, what)
        out = g.work + "/model-" + what.replace(" ", "-")
        layers = run(g, tag, out,
                     model_args(g, name, model_file, layer, extra), crop)
        if layers is None:
            continue
        check_maps(g, tag, out, name, layers, stages, (1, 2), align, crop)


def test_model_raw_values(g):
    """normalize none in a float image: the layer holds the module's own
    values, as the user's forward pass gives them."""
    tag = "GIMP %s model raw values" % g.series
    out = g.work + "/model-raw"
    layers = run(g, tag, out,
                 model_args(g, "lenet", "lenet.pth", "features.0",
                            ["--set", "normalize=none", "--set",
                             "filters=3", "--set", "show-pool=false"]),
                 crop_image(g, "crop"),
                 "(gimp-image-convert-precision image 650)")
    if layers is None:
        return
    ref = np.load(os.path.join(NETS, "lenet-out.npz"))["features.1"][2]
    got = read_map(g.host(os.path.join(out, "crop-maps",
                                       "features.1 map 3.png")))
    want = np.clip(ref, 0, 1)   # a PNG keeps 0..1
    worst = np.abs(got - want).max() if got.shape == want.shape else 9
    check(worst <= 1.5 / 255, tag + ": tanh values stored", "worst %.5f"
          % worst)


def bad_model_files(g):
    """A truncated model file, made from a good one."""
    d = g.host(g.work + "/bad-models")
    os.makedirs(d, exist_ok=True)
    good = open(os.path.join(NETS, "lenet.pth"), "rb").read()
    open(os.path.join(d, "truncated.pth"), "wb").write(good[:len(good) // 2])
    return g.work + "/bad-models"


def test_model_refusals(g):
    """Every bad model input: a message that names the problem, and the
    image keeps its one layer."""
    bad = bad_model_files(g)
    lenet = model_args(g, "lenet", "lenet.pth", "")
    cases = [
        # (what, batch arguments, --before, message, exit code)
        ("a missing model file",
         ["--set", "filter-bank=model", "--set",
          "model-file=/nonexistent/m.pth"], None, "cannot open", 2),
        ("no model file", ["--set", "filter-bank=model"], None,
         "needs a \"model-file\"", 1),
        ("a truncated model file",
         lenet[:2] + ["--set", "model-file=%s/truncated.pth" % bad]
         + lenet[4:], None, "truncated.pth", 1),
        ("a whole saved model",
         model_args(g, "lenet", "refuse-whole-model.pth", ""), None,
         "state_dict", 1),
        ("a pickle that calls os.system",
         model_args(g, "lenet", "refuse-os-system.pth", ""), None,
         "os", 1),
        ("weights without their network", lenet[:-2], None, "print(model)",
         1),
        ("a network text that does not match",
         model_args(g, "vgg_bn", "lenet.pth", "",
                    ["--set", "input=rgb"]), None, "0.weight", 1),
        ("an unknown layer",
         model_args(g, "lenet", "lenet.pth", "classifier.9"), None,
         "its modules: features.0", 1),
        ("an input that does not fit",
         model_args(g, "lenet", "lenet.pth", "", ["--set", "input=rgb"]), None,
         "choose the input \"luma\"", 1),
        ("an image smaller than the layer's field",
         model_args(g, "lenet", "lenet.pth", "features.3"),
         "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 9 9)",
         "too small for this layer", 1),
        ("a bad input normalisation",
         model_args(g, "lenet", "lenet.pth", "", ["--set",
                                               "input-normalize=0.5/0"]),
         None, "input-normalize", 1),
        ("align with unequal strides",
         model_args(g, "pools", "pools.pth", "0"), None,
         "turn \"align\" off", 1),
    ]
    check_refusals(g, cases, PHOTO)


# The graph fixtures the core suite makes (tests/core/run-graph-fixtures.sh)
# with Debian 12's PyTorch: a crop of the photo at x 100, y 40, 83 x 67.
GRAPHS = os.environ.get("CFM_GRAPH_FIXTURES",
                        "/var/cache/cnn-feature-maps/graph-fixtures")
GRAPH_SELECTION = ("(gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
                   "100 40 83 67)")


def graph_refs(family):
    """FAMILY's module outputs by module path, from its index."""
    refs = {}
    for line in open(os.path.join(GRAPHS, family + ".txt")):
        parts = line.split()
        if len(parts) == 3 and parts[0] == "map":
            refs[parts[1]] = os.path.join(GRAPHS, parts[2])
    return refs


def graph_files(g, family):
    """FAMILY's state dict, its print(model) text and its ONNX export,
    copied where the GIMP process sees them."""
    out = {}
    for kind, name in (("pth", family + ".pth"),
                       ("txt", family + "-model.txt"),
                       ("onnx", family + "-opset13.onnx")):
        dst = os.path.join(g.work, "graphs", name)
        os.makedirs(os.path.dirname(g.host(dst)), exist_ok=True)
        shutil.copy(os.path.join(GRAPHS, name), g.host(dst))
        out[kind] = dst
    return out


def test_model_nodes(g):
    """Any node past a chain's first branch: ResNet-18's (narrow widths)
    residual blocks, from its state dict with print(model)'s text and from
    ONNX, their layers against PyTorch's block outputs, with align on (a
    map pixel a block of its total stride, centred on its receptive
    field: conv1 7/2 pad 3 and maxpool 3/2 pad 1 put pixel 0's centre on
    photo pixel 0, so a stride-4 block starts 2 pixels before the
    selection and a stride-8 one 4) and off; a vector past the flatten and
    a channel past the node's count refused."""
    if not check(os.path.exists(os.path.join(GRAPHS, "resnet18.txt")),
                 "GIMP %s graph fixtures present" % g.series,
                 "the core suite makes them in " + GRAPHS):
        return
    refs = graph_refs("resnet18")
    files = graph_files(g, "resnet18")
    cases = [("layer1.0", 4, -2), ("layer2", 8, -4)]
    for kind in ("pth", "onnx"):
        for layer, stride, corner in cases:
            for align in (True, False):
                tag = "GIMP %s node %s (%s, align %s)" % (g.series, layer,
                                                         kind, align)
                args = ["--set", "filter-bank=model",
                        "--set", "model-file=" + files[kind],
                        "--set", "layer=" + layer,
                        "--set", "input-normalize=imagenet",
                        "--set", "input=rgb", "--set", "filters=1,4",
                        "--set", "align=%s" % ("true" if align else "false")]
                if kind == "pth":
                    args += ["--set", "network=@" + files["txt"]]
                out = g.work + "/node-%s-%s-%d" % (kind, layer, align)
                layers = run(g, tag, out, args, PHOTO, GRAPH_SELECTION)
                if layers is None:
                    continue
                check(len(layers) == 2, tag + ": 2 channels, one layer each",
                      str(sorted(layers)))
                ref = np.load(refs[layer])
                for n in (1, 4):
                    name = "%s map %d" % (layer, n)
                    if not check(name in layers, "%s: layer %s" % (tag, name),
                                 str(sorted(layers))):
                        continue
                    scale = stride if align else 1
                    want = ((100 + corner, 40 + corner) if align
                            else (100, 40)) + (ref.shape[2] * scale,
                                               ref.shape[1] * scale)
                    check(tuple(layers[name][1:]) == want,
                          "%s: %s geometry" % (tag, name),
                          "%s vs %s" % (layers[name][1:], want))
                    codes = expected_codes(ref[n - 1])
                    if scale > 1:
                        codes = np.kron(codes, np.ones((scale, scale)))
                    compare("%s: %s = PyTorch" % (tag, name),
                            np.asarray(Image.open(g.host(os.path.join(
                                out, "chelsea-maps", name + ".png")))),
                            codes)
    base = ["--set", "filter-bank=model", "--set", "model-file=" + files["onnx"],
            "--set", "input-normalize=imagenet", "--set", "input=rgb"]
    check_refusals(g, [
        ("a vector past the flatten", base + ["--set", "layer=fc"],
         GRAPH_SELECTION, "not maps", 1),
        ("a channel past the node's", base + ["--set", "layer=layer1.0",
                                              "--set", "filters=99"],
         GRAPH_SELECTION, "layer1.0", 1)], PHOTO)


def group_of_xcf(g, xcf):
    """The top layer's name in XCF (the run's group) and, in GIMP 2.10, its
    predictions parasite's text (None in GIMP 3, whose Script-Fu gives a
    parasite's data as bytes)."""
    if g.series == "2.10":
        script = ('(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" '
                  '"%s"))) (group (aref (cadr (gimp-image-get-layers image)) '
                  '0))) (gimp-message-set-handler 1) (gimp-message '
                  '(string-append "CFM-GROUP|" (car (gimp-item-get-name '
                  'group)) "|CFM-PRED|" (caddr (car (gimp-item-get-parasite '
                  'group "cnn-feature-maps-predictions"))) "|CFM-END")))'
                  % (xcf, xcf))
    else:
        script = ('(script-fu-use-v3) (let* ((image (gimp-file-load '
                  'RUN-NONINTERACTIVE "%s")) (group (vector-ref '
                  '(gimp-image-get-layers image) 0))) (gimp-message '
                  '(string-append "CFM-GROUP|" (gimp-item-get-name group) '
                  '"|CFM-END")))' % xcf)
    out = run_script(g, script)
    if "CFM-GROUP|" not in out:
        return None, None, out
    text = out.split("CFM-GROUP|", 1)[1].split("|CFM-END", 1)[0]
    name, _, pred = text.partition("|CFM-PRED|")
    return name, (pred if g.series == "2.10" else None), out


def check_prediction_table(g, tag, table, image, probs, labels):
    """The batch's --predictions file: a header, then the image's five most
    probable classes (from the procedure's return value) as PyTorch's
    softmax ranks them, "image, rank, class, probability, label"."""
    with open(g.host(table)) as f:
        rows = [l.rstrip("\n").split("\t") for l in f]
    order = list(np.argsort(-probs, kind="stable"))[:5]
    if not check(rows[:1] == [["image", "rank", "class", "probability",
                               "label"]] and len(rows) == 1 + len(order)
                 and all(len(r) == 5 for r in rows),
                 tag + ": predictions file, a header and the top 5",
                 str(rows)[:400]):
        return
    rows = rows[1:]
    check(all(os.path.basename(r[0]) == os.path.basename(image)
              for r in rows)
          and [int(r[1]) for r in rows] == list(range(1, len(order) + 1))
          and [int(r[2]) for r in rows] == [int(k) for k in order]
          and [r[4] for r in rows] == [labels[k] for k in order],
          tag + ": the return value ranked as PyTorch's softmax", str(rows))
    worst = max(abs(float(r[3]) - probs[int(r[2])]) for r in rows)
    check(worst < 1e-5, tag + ": returned probabilities = PyTorch's",
          "worst %g" % worst)


def test_model_predictions(g):
    """Where the network ends in a classifier the run takes it to its end:
    the group is named after the top class and its probability, the
    predictions parasite (GIMP 2.10's Script-Fu reads it) holds every
    class ranked, "rank, class, probability, label", against PyTorch's
    softmax of ResNet-18's logits; labels from a file, and a count that is
    not the classifier's refused."""
    if not check(os.path.exists(os.path.join(GRAPHS, "resnet18.txt")),
                 "GIMP %s graph fixtures present" % g.series,
                 "the core suite makes them in " + GRAPHS):
        return
    files = graph_files(g, "resnet18")
    probs = np.load(os.path.join(GRAPHS, "resnet18-probs.npy")).reshape(-1)
    labels = ["texture %c" % chr(ord("a") + k) for k in range(len(probs))]
    label_file = os.path.join(g.work, "graphs", "labels.txt")
    with open(g.host(label_file), "w") as f:
        f.write("\n".join(labels) + "\n")
    order = list(np.argsort(-probs, kind="stable"))
    top = "%s %.1f%%" % (labels[order[0]], 100.0 * probs[order[0]])
    for kind in ("onnx", "pth"):
        tag = "GIMP %s predictions (%s)" % (g.series, kind)
        args = ["--set", "filter-bank=model", "--set", "model-file=" + files[kind],
                "--set", "layer=layer1.0", "--set", "input-normalize=imagenet",
                "--set", "input=rgb", "--set", "filters=1",
                "--set", "labels=@" + label_file]
        if kind == "pth":
            args += ["--set", "network=@" + files["txt"]]
        out = g.work + "/pred-" + kind
        table = out + "/predictions.tsv"
        if run(g, tag, out, args + ["--predictions", table], PHOTO,
               GRAPH_SELECTION) is None:
            continue
        check_prediction_table(g, tag, table, PHOTO, probs, labels)
        name, pred, log = group_of_xcf(g, os.path.join(out, "chelsea.xcf"))
        model = os.path.basename(files[kind])
        check(name == "CNN Feature Maps (%s, layer1.0): %s" % (model, top),
              tag + ": the group names the top class", "%r / %s" % (name,
                                                                  log[-300:]))
        if pred is None:
            continue
        rows = [l.split("\t") for l in pred.strip().split("\n")]
        check(len(rows) == len(probs) and all(len(r) == 4 for r in rows),
              tag + ": a line per class", pred[:300])
        if len(rows) != len(probs):
            continue
        check([int(r[0]) for r in rows] == list(range(1, len(probs) + 1))
              and [int(r[1]) for r in rows] == [int(k) for k in order]
              and [r[3] for r in rows] == [labels[k] for k in order],
              tag + ": ranked as PyTorch's softmax, labelled", pred[:300])
        worst = max(abs(float(r[2]) - probs[int(r[1])]) for r in rows)
        check(worst < 1e-5, tag + ": probabilities = PyTorch's",
              "worst %g" % worst)
    table = g.work + "/pred-bank/predictions.tsv"
    rc, _, se = g.batch(["-o", g.work + "/pred-bank", "--predictions", table,
                         "--before", GRAPH_SELECTION], [PHOTO])
    if check(rc == 0, "GIMP %s predictions of a bank: batch succeeds"
             % g.series, se[-400:]):
        with open(g.host(table)) as f:
            text = f.read()
        check(text == "image\trank\tclass\tprobability\tlabel\n"
              and "no predictions: the network has no classifier" in se,
              "GIMP %s a bank returns no predictions, and says so" % g.series,
              repr(text[:200]) + se[-200:])
    bad = os.path.join(g.work, "graphs", "three.txt")
    with open(g.host(bad), "w") as f:
        f.write("a\nb\nc\n")
    check_refusals(g, [
        ("labels that are not the classifier's count",
         ["--set", "filter-bank=model", "--set", "model-file=" + files["onnx"],
          "--set", "layer=layer1.0", "--set", "input-normalize=imagenet",
          "--set", "input=rgb", "--set", "labels=@" + bad],
         GRAPH_SELECTION, "3 labels for a classifier of %d classes"
         % len(probs), 1)], PHOTO)


def test_model_input_size(g):
    """input-size N: the selection resized so that its shorter side is N
    (torchvision's Resize, antialiased) before ResNet-18 runs: layer1.0's
    maps against PyTorch's on the resized tensor, at their own size with
    align off, and scaled back over the photo with align on (a map pixel
    covers its stride of 4 times 83/59 photo pixels, its corner the
    resized input's -2 scaled the same way); the prediction is the resized
    input's; a size past the largest refused."""
    index = os.path.join(GRAPHS, "resnet18-resized.txt")
    if not check(os.path.exists(index), "GIMP %s resized fixtures present"
                 % g.series, "the core suite makes them in " + GRAPHS):
        return
    info = {l.split()[0]: l.split()[1:] for l in open(index)}
    side = int(info["size"][0])
    ref = np.load(os.path.join(GRAPHS, info["map"][1]))
    probs = np.load(os.path.join(GRAPHS, info["probabilities"][0]))
    files = graph_files(g, "resnet18")
    rows, cols = 67, 83                       # the selection
    in_w = side * cols // rows                # torchvision's long side
    sx, sy = cols / in_w, rows / side
    top = int(np.argmax(probs))
    for kind in ("pth", "onnx"):
        for align in (False, True):
            tag = "GIMP %s input-size %d (%s, align %s)" % (g.series, side,
                                                           kind, align)
            args = ["--set", "filter-bank=model",
                    "--set", "model-file=" + files[kind],
                    "--set", "layer=layer1.0", "--set", "input=rgb",
                    "--set", "input-normalize=imagenet",
                    "--set", "filters=1,4", "--set", "input-size=%d" % side,
                    "--set", "align=%s" % ("true" if align else "false")]
            if kind == "pth":
                args += ["--set", "network=@" + files["txt"]]
            out = g.work + "/resized-%s-%d" % (kind, align)
            layers = run(g, tag, out, args, PHOTO, GRAPH_SELECTION)
            if layers is None:
                continue
            for n in (1, 4):
                name = "layer1.0 map %d" % n
                if not check(name in layers, "%s: layer %s" % (tag, name),
                             str(sorted(layers))):
                    continue
                codes = expected_codes(ref[n - 1])
                h, w = codes.shape
                if align:
                    want = (100 + int(np.floor(-2 * sx + 0.5)),
                            40 + int(np.floor(-2 * sy + 0.5)),
                            int(np.floor(w * 4 * sx + 0.5)),
                            int(np.floor(h * 4 * sy + 0.5)))
                else:
                    want = (100, 40, w, h)
                if not check(tuple(layers[name][1:]) == want,
                             "%s: %s geometry" % (tag, name),
                             "%s vs %s" % (layers[name][1:], want)):
                    continue
                png = np.asarray(Image.open(g.host(os.path.join(
                    out, "chelsea-maps", name + ".png"))))
                if align:   # each map pixel's block, sampled at its centre
                    ys = ((np.arange(h) + 0.5) * want[3] / h).astype(int)
                    xs = ((np.arange(w) + 0.5) * want[2] / w).astype(int)
                    png = (png[:, :, 0] if png.ndim == 3 else png)[ys][:, xs]
                compare("%s: %s = PyTorch on the resized input" % (tag, name),
                        png, codes)
            xcf_name, _, log = group_of_xcf(g, os.path.join(out,
                                                            "chelsea.xcf"))
            check(xcf_name is not None and xcf_name.endswith(
                "): class %d %.1f%%" % (top, 100.0 * probs[top])),
                  tag + ": the resized input's prediction",
                  "%r / %s" % (xcf_name, log[-200:]))
    check_refusals(g, [
        ("an input size past the largest",
         ["--set", "filter-bank=model", "--set", "model-file=" + files["onnx"],
          "--set", "input-size=5000"], None,
         "input-size must be between 0 and 4096", 2)], PHOTO)


TEXTURES = os.path.join(os.path.dirname(PHOTO), "textures.png")


def test_model_walkthrough(g):
    """The README's walk-through: the small residual network of
    torchvision's BasicBlock trained on brick, grass and gravel, over the
    photo of brick and grass it never saw: layer1.0's and layer2's maps
    against PyTorch's (stride 2 from the stem's pooling, pixel 0 centred on
    photo pixel 0.5; layer2 strides 2 again with its 3x3 convolution,
    centred on 1.5, so its block of 4 starts one pixel before the photo),
    from .pth with its text and from ONNX; and its predictions (group name
    and --predictions) for the whole photo and each half selected."""
    probs = np.load(os.path.join(NETS, "texture_resnet-probs.npz"))
    labels = [l.strip() for l in open(os.path.join(NETS,
                                                   "texture-labels.txt"))]
    files = {"pth": os.path.join(NETS, "texture_resnet.pth"),
             "onnx": os.path.join(NETS, "texture_resnet.onnx")}
    text = os.path.join(NETS, "texture_resnet.txt")
    for kind in ("pth", "onnx"):
        for layer, stride, corner in (("layer1.0", 2, 0), ("layer2", 4, -1)):
            tag = "GIMP %s walk-through %s (%s)" % (g.series, layer, kind)
            args = ["--set", "filter-bank=model",
                    "--set", "model-file=" + g.inside(files[kind]),
                    "--set", "layer=" + layer, "--set", "input=luma",
                    "--set", "input-normalize=0.5/0.25",
                    "--set", "labels=@" + g.inside(os.path.join(
                        NETS, "texture-labels.txt")),
                    "--set", "filters=1,7"]
            if kind == "pth":
                args += ["--set", "network=@" + g.inside(text)]
            out = g.work + "/walk-%s-%s" % (kind, layer)
            layers = run(g, tag, out, args, TEXTURES)
            if layers is None:
                continue
            check_maps(g, tag, out, "texture_resnet", layers,
                       [(layer, layer, stride, (corner, corner))], (1, 7),
                       True, TEXTURES)
    for part, before in (("whole", None),
                         ("left", "(gimp-image-select-rectangle image "
                                  "CHANNEL-OP-REPLACE 0 0 128 256)"),
                         ("right", "(gimp-image-select-rectangle image "
                                   "CHANNEL-OP-REPLACE 128 0 128 256)")):
        tag = "GIMP %s walk-through prediction (%s)" % (g.series, part)
        out = g.work + "/walk-pred-" + part
        table = out + "/predictions.tsv"
        args = ["--set", "filter-bank=model",
                "--set", "model-file=" + g.inside(files["onnx"]),
                "--set", "layer=layer2", "--set", "input=luma",
                "--set", "input-normalize=0.5/0.25", "--set", "filters=1",
                "--set", "labels=@" + g.inside(os.path.join(
                    NETS, "texture-labels.txt")),
                "--predictions", table]
        if run(g, tag, out, args, TEXTURES, before) is None:
            continue
        check_prediction_table(g, tag, table, TEXTURES, probs[part], labels)
        top = int(np.argmax(probs[part]))
        name, _, log = group_of_xcf(g, os.path.join(out, "textures.xcf"))
        check(name == "CNN Feature Maps (texture_resnet.onnx, layer2): "
              "%s %.1f%%" % (labels[top], 100.0 * probs[part][top]),
              tag + ": the group names the class", "%r" % name)


# A node past the first branch of each family of the graph fixtures (their
# module paths; the U-Net's crop is 84 x 68).
FAMILY_NODES = [("bottleneck", "layer1"), ("mobilenet_v2", "features.3"),
                ("mobilenet_v3_small", "features.1"),
                ("efficientnet_b0", "features.2"),
                ("densenet", "features.denseblock1"),
                ("squeezenet", "features.3"), ("regnet_y",
                                               "trunk_output.block1"),
                ("shufflenet_v2", "stage2"), ("convnext", "features.1"),
                ("decoder", "4"), ("unet", "dec1")]


# Each family node's total stride S and the centre C of its pixel 0's
# receptive field (input pixels, centres at whole numbers), worked out by
# hand from torchvision's modules: a layer (kernel k, stride s, padding p)
# moves the centre by the stride so far times (k - 1) / 2 - p.  Padded
# 3x3, 7x7 and strided 3x3 convolutions and pools keep it at 0; for align
# on, a layer's corner is the selection's + floor(C - (S - 1) / 2).
FAMILY_ALIGN = {
    "bottleneck": (4, 0.0),          # conv1 7/2 p3, maxpool 3/2 p1
    "mobilenet_v2": (4, 0.0),        # 3/2 p1, then a 3/2 p1 depthwise
    "mobilenet_v3_small": (4, 0.0),  # 3/2 p1, a 3/2 p1 depthwise (and SE)
    "efficientnet_b0": (4, 0.0),     # 3/2 p1, a 3/2 p1 depthwise
    "densenet": (4, 0.0),            # conv0 7/2 p3, pool0 3/2 p1
    "squeezenet": (4, 3.0),          # 3/2 p0: 0 + 1 x 1; pool 3/2: + 2 x 1
    "regnet_y": (4, 0.0),            # stem 3/2 p1, block1's 3/2 p1
    "shufflenet_v2": (8, 0.0),       # 3/2 p1, pool 3/2 p1, stage2's 3/2 p1
    "convnext": (4, 1.5),            # stem 4/4 p0: 0 + 1 x 1.5
}


def family_args(node, channels, files, kind, align):
    """The batch arguments of a family's NODE, CHANNELS, from its ONNX file
    or (KIND "pth") its state dict with its text (FILES)."""
    args = ["--set", "filter-bank=model", "--set", "model-file=" + files[kind],
            "--set", "layer=" + node, "--set", "input=rgb",
            "--set", "input-normalize=imagenet",
            "--set", "filters=%d,%d" % tuple(channels),
            "--set", "align=%s" % ("true" if align else "false")]
    if kind == "pth":
        args += ["--set", "network=@" + files["txt"]]
    return args


def check_family_align(g, tag, family, node, channels, ref, files, kind,
                       select):
    """FAMILY's NODE with align on: each map pixel a block of S x S photo
    pixels (nearest, no interpolation), the layer's corner where the
    receptive field's centre puts it, PyTorch's values."""
    stride, centre = FAMILY_ALIGN[family]
    corner = int(np.floor(centre - (stride - 1) / 2.0))
    h, w = ref.shape[1:]
    out = g.work + "/family-align-%s-%s" % (family, kind)
    layers = run(g, tag, out, family_args(node, channels, files, kind, True),
                 PHOTO, select)
    if layers is None:
        return
    for n in channels:
        name = "%s map %d" % (node, n)
        want = (100 + corner, 40 + corner, w * stride, h * stride)
        if not check(name in layers and tuple(layers[name][1:]) == want,
                     "%s: %s at %d, %d, %d x %d" % ((tag, name) + want),
                     str(layers.get(name))):
            continue
        compare("%s: %s = PyTorch, %dx%d blocks" % (tag, name, stride,
                                                     stride),
                np.asarray(Image.open(g.host(os.path.join(
                    out, "chelsea-maps", name + ".png")))),
                np.kron(expected_codes(ref[n - 1]),
                        np.ones((stride, stride))))


def test_model_families(g):
    """Every family of the graph fixtures (torchvision's branching
    networks, a decoder, a U-Net): a node past its first branch (a
    residual block, an inverted residual, a squeeze-excitation block, a
    dense block's concatenation, a Fire module, a shuffle unit, a ConvNeXt
    stage, a transposed convolution, a U-Net's decoder stage) from ONNX
    and, where the family has one, from its state dict with print(model)'s
    text, inside a selection of the photo, two of its channels at their own
    size (align off) against PyTorch's module output; and from the state
    dict with align on (FAMILY_ALIGN: all but the decoder and the U-Net,
    whose upsamplings step fractions of a pixel)."""
    if not check(os.path.exists(os.path.join(GRAPHS, "unet.txt")),
                 "GIMP %s graph fixtures present" % g.series,
                 "the core suite makes them in " + GRAPHS):
        return
    for family, node in FAMILY_NODES:
        index = open(os.path.join(GRAPHS, family + ".txt")).read()
        ref = np.load(graph_refs(family)[node])
        h, w = ref.shape[1:]
        # the first two channels that are not constant (a ReLU's may be 0)
        channels = [c + 1 for c in range(ref.shape[0])
                    if ref[c].max() > ref[c].min()][:2]
        kinds = ["onnx"] + (["pth"] if "\ntext " in index else [])
        rows, cols = (68, 84) if family == "unet" else (67, 83)
        select = ("(gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
                  "100 40 %d %d)" % (cols, rows))
        for kind in kinds:
            tag = "GIMP %s %s %s (%s)" % (g.series, family, node, kind)
            names = {"onnx": family + "-opset13.onnx", "pth": family + ".pth",
                     "txt": family + "-model.txt"}
            files = {}
            for k in (("onnx",) if kind == "onnx" else ("pth", "txt")):
                dst = os.path.join(g.work, "graphs", names[k])
                os.makedirs(os.path.dirname(g.host(dst)), exist_ok=True)
                shutil.copy(os.path.join(GRAPHS, names[k]), g.host(dst))
                files[k] = dst
            out = g.work + "/family-%s-%s" % (family, kind)
            layers = run(g, tag, out,
                         family_args(node, channels, files, kind, False),
                         PHOTO, select)
            if layers is None:
                continue
            for n in channels:
                name = "%s map %d" % (node, n)
                if not check(name in layers and tuple(layers[name][1:])
                             == (100, 40, w, h), "%s: %s at the selection's "
                             "corner, %d x %d" % (tag, name, w, h),
                             str(layers.get(name))):
                    continue
                compare("%s: %s = PyTorch" % (tag, name),
                        np.asarray(Image.open(g.host(os.path.join(
                            out, "chelsea-maps", name + ".png")))),
                        expected_codes(ref[n - 1]))
            if kind == "pth" and family in FAMILY_ALIGN:
                check_family_align(g, tag + " align", family, node, channels,
                                   ref, files, kind, select)
