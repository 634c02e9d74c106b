#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""PyTorch's time for a Grad-CAM of ResNet-50, as the anchors compute it
(pytorch-grad-cam: a forward hook keeps the layer's output, a tensor hook
its gradient; the class score's backward pass), for the CAM benchmark.

    python3 torch_cam_time.py LAYER WIDTH HEIGHT THREADS [--lean]

Random weights from seed 0 (as cam_bench.py exports them), eval mode,
the input of cfm-cam-run's made-up pattern; prints "forward s|backward
s|peak MB": the best of three runs each (the forward pass with autograd
on, as a gradient needs), and the process's peak resident memory.
--lean turns the weights' gradients off (requires_grad_(False) on the
parameters) and starts autograd's graph at the layer itself (its output
made to require a gradient in the hook), which pytorch-grad-cam does not
do: the backward pass then computes only what the map needs.
"""
import resource
import sys
import time

import torch
import torchvision


def made_up_input(w, h):
    """cfm-cam-run's input: ((row * w + i + ch) % 251) / 251 - 0.5."""
    i = torch.arange(h * w, dtype=torch.int64).reshape(h, w)
    return torch.stack([((i + ch) % 251).float() / 251.0 - 0.5
                        for ch in range(3)])[None]


def main():
    layer, w, h, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
        int(sys.argv[4])
    torch.set_num_threads(threads)
    lean = "--lean" in sys.argv
    torch.manual_seed(0)
    net = torchvision.models.resnet50().eval()
    if lean:
        net.requires_grad_(False)
    kept = {}

    def hook(_m, _i, out):
        if lean:
            out.requires_grad_(True)
        kept["a"] = out
        out.register_hook(lambda g: kept.__setitem__("g", g))
    dict(net.named_modules())[layer].register_forward_hook(hook)
    x = made_up_input(w, h)
    forward = backward = float("inf")
    for _ in range(3):
        net.zero_grad()
        t0 = time.time()
        logits = net(x)
        t1 = time.time()
        logits[0, int(logits[0].argmax())].backward()
        weights = kept["g"].mean(dim=(2, 3), keepdim=True)
        cam = torch.relu((weights * kept["a"]).sum(1))
        t2 = time.time()
        forward, backward = min(forward, t1 - t0), min(backward, t2 - t1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("%.4f|%.4f|%.0f" % (forward, backward, peak))
    print("(checksum %g)" % float(cam.sum()), file=sys.stderr)


if __name__ == "__main__":
    main()
