#!/usr/bin/python3
"""The README's pictures made by the command line: the example at the top
(docs/hero.jpg: the photograph, the painting, and the README's first
swag-transfer command's result, every setting at its default) and the small
example strips (docs/examples-*.jpg): one setting varied at a time on the
bundled photograph and painting, everything else at its default, at a
working size of 256 px.

Usage, from the top of the source tree after building:
    /usr/bin/python3 docs/make-examples.py [--build build] [--threads N]

Outputs are cached in build/examples/; delete it to redo them. Python and
PIL are used only for the documentation. GPL-3.0-or-later.
"""
import argparse
import os
import subprocess
import time

from PIL import Image, ImageDraw, ImageFont

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONTENT = os.path.join(TOP, "data", "samples", "chelsea.png")
STYLE = os.path.join(TOP, "data", "samples", "the_scream.jpg")

STRIPS = {
    "network": [("multi-scale (default)", []),
                ("VGG-19", ["--backbone", "vgg19"]),
                ("ResNet-50 + SWAG auto", ["--backbone", "resnet50",
                                           "--smoothing", "auto",
                                           "--temperature", "3"])],
    "strength": [("style strength 1", ["--style-strength", "1"]),
                 ("10 (default)", []),
                 ("100", ["--style-strength", "100"])],
    "smoothing": [("ResNet-50, none", ["--backbone", "resnet50"]),
                  ("softmax, T = 1", ["--backbone", "resnet50", "--smoothing",
                                      "softmax", "--temperature", "1"]),
                  ("auto, T = 3 x spread", ["--backbone", "resnet50",
                                            "--smoothing", "auto",
                                            "--temperature", "3"])],
    "scales": [("1 scale", ["--scales", "1"]),
               ("2 scales", ["--scales", "2"]),
               ("3 scales (default)", [])],
    "size": [("working size 128", ["--size", "128"]),
             ("256", []),
             ("451 (the photo's own)", ["--size", "451"])],
    "colours": [("histogram (default)", []),
                ("photo's colours", ["--no-match-histogram"]),
                ("keep colours", ["--no-match-histogram",
                                  "--preserve-colors"])],
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(TOP, "build"))
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    binary = os.path.join(args.build, "cli", "swag-transfer")
    cache = os.path.join(args.build, "examples")
    os.makedirs(cache, exist_ok=True)
    font = ImageFont.load_default()

    for name, cells in STRIPS.items():
        images = []
        for k, (label, flags) in enumerate(cells):
            out = os.path.join(cache, "%s-%d.png" % (name, k))
            if not os.path.exists(out):
                t0 = time.time()
                cmd = [binary, CONTENT, STYLE, "-o", out, "--quiet"]
                if "--size" not in flags:
                    cmd += ["--size", "256"]
                if args.threads:
                    cmd += ["--threads", str(args.threads)]
                subprocess.run(cmd + flags, check=True)
                print("%-10s %-26s %5.1f s" % (name, label, time.time() - t0),
                      flush=True)
            im = Image.open(out).convert("RGB")
            im.thumbnail((300, 200), Image.LANCZOS)
            images.append((label, im))
        w = sum(im.width for _, im in images) + 4 * (len(images) - 1)
        h = max(im.height for _, im in images) + 16
        strip = Image.new("RGB", (w, h), "white")
        draw = ImageDraw.Draw(strip)
        x = 0
        for label, im in images:
            strip.paste(im, (x, 16))
            draw.text((x + 2, 2), label, fill="black", font=font)
            x += im.width + 4
        strip.save(os.path.join(TOP, "docs", "examples-%s.jpg" % name),
                   quality=88)
    print("wrote docs/examples-*.jpg")

    # The README's example: swag-transfer CONTENT STYLE -o OUT, defaults.
    out = os.path.join(cache, "hero.png")
    if not os.path.exists(out):
        t0 = time.time()
        cmd = [binary, CONTENT, STYLE, "-o", out, "--quiet"]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        subprocess.run(cmd, check=True)
        print("hero       defaults                   %5.1f s" % (time.time() - t0))
    content = Image.open(CONTENT).convert("RGB")
    style = Image.open(STYLE).convert("RGB")
    result = Image.open(out).convert("RGB")
    h = 300
    tiles = [im.resize((round(im.width * h / im.height), h), Image.LANCZOS)
             for im in (content, style, result)]
    hero = Image.new("RGB", (sum(t.width for t in tiles) + 8, h), "white")
    x = 0
    for t in tiles:
        hero.paste(t, (x, 0))
        x += t.width + 4
    hero.save(os.path.join(TOP, "docs", "hero.jpg"), quality=90)
    print("wrote docs/hero.jpg")


if __name__ == "__main__":
    main()
