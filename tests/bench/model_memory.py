#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The plug-in's memory on a trained model, for the benchmark table: the
first three blocks of VGG-16 (random weights of torchvision's shapes,
saved as a state dict with its print(model) text), its third block's
conv, ReLU and max-pool maps of one channel, in GIMP 2.10 on the sample
photo scaled to 0.3, 2 and 12 megapixels.  The plug-in reports its whole
process's peak memory and its time (CFM_REPORT).

    model_memory.py BUILD [WIDTHxHEIGHT...]
Prints lines "model|WIDTHxHEIGHT|run s|process peak MB|run added MB".
Needs python3-torch and python3-torchvision (the model's shapes).
"""
import contextlib
import io
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
PHOTO = os.path.join(SRC, "tests", "data", "chelsea.png")
SIZES = ["640x480", "1632x1224", "4000x3000"]


def write_model(folder):
    import torch
    import torch.nn as nn
    import torchvision
    features = nn.Sequential(
        *list(torchvision.models.vgg16().features.children())[:17])
    torch.manual_seed(0)
    for m in features.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, std=(2.0 / m.weight[0].numel()) ** 0.5)
            nn.init.zeros_(m.bias)
    model = nn.Module()
    model.features = features
    torch.save(model.state_dict(), os.path.join(folder, "vgg16-3.pth"))
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        print(model)
    with open(os.path.join(folder, "vgg16-3.txt"), "w") as f:
        f.write(text.getvalue())


def run(build, folder, size, model=None, text=None, layer="features.14",
        filters="1"):
    """The plug-in in GIMP 2.10 on the photo scaled to SIZE, LAYER's maps
    of FILTERS of MODEL (default: the VGG-16 blocks write_model wrote);
    (run s, process peak MB, run added MB)."""
    w, h = size.split("x")
    batch = os.path.join(build, "plugin", "cnn-feature-maps-batch")
    args = ["--set", "filter-bank=model",
            "--set", "model-file=" + (model or os.path.join(folder,
                                                            "vgg16-3.pth")),
            "--set", "network=@" + (text or os.path.join(folder,
                                                         "vgg16-3.txt")),
            "--set", "layer=" + layer, "--set", "input=rgb",
            "--set", "input-normalize=imagenet", "--set", "filters=" + filters,
            "-o", os.path.join(folder, "out"),
            "--before", "(gimp-image-scale image %s %s)" % (w, h)]
    script = subprocess.run([batch, "--print-script"] + args + [PHOTO],
                            capture_output=True, text=True).stdout
    plug = os.path.join(folder, "profile", "plug-ins", "cnn-feature-maps")
    os.makedirs(plug, exist_ok=True)
    subprocess.run(["cp", os.path.join(build, "plugin", "cnn-feature-maps"),
                    plug], check=True)
    env = {"HOME": folder, "GIMP2_DIRECTORY": folder + "/profile",
           "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "CFM_REPORT": "1"}
    out = subprocess.run(["gimp-console-2.10", "-i", "-d", "-f", "-b", script,
                          "-b", "(gimp-quit 0)"], capture_output=True,
                         text=True, env=env).stderr
    m = re.search(r"run ([\d.]+) s .*process peak memory (\d+) MB, the run "
                  r"added (\d+) MB", out)
    return m.groups() if m else ("-", "-", "-")


def main():
    build = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="cfm-model-memory-") as folder:
        write_model(folder)
        for size in sys.argv[2:] or SIZES:
            print("model|%s|%s|%s|%s" % ((size,) + run(build, folder, size)),
                  flush=True)


if __name__ == "__main__":
    main()
