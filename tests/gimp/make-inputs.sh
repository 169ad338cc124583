#!/bin/sh
# Writes the input images of the GIMP test cases into the folder $1, with
# ImageMagick. Small and deterministic (seeded plasma). Colour images are
# written as PNG24/PNG32: ImageMagick writes few-colour images as indexed
# PNGs otherwise, which GIMP opens as indexed images.
set -eu
fixtures=$(cd "$(dirname "$0")/../cli" && pwd)/make-fixtures.py
cd "$1"

# ImageMagick 7 (magick) calls ImageMagick 6's copy_opacity copy_alpha.
if command -v magick >/dev/null 2>&1; then
  im=magick copy_alpha=copy_alpha
else
  im=convert copy_alpha=copy_opacity
fi

# A "photograph": a gradient with a few shapes, 48x40.
$im -size 48x40 gradient:'#2050a0-#e0c060' \
    -fill '#c03030' -draw 'circle 16,18 26,22' \
    -fill '#30a040' -draw 'rectangle 30,4 44,16' \
    -fill '#f0f0f0' -draw 'line 2,36 46,28' \
    PNG24:photo.png

# The same with transparency: columns 0-11 transparent, 12-23 half
# transparent, the rest opaque.
$im photo.png -alpha set \
    \( -size 48x40 xc:white -fill black -draw 'rectangle 0,0 11,39' \
       -fill gray50 -draw 'rectangle 12,0 23,39' -alpha off \) \
    -compose $copy_alpha -composite PNG32:photo-alpha.png

# "Paintings": swirled plasma, 64x64, and another of another size, 80x56.
$im -seed 7 -size 64x64 plasma:orange-purple -swirl 120 PNG24:painting.png
$im -seed 11 -size 80x56 plasma:teal-yellow -paint 2 PNG24:painting-wide.png

# Weights files for robust-inputs: a ResNet-50 tensor where VGG-19's are
# expected, and a NaN in VGG-19's first tensor (tests/cli makes the same).
python3 "$fixtures" safetensors resnet.safetensors conv1.weight:64,3,7,7
python3 "$fixtures" safetensors nan.safetensors \
  features.0.weight:64,3,3,3:nan features.0.bias:64
