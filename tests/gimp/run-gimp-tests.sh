#!/bin/sh
# Runs GIMP 3 test cases of the swag-style plug-in in a real GIMP 3.
#
#   run-gimp-tests.sh --setup       make the environment and build only
#   run-gimp-tests.sh CASE...       run tests/gimp/cases/CASE.scm, or the
#                                   shell script CASE.sh (+ CASE.check)
#
# Where the host has GIMP 3 (gimp-console-3.0 and gimp-3.0 >= 3.0), the
# cases run on the host with the plug-in of SWAG_BUILD_DIR. Otherwise they
# run in the Debian 13 root of tools/gimp-root.sh: the source tree is copied
# into it, built there with the plug-in, and installed into a staging
# folder. Each case gets a throwaway GIMP profile with the plug-in in its
# plug-ins folder, runs in gimp-console (or, for gui-* cases, in GIMP under
# Xvfb; a CASE.sh runs GIMP itself), and passes when GIMP exits 0 after the
# case's last line (swag-done, or SWAG-CASE-OK from CASE.sh) and every line
# of CASE.check, if any, passes (png-check on the exported PNGs).
#
# Environment: SWAG_BUILD_DIR (required), SWAG_SOURCE_DIR, SWAG_SANITIZE
# (the build's b_sanitize, used for the build in the root), ASAN_OPTIONS,
# UBSAN_OPTIONS and LSAN_OPTIONS (passed on). Exits 77 (skip) when neither
# GIMP 3 nor the root can be had, unless CI=true, where that is a failure.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=${SWAG_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${SWAG_BUILD_DIR:?set SWAG_BUILD_DIR to the meson build folder}
sanitize=${SWAG_SANITIZE:-none}

skip () {
  echo "SKIP: $*" >&2
  if [ "${CI:-}" = true ]; then
    echo "CI=true: a skipped GIMP test is a failure" >&2
    exit 1
  fi
  exit 77
}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

seconds () {
  date +%s
}

# ------------------------------------------------------------ environment --

if command -v gimp-console-3.0 >/dev/null 2>&1 &&
   pkg-config --atleast-version=3.0 gimp-3.0 2>/dev/null; then
  mode=host
  root=
  work=$build/gimp-tests
  tsrc=$here
else
  mode=root
  [ "$(id -u)" = 0 ] || skip "no GIMP 3 on this host, and the Debian 13 root needs root (chroot)"
  root=$("$src/tools/gimp-root.sh") ||
    skip "no GIMP 3 on this host and no Debian 13 root (tools/gimp-root.sh, above)"
  # One work folder per build folder, so that builds do not collide.
  key=$(printf '%s' "$build" | sha256sum | cut -c1-12)
  work=/work/swag-style-$key
  tsrc=$work/src/tests/gimp
fi

# The host path of a path of the test environment.
hostpath () {
  printf '%s%s' "$root" "$1"
}

