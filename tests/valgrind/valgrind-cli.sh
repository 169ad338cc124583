#!/bin/sh
# valgrind-cli.sh SOURCE_DIR BUILD_DIR NATIVE SANITIZE: swag-transfer under
# valgrind's memcheck on a short run (64 px, 5 iterations) and on a run
# interrupted with SIGINT while it optimises; fails on any memory error and
# on any definite or indirect leak. GPL-3.0-or-later.
#
# valgrind cannot run an AddressSanitizer build (skipped there: the plain
# build runs this), nor code built with -march=native on a machine with
# AVX-512 (valgrind 3.19 does not decode it): when the build was configured
# with native=true, the command line is built again here, in
# BUILD_DIR/valgrind-build, with native=false. Skipped (77) when valgrind is
# missing, unless CI=true, where that is a failure.
set -u
src=$1 build=$2 native=$3 sanitize=$4

skip () {
  echo "SKIP: $*"
  if [ "${CI:-}" = true ]; then
    echo "CI=true: a skipped valgrind test is a failure"
    exit 1
  fi
  exit 77
}

if [ "$sanitize" != none ]; then
  # Not a missing tool: valgrind and the sanitizers' runtimes cannot share
  # a process. The plain build of the same CI run does this test.
  echo "SKIP: a $sanitize build cannot run under valgrind"
  exit 77
fi
command -v valgrind >/dev/null 2>&1 || skip "valgrind is not installed"

if [ "$native" = true ] || [ "$native" = True ]; then
  vb=$build/valgrind-build
  if [ ! -f "$vb/build.ninja" ]; then
    meson setup "$vb" "$src" -Dnative=false -Dtests=false \
      -Dplugin=disabled -Dnls=disabled -Dbuildtype=debugoptimized \
      >"$build/valgrind-setup.log" 2>&1 ||
      { cat "$build/valgrind-setup.log"; exit 1; }
  fi
  ninja -C "$vb" cli/swag-transfer >/dev/null || exit 1
  cli=$vb/cli/swag-transfer
else
  cli=$build/cli/swag-transfer
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/swag-valgrind.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99
python3 "$src/tests/cli/make-fixtures.py" png content.png 64 64 rgba 1
python3 "$src/tests/cli/make-fixtures.py" png style.png 64 64 rgb 2

vg () {
  log=$1; shift
  valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=1 \
    --suppressions="$src/tests/valgrind/swag-style.supp" \
    --log-file="$log" "$@"
}

# Two whole runs: the default network (the multi-scale one: its FFT
# convolution, the histogram start), and VGG-19 (OpenBLAS's convolution,
# pooling). VGG-19's taps up to relu2_1 only: under memcheck OpenBLAS's
# kernels run hundreds of times slower, and the deeper layers
# (relu3_1..relu5_1) would make the run take a quarter of an hour. Every
# code path of a run is the same; only the network is shallower. (The
# patch loss is left to the sanitizer builds: under memcheck it takes
# minutes even at 64 px.)
vgg="--backbone vgg19 --style-layers relu1_1,relu2_1 --content-layers relu2_1"

failed=0

# 1. Whole runs: NAME, then the settings.
whole () {
  name=$1; shift
  OPENBLAS_NUM_THREADS=1 vg "$name.log" "$cli" content.png style.png \
    -o "$name.png" --size 64 --iterations 5 --threads 1 --quiet "$@"
  status=$?
  sed "s/^/$name: /" "$name.log" | grep -E "ERROR SUMMARY|definitely|indirectly|possibly|Invalid|uninitialised|at 0x|by 0x" | head -60
  if [ "$status" -ne 0 ] || [ ! -s "$name.png" ]; then
    echo "FAIL: the $name run under valgrind: exit $status"
    cat "$name.log"
    failed=1
  else
    echo "ok: a 64 px, 5-iteration run ($name): no memory error, no leak"
  fi
}
whole default
# shellcheck disable=SC2086  # $vgg is a list of arguments
whole vgg19 $vgg

# 2. Interrupted while it optimises (the cancel path frees what the run
# had made). SIGINT once the report has a line.
OPENBLAS_NUM_THREADS=1 python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' \
  valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
    --show-leak-kinds=definite,indirect --error-exitcode=1 \
    --suppressions="$src/tests/valgrind/swag-style.supp" \
    --log-file=cancel.log \
    "$cli" content.png style.png -o cancelled.png --size 64 \
    --iterations 100000 --threads 1 --quiet --report report.jsonl &
pid=$!
i=0
while [ ! -s report.jsonl ] && [ $i -lt 3000 ] && kill -0 "$pid" 2>/dev/null
do
  sleep 0.1; i=$((i + 1))
done
sleep 2
kill -INT "$pid" 2>/dev/null || echo "the run had stopped before the signal"
wait "$pid"
status=$?
sed 's/^/cancel: /' cancel.log | grep -E "ERROR SUMMARY|definitely|indirectly|possibly|Invalid|uninitialised|at 0x|by 0x" | head -60
if [ "$status" -ne 130 ] || [ -e cancelled.png ] || grep -q "ERROR SUMMARY: [1-9]" cancel.log; then
  echo "FAIL: the interrupted run under valgrind: exit $status (want 130)"
  cat cancel.log
  failed=1
else
  echo "ok: an interrupted run: exit 130, no output, no memory error, no leak"
fi
exit $failed
