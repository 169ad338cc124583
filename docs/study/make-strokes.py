#!/usr/bin/python3
"""Makes images/strokes.jpg, a third style for the study: thick curved brush
strokes in a warm and a cool palette on a textured ground, drawn with PIL
from a fixed seed. Made for this project; CC0. GPL-3.0-or-later (script)."""
import math
import os
import random

from PIL import Image, ImageDraw, ImageFilter

random.seed(2021)
W, H = 480, 360
im = Image.new("RGB", (W, H), (236, 222, 190))
draw = ImageDraw.Draw(im)
palette = [(29, 53, 87), (69, 123, 157), (168, 218, 220), (230, 57, 70),
           (244, 162, 97), (233, 196, 106), (42, 157, 143), (38, 70, 83)]
for _ in range(260):
    x, y = random.uniform(-40, W + 40), random.uniform(-40, H + 40)
    angle = random.uniform(0, 2 * math.pi)
    width = random.randint(6, 18)
    colour = random.choice(palette)
    shade = tuple(max(0, min(255, c + random.randint(-25, 25))) for c in colour)
    points = []
    for k in range(12):
        angle += random.uniform(-0.35, 0.35)
        x += 9 * math.cos(angle)
        y += 9 * math.sin(angle)
        points.append((x, y))
    draw.line(points, fill=shade, width=width, joint="curve")
    # a darker edge on one side, as a loaded brush leaves
    draw.line([(px + 2, py + 2) for px, py in points],
              fill=tuple(c * 3 // 4 for c in shade), width=max(2, width // 4))
im = im.filter(ImageFilter.SMOOTH_MORE)
im.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "images",
                     "strokes.jpg"), quality=92)
