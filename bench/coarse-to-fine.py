#!/usr/bin/env python3
"""End to end: the default job (512 px, default settings, coarse-to-fine)
against the same number of evaluations all at full size.

Runs swag-transfer twice on the same pair with --report and prints each
run's wall time and its final loss at full size: the best objective over the
last scale's evaluations (the last scale of the coarse-to-fine run is the
full size, where both runs optimise the same function, so the values
compare), and the sum of its raw (unnormalised) style and content terms.

Usage: python3 bench/coarse-to-fine.py [--build build] [--iterations 300]
           [--size 512] [--content FILE] [--style FILE] [--threads N]
Standard library only. GPL-3.0-or-later.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(binary, args, scales, report):
    cmd = [binary, args.content, args.style, "-o", report + ".png",
           "--size", str(args.size), "--iterations", str(args.iterations),
           "--scales", str(scales), "--report", report, "--quiet"]
    if args.threads:
        cmd += ["--threads", str(args.threads)]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    seconds = time.time() - t0
    lines = [json.loads(line) for line in open(report)]
    last = max(line["scale"] for line in lines)
    final = [line for line in lines if line["scale"] == last]
    best = min(final, key=lambda line: line["total"])
    raw_style = sum(v["style"] for v in best["layers"].values()
                    if v["style"] is not None)
    raw_content = sum(v["content"] for v in best["layers"].values()
                      if v["content"] is not None)
    return {"seconds": seconds, "evaluations": len(lines),
            "size": best["size"], "total": best["total"],
            "raw_style": raw_style, "raw_content": raw_content}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--iterations", type=int, default=300)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--threads", type=int, default=0)
    # a 512x512 photograph: the working size is its own size
    ap.add_argument("--content",
                    default=os.path.join(TOP, "docs", "study", "images",
                                         "astronaut.png"))
    ap.add_argument("--style",
                    default=os.path.join(TOP, "data", "samples", "the_scream.jpg"))
    args = ap.parse_args()
    binary = os.path.join(args.build, "cli", "swag-transfer")

    with tempfile.TemporaryDirectory() as tmp:
        fine = run(binary, args, 1, os.path.join(tmp, "fine.jsonl"))
        c2f = run(binary, args, 3, os.path.join(tmp, "c2f.jsonl"))

    print("content %s, style %s, %d evaluations, working size %d"
          % (os.path.basename(args.content), os.path.basename(args.style),
             args.iterations, args.size))
    print("%-26s %9s %12s %12s %12s" % ("run", "seconds", "final total",
                                        "raw style", "raw content"))
    for name, r in (("all at full size", fine), ("coarse-to-fine, 3 scales", c2f)):
        print("%-26s %9.1f %12.5g %12.5g %12.5g" % (
            name, r["seconds"], r["total"], r["raw_style"], r["raw_content"]))
    print("speed-up %.2fx; final total %s" % (
        fine["seconds"] / c2f["seconds"],
        "lower or equal" if c2f["total"] <= fine["total"] else "HIGHER"))


if __name__ == "__main__":
    main()
