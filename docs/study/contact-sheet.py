#!/usr/bin/python3
"""The contact sheet of the quality study: rows are backbones and smoothing
variants, columns are content/style pairs. Each cell is one run of
swag-transfer with the row's flags; the sheet is written with PIL.

Usage (from the top of the source tree, after building):
    /usr/bin/python3 docs/study/contact-sheet.py [--build build] [--size 256]
        [--iterations 200] [--rows NAME,...] [--out docs/contact-sheet.jpg]

Runs that already have an output in the cache folder are not repeated, so
an interrupted study resumes. Python and PIL are used only here, to make the
documentation; the plug-in and the command line never need them.
GPL-3.0-or-later.
"""
import argparse
import os
import subprocess
import sys
import time

from PIL import Image, ImageDraw, ImageFont

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SHARED = "/work/shared/images"

# Content/style pairs: (label, content, style). Sources and licences in
# docs/study/SOURCES.md.
PAIRS = [
    ("cat / The Scream", "chelsea.png", "the_scream.jpg"),
    ("astronaut / Schiele", "astronaut.png", "schiele-edith.jpg"),
    ("coffee / strokes", "coffee.jpg", "strokes.jpg"),
]

# Rows: (name, label, flags). The project's default is the row "default".
ROWS = [
    ("vgg-max-paper", "r-VGG-19, max pool, style 1",
     ["--backbone", "vgg19", "--pooling", "max", "--style-strength", "1"]),
    ("vgg-avg", "r-VGG-19, avg pool",
     ["--backbone", "vgg19", "--pooling", "avg"]),
    ("resnet-none", "r-ResNet-50",
     ["--backbone", "resnet50", "--smoothing", "none"]),
    ("resnet-softmax", "r-ResNet-50 + softmax T=1 (paper)",
     ["--backbone", "resnet50", "--smoothing", "softmax", "--temperature", "1"]),
    ("resnet-channel", "r-ResNet-50 + channel softmax",
     ["--backbone", "resnet50", "--smoothing", "channel-softmax"]),
    ("resnet-scale", "r-ResNet-50 + scale 0.001",
     ["--backbone", "resnet50", "--smoothing", "scale", "--alpha", "0.001"]),
    ("resnet-auto", "r-ResNet-50 + auto softmax",
     ["--backbone", "resnet50", "--smoothing", "auto"]),
    ("default", "default settings", []),
]


def find_image(name):
    for folder in (os.path.join(HERE, "images"), SHARED,
                   os.path.join(TOP, "data", "samples")):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit("missing study image %s (see docs/study/SOURCES.md)" % name)


def run(binary, content, style, out, flags, size, iterations):
    if os.path.exists(out):
        return 0.0
    cmd = [binary, content, style, "-o", out, "--size", str(size),
           "--iterations", str(iterations), "--quiet"] + flags
    t0 = time.time()
    subprocess.run(cmd, check=True)
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--rows", default=None)
    ap.add_argument("--cache", default=os.path.join(TOP, "build", "study"))
    ap.add_argument("--out", default=os.path.join(TOP, "docs", "contact-sheet.jpg"))
    args = ap.parse_args()

    binary = os.path.join(args.build, "cli", "swag-transfer")
    rows = ROWS
    if args.rows:
        keep = args.rows.split(",")
        rows = [r for r in ROWS if r[0] in keep]
    os.makedirs(args.cache, exist_ok=True)

    cell = 200
    label_w = 220
    head_h = 40
    sheet = Image.new("RGB", (label_w + cell * len(PAIRS),
                              head_h + cell * (len(rows) + 1)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()

    def paste(path, col, row):
        im = Image.open(path).convert("RGB")
        im.thumbnail((cell - 6, cell - 6), Image.LANCZOS)
        x = label_w + col * cell + (cell - im.width) // 2
        y = head_h + row * cell + (cell - im.height) // 2
        sheet.paste(im, (x, y))

    for j, (label, content, style) in enumerate(PAIRS):
        draw.text((label_w + j * cell + 6, 12), label, fill="black", font=font)
        # first row: the inputs, content with the style inset
        c = Image.open(find_image(content)).convert("RGB")
        s = Image.open(find_image(style)).convert("RGB")
        c.thumbnail((cell - 6, cell - 6), Image.LANCZOS)
        s.thumbnail((cell // 3, cell // 3), Image.LANCZOS)
        c.paste(s, (c.width - s.width, c.height - s.height))
        sheet.paste(c, (label_w + j * cell + (cell - c.width) // 2,
                        head_h + (cell - c.height) // 2))
    draw.text((6, head_h + cell // 2), "inputs (style inset)", fill="black",
              font=font)

    for i, (name, label, flags) in enumerate(rows):
        draw.text((6, head_h + (i + 1) * cell + cell // 2 - 6), label,
                  fill="black", font=font)
        for j, (_, content, style) in enumerate(PAIRS):
            out = os.path.join(args.cache, "%s-%d-%d-%d.png" % (
                name, j, args.size, args.iterations))
            secs = run(binary, find_image(content), find_image(style), out,
                       flags, args.size, args.iterations)
            if secs:
                print("%-16s %-22s %6.1f s" % (name, PAIRS[j][0], secs),
                      flush=True)
            paste(out, j, i + 1)

    sheet.save(args.out, quality=90)
    print("wrote", args.out)


if __name__ == "__main__":
    main()
