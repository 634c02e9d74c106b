#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch's time for the graph benchmark's networks, for comparison.

    python3 torch_graph_time.py NETWORK WIDTH HEIGHT THREADS

NETWORK: resnet50-layer3 (ResNet-50 from its input to layer3),
mobilenet_v2-features (MobileNetV2's features).  Random weights, eval
mode, no_grad; prints "seconds|peak MB": the best of two runs, and the
process's peak resident memory.
"""
import resource
import sys
import time

import torch
import torchvision


def network(name):
    torch.manual_seed(0)
    if name == "resnet50-layer3":
        m = torchvision.models.resnet50()
        return torch.nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool,
                                   m.layer1, m.layer2, m.layer3).eval()
    if name == "mobilenet_v2-features":
        return torchvision.models.mobilenet_v2().features.eval()
    raise SystemExit("unknown network " + name)


def main():
    name, w, h, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4])
    torch.set_num_threads(threads)
    net = network(name)
    x = torch.rand(1, 3, h, w)
    best = float("inf")
    with torch.no_grad():
        for _ in range(2):
            t0 = time.time()
            net(x)
            best = min(best, time.time() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("%.4f|%.0f" % (best, peak))


if __name__ == "__main__":
    main()
