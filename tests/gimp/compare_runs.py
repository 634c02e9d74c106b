#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Compares the outputs two integration runs kept (CFM_KEEP_WORK=DIR):
every PNG pixel for pixel and every XCF byte for byte, so a change that
must not change behaviour can be checked against the commit before it.

    compare_runs.py OLD-DIR NEW-DIR

Prints a line per difference and "N passed, N failed" last.
"""
import os
import sys

import numpy as np
from PIL import Image


def files_under(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            if n.endswith((".png", ".xcf")):
                p = os.path.join(d, n)
                out[os.path.relpath(p, root)] = p
    return out


def same(a, b):
    if a.endswith(".xcf"):
        with open(a, "rb") as fa, open(b, "rb") as fb:
            return fa.read() == fb.read()
    x = np.asarray(Image.open(a))
    y = np.asarray(Image.open(b))
    return x.shape == y.shape and (x == y).all()


def main():
    old, new = files_under(sys.argv[1]), files_under(sys.argv[2])
    passed = failed = 0
    for rel in sorted(set(old) | set(new)):
        if rel not in old or rel not in new:
            print("only in %s: %s" % ("old" if rel in old else "new", rel))
            failed += 1
        elif same(old[rel], new[rel]):
            passed += 1
        else:
            print("differs: %s" % rel)
            failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
