#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's table of model files: torchvision's VGG-11 (random
weights, fixed seed) saved as a state dict (531 MB, most of it the
classifier's Linear weights), as safetensors and as ONNX, with its
print(model) text; each opened by cfm-model-open in a process of its own,
features.8 (its third block's convolution, 256 channels) run on a 2
megapixel input in bands, mapped (as the plug-in opens models) and as
models were read before (the file in memory, every tensor copied), and
PyTorch's torch.load of the state dict beside them: Debian 12's, and the
GIMP 3 root's (CFM_GIMP3_ROOT, where PyTorch is installed there) whole and
with mmap=True.

    model_files.py BUILD [FOLDER] [--before=OTHER-BUILD]
FOLDER (default BUILD/bench-models) keeps the files between runs; with
--before, the GIMP rows are run with OTHER-BUILD's plug-in too.  Prints
a Markdown table: format, way, file MB, opening s, run s, resident after
the opening MB, process peak MB.  Needs python3-torch and
python3-torchvision.
"""
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures"))
LAYER, WIDTH, HEIGHT = "features.8", 1632, 1224


def write_models(folder):
    import torch
    import torchvision
    from make_network_fixtures import write_safetensors
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, "vgg11")
    if os.path.exists(base + ".onnx"):
        return base
    torch.manual_seed(0)
    model = torchvision.models.vgg11().eval()
    sd = model.state_dict()
    torch.save(sd, base + ".pth")
    write_safetensors(base + ".safetensors", sd)
    with open(base + ".txt", "w") as f:
        f.write(str(model) + "\n")
    torch.onnx.export(model, torch.zeros(1, 3, 224, 224), base + ".onnx",
                      opset_version=13, input_names=["input"],
                      output_names=["output"])   # AdaptiveAvgPool2d: a
    # fixed size (the core reads the chain, not the graph's input size)
    return base


def open_row(program, path, text, copy):
    args = [program, path, text, LAYER, str(WIDTH), str(HEIGHT)]
    out = subprocess.run(args + (["--copy"] if copy else []),
                         capture_output=True, text=True)
    if out.returncode != 0:
        return ["failed: " + out.stderr.strip()] + [""] * 3
    return out.stdout.strip().split("|")


HWM = ("int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])"
       " / 1024")


def torch_load_row(path, python=("/usr/bin/python3",), mmap=False):
    """torch.load's seconds and the process's peak MB, and the peak of a
    process that only imports torch (VmHWM: a child's ru_maxrss may be
    its parent's).  PYTHON: the command that runs Python (a chroot's)."""
    code = ("import time, torch\n"
            "t = time.time()\n"
            "sd = torch.load(%r%s)\n"
            "s = sum(float(v.float().sum()) for v in list(sd.values())[:2])\n"
            "print('%%.3f|%%.0f' %% (time.time() - t, %s))\n"
            % (path, ", mmap=True, weights_only=True" if mmap else "", HWM))
    base = "import torch\nprint('%%.0f' %% (%s))\n" % HWM
    out = subprocess.run(list(python) + ["-c", code],
                         capture_output=True, text=True).stdout.split("|")
    empty = subprocess.run(list(python) + ["-c", base],
                           capture_output=True, text=True).stdout.strip()
    if len(out) < 2:
        return None
    return out[0], out[1].strip(), empty


def torch_rows(base):
    """torch.load of the state dict by Debian 12's PyTorch and, where the
    GIMP 3 root (CFM_GIMP3_ROOT) has PyTorch, by its 2.x, whole and with
    mmap=True (the first two tensors summed, so mapped data is read)."""
    path = base + ".pth"
    mb = os.path.getsize(path) / 2 ** 20
    runs = [(("/usr/bin/python3",), False, None)]
    root = os.environ.get("CFM_GIMP3_ROOT", "")
    if root and os.path.exists(os.path.join(root, "usr/lib/python3/"
                                            "dist-packages/torch")):
        chroot = ("chroot", root, "python3")
        runs += [(chroot, False, root), (chroot, True, root)]
    for python, mmap, root in runs:
        inside = path
        if root:   # the file is copied into the root for its Python
            inside = "/tmp/vgg11.pth"
            shutil.copyfile(path, os.path.join(root, "tmp", "vgg11.pth"))
        got = torch_load_row(inside, python, mmap)
        if got is None:
            continue
        version = subprocess.run(list(python) + [
            "-c", "import torch; print(torch.__version__)"],
            capture_output=True, text=True).stdout.strip()
        print("| vgg11.pth | torch.load%s (PyTorch %s) | %.0f | %s | | | %s "
              "(%s with torch imported) |" % (
                  "(mmap=True)" if mmap else "", version, mb, got[0], got[1],
                  got[2]))
        if root:
            os.unlink(os.path.join(root, "tmp", "vgg11.pth"))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--before=")]
    before = [a[len("--before="):] for a in sys.argv[1:]
              if a.startswith("--before=")]
    build = os.path.abspath(args[0])
    folder = args[1] if len(args) > 1 else os.path.join(build,
                                                        "bench-models")
    base = write_models(folder)
    program = os.path.join(build, "tests", "bench", "cfm-model-open")
    print("| file | way | MB | opening s | run s | resident after opening MB"
          " | process peak MB |")
    print("|---|---|---|---|---|---|---|")
    for ext in (".pth", ".safetensors", ".onnx"):
        path = base + ext
        mb = os.path.getsize(path) / 2 ** 20
        for copy in (False, True):
            row = open_row(program, path, base + ".txt", copy)
            print("| vgg11%s | %s | %.0f | %s |" % (
                ext, "read, copied" if copy else "mapped", mb,
                " | ".join(row)))
    torch_rows(base)
    if shutil.which("gimp-console-2.10") and os.path.exists(
            os.path.join(build, "plugin", "cnn-feature-maps")):
        gimp_rows(build, base, os.path.abspath(before[0]) if before
                  else None)


def gimp_rows(build, base, before=None):
    """The plug-in in GIMP 2.10: LAYER's 8 channels over the photo scaled
    to WIDTH x HEIGHT, from each file (CFM_REPORT); with BEFORE, another
    build's plug-in (an earlier commit's) in turn, in the same run."""
    import tempfile
    from model_memory import run
    builds = [build] + ([before] if before else [])
    print("\n| file in GIMP 2.10, %s, 8 channels, %dx%d | plug-in | run s | "
          "process peak MB | the run added MB |" % (LAYER, WIDTH, HEIGHT))
    print("|---|---|---|---|---|")
    for ext in (".pth", ".safetensors", ".onnx"):
        for b in builds:
            with tempfile.TemporaryDirectory(prefix="cfm-model-files-") as t:
                got = run(b, t, "%dx%d" % (WIDTH, HEIGHT), base + ext,
                          base + ".txt", LAYER, "1-8")
            print("| vgg11%s | %s | %s |" % (
                ext, "this" if b == build else "before", " | ".join(got)))


if __name__ == "__main__":
    main()
