#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Writes the seed corpus of fuzz-transfer into corpus/transfer/: one input
per kind of trouble the engine's input checks must meet (settings at their
extremes, NaN and Inf pixels, images too small for the network, sizes that
overflow, a cancel at each phase). Each file is the byte stream
fuzz-transfer.c decodes; the tables here mirror its tables by index.
Standard library only.

    python3 tests/fuzz/make-transfer-corpus.py
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "transfer")

DOUBLES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 8.0, 10.0, 0.05, 0.049, 0.001,
           1e-6, 1e-12, 1e-30, 1e-300, 5e-324, 1e6, 1e6 + 1, 1e7, 1e12, 1e13,
           1e17, 1e30, 1e31, 1e300, "DBL_MAX", "-DBL_MAX", "inf", "-inf",
           "nan", "-nan", 100.0, 0.02, 8.000001]
INTS = [0, 1, 2, 3, 5, -1, -2, "INT_MIN", "INT_MAX", "INT_MAX-1", 15, 16, 17,
        31, 32, 33, 48, 64, 100, 512, 1000, 1001, 8, 9, 16384, 16385, 46340,
        46341, 65536, 100000, 100001, 1 << 30]
LAYERS = [None, "", ",", " , ", "relu1_1", "relu1_1,relu2_1", "relu5_1",
          "relu4_2", "relu1_1, relu1_1", "relu1_1,,relu3_1,", "conv0_0",
          "conv4_2", "conv0_0,conv1_2", "conv3_5", "features.0", "features.1",
          "features.35", "features.36", "layer4.2", "nosuch",
          "relu1_1,nosuch", "relu9_9", "\xff\xfe", "relu1_1\n",
          "conv0_0,relu1_1", "relu2_1",
          "relu1_1,relu2_1,relu3_1,relu4_1,relu5_1"]
WEIGHTS = ["random", None, "", "pretrained", "/nonexistent/w.safetensors",
           "/", "/dev/null"]
PIXELS = [0.0, 1.0, 0.5, 0.25, 0.75, -1.0, 2.0, "nan", "inf", "-inf",
          "FLT_MAX", "-FLT_MAX", 1e-40, "FLT_MIN", 1e30, -0.0]
BACKBONES = ["vgg19", "resnet50", "noresnet50", "pseudo-vgg", "pseudo-resvgg"]
SMOOTHING = ["none", "softmax", "channel-softmax", "scale", "auto"]


def d(v):
    """A double: its table index, or a raw 64-bit pattern."""
    for i, t in enumerate(DOUBLES):
        if (isinstance(t, str) and t == v) or \
           (not isinstance(t, str) and not isinstance(v, str) and t == v
            and str(t) == str(v)):
            return bytes([i])
    return bytes([255]) + struct.pack("<d", v)


def i(v):
    for k, t in enumerate(INTS):
        if t == v:
            return bytes([k])
    return bytes([255]) + struct.pack("<i", v)


def enum(v, names=None):
    """Value v (an index, or a name of @names); -1 and len are invalid."""
    if isinstance(v, str):
        v = names.index(v)
    return bytes([v + 1])


def layers(v):
    return bytes([LAYERS.index(v)])


def pixel(v):
    return bytes([PIXELS.index(v)])


def image(w, h, mode="smooth", fill=(0.5, 0.5, 0.5, 1.0), special=()):
    out = bytes([w - 1, h - 1, ["smooth", "fill", "noise"].index(mode),
                 len(special)])
    out += b"".join(pixel(v) for v in fill)
    for pos, chan, v in special:
        out += struct.pack("<I", pos) + bytes([chan]) + pixel(v)
    return out


def case(backbone="vgg19", pooling=1, weights="random", seed=0,
         style_layers="relu1_1,relu2_1", content_layers="relu2_1",
         smoothing="none", smooth_layers=None, temperature=1.0, alpha=0.001,
         style_strength=1.0, style_weight=0.0, content_weight=0.0,
         tv_weight=0.0, iterations=2, size=32, scales=1, optimizer=0,
         lbfgs_history=5, learning_rate=0.02, init=0, preserve=0, match=0,
         style_scale=1.0, preview_every=1, memory_limit=None,
         est=(64, 64, 64, 64), n_styles=1, blend=(1.0, 1.0), cancel_at=0,
         diagnose=False, content=None, styles=None, use_blend=False):
    b = enum(backbone, BACKBONES) + enum(pooling) \
        + bytes([WEIGHTS.index(weights)]) + struct.pack("<I", seed) \
        + layers(style_layers) + layers(content_layers) \
        + enum(smoothing, SMOOTHING) + layers(smooth_layers) \
        + d(temperature) + d(alpha) + d(style_strength) + d(style_weight) \
        + d(content_weight) + d(tv_weight) + i(iterations) + i(size) \
        + i(scales) + enum(optimizer) + i(lbfgs_history) + d(learning_rate) \
        + enum(init) + bytes([preserve, match]) + d(style_scale) \
        + i(preview_every)
    if memory_limit is None:
        b += bytes([1])
    else:
        value, shift = memory_limit
        b += bytes([0]) + struct.pack("<I", value) + bytes([shift])
    b += b"".join(i(v) for v in est)
    b += bytes([n_styles - 1]) + d(blend[0]) + d(blend[1])
    b += bytes([cancel_at, 0 if diagnose else 1])
    b += content if content is not None else image(36, 28)
    for k in range(n_styles):
        b += styles[k] if styles else image(30, 32, "noise")
    b += bytes([1 if use_blend else 0])
    return b


