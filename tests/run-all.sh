#!/bin/sh
# Every test of swag-style: installs what is missing, builds plainly and with
# AddressSanitizer + UndefinedBehaviorSanitizer, and runs the whole suite in
# both builds (the GIMP 3 tests included, through a Debian 13 root where the
# host has no GIMP 3).
set -eu
cd "$(dirname "$0")/.."

if command -v gimp-console-3.0 >/dev/null 2>&1; then
  export SWAG_WITH_GIMP=1   # GIMP 3 on the host: its tests run here
fi
tools/install-deps.sh --tests

setup () {
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

setup build
meson test -C build --print-errorlogs

setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --print-errorlogs
