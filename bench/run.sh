#!/bin/sh
# run.sh: build the engine's benchmark and compare it with PyTorch, every
# figure of bench/README.md from one command.
#
#   bench/run.sh [BUILD_DIR] [bench.py options]   (default: build-bench)
#
# Uses Debian's /usr/bin/python3 (python3-torch, python3-torchvision): the
# python3 first on PATH may lack them. GPL-3.0-or-later.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${1:-$src/build-bench}
case "${1:-}" in -*|'') build=$src/build-bench ;; *) shift ;; esac

if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$src" --buildtype=release -Dplugin=disabled >/dev/null
fi
ninja -C "$build" bench/swag-bench >/dev/null
exec /usr/bin/python3 "$here/bench.py" --build "$build" "$@"
