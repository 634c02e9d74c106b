#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The class activation maps' table of docs/benchmarks.md: Grad-CAM of
ResNet-50 at layer4 and layer3 at 224 x 224, the forward and backward
passes of this core (cfm-cam-run) beside PyTorch's (Debian 12's, and 2.x
in the Debian 13 root when it is there), on 1 and 2 threads, each the
best of three in a process of its own; and the core's memory for those
maps at 12 megapixels, where the plug-in refuses them.

    /usr/bin/python3 tests/bench/cam_bench.py BUILD

BUILD holds cfm-cam-run.  The model (torchvision's ResNet-50, random
weights from seed 0) is exported into
/var/cache/cnn-feature-maps/graph-bench; the Debian 13 root is found
through CFM_GIMP3_ROOT with the source at /src (run-bench.sh mounts it).
"""
import os
import subprocess
import sys

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = "/var/cache/cnn-feature-maps/graph-bench"
SIDE = 224


def model():
    out = os.path.join(CACHE, "resnet50-cam.onnx")
    if not os.path.exists(out):
        os.makedirs(CACHE, exist_ok=True)
        torch.manual_seed(0)
        net = torchvision.models.resnet50().eval()
        torch.onnx.export(net, torch.zeros(1, 3, SIDE, SIDE), out,
                          opset_version=13, input_names=["x"],
                          dynamic_axes={"x": {2: "h", 3: "w"}})
    return out


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        return None, p.stderr.strip()[-300:]
    return [float(v) for v in p.stdout.strip().split("|")], None


def ours(build, onnx, layer, threads, w=SIDE, h=SIDE):
    return run([os.path.join(build, "tests/bench/cfm-cam-run"), onnx,
                str(w), str(h), layer, "grad-cam"],
               dict(os.environ, CFM_THREADS=str(threads)))


def pytorch(layer, threads, root=None, lean=False):
    script = os.path.join(HERE, "torch_cam_time.py")
    cmd = ["/usr/bin/python3", script, layer, str(SIDE), str(SIDE),
           str(threads)]
    if root:
        cmd = ["chroot", root, "/usr/bin/python3",
               "/src/tests/bench/torch_cam_time.py", layer, str(SIDE),
               str(SIDE), str(threads)]
    return run(cmd + (["--lean"] if lean else []))[0]


def fmt(t):
    return "-" if t is None else "%.0f ms" % (1000 * t)


def ratio(theirs, mine):
    return "-" if theirs is None else "%.2fx" % (theirs / mine)


def main():
    build = sys.argv[1]
    onnx = model()
    root = os.environ.get("CFM_GIMP3_ROOT")
    if root and not os.path.isdir(os.path.join(root, "src/tests")):
        root = None
    print("Grad-CAM of ResNet-50 at 224 x 224, the best of three "
          "(forward + backward):\n")
    print("| layer | threads | this core | PyTorch 1.13 | PyTorch 2.x "
          "| vs 1.13 | vs 2.x |")
    print("|---|---|---|---|---|---|---|")
    for layer in ("layer4", "layer3"):
        for threads in (1, 2):
            mine, why = ours(build, onnx, layer, threads)
            if mine is None:
                print("| %s | %d | failed: %s |" % (layer, threads, why))
                continue
            p1 = pytorch(layer, threads)
            p2 = pytorch(layer, threads, root) if root else None
            t = mine[0] + mine[1]
            t1 = p1[0] + p1[1] if p1 else None
            t2 = p2[0] + p2[1] if p2 else None
            print("| %s | %d | %s + %s | %s | %s | %s | %s |" % (
                layer, threads, fmt(mine[0]), fmt(mine[1]),
                "%s + %s" % (fmt(p1[0]), fmt(p1[1])) if p1 else "-",
                "%s + %s" % (fmt(p2[0]), fmt(p2[1])) if p2 else "-",
                ratio(t1, t), ratio(t2, t)))
    print("\nPyTorch 2.x with the weights' gradients off (--lean, which "
          "pytorch-grad-cam does not do):\n")
    print("| layer | threads | this core | PyTorch 2.x, lean | vs lean |")
    print("|---|---|---|---|---|")
    for layer in ("layer4", "layer3"):
        for threads in (1, 2):
            mine, _ = ours(build, onnx, layer, threads)
            p2 = pytorch(layer, threads, root, lean=True) if root else None
            if mine is None or p2 is None:
                continue
            print("| %s | %d | %s | %s + %s | %s |" % (
                layer, threads, fmt(mine[0] + mine[1]), fmt(p2[0]),
                fmt(p2[1]), ratio(p2[0] + p2[1], mine[0] + mine[1])))
    print("\nThe memory a gradient pass holds at 12 megapixels (4000 x 3000),"
          " which the plug-in refuses past its limit:\n")
    for layer in ("layer4", "layer3"):
        mine, why = ours(build, onnx, layer, 2, 4000, 3000)
        print("- %s: %s" % (layer, why if mine is None else
                            "%.0f MB" % mine[2]))


if __name__ == "__main__":
    main()
