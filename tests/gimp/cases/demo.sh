#!/bin/sh
# The README's first command, tools/demo.sh, where GIMP 3 is installed: it
# checks the build dependencies, makes a release build, installs the
# plug-in into the profile (this case's, by GIMP3_DIRECTORY) and
# swag-transfer under ~/.local, and stylises the bundled photograph through
# GIMP in batch mode on the embedded default settings.
#
#   demo.sh INPUTS OUT TOP      (run by run-gimp-tests.sh)
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu
out=$2 top=$3

cd "$top"
rm -f out/chelsea-swag.png
tools/demo.sh
cp data/samples/chelsea.png "$out/chelsea.png"
cp out/chelsea-swag.png "$out/chelsea-swag.png"
echo SWAG-CASE-OK
