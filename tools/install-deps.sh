#!/bin/sh
# Installs the Debian packages that building and testing swag-style needs.
# Runs apt-get as root (directly, or through sudo); does nothing when every
# package is already there.
set -eu

PKGS="meson ninja-build gcc pkg-config gettext
      libglib2.0-dev libjson-glib-dev libopenblas-dev libgdk-pixbuf-2.0-dev
      clang libclang-rt-dev valgrind mmdebstrap"

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
