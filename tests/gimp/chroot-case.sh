#!/bin/sh
# Runs a GIMP case as a user does who works in a chroot (as root), where
# unshare --mount fails with "cannot change root filesystem propagation"
# because the chroot's / is not a mount point: run-gimp-tests.sh must then
# mount /proc in the Debian 13 root another way, or run the case without it
# (and without LeakSanitizer) and say so.
#
#   chroot-case.sh holder CASE   the folder of the Debian 13 root is a mount
#                                point (a bind mount) in the chroot: /proc
#                                can be had with --propagation unchanged
#   chroot-case.sh plain CASE    no folder above the root's /proc is a mount
#                                point in the chroot: /proc cannot be had
#
# The chroot is made in a private mount namespace of this script's own (so
# nothing of it outlives the test): a plain folder in the build folder with
# the host's /usr, /etc, /dev and the folders of the source and the build
# bound into it, /proc mounted, and the Debian 13 root at its usual path,
# either bound as a whole (holder) or made of bindings of its folders
# (plain). The case runs there with run-gimp-tests.sh, and then:
# - holder: the runner says it mounted /proc with unchanged propagation;
#   that mount did not propagate back (the root's bind mount is shared in
#   this namespace, and its proc/ is no mount point afterwards); in a
#   sanitized build the case ran with LeakSanitizer;
# - plain: the runner says /proc cannot be mounted, and in a sanitized
#   build that the case runs without LeakSanitizer, and no sanitized
#   program met LeakSanitizer's fatal error;
# - both: the case passed.
#
# Environment: as run-gimp-tests.sh. Exits 77 where the cases do not run
# in a Debian 13 root (GIMP 3 on the host) or where this script cannot
# make its own mount namespace.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

variant=${1:?usage: chroot-case.sh holder|plain CASE}
name=${2:?usage: chroot-case.sh holder|plain CASE}
here=$(cd "$(dirname "$0")" && pwd)
src=${SWAG_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${SWAG_BUILD_DIR:?set SWAG_BUILD_DIR to the meson build folder}
sanitize=${SWAG_SANITIZE:-none}

skip () {
  echo "SKIP: $*" >&2
  exit 77
}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

case $variant in
  holder|plain) ;;
  *) fail "unknown variant: $variant" ;;
esac

if command -v gimp-console-3.0 >/dev/null 2>&1 &&
   pkg-config --atleast-version=3.0 gimp-3.0 2>/dev/null; then
  skip "the cases run on this host's GIMP 3, not in a Debian 13 root"
fi
if [ "$(id -u)" != 0 ]; then
  if [ "${CI:-}" = true ]; then
    fail "CI=true: the Debian 13 root needs root (chroot)"
  fi
  skip "the Debian 13 root needs root (chroot)"
fi
root=$("$src/tools/gimp-root.sh") || fail "no Debian 13 root (tools/gimp-root.sh, above)"

fake=$build/gimp-tests/chroot-$variant
log=$build/gimp-tests/chroot-$variant.log
# Nothing is mounted in it out here (its mounts live in the namespace
# below); --one-file-system all the same.
rm -rf --one-file-system "$fake"
mkdir -p "$fake"

# The first folder of an absolute path: /work for /work/wt/build.
top () {
  printf '/%s' "$(printf '%s' "$1" | cut -d/ -f2)"
}

# shellcheck disable=SC2016 # expanded by the inner shell
make_and_run='set -eu
fake=$1 root=$2 variant=$3; shift 3
for link in bin lib lib64 sbin; do
  if [ -L "/$link" ]; then cp -P "/$link" "$fake/$link"; fi
done
for dir in /usr /etc /dev "$SRC_TOP" "$BUILD_TOP"; do
  mkdir -p "$fake$dir"
  mountpoint -q "$fake$dir" || mount --bind "$dir" "$fake$dir"
done
mkdir -p "$fake/proc" "$fake/tmp" "$fake$root"
chmod 1777 "$fake/tmp"
mount -t proc proc "$fake/proc"
if [ "$variant" = holder ]; then
  mount --bind "$root" "$fake$root"
  # Shared, as / is on most hosts: a proc mount made under it in a
  # namespace copied from this one would show here too.
  mount --make-shared "$fake$root"
else
  for entry in "$root"/* "$root"/.swag-style-root; do
    base=${entry##*/}
    if [ -L "$entry" ] || [ -f "$entry" ]; then
      cp -P "$entry" "$fake$root/$base"
    elif [ -d "$entry" ]; then
      mkdir -p "$fake$root/$base"
      [ "$base" = proc ] || mount --bind "$entry" "$fake$root/$base"
    fi
  done
fi
status=0
chroot "$fake" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
  HOME=/tmp LANG=C.UTF-8 "$@" || status=$?
if mountpoint -q "$fake$root/proc"; then
  echo "chroot-case: $root/proc is still mounted after the case" \
       "(the proc mount propagated back)"
  exit 1
fi
exit $status'

# The environment run-gimp-tests.sh reads, passed into the chroot.
set -- SWAG_BUILD_DIR="$build" SWAG_SOURCE_DIR="$src" SWAG_SANITIZE="$sanitize"
for var in ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS SWAG_ROOT_CACHE CI; do
  eval "value=\${$var:-}"
  [ -z "$value" ] || set -- "$@" "$var=$value"
done

if ! unshare --mount --fork true 2>/dev/null; then
  skip "this script cannot make a mount namespace of its own here"
fi
status=0
SRC_TOP=$(top "$src") BUILD_TOP=$(top "$build") \
  unshare --mount --fork sh -c "$make_and_run" sh "$fake" "$root" "$variant" \
    "$@" sh "$src/tests/gimp/run-gimp-tests.sh" "$name" \
  > "$log" 2>&1 || status=$?
cat "$log"
rm -rf --one-file-system "$fake"
echo "chroot-case: run-gimp-tests.sh $name in the $variant chroot: exit status $status"

check () {
  what=$1
  shift
  if "$@"; then echo "ok: $what"; else fail "$what"; fi
}
says () {
  grep -q -F -e "$1" "$log"
}

check "the case passed in the chroot" test "$status" = 0
check "the case passed in the chroot (its last line)" says "case $name: passed"
check "unshare --mount could not work in the chroot (as for the user)" \
  says "cannot change root filesystem propagation"
if [ "$variant" = holder ]; then
  check "/proc was mounted with unchanged propagation" \
    says "/proc in the root: mounted in a mount namespace (unchanged propagation)"
  check "LeakSanitizer was not turned off" eval '! says "without LeakSanitizer"'
else
  check "the runner says /proc cannot be mounted" \
    says "/proc in the root: cannot be mounted here"
  if [ "$sanitize" != none ]; then
    check "the runner says the case runs without LeakSanitizer" \
      says "case $name: no /proc in the root: this sanitized case runs without LeakSanitizer"
  fi
fi
check "no LeakSanitizer fatal error" eval '! says "LeakSanitizer has encountered a fatal error"'
