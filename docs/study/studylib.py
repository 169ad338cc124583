"""What docs/study/contact-sheet.py and docs/study/study.py share: where
the study's images are, and the two figures both print (edge correlation,
colour distance). Python, numpy and PIL, for the documentation only.
GPL-3.0-or-later.
"""
import os
import sys

import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))


def find_image(name):
    for folder in (os.path.join(HERE, "images"),
                   os.path.join(TOP, "data", "samples")):
        path = os.path.join(folder, name)
        if os.path.exists(path):
            return path
    sys.exit("missing study image %s (see docs/study/SOURCES.md)" % name)


def gray(im):
    a = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
    return a @ np.array([0.299, 0.587, 0.114])


def edge_correlation(result, photo):
    """Pearson correlation of the gradient magnitudes of result and photo
    (legibility: 1 = the same edges, 0 = unrelated)."""
    photo = photo.convert("RGB").resize(result.size, Image.LANCZOS)
    mags = []
    for im in (result, photo):
        g = gray(im)
        gx = np.zeros_like(g)
        gy = np.zeros_like(g)
        gx[:, 1:-1] = g[:, 2:] - g[:, :-2]
        gy[1:-1, :] = g[2:, :] - g[:-2, :]
        mags.append(np.hypot(gx, gy).ravel())
    return float(np.corrcoef(mags[0], mags[1])[0, 1])


def colour_distance(a_im, b_im):
    """Mean over R, G, B of the 1-D Wasserstein distance between the pixel
    values of two pictures (0 = the same palette)."""
    a = np.asarray(a_im.convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255
    b = np.asarray(b_im.convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255
    q = np.linspace(0, 1, 256)
    return float(np.mean([np.abs(np.quantile(a[:, c], q)
                                 - np.quantile(b[:, c], q)).mean()
                          for c in range(3)]))