SEEDS = {
    "valid-vgg19": case(),
    "valid-diagnose": case(diagnose=True),
    "valid-two-styles-blend": case(n_styles=2, use_blend=True,
                                   blend=(1.0, 2.0)),
    "blend-nan": case(n_styles=2, use_blend=True, blend=("nan", 1.0)),
    "blend-all-zero": case(n_styles=2, use_blend=True, blend=(0.0, 0.0)),
    "valid-adam-noise": case(optimizer=1, init=1),
    "valid-style-noise-preserve-match": case(init=2, preserve=1, match=1),
    "valid-two-scales": case(scales=2, iterations=3),
    "resnet50": case(backbone="resnet50", style_layers="conv0_0,conv1_2",
                     content_layers="conv0_0"),
    "noresnet50-defaults": case(backbone="noresnet50", style_layers=None,
                                content_layers=None),
    "pseudo-vgg": case(backbone="pseudo-vgg", style_layers=None,
                       content_layers=None),
    "pseudo-resvgg-softmax": case(backbone="pseudo-resvgg", style_layers=None,
                                  content_layers=None, smoothing="softmax"),
    "softmax-tiny-temperature": case(smoothing="softmax", temperature=1e-6),
    "softmax-huge-temperature": case(smoothing="softmax", temperature=1e6),
    "channel-softmax-tiny-temperature": case(smoothing="channel-softmax",
                                             temperature=1e-6),
    "auto-tiny-temperature": case(smoothing="auto", temperature=1e-6),
    "auto-black": case(smoothing="auto",
                       content=image(36, 28, "fill", (0.0, 0.0, 0.0, 1.0)),
                       styles=[image(30, 32, "fill", (0.0, 0.0, 0.0, 1.0))]),
    "scale-alpha-huge": case(smoothing="scale", alpha=1e6),
    "weights-extreme": case(style_weight=1e30, content_weight=1e30,
                            tv_weight=1e12),
    "strength-extreme": case(style_strength=1e12),
    "weights-zero": case(style_strength=0.0, style_weight=0.0,
                         content_weight=0.0),
    "temperature-nan": case(temperature="nan"),
    "temperature-inf": case(temperature="inf"),
    "temperature-negative": case(temperature=-1.0),
    "alpha-zero": case(alpha=0.0),
    "learning-rate-huge": case(optimizer=1, learning_rate=10.0),
    "iterations-zero": case(iterations=0),
    "iterations-negative": case(iterations=-1),
    "iterations-int-max": case(iterations="INT_MAX"),
    "size-too-small": case(size=15),
    "size-too-large": case(size=16385),
    "size-int-min": case(size="INT_MIN"),
    "scales-zero": case(scales=0),
    "scales-nine": case(scales=9),
    "history-zero": case(lbfgs_history=0),
    "style-scale-below": case(style_scale=0.049),
    "style-scale-above": case(style_scale=8.000001),
    "preview-negative": case(preview_every=-1),
    "backbone-out-of-range": case(backbone=5),
    "backbone-negative": case(backbone=-1),
    "smoothing-out-of-range": case(smoothing=5),
    "unknown-tap": case(style_layers="relu9_9"),
    "empty-style-layers": case(style_layers=""),
    "vgg-tap-on-resnet": case(backbone="resnet50", style_layers="relu1_1"),
    "weights-pretrained": case(weights="pretrained"),
    "weights-missing-file": case(weights="/nonexistent/w.safetensors"),
    "weights-folder": case(weights="/"),
    "weights-dev-null": case(weights="/dev/null"),
    "estimate-int-max": case(est=("INT_MAX", "INT_MAX", "INT_MAX",
                                  "INT_MAX")),
    "estimate-negative": case(est=(-1, 64, 64, 64)),
    "estimate-100000": case(est=(100000, 100000, 64, 64), size=16384),
    "estimate-thin-style": case(est=(64, 64, 100000, 16), style_scale=8.0,
                                size=16384),
    "memory-limit-one-byte": case(memory_limit=(1, 0)),
    "memory-limit-tight": case(memory_limit=(64, 20)),
    "content-1x1": case(content=image(1, 1)),
    "content-1x40": case(content=image(1, 40)),
    "content-40x15": case(content=image(40, 15)),
    "style-1x1": case(styles=[image(1, 1)]),
    "content-nan": case(content=image(36, 28, "fill",
                                      ("nan", "nan", "nan", "nan"))),
    "content-inf": case(content=image(36, 28, "fill",
                                      ("inf", "-inf", "FLT_MAX", 1.0))),
    "content-alpha-nan": case(content=image(36, 28, "fill",
                                            (0.5, 0.5, 0.5, "nan"))),
    "content-alpha-above-one": case(content=image(36, 28, "fill",
                                                  (0.5, 0.5, 0.5, 2.0))),
    "content-transparent": case(content=image(36, 28, "fill",
                                              (0.5, 0.5, 0.5, 0.0))),
    "style-transparent": case(styles=[image(30, 32, "fill",
                                            (0.25, 0.75, 0.5, 0.0))]),
    "style-transparent-match": case(match=1, init=2, styles=[
        image(30, 32, "fill", (0.25, 0.75, 0.5, 0.0))]),
    "content-specials": case(content=image(36, 28, "smooth", special=[
        (0, 0, "nan"), (17, 1, "inf"), (100, 3, "nan"), (500, 2, -1.0),
        (1007, 3, 1e-40)])),
    "black-images": case(content=image(36, 28, "fill", (0.0, 0.0, 0.0, 1.0)),
                         styles=[image(30, 32, "fill",
                                       (0.0, 0.0, 0.0, 1.0))]),
    "cancel-first-callback": case(cancel_at=1),
    "cancel-mid-scale": case(cancel_at=7, scales=2, iterations=3),
    "cancel-late": case(cancel_at=15, scales=2, iterations=3),
}

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print("wrote %d seeds to %s" % (len(SEEDS), OUT))
