#!/bin/sh
# The main job, from a fresh clone: install what building needs, build, and
# stylise the bundled photograph (data/samples/chelsea.png) with the bundled
# painting (data/samples/the_scream.jpg) on the embedded default (random
# weights, nothing downloaded). The result goes to out/chelsea-swag.png.
#
# Where GIMP 3 is installed (Debian 13, Ubuntu 25.04 and later), the plug-in
# is installed into the user's GIMP profile and the picture is made through
# GIMP in batch mode. Elsewhere (Debian 12 has no GIMP 3) the command line
# swag-transfer makes it, with the same engine and settings.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

have_gimp3 () {
  command -v gimp-console-3.0 >/dev/null 2>&1
}

if have_gimp3; then
  SWAG_WITH_GIMP=1 tools/install-deps.sh
else
  tools/install-deps.sh
fi

if [ -f build-demo/build.ninja ]; then
  meson setup --reconfigure build-demo -Dbuildtype=release -Dtests=false >/dev/null
else
  meson setup build-demo -Dbuildtype=release -Dtests=false
fi
ninja -C build-demo
mkdir -p out
start=$(date +%s)

if have_gimp3; then
  profile=${GIMP3_DIRECTORY:-$HOME/.config/GIMP/3.0}
  # The user's own folders: the plug-in into the profile, swag-transfer and
  # the catalogs under ~/.local, so that no root is needed.
  meson configure build-demo -Dplugin=enabled -Dplugin-dir="$profile/plug-ins" \
    --prefix="$HOME/.local"
  meson install -C build-demo --quiet
  echo "demo: installed the plug-in into $profile/plug-ins/swag-style"
  echo "demo: stylising data/samples/chelsea.png through GIMP 3 (a few minutes)..."
  # One -b: each -b runs in a fresh interpreter. GIMP exits 0 even when the
  # batch fails, so the result file says whether it worked.
  rm -f out/chelsea-swag.png
  timeout 3600 gimp-console-3.0 -i --quit \
    --batch-interpreter plug-in-script-fu-eval \
    -b "(begin (define swag-top \"$top\") (load \"$top/tools/demo.scm\"))"
  if [ ! -s out/chelsea-swag.png ]; then
    echo "demo: GIMP did not write out/chelsea-swag.png (its messages are above)" >&2
    exit 1
  fi
else
  echo "demo: GIMP 3 is not installed here, so the plug-in cannot run;"
  echo "demo: swag-transfer (the same engine) makes the picture instead."
  build-demo/cli/swag-transfer data/samples/chelsea.png \
    data/samples/the_scream.jpg -o out/chelsea-swag.png
  echo
  echo "To use the plug-in, install GIMP 3 (Debian 13 'trixie', Ubuntu 25.04"
  echo "or later) and run this script again, or see the README's 'Install'."
fi
echo "demo: the result is $top/out/chelsea-swag.png ($(($(date +%s) - start)) s)"
