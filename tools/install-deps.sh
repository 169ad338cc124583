#!/bin/sh
# Installs the Debian packages that building swag-style needs, and with
# --tests also what its tests need (clang's libFuzzer, valgrind, python3 for
# fixtures, mmdebstrap for the GIMP 3 root, locales for the German locale of
# the translation tests; for tests/package build-essential, debhelper and
# help2man to build the Debian packages, lintian to check them and appstream
# to validate the metainfo). Runs apt-get as root (directly, or through
# sudo); does nothing when every package is already there.
set -eu

PKGS="meson ninja-build gcc pkg-config gettext
      libglib2.0-dev libjson-glib-dev libopenblas-dev libgdk-pixbuf-2.0-dev
      libfftw3-dev"
if [ "${1:-}" = --tests ]; then
  PKGS="$PKGS clang libclang-rt-dev valgrind python3 mmdebstrap locales
        build-essential debhelper help2man lintian appstream"
fi

# With GIMP 3 on the host (SWAG_WITH_GIMP=1), its plug-in development files.
if [ "${SWAG_WITH_GIMP:-0}" = 1 ]; then
  PKGS="$PKGS libgimp-3.0-dev"
  if [ "${1:-}" = --tests ]; then
    PKGS="$PKGS xvfb xauth xdotool x11-utils imagemagick"
  fi
fi

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing$missing" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
