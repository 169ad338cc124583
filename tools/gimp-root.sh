#!/bin/sh
# Makes, or reuses, the Debian 13 root in which the GIMP 3 tests run (the
# host, Debian 12, has no GIMP 3), and prints its path.
#
# The root lives outside the clone, at $SWAG_ROOT_CACHE (default
# /var/cache/swag-style) under a name keyed by the suite and the package
# list, so that a changed list makes a new root. It is built into a
# temporary folder and renamed when complete: an interrupted run never
# leaves a half root behind. A lock makes concurrent runs wait for one
# build. mmdebstrap is retried once (the network fails now and then).
#
# Exits 0 after printing the path; 77 when a root cannot be made here (not
# root, no mmdebstrap, no flock); 1 when making it failed.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

suite=trixie
mirror=${SWAG_DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${SWAG_ROOT_CACHE:-/var/cache/swag-style}

# GIMP 3 and what building the project and running its GIMP tests need;
# and what tests/package needs to build the Debian packages in a copy of
# this root (build-essential, debhelper, help2man), and to check them with
# Debian 13's own lintian and appstreamcli.
packages="
  gimp libgimp-3.0-dev
  gcc libc6-dev meson ninja-build pkg-config python3
  libglib2.0-dev libjson-glib-dev libopenblas-dev libgdk-pixbuf-2.0-dev
  libfftw3-dev
  gettext locales
  xvfb xauth xdotool x11-utils imagemagick
  build-essential debhelper help2man lintian appstream
"

# shellcheck disable=SC2086 # the list is words
key=$(printf '%s\n' "$suite" $packages | sort | sha256sum | cut -c1-16)
root=$cache/root-$key

root_is_complete () {
  [ -x "$1/usr/bin/gimp-console-3.0" ] && [ -f "$1/.swag-style-root" ]
}

if root_is_complete "$root"; then
  echo "$root"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "gimp-root: making $root needs root" >&2
  exit 77
fi
for tool in mmdebstrap flock; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "gimp-root: $tool is missing (apt-get install $tool)" >&2
    exit 77
  fi
done

mkdir -p "$cache"
exec 9>"$root.lock"
flock 9

# Another run may have made it while this one waited.
if root_is_complete "$root"; then
  echo "$root"
  exit 0
fi

# Leftovers of interrupted runs (this run holds the lock). mmdebstrap may
# have left /proc, /sys or /dev mounted in them: unmount, and never let rm
# cross into another file system.
remove_tree () {
  awk '{ print $2 }' /proc/mounts | grep -F "$1/" | sort -r |
    while read -r mount; do umount -l "$mount" || true; done
  rm -rf --one-file-system "$1"
}
for old in "$root".tmp.* "$root"; do
  [ -e "$old" ] && remove_tree "$old"
done

tmp=$root.tmp.$$
make_root () {
  echo "gimp-root: making $root (Debian $suite, about 1.5 GB)" >&2
  # shellcheck disable=SC2086 # the list is words
  mmdebstrap --variant=apt \
    --include="$(echo $packages | tr ' ' ,)" \
    "$suite" "$tmp" "$mirror" >&2
}

if ! make_root; then
  remove_tree "$tmp"
  echo "gimp-root: mmdebstrap failed; retrying once in 10 s" >&2
  sleep 10
  if ! make_root; then
    remove_tree "$tmp"
    echo "gimp-root: mmdebstrap failed twice" >&2
    exit 1
  fi
fi

# shellcheck disable=SC2086 # the list is words
printf '%s\n' $packages > "$tmp/.swag-style-root"
mv -T "$tmp" "$root"
echo "$root"
