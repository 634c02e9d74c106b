#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The graph engine's tables of docs/benchmarks.md: ResNet-50 to layer3 and
MobileNetV2's features on a 2-megapixel photo against onnxruntime's CPU
run of the same ONNX graph and PyTorch (Debian 12's, and 2.x in the
Debian 13 root when it is there), on 1 and 2 threads; the 1x1
convolutions' share of the FMA peak; the whole process's peak memory at 2
and 12 megapixels and 4000 x 500; EfficientNet-B0 to its logits at 12
megapixels.

    /usr/bin/python3 tests/bench/graph_bench.py BUILD

BUILD holds cfm-graph-run.  The models (torchvision's, random weights,
fixed seeds) are exported into /var/cache/cnn-feature-maps/graph-bench.
onnxruntime-node is found through CFM_ORT_MODULES (run-bench.sh installs
it); the Debian 13 root through CFM_GIMP3_ROOT with the source at /src
(run-bench.sh mounts it).
"""
import os
import subprocess
import sys

import torch
import torchvision

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = "/var/cache/cnn-feature-maps/graph-bench"
W2, H2 = 1632, 1224          # 2.0 megapixels
W12, H12 = 4000, 3000        # 12 megapixels
BAND = 4                     # rows of the wanted node a step


def export(name, model):
    out = os.path.join(CACHE, name + ".onnx")
    if not os.path.exists(out):
        kw = {"input_names": ["x"], "dynamic_axes": {"x": {2: "h", 3: "w"}}}
        torch.onnx.export(model.eval(), torch.zeros(1, 3, 224, 224), out,
                          opset_version=13, **kw)
    return out


def models():
    os.makedirs(CACHE, exist_ok=True)
    torch.manual_seed(0)
    r50 = torchvision.models.resnet50()
    trunk = torch.nn.Sequential(r50.conv1, r50.bn1, r50.relu, r50.maxpool,
                                r50.layer1, r50.layer2, r50.layer3)
    torch.manual_seed(0)
    mv2 = torchvision.models.mobilenet_v2()
    torch.manual_seed(0)
    eff = torchvision.models.efficientnet_b0()
    return {
        "resnet50": export("resnet50", r50),
        "resnet50-layer3": export("resnet50-layer3", trunk),
        "mobilenet_v2": export("mobilenet_v2", mv2),
        "mobilenet_v2-features": export("mobilenet_v2-features",
                                        mv2.features),
        "efficientnet_b0": export("efficientnet_b0", eff),
    }


def ours(build, model, w, h, node, threads, profile=False, band=BAND):
    env = dict(os.environ, CFM_THREADS=str(threads))
    if profile:
        env["CFM_GRAPH_PROFILE"] = "1"
    p = subprocess.run([os.path.join(build, "tests/bench/cfm-graph-run"),
                        model, str(w), str(h), str(band), node],
                       capture_output=True, text=True, env=env, check=True)
    _, seconds, peak = p.stdout.strip().split("|")
    return float(seconds), float(peak), p.stderr


def ort(model, w, h, threads):
    modules = os.environ.get("CFM_ORT_MODULES")
    if not modules:
        return None
    p = subprocess.run(["node", os.path.join(HERE, "ort_time.js"), model, "3",
                        str(h), str(w), str(threads)], capture_output=True,
                       text=True, env=dict(os.environ, NODE_PATH=modules))
    return float(p.stdout) / 1000 if p.returncode == 0 else None


def pytorch(name, w, h, threads, root=None):
    script = os.path.join(HERE, "torch_graph_time.py")
    cmd = ["/usr/bin/python3", script, name, str(w), str(h), str(threads)]
    if root:
        cmd = ["chroot", root, "/usr/bin/python3",
               "/src/tests/bench/torch_graph_time.py", name, str(w), str(h),
               str(threads)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        return None
    return float(p.stdout.strip().split("|")[0])


def fmt(t):
    return "-" if t is None else "%.2f s" % t


def speed_table(build, m, root):
    print("| network, 2 megapixels | threads | this core | onnxruntime "
          "| PyTorch 1.13 | PyTorch 2.x | vs onnxruntime | vs PyTorch 1.13 |")
    print("|---|---|---|---|---|---|---|---|")
    for label, model, node, ort_model, torch_name in (
            ("ResNet-50 to layer3", m["resnet50"], "layer3",
             m["resnet50-layer3"], "resnet50-layer3"),
            ("MobileNetV2 features", m["mobilenet_v2"], "features",
             m["mobilenet_v2-features"], "mobilenet_v2-features")):
        for threads in (1, 2):
            t, _, _ = ours(build, model, W2, H2, node, threads)
            o = ort(ort_model, W2, H2, threads)
            p1 = pytorch(torch_name, W2, H2, threads)
            p2 = pytorch(torch_name, W2, H2, threads, root) if root else None
            print("| %s | %d | %s | %s | %s | %s | %s | %s |" % (
                label, threads, fmt(t), fmt(o), fmt(p1), fmt(p2),
                "%.2fx" % (o / t) if o else "-",
                "%.2fx" % (p1 / t) if p1 else "-"))


def conv_table(build, m):
    peak = float(subprocess.run(
        [os.path.join(build, "tests/bench/cfm-graph-run"), "--peak"],
        capture_output=True, text=True, check=True).stdout)
    _, _, profile = ours(build, m["resnet50"], W2, H2, "layer3", 1, True)
    rows = [line.split("|") for line in profile.splitlines()
            if line.startswith("profile|")]
    last = {}
    for _, kind, seconds, gmac in rows:   # the second run's figures
        last[kind] = (float(seconds), float(gmac))
    print("\nResNet-50 to layer3, 2 megapixels, 1 thread, by kind of node "
          "(one core's FMA peak measured here: %.1f GMAC/s):\n" % peak)
    print("| node | time | GMAC | GMAC/s | of peak |")
    print("|---|---|---|---|---|")
    for kind, (seconds, gmac) in sorted(last.items(), key=lambda k: -k[1][0]):
        rate = gmac / seconds if gmac else 0
        print("| %s | %.2f s | %s | %s | %s |" % (
            kind, seconds, "%.1f" % gmac if gmac else "-",
            "%.1f" % rate if gmac else "-",
            "%.0f%%" % (100 * rate / peak) if gmac else "-"))


def memory_table(build, m):
    print("\nThe whole process's peak memory (2 threads; a step gains the "
          "node shown the band's rows):\n")
    print("| run | input | band | time | peak memory |")
    print("|---|---|---|---|---|")
    for label, model, node, w, h, band in (
            ("ResNet-50 to layer3", m["resnet50"], "layer3", W2, H2, BAND),
            ("ResNet-50 to layer3", m["resnet50"], "layer3", W12, H12, BAND),
            ("ResNet-50 to layer3", m["resnet50"], "layer3", W12, H12, 2),
            ("ResNet-50 to layer3", m["resnet50"], "layer3", 4000, 500, BAND),
            ("EfficientNet-B0 to its logits", m["efficientnet_b0"],
             "classifier", W12, H12, 1)):
        t, peak, _ = ours(build, model, w, h, node, 2, band=band)
        print("| %s | %d x %d | %d | %.1f s | %.0f MB |" % (
            label, w, h, band, t, peak))


def main():
    build = sys.argv[1]
    m = models()
    root = os.environ.get("CFM_GIMP3_ROOT")
    if root and not os.path.isdir(os.path.join(root, "src/tests")):
        root = None
    speed_table(build, m, root)
    conv_table(build, m)
    memory_table(build, m)


if __name__ == "__main__":
    main()
