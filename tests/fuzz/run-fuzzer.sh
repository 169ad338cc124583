#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Builds fuzz-safetensors with clang, libFuzzer, AddressSanitizer and
# UndefinedBehaviorSanitizer (the main build uses gcc, so the engine sources
# it needs are compiled here directly: the reader, and swag-core.c for the
# error quark; if swag-core.c comes to need other engine files, add them),
# then fuzzes for N seconds (default 600) on one job. New inputs go to build-fuzz/corpus; crashes to
# build-fuzz/ (minimise them and add them to corpus/regression/).
#
#   tests/fuzz/run-fuzzer.sh [SECONDS] [extra libFuzzer flags...]
set -eu
cd "$(dirname "$0")/../.."

seconds=${1:-600}
[ $# -gt 0 ] && shift
CC=${CC:-clang-14}
out=build-fuzz
mkdir -p "$out/corpus"

# shellcheck disable=SC2046
$CC -g -O1 -std=c11 -D_POSIX_C_SOURCE=200809L -DG_LOG_DOMAIN='"swag-style"' \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -Wall -Wextra -Werror -Wno-unused-parameter \
    -Iengine $(pkg-config --cflags glib-2.0 gobject-2.0 json-glib-1.0) \
    tests/fuzz/fuzz-safetensors.c engine/swag-safetensors.c engine/swag-core.c \
    $(pkg-config --libs glib-2.0 gobject-2.0 json-glib-1.0) -lm -pthread \
    -o "$out/fuzz-safetensors"

# The seed and regression corpora are read; only $out/corpus is written.
# From $out, because -jobs writes its fuzz-N.log in the current folder.
src=$(pwd)
cd "$out"
./fuzz-safetensors -jobs=1 -workers=1 -max_total_time="$seconds" \
    -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -dict="$src/tests/fuzz/safetensors.dict" -artifact_prefix=./ \
    -print_final_stats=1 "$@" \
    corpus "$src/tests/fuzz/corpus/safetensors" \
    "$src/tests/fuzz/corpus/regression" || status=$?
tail -n 8 fuzz-0.log
exit "${status:-0}"
