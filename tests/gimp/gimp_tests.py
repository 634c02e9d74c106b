#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Integration tests: the plug-in in a real gimp-console, through the batch
command, against the PyTorch reference and against the core's rules.

    gimp_tests.py [--gimp2-build DIR] [--gimp3-build DIR --gimp3-root ROOT]
                  [--keep DIR] [--compare-with DIR] [--only NAMES]

DIR is a meson build folder of this project (plugin/cnn-feature-maps and
plugin/cnn-feature-maps-batch inside it).  GIMP 3 runs inside the Debian 13
root ROOT (tests/gimp/make-gimp3-root.sh), where the source tree is mounted
at /src.  --keep DIR keeps each build's outputs in DIR/gimpSERIES (to
compare two commits with compare_runs.py, or one build with the other);
--compare-with DIR checks that the tutorial layers equal those another
build kept there.  Prints "ok"/"not ok" per check and "N passed, N failed"
last.  The tests live in test_*.py by area, the helpers in harness.py.
Needs Debian's python3-numpy and python3-pil.
"""
import argparse
import os
import shutil
import sys
import traceback

import harness
from harness import Gimp, check
from test_cam import test_cam_values, test_cam_over_photo, \
    test_cam_refusals, test_cam_probe
from test_bad_input import test_bad_inputs, test_closed_mid_run, \
    test_raw_refusals
from test_batch import test_expand_and_recipe
from test_dialogs import test_dialog
from test_probe import test_probe_tutorial, test_probe_stride_padding, \
    test_probe_refusals, test_probe_model, test_probe_node
from test_selection_bank import test_selection_bank
from test_models import test_model_formats, test_model_layers, \
    test_model_raw_values, test_model_refusals, test_model_nodes, \
    test_model_predictions, test_model_input_size, test_model_walkthrough, \
    test_model_families
from test_geometry import test_per_stage_and_selection, \
    test_swatches_and_legend, test_two_layers
from test_transfer import test_transfer_routes
from test_values import test_colormaps, test_identical_builds, \
    test_image_kinds, test_raw_values, test_tutorial


def run_build(key, g, opts):
    """Every test on one build; the tutorial's output folder, or None."""
    def guarded(test, *args):
        """A test that raises counts as one failure; the others still run."""
        if opts.only and not any(o in test.__name__
                                 for o in opts.only.split(",")):
            return None
        try:
            return test(*args)
        except Exception:
            check(False, "%s raised" % test.__name__, traceback.format_exc())
            return None

    out = guarded(test_tutorial, g)
    guarded(test_tutorial, g, False)
    guarded(test_transfer_routes, g, out)
    guarded(test_colormaps, g)
    for test in (test_per_stage_and_selection, test_bad_inputs,
                 test_image_kinds, test_raw_values, test_two_layers,
                 test_expand_and_recipe, test_closed_mid_run,
                 test_swatches_and_legend, test_raw_refusals,
                 test_model_formats, test_model_layers,
                 test_model_raw_values, test_model_refusals,
                 test_model_nodes, test_model_predictions,
                 test_model_input_size, test_model_walkthrough,
                 test_model_families, test_cam_values, test_cam_over_photo,
                 test_cam_refusals, test_cam_probe,
                 test_probe_tutorial, test_probe_stride_padding,
                 test_probe_refusals, test_probe_model, test_probe_node,
                 test_selection_bank):
        guarded(test, g)
    for n, lang in enumerate(("zh_CN.UTF-8", "C.UTF-8")):
        guarded(test_dialog, g, lang, 90 + n + (0 if key == "2.10" else 5),
                opts.screenshots)
    guarded(test_dialog, g, "C.UTF-8", 92, opts.screenshots, True)
    guarded(test_dialog, g, "C.UTF-8", 93, opts.screenshots, False, True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gimp2-build")
    ap.add_argument("--gimp3-build")
    ap.add_argument("--gimp3-root")
    ap.add_argument("--gimp3-series", default="3",
                    help="the GIMP 3 series in the root: 3 (3.0) or 3.2")
    ap.add_argument("--screenshots",
                    default=os.path.join(harness.SRC, "build-logs"))
    ap.add_argument("--only", help="run the tests whose name contains this "
                    "(or one of these, comma-separated)")
    ap.add_argument("--keep", help="keep each build's outputs in "
                    "KEEP/gimpSERIES")
    ap.add_argument("--compare-with", help="a folder of tutorial layers "
                    "(PNG) another build kept, which this one must equal")
    opts = ap.parse_args()
    gimps = {}
    if opts.gimp2_build:
        gimps["2.10"] = Gimp("2.10", os.path.abspath(opts.gimp2_build))
    if opts.gimp3_build:
        gimps[opts.gimp3_series] = Gimp(opts.gimp3_series,
                                        os.path.abspath(opts.gimp3_build),
                                        opts.gimp3_root)
    maps = {}
    for key, g in gimps.items():
        out = run_build(key, g, opts)
        if out:
            maps["GIMP " + key] = g.host(os.path.join(out, "chelsea-maps"))
    if opts.compare_with:
        maps["the kept build"] = opts.compare_with
        check(os.path.isdir(opts.compare_with), "kept layers to compare "
              "with exist", opts.compare_with)
    if len(maps) >= 2 and all(os.path.isdir(d) for d in maps.values()):
        (la, da), (lb, db) = list(maps.items())[:2]
        test_identical_builds(la, da, lb, db)
    for g in gimps.values():
        if opts.keep:
            kept = os.path.join(opts.keep, "gimp" + g.series)
            shutil.rmtree(kept, ignore_errors=True)
            os.makedirs(opts.keep, exist_ok=True)
            shutil.move(g.host_work, kept)
        else:
            shutil.rmtree(g.host_work, ignore_errors=True)
    print("%d passed, %d failed" % (harness.passed, harness.failed))
    return 1 if harness.failed else 0


if __name__ == "__main__":
    sys.exit(main())