# In the root, /proc is mounted in a mount namespace of its own that ends
# with each command: the sanitizers and GLib read it, and LeakSanitizer
# cannot work without it. Two ways are tried:
# - private: unshare --mount makes every mount private first (the usual
#   way; it fails where / is not a mount point, as in a chroot: "cannot
#   change root filesystem propagation");
# - unchanged: unshare --mount --propagation unchanged, then only the
#   mount that holds ROOT/proc is made private (the nearest folder above
#   it that is a mount point), so that the proc mount cannot propagate
#   back to where it came from and outlive the command. Where no folder
#   above ROOT/proc is a mount point (a chroot whose root holds ROOT), that
#   mount cannot be reached and nothing is mounted.
# Where neither works (also a container without mount rights), commands
# run without /proc, and LeakSanitizer is turned off: it would end every
# sanitized program with "LeakSanitizer has encountered a fatal error".
# shellcheck disable=SC2016 # expanded by the inner shell
proc_private='mount -t proc proc "$1/proc" || exit
  root=$1; shift
  [ $# -eq 0 ] || exec chroot "$root" "$@"'
# shellcheck disable=SC2016 # expanded by the inner shell
proc_unchanged='root=$1; shift; dir=$root/proc
  until mount --make-private "$dir" 2>/dev/null; do
    if [ "$dir" = / ]; then
      echo "no folder above $root/proc is a mount point that can be made private" >&2
      exit 1
    fi
    dir=$(dirname "$dir")
  done
  mount -t proc proc "$root/proc" || exit
  [ $# -eq 0 ] || exec chroot "$root" "$@"'
proc=
proc_why=
lsan_at_exit=
if [ "$mode" = root ]; then
  if why=$(unshare --mount --fork sh -c "$proc_private" sh "$root" 2>&1); then
    proc=private
  elif why2=$(unshare --mount --propagation unchanged --fork \
                sh -c "$proc_unchanged" sh "$root" 2>&1); then
    proc=unchanged
    proc_why=$(printf 'unshare --mount: %s' "$why" | tr '\n' ' ')
  else
    proc_why=$(printf 'unshare --mount: %s; with --propagation unchanged: %s' \
                 "$why" "$why2" | tr '\n' ' ')
  fi
fi

# Whether the sanitized programs run without LeakSanitizer here.
lsan_off () {
  [ "$mode" = root ] && [ -z "$proc" ] && [ "$sanitize" != none ]
}

# The sanitizers' options as C source, for programs that cannot read them
# from the environment: ASAN_OPTIONS with LeakSanitizer off, UBSAN_OPTIONS.
sanitizer_defaults () {
  c_string () {
    printf '%s' "$1" | sed 's/[\\"]/\\&/g'
  }
  echo '/* Made by run-gimp-tests.sh: no /proc in the root. */'
  printf 'const char *__asan_default_options (void);\n'
  printf 'const char *__asan_default_options (void) { return "%s"; }\n' \
    "$(c_string "${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0")"
  printf 'const char *__ubsan_default_options (void);\n'
  printf 'const char *__ubsan_default_options (void) { return "%s"; }\n' \
    "$(c_string "${UBSAN_OPTIONS:-}")"
}

# Runs a command in the test environment with a clean environment; leading
# NAME=VALUE arguments add variables. The sanitizer options are passed on.
# LeakSanitizer runs in the plug-in (the only sanitized program here), with
# full stacks (GLib, GEGL and GTK have no frame pointers: the fast
# unwinder's one-frame stacks could not be told from ours) and lsan.supp,
# which names the allocations libgimp, GEGL and ld.so leave behind at exit.
# It does not end the plug-in (exitcode=0): run_case reads its report. What
# those suppressed blocks point to is reported as indirect leaks (this
# LeakSanitizer does not follow suppressions), so a case fails on any
# direct leak: an indirect one hangs from a direct one, reported or
# suppressed. Direct leaks are listed first; max_leaks keeps the hundreds
# of indirect ones out of the log.
run () {
  for var in ASAN_OPTIONS UBSAN_OPTIONS; do
    eval "value=\${$var:-}"
    if [ -n "$value" ]; then
      if [ "$var" = ASAN_OPTIONS ] && [ "$mode" = root ] && [ -z "$proc" ]; then
        value=$value:detect_leaks=0
      elif [ "$var" = ASAN_OPTIONS ]; then
        value=$value:detect_leaks=1:fast_unwind_on_malloc=0:malloc_context_size=64
      fi
      set -- "$var=$value" "$@"
    fi
  done
  if [ -n "${ASAN_OPTIONS:-}" ]; then
    set -- "LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$tsrc/lsan.supp:print_suppressions=0:exitcode=0:max_leaks=30${lsan_at_exit:+:leak_check_at_exit=$lsan_at_exit}" "$@"
  fi
  set -- PATH=/usr/local/bin:/usr/bin:/bin HOME="$work/home" LANG=C.UTF-8 "$@"
  if [ "$mode" = host ]; then
    env -i "$@"
  elif [ "$proc" = private ]; then
    unshare --mount --fork sh -c "$proc_private" \
      sh "$root" /usr/bin/env -i "$@"
  elif [ "$proc" = unchanged ]; then
    unshare --mount --propagation unchanged --fork sh -c "$proc_unchanged" \
      sh "$root" /usr/bin/env -i "$@"
  else
    chroot "$root" /usr/bin/env -i "$@"
  fi
}

# -------------------------------------------------------------- preparing --

# Copies the source tree into the root, without .git and build folders.
copy_source () {
  dst=$(hostpath "$work/src")
  set -- --exclude=./.git --exclude='./build*' --exclude=./out
  case $build in
    "$src"/*) set -- "$@" --exclude="./${build#"$src"/}" ;;
  esac
  rm -rf "$dst"
  mkdir -p "$dst"
  (cd "$src" && tar "$@" -cf - .) | tar -C "$dst" -xf -
}

# Builds and installs the plug-in; sets plugdir to its installed folder and
# cli to the installed swag-transfer (the cases compare the two).
build_plugin () {
  if [ "$mode" = root ]; then
    copy_source
    bdir=$work/build stage=$work/stage
    set -- -Dplugin=enabled -Dtests=false
    if [ "$sanitize" != none ]; then
      set -- "$@" -Db_sanitize="$sanitize" -Db_lundef=false
    fi
    if lsan_off; then
      # Without /proc the sanitizers cannot read their options from the
      # environment (they read /proc/self/environ): the programs get them
      # compiled in, LeakSanitizer off. A build folder of its own, made
      # again when the options change.
      bdir=$work/build-noproc stage=$work/stage-noproc
      defaults=$(hostpath "$work/sanitizer-defaults.c")
      sanitizer_defaults > "$defaults.new"
      if ! cmp -s "$defaults.new" "$defaults"; then
        mv "$defaults.new" "$defaults"
        rm -rf "$(hostpath "$bdir")"
      else
        rm -f "$defaults.new"
      fi
      run cc -c -o "$work/sanitizer-defaults.o" "$work/sanitizer-defaults.c"
      set -- "$@" -Dc_link_args="$work/sanitizer-defaults.o"
    fi
    if [ ! -f "$(hostpath "$bdir/build.ninja")" ]; then
      run meson setup "$bdir" "$work/src" --prefix="$stage" \
        -Dplugin-dir="$stage/plug-ins" "$@"
    fi
    run ninja -C "$bdir"
    run meson install -C "$bdir" --quiet --no-rebuild
    plugdir=$stage/plug-ins/swag-style
    cli=$stage/bin/swag-transfer
  else
    rm -rf "$work/stage"
    meson install -C "$build" --quiet --no-rebuild --destdir "$work/stage"
    installed () {
      meson introspect --installed "$build" | python3 -c '
import json, sys
for built, path in json.load(sys.stdin).items():
    if built.endswith(sys.argv[1]):
        print(path)' "$1"
    }
    installed=$(installed /plugin/swag-style)
    [ -n "$installed" ] || fail "the build folder has no plug-in (is GIMP 3 found?)"
    plugdir=$work/stage$(dirname "$installed")
    cli=$work/stage$(installed /cli/swag-transfer)
  fi
  [ -x "$(hostpath "$cli")" ] ||
    fail "swag-transfer was not installed at $cli"
  [ -x "$(hostpath "$plugdir/swag-style")" ] ||
    fail "the plug-in was not installed at $plugdir/swag-style"
}

prepare () {
  mkdir -p "$(hostpath "$work/home")" "$(hostpath "$work/inputs")"
  build_plugin

  flags=$(run pkg-config --cflags --libs gdk-pixbuf-2.0)
  # shellcheck disable=SC2086 # flags are words
  run cc -std=c11 -O1 -Wall -Wextra -Werror -o "$work/png-check" \
    "$tsrc/png-check.c" $flags

  run sh "$tsrc/make-inputs.sh" "$work/inputs"
}

# ------------------------------------------------------------------ cases --

# A throwaway profile with the plug-in installed in it.
make_profile () {
  profile=$1
  mkdir -p "$(hostpath "$profile/plug-ins")" \
           "$(hostpath "$profile/plug-in-settings")"
  printf '(show-welcome-dialog no)\n(check-updates no)\n' \
    > "$(hostpath "$profile/gimprc")"
  cp -R "$(hostpath "$plugdir")" "$(hostpath "$profile/plug-ins/")"
}

run_console () {
  name=$1 dir=$2
  lsan_at_exit=0
  run GIMP3_DIRECTORY="$dir/profile" \
    timeout 300 gimp-console-3.0 -i --quit \
      --batch-interpreter plug-in-script-fu-eval \
      -b "(begin (define swag-inputs \"$work/inputs\")
                 (define swag-out \"$dir/out\")
                 (define swag-top \"$tsrc/../..\")
                 (define swag-sanitize \"$sanitize\")
                 (load \"$tsrc/lib.scm\") (load \"$tsrc/cases/$name.scm\"))"
}

# A case that is a shell script (cases/NAME.sh INPUTS OUT TOP): it runs
# GIMP itself, as a user's command line does. SWAG_CLI names the installed
# swag-transfer, SWAG_SANITIZE the build's b_sanitize, SWAG_LSAN (on, off)
# whether LeakSanitizer checks the plug-in. A case that exits 77 is
# skipped.
run_command () {
  name=$1 dir=$2
  lsan_at_exit=0
  lsan=off
  if [ "$sanitize" != none ] && ! lsan_off; then
    lsan=on
  fi
  run GIMP3_DIRECTORY="$dir/profile" SWAG_CLI="$cli" SWAG_SANITIZE="$sanitize" \
      SWAG_LSAN="$lsan" \
    timeout 840 sh "$tsrc/cases/$name.sh" "$work/inputs" "$dir/out" "$tsrc/../.."
}

run_gui () {
  name=$1 dir=$2
  lsan_at_exit=0
  run GIMP3_DIRECTORY="$dir/profile" SWAG_CLI="$cli" \
    timeout 300 sh "$tsrc/gui-session.sh" "$work/inputs" "$dir/out" \
      "$tsrc/lib.scm" "$tsrc/cases/$name.scm"
}

run_case () {
  name=$1
  [ -f "$here/cases/$name.scm" ] || [ -f "$here/cases/$name.sh" ] ||
    fail "no such case: $name"
  dir=$work/cases/$name
  hdir=$(hostpath "$dir")
  rm -rf "$hdir"
  mkdir -p "$hdir/out"
  make_profile "$dir/profile"

  if lsan_off; then
    echo "case $name: no /proc in the root: this sanitized case runs" \
         "without LeakSanitizer (AddressSanitizer and UBSan still check)"
  fi

  start=$(seconds)
  status=0
  case $name in
    gui-*) run_gui "$name" "$dir" > "$hdir/log" 2>&1 || status=$? ;;
    *)     if [ -f "$here/cases/$name.sh" ]; then
             run_command "$name" "$dir" > "$hdir/log" 2>&1 || status=$?
           else
             run_console "$name" "$dir" > "$hdir/log" 2>&1 || status=$?
           fi ;;
  esac
  lsan_at_exit=
  cat "$hdir/log"
  echo "case $name: GIMP ran $(( $(seconds) - start )) s, exit status $status"

  # The pictures (exports, screenshots) land in the build folder in both
  # modes, for a look and for tools/update-screenshot.sh.
  if [ "$mode" = root ]; then
    rm -rf "$build/gimp-tests/cases/$name/out"
    mkdir -p "$build/gimp-tests/cases/$name/out"
    for png in "$hdir"/out/*.png; do
      [ -e "$png" ] && cp "$png" "$build/gimp-tests/cases/$name/out/"
    done
  fi

  if [ "$status" = 77 ] && [ -f "$here/cases/$name.sh" ]; then
    skip "case $name: skipped (above)"
  fi
  [ "$status" = 0 ] || fail "case $name: GIMP exited with status $status"
  grep -q '^SWAG-CASE-OK$' "$hdir/log" ||
    fail "case $name: the case did not reach its end"
  if grep -E -q 'ERROR: AddressSanitizer|runtime error:' "$hdir/log"; then
    fail "case $name: a sanitizer reported an error (above)"
  fi
  if grep -q '^Direct leak of' "$hdir/log"; then
    fail "case $name: the plug-in leaked memory (LeakSanitizer, above)"
  fi

  if [ -f "$here/cases/$name.check" ]; then
    # shellcheck disable=SC2016 # expanded by the inner shell
    # expect WHAT CMD...: for checks other than png-check; a plain
    # "CMD && echo ok" line would not stop a set -e shell when CMD fails.
    run PNG_CHECK_DIR="$work" SWAG_SANITIZE="$sanitize" SWAG_CLI="$cli" \
        SWAG_INPUTS="$work/inputs" SWAG_GIMP_TESTS="$tsrc" sh -euc \
      'expect () { what=$1; shift
                   if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; exit 1; fi; }
       cd "$1" && PATH="$PNG_CHECK_DIR:$PATH" && . "$2"' \
      sh "$dir/out" "$tsrc/cases/$name.check" ||
      fail "case $name: a pixel check failed"
  fi
  echo "case $name: passed in $(( $(seconds) - start )) s"
}

# -------------------------------------------------------------------- main --

[ $# -gt 0 ] || fail "usage: $0 --setup | CASE..."

start=$(seconds)
prepare
echo "prepared ($mode mode, $work) in $(( $(seconds) - start )) s"
if [ "$mode" = root ]; then
  if [ -n "$proc" ]; then
    echo "/proc in the root: mounted in a mount namespace ($proc propagation)${proc_why:+; $proc_why}"
  else
    echo "/proc in the root: cannot be mounted here ($proc_why)"
  fi
fi

if [ "$1" = --setup ]; then
  exit 0
fi
for name in "$@"; do
  run_case "$name"
done
