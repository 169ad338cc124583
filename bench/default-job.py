#!/usr/bin/env python3
"""The default job, today's default against the one before it, side by side.

Runs swag-transfer on one pair (by default coarse-to-fine.py's: the
astronaut with The Scream) at 512 px with 300 evaluations (the default
job), alternating the current defaults (the multi-scale network with the
style's histogram as the start) with the defaults before issue 11 (random
VGG-19, average pooling, content at relu3_1, no histogram), --runs times
each, and prints every run's wall time, each side's median and the ratio of
the medians (old / new: > 1 means the new default is faster).

Usage: python3 bench/default-job.py [--build build] [--runs 2]
           [--size 512] [--iterations 300] [--content FILE] [--style FILE]
           [--threads N]
Standard library only. GPL-3.0-or-later.
"""
import argparse
import os
import statistics
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OLD = ["--backbone", "vgg19", "--pooling", "avg", "--content-layers",
       "relu3_1", "--no-match-histogram"]


def run(args, extra, out):
    cmd = [os.path.join(args.build, "cli", "swag-transfer"), args.content,
           args.style, "-o", out, "--size", str(args.size), "--iterations",
           str(args.iterations), "--quiet"] + extra
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    start = time.monotonic()
    subprocess.run(cmd, check=True)
    return time.monotonic() - start


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--build", default=os.path.join(TOP, "build"))
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--iterations", type=int, default=300)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--content", default=os.path.join(TOP, "docs", "study",
                                                     "images", "astronaut.png"))
    p.add_argument("--style", default=os.path.join(TOP, "data", "samples",
                                                   "the_scream.jpg"))
    args = p.parse_args()
    times = {"new": [], "old": []}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.runs):
            for side, extra in (("new", []), ("old", OLD)):
                t = run(args, extra, os.path.join(tmp, side + ".png"))
                times[side].append(t)
                print("run %d  %-3s %7.1f s  (load %.1f)"
                      % (i + 1, side, t, os.getloadavg()[0]), flush=True)
    new, old = statistics.median(times["new"]), statistics.median(times["old"])
    print("default job, %d px, %d evaluations: new default (multiscale) "
          "%.1f s, old default (VGG-19) %.1f s: old / new %.2fx"
          % (args.size, args.iterations, new, old, old / new))


if __name__ == "__main__":
    main()
