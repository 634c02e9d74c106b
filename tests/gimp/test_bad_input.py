#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad input of every kind is refused with a message and leaves the image
as it was, through the batch command and from Script-Fu directly; a run
killed midway leaves nothing behind."""
import os
import subprocess

from harness import (check, PHOTO, run_script, bad_npy_files,
                     check_refusals)



def test_bad_inputs(g):
    bad = bad_npy_files(g)
    cases = [
        # (what, batch arguments, --before expression, message)
        ("unknown choice", ["--set", "filter-bank=gabor"], None,
         "not one of its choices", 2),
        ("number out of range", ["--set", "stride=99"], None,
         "stride must be between 1 and 16", 2),
        ("filters 0", ["--set", "filters=0"], None, "asks for 0", 1),
        ("filters 5-2", ["--set", "filters=5-2"], None, "runs backwards", 1),
        ("filters x", ["--set", "filters=x"], None, "is not a list", 1),
        ("filters beyond the bank", ["--set", "filters=2,9"], None,
         "asks for 9", 1),
        ("empty kernels", ["--set", "filter-bank=custom"], None,
         "needs kernel text", 1),
        ("malformed kernels", ["--set", "filter-bank=custom",
                               "--set", "kernels=1 2; 3"], None,
         "row 2 has 1 values", 1),
        ("missing kernel file", ["--set", "filter-bank=file", "--set",
                                 "kernel-file=/nonexistent/k.npy"], None,
         "cannot open", 2),
        ("truncated .npy", ["--set", "filter-bank=file", "--set",
                            "kernel-file=%s/truncated.npy" % bad], None,
         "truncated", 1),
        ("not a .npy", ["--set", "filter-bank=file", "--set",
                        "kernel-file=%s" % g.inside(PHOTO)], None,
         "neither a .npy file nor kernel text", 1),
        ("wrong magic", ["--set", "filter-bank=file", "--set",
                         "kernel-file=%s/magic.npy" % bad], None,
         "neither a .npy file nor kernel text", 1),
        ("float16 .npy", ["--set", "filter-bank=file", "--set",
                          "kernel-file=%s/f2.npy" % bad], None,
         "unsupported dtype", 1),
        ("absurd shape", ["--set", "filter-bank=file", "--set",
                          "kernel-file=%s/absurd.npy" % bad], None,
         "truncated", 1),
        ("5-D .npy", ["--set", "filter-bank=file", "--set",
                      "kernel-file=%s/shape_5d.npy" % bad], None,
         "5 dimensions", 1),
        ("NaN in .npy", ["--set", "filter-bank=file", "--set",
                         "kernel-file=%s/nan.npy" % bad], None, "NaN", 1),
        ("bias of wrong length", ["--set", "bias=1,2"], None,
         "2 values given for 4 filters", 1),
        ("kernel larger than the selection", [],
         "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 3 3)",
         "no output pixel", 1),
        ("dilated kernel larger than the input", ["--set", "dilation=16"],
         "(gimp-image-select-rectangle image CHANNEL-OP-REPLACE 0 0 40 40)",
         "no output pixel", 1),
        ("colormap needs RGB", ["--set", "colormap=viridis"],
         "(gimp-image-convert-grayscale image)", "needs an RGB image", 1),
        ("1x1 image", [], "(gimp-image-crop image 1 1 0 0)",
         "no output pixel", 1),
        ("empty selection", [],
         "(begin (gimp-image-select-rectangle image CHANNEL-OP-REPLACE "
         "0 0 10 10) (gimp-layer-set-offsets (vector-ref layers 0) 500 500))",
         "selection does not touch", 1),
        ("nothing to show", ["--set", "show-conv=false", "--set",
                             "show-activation=false", "--set",
                             "show-pool=false"], None, "Nothing to show", 1),
        ("3-channel kernels on gray input",
         ["--set", "filter-bank=custom", "--set",
          "kernels=[[[[1]],[[2]],[[3]]]]"], None, "choose the input", 1),
    ]
    check_refusals(g, cases, PHOTO)


def test_raw_refusals(g):
    """Called from Script-Fu directly (not through the batch command, which
    refuses these itself): a choice nick that does not exist and a number
    out of range are refused and the image keeps its layers."""
    photo = g.inside(PHOTO)
    _, calls, _ = g.batch(["--print-call", "--set", "stride=7"], [])
    line = [l for l in calls.splitlines()
            if l.startswith("GIMP %s:" % ("2.10" if g.series == "2.10"
                                         else "3"))]
    call = line[0].split(":", 1)[1].strip()
    bad_range = call.replace("7", "99", 1)
    if g.series != "2.10":
        script = ('(script-fu-use-v3) (gimp-message-set-handler CONSOLE) '
                  '(let* ((image (gimp-file-load RUN-NONINTERACTIVE "%s")) '
                  '(layers (gimp-image-get-selected-layers image))) '
                  '(catch (gimp-message "CFM-REFUSED range") %s) '
                  '(gimp-message (string-append "CFM-LAYERS " (number->string '
                  '(vector-length (gimp-image-get-layers image))))))'
                  % (photo, bad_range))
        # GIMP checks the range itself; under catch it prints no message.
        cases = [("a number out of range", "CFM-REFUSED range", "")]
    else:
        bad_nick = call.replace('"tutorial"', '"gabor"', 1)
        script = ('(gimp-message-set-handler 1) '
                  '(let* ((image (car (gimp-file-load RUN-NONINTERACTIVE "%s" '
                  '"%s"))) (drawable (car (gimp-image-get-active-drawable '
                  'image)))) (catch (gimp-message "CFM-REFUSED nick") %s) '
                  '(catch (gimp-message "CFM-REFUSED range") %s) '
                  '(gimp-message (string-append "CFM-LAYERS " (number->string '
                  '(car (gimp-image-get-layers image))))))'
                  % (photo, photo, bad_nick, bad_range))
        cases = [("an unknown choice nick", "CFM-REFUSED nick",
                  'filter-bank: "gabor" is not one of its choices'),
                 ("a number out of range", "CFM-REFUSED range",
                  "stride must be between 1 and 16")]
    out = run_script(g, script)
    for what, mark, message in cases:
        check(mark in out and message in out,
              "GIMP %s refuses %s called from Script-Fu" % (g.series, what),
              out[-400:])
    check("CFM-LAYERS 1" in out, "GIMP %s: the image keeps its one layer "
          "after refused Script-Fu calls" % g.series, out[-300:])


def test_closed_mid_run(g):
    """When GIMP closes the plug-in in the middle of a run (what it does when
    the user cancels), the image keeps exactly its layers."""
    import threading
    import time
    plugin = os.path.join(g.work, "profile", "plug-ins", "cnn-feature-maps",
                          "cnn-feature-maps")
    killed = []
    seen = []   # the killed run's temporary files, just before the kill
    tmp = g.host("/tmp")

    def files_of(pids):
        # GIMP's temporary folder: /tmp/gimp/VERSION, or in GIMP 3.2 a
        # folder of its own session, /tmp/gimp-3.2-XXXXXX, that GIMP
        # deletes when it quits
        temps = [os.path.join(tmp, d) for d in os.listdir(tmp)
                 if d.startswith("gimp")]
        return [os.path.join(d, f) for t in temps for d, _, fs in os.walk(t)
                for f in fs if any(f.startswith("cnn-feature-maps-%s-" % p)
                                   for p in pids)]

    def killer():
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            pids = subprocess.run(["pgrep", "-f", plugin], capture_output=True,
                                  text=True).stdout.split()
            if pids:
                # Well inside the run: its maps half written to their
                # temporary file.
                wait = time.monotonic() + 30
                while not files_of(pids) and time.monotonic() < wait:
                    time.sleep(0.05)
                time.sleep(0.3)
                seen.extend(files_of(pids))
                subprocess.run(["pkill", "-9", "-f", plugin])
                killed.extend(pids)
                return
            time.sleep(0.05)

    t = threading.Thread(target=killer)
    t.start()
    rc, so, se = g.batch(["-o", g.work + "/killed", "--before",
                          "(gimp-image-scale image 6000 4000)"], [PHOTO])
    t.join()
    check(killed and rc == 1 and "\tlayers 1:" in se,
          "GIMP %s: plug-in closed mid-run leaves the image's layers as they "
          "were" % g.series, "killed %s, exit %d, %r" % (bool(killed), rc,
                                                          se[-300:]))
    # GIMP 2.10 and 3.0 do not empty their temporary folder: the next run
    # deletes the killed run's file.
    left = files_of(killed)
    check(seen != [], "GIMP %s: the killed run had a temporary XCF file"
          % g.series)
    rc, so, se = g.batch(["-o", g.work + "/after-killed"], [PHOTO])
    check(rc == 0 and files_of(killed) == [],
          "GIMP %s: the next run deletes the killed run's temporary file"
          % g.series, "before %s, after %s" % (left, files_of(killed)))
