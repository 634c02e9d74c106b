#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The integration tests' harness: one GIMP build (its batch command, its
gimp-console, paths inside a GIMP 3 root), the check counter, and helpers
that read layers and compute what PyTorch's maps give."""
import os
import shutil
import subprocess
import tempfile

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(SRC, "tests", "fixtures")
PHOTO = os.path.join(SRC, "tests", "data", "chelsea.png")

# Checks passed and failed so far, printed by the runner at the end.
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
        self.series = series   # "2.10", "3" (3.0) or "3.2"
        self.root = root
        self.console = self.find_console()
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

    def find_console(self):
        """The gimp-console of this GIMP: its own series' name where the
        root has it (GIMP 3.2 has no gimp-console-3.0)."""
        if self.series == "2.10":
            return "gimp-console-2.10"
        for name in ("gimp-console-%s" % ("3.0" if self.series == "3"
                                          else self.series),
                     "gimp-console-3"):
            if os.path.exists((self.root or "") + "/usr/bin/" + name):
                return name
        return "gimp-console-3"

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


def run_script(g, script):
    """Runs a Script-Fu program in g's gimp-console; returns its output."""
    env = {"HOME": g.work + "/home", "GIMP2_DIRECTORY": g.work + "/profile",
           "GIMP3_DIRECTORY": g.work + "/profile", "PATH": "/usr/bin:/bin",
           "LANG": "C.UTF-8"}
    if g.series != "2.10":
        cmd = [g.console, "-i", "--batch-interpreter",
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


def check_refusals(g, cases, image):
    """Runs each of CASES (what, batch arguments, --before expression,
    message, exit code) on IMAGE: the batch exits with the code and says
    the message, and (exit 1: GIMP ran) the image keeps its one layer."""
    for what, args, before, message, code in cases:
        extra = ["--before", before] if before else []
        rc, so, se = g.batch(["-o", g.work + "/bad-out"] + args + extra,
                             [image])
        tag = "GIMP %s refuses %s" % (g.series, what)
        check(rc == code and message in se, tag,
              "exit %d, stderr %r" % (rc, se[-400:]))
        if code == 1:
            check("\tlayers 1:" in se, tag + ": image left unchanged",
                  se[-200:])


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
