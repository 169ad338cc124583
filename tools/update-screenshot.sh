#!/bin/sh
# Copies the dialog's latest screenshot, taken by the GIMP test case
# gui-dialog, to docs/dialog.png (the README's picture).
#
#   tools/update-screenshot.sh [BUILD]      BUILD: the meson build folder
#                                           (default: build)
#
# Run the case first, e.g. meson test -C build gimp-gui-dialog; the picture
# is BUILD/gimp-tests/cases/gui-dialog/out/dialog.png.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
shot=$build/gimp-tests/cases/gui-dialog/out/dialog.png

if [ ! -f "$shot" ]; then
  echo "update-screenshot: no $shot; run the GIMP test case gui-dialog first" \
       "(meson test -C $build gimp-gui-dialog)" >&2
  exit 1
fi

mkdir -p "$src/docs"
cp "$shot" "$src/docs/dialog.png"
echo "update-screenshot: $shot -> docs/dialog.png"
