#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds a fuzz target with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer (the main build uses gcc, so the engine sources
# it needs are compiled here directly, instrumented for coverage), then
# fuzzes for N seconds (default 600) on one job. New inputs go to
# build-fuzz/corpus-TARGET; crashes to build-fuzz/ (minimise them and add
# them to corpus/regression/ or corpus/regression-transfer/).
#
#   tests/fuzz/run-fuzzer.sh [TARGET] [SECONDS] [extra libFuzzer flags...]
#
# TARGET: safetensors (default; the reader, and swag-core.c for the error
# quark, with swag-blas.c that it calls: if swag-core.c comes to need other
# engine files, add them) or
# transfer (the engine's input checks: the whole engine).
set -eu
cd "$(dirname "$0")/../.."

target=safetensors
case ${1:-} in
  safetensors|transfer) target=$1; shift ;;
esac
seconds=${1:-600}
[ $# -gt 0 ] && shift
CC=${CC:-clang-14}
out=build-fuzz
mkdir -p "$out/corpus-$target"

if [ "$target" = safetensors ]; then
  # swag-core.c sets OpenBLAS's threads: swag-blas.c and BLAS come along.
  sources="tests/fuzz/fuzz-safetensors.c engine/swag-safetensors.c engine/swag-core.c engine/swag-blas.c"
  libs=$(pkg-config --libs openblas 2>/dev/null || echo -lblas)
  # -max_len: headers and small tensors; the dictionary: the format's words.
  set -- -max_len=65536 -dict="$(pwd)/tests/fuzz/safetensors.dict" "$@"
  seeds="corpus/safetensors corpus/regression"
  rss=2048
else
  sources="tests/fuzz/fuzz-transfer.c $(ls engine/*.c | tr '\n' ' ')"
  libs=$(pkg-config --libs openblas 2>/dev/null || echo -lblas)
  # The decoder reads a few hundred bytes (an input shorter than about 60
  # decodes to 1x1 images: no length ramp); the networks (built once,
  # kept) take about 1 GB with ASan's overhead.
  set -- -max_len=4096 -len_control=0 "$@"
  seeds="corpus/transfer corpus/regression-transfer"
  rss=4096
fi

# shellcheck disable=SC2046,SC2086
$CC -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -DG_LOG_DOMAIN='"swag-style"' \
    -DSWAG_VERSION='"fuzz"' \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -Iengine $(pkg-config --cflags glib-2.0 gobject-2.0 json-glib-1.0) \
    $sources \
    $(pkg-config --libs glib-2.0 gobject-2.0 json-glib-1.0) $libs -lm -pthread \
    -o "$out/fuzz-$target"

# The seed and regression corpora are read; only $out/corpus-TARGET is
# written. From $out, because -jobs writes its fuzz-N.log in the current
# folder.
src=$(pwd)
cd "$out"
dirs=""
for d in $seeds; do dirs="$dirs $src/tests/fuzz/$d"; done
# shellcheck disable=SC2086
OPENBLAS_NUM_THREADS=1 ./fuzz-$target -jobs=1 -workers=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=$rss \
    -artifact_prefix=./ -print_final_stats=1 "$@" \
    "corpus-$target" $dirs || status=$?
tail -n 8 fuzz-0.log
exit "${status:-0}"
