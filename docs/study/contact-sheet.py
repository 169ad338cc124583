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
import time

from PIL import Image, ImageDraw, ImageFont

from studylib import TOP, colour_distance, edge_correlation, find_image


# Content/style pairs: (label, content, style). Sources and licences in
# docs/study/SOURCES.md.
PAIRS = [
    ("cat / The Scream", "chelsea.png", "the_scream.jpg"),
    ("astronaut / Schiele", "astronaut.png", "schiele-edith.jpg"),
    ("coffee / strokes", "coffee.jpg", "strokes.jpg"),
]

# Rows: (name, label, flags). The row "default" was the project's default
# when this sheet was made (random VGG-19, average pooling, content at
# relu3_1, no histogram step); the flags give those settings in full, so
# that the sheet stays the same now that the default is the multi-scale
# network (docs/study/study.py).
VGG = ["--backbone", "vgg19", "--pooling", "avg", "--content-layers",
       "relu3_1", "--no-match-histogram"]
RESNET = ["--backbone", "resnet50", "--no-match-histogram"]
ROWS = [
    ("paper-vgg19", "before: paper-vgg19 preset",
     ["--preset", "paper-vgg19"]),
    ("vgg-max", "r-VGG-19, max pooling",
     VGG + ["--pooling", "max"]),
    ("default", "r-VGG-19, avg pooling (default)", VGG),
    ("strength-1", "r-VGG-19, avg, style strength 1",
     VGG + ["--style-strength", "1"]),
    ("resnet-none", "r-ResNet-50, no smoothing",
     RESNET + ["--smoothing", "none"]),
    ("resnet-softmax", "r-ResNet-50 + softmax T=1 (paper)",
     RESNET + ["--smoothing", "softmax", "--temperature", "1"]),
    ("resnet-auto", "r-ResNet-50 + softmax T=3 x spread",
     RESNET + ["--smoothing", "auto", "--temperature", "3"]),
    ("resnet-channel", "r-ResNet-50 + channel softmax",
     RESNET + ["--smoothing", "channel-softmax"]),
    ("resnet-scale", "r-ResNet-50 + scale 0.001",
     RESNET + ["--smoothing", "scale", "--alpha", "0.001"]),
]


def run(binary, content, style, out, flags, size, iterations, threads):
    if os.path.exists(out):
        return 0.0
    cmd = [binary, content, style, "-o", out, "--size", str(size),
           "--iterations", str(iterations), "--quiet"] + flags
    if threads:
        cmd += ["--threads", str(threads)]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    return time.time() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument("--rows", default=None)
    ap.add_argument("--threads", type=int, default=0)
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
    label_w = 230
    metrics = []
    head_h = 40
    sheet = Image.new("RGB", (label_w + cell * len(PAIRS),
                              head_h + cell * (len(rows) + 1)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default()

    def paste(path, col, row):
        im = Image.open(path).convert("RGB")
        # the cell's last 16 rows hold its figures
        im.thumbnail((cell - 6, cell - 20), Image.LANCZOS)
        x = label_w + col * cell + (cell - im.width) // 2
        y = head_h + row * cell + (cell - 16 - im.height) // 2
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
                       flags, args.size, args.iterations, args.threads)
            if secs:
                print("%-16s %-22s %6.1f s" % (name, PAIRS[j][0], secs),
                      flush=True)
            paste(out, j, i + 1)
            res = Image.open(out)
            e = edge_correlation(res, Image.open(find_image(content)))
            d = colour_distance(res, Image.open(find_image(style)))
            metrics.append((name, PAIRS[j][0], e, d))
            draw.text((label_w + j * cell + 4, head_h + (i + 2) * cell - 12),
                      "edges %.2f  colour %.3f" % (e, d), fill="black",
                      font=font)

    sheet.save(args.out, quality=90)
    print("wrote", args.out)
    print("\n%-16s %-22s %6s %7s" % ("row", "pair", "edges", "colour"))
    for name, pair, e, d in metrics:
        print("%-16s %-22s %6.2f %7.3f" % (name, pair, e, d))


if __name__ == "__main__":
    main()
