#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""How layers reach GIMP: the XCF route and the tile route give identical
layers, and no temporary file is left."""
import os

from PIL import Image

from harness import (check, layers_of, PHOTO, same_maps)



def dead_runs_files(g):
    """Temporary XCF files in GIMP's temporary folder whose plug-in process
    is gone (live ones may belong to another test run)."""
    left = []
    for d, _, fs in os.walk(g.host("/tmp/gimp")):
        for f in fs:
            parts = f.split("-")
            if f.startswith("cnn-feature-maps-") and len(parts) > 3 \
               and not os.path.exists("/proc/" + parts[3]):
                left.append(os.path.join(d, f))
    return left


def test_transfer_routes(g, out):
    """8-bit maps reach GIMP in a temporary XCF file (gray, indexed or RGB
    layers); with CFM_TRANSFER=tiles they go tile by tile.  Both give the
    same layers, gray and viridis, also in an image with its own colour
    profile (which the file must carry, or GIMP would convert), and the
    temporary file is gone afterwards."""
    if not out:
        return
    tag = "GIMP %s XCF route vs tiles" % g.series
    tiles = g.work + "/tutorial-tiles"
    rc, so, se = g.batch(["-o", tiles, "--png"], [PHOTO],
                         {"CFM_TRANSFER": "tiles"})
    if check(rc == 0, tag + ": batch succeeds", se[-500:]):
        same_maps(tag, g.host(os.path.join(out, "chelsea-maps")),
                  g.host(os.path.join(tiles, "chelsea-maps")))
    # The write pass from the maps the range pass kept (every run this
    # small) and from the network run again (CFM_PASSES=two, as a run too
    # large to keep them does): the same layers.
    twice = g.work + "/tutorial-twice"
    rc, so, se = g.batch(["-o", twice, "--png"], [PHOTO],
                         {"CFM_PASSES": "two"})
    if check(rc == 0, "GIMP %s maps kept vs computed twice: batch succeeds"
             % g.series, se[-500:]):
        same_maps("GIMP %s maps kept vs computed twice" % g.series,
                  g.host(os.path.join(out, "chelsea-maps")),
                  g.host(os.path.join(twice, "chelsea-maps")))
    # A grayscale image: gray layers, from a grayscale XCF file.  The
    # image is a gray PNG made here once: GIMP's own grayscale conversion
    # goes through babl, whose results vary with its cache between runs.
    os.makedirs(g.host(g.work + "/gray"), exist_ok=True)
    Image.open(PHOTO).convert("L").save(g.host(g.work + "/gray/chelsea.png"))
    for route in ("xcf", "tiles"):
        rc, so, se = g.batch(["-o", g.work + "/gray-" + route, "--png"],
                             [g.work + "/gray/chelsea.png"],
                             {"CFM_TRANSFER": route})
        check(rc == 0 and len(layers_of(so)) == 12,
              "%s, grayscale image, %s: 12 layers" % (tag, route),
              se[-500:])
    same_maps(tag + ", grayscale image",
              g.host(g.work + "/gray-xcf/chelsea-maps"),
              g.host(g.work + "/gray-tiles/chelsea-maps"))
    # Viridis maps go as indexed layers, which GIMP turns into RGB.
    for route in ("xcf", "tiles"):
        rc, so, se = g.batch(["-o", g.work + "/viridis-" + route, "--png",
                              "--set", "colormap=viridis"], [PHOTO],
                             {"CFM_TRANSFER": route})
        check(rc == 0, "%s, viridis, %s: batch succeeds" % (tag, route),
              se[-500:])
    same_maps(tag + ", viridis", g.host(g.work + "/viridis-xcf/chelsea-maps"),
              g.host(g.work + "/viridis-tiles/chelsea-maps"))
    a98 = "/usr/share/color/icc/ghostscript/a98.icc"
    if os.path.exists(a98):
        photo = g.host(g.work + "/chelsea-a98.png")
        with open(a98, "rb") as f:
            Image.open(PHOTO).save(photo, icc_profile=f.read())
        for route in ("xcf", "tiles"):
            rc, so, se = g.batch(["-o", g.work + "/a98-" + route, "--png"],
                                 [g.work + "/chelsea-a98.png"],
                                 {"CFM_TRANSFER": route})
            check(rc == 0, "%s, Adobe RGB image, %s: batch succeeds"
                  % (tag, route), se[-500:])
        same_maps(tag + ", Adobe RGB image",
                  g.host(g.work + "/a98-xcf/chelsea-a98-maps"),
                  g.host(g.work + "/a98-tiles/chelsea-a98-maps"))
    else:
        print("skip - %s, Adobe RGB image: %s is not installed" % (tag, a98))
    check(dead_runs_files(g) == [],
          "GIMP %s: no temporary XCF file is left" % g.series,
          str(dead_runs_files(g)))
