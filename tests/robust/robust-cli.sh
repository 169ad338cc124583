#!/bin/sh
# robust-cli.sh CASE: the command line when memory runs out and with inputs
# that claim more than they hold; speaks TAP. GPL-3.0-or-later.
#
# Environment (tests/robust/meson.build): SWAG_TRANSFER, PYTHON, FIXTURES
# (tests/cli/make-fixtures.py), SANITIZE (the build's b_sanitize).
set -u
case_name=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/swag-robust-$case_name.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 99

n=0 failed=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip_all () { echo "1..0 # SKIP $*"; exit 0; }
note () { sed 's/^/# /' "$@"; }
lines () { wc -l <"$1" | tr -d ' '; }
finish () { echo "1..$n"; [ "$failed" -eq 0 ]; exit $?; }

mkpng () { "$PYTHON" "$FIXTURES" png "$@"; }

# st_limited KIB ARGS...: swag-transfer under ulimit -v KIB (address space);
# status in $status, output in o/, stderr in stderr.
st_limited () {
  kib=$1; shift
  rm -rf o; mkdir o
  sh -c 'ulimit -v "$1" && shift && exec "$@"' sh "$kib" \
    "$SWAG_TRANSFER" "$@" >stdout 2>stderr
  status=$?
}

# One failure, told in one line: exit 1, "swag-transfer: " and a word
# about memory, nothing written.
clean_failure () {
  [ "$status" -eq 1 ] && [ "$(lines stderr)" -eq 1 ] \
    && grep -q "^swag-transfer: " stderr \
    && grep -q -i -e memory -e "too large" stderr && [ -z "$(ls -A o)" ]
}

case_ulimit () {
  case $SANITIZE in
    none) ;;
    *) skip_all "AddressSanitizer reserves terabytes of address space: no ulimit -v" ;;
  esac
  # A content much larger than the working size: the full-size copies and
  # the final assembly are the big allocations late in the run.
  mkpng content.png 1500 1200 rgb 1
  mkpng style.png 64 64 rgb 2
  run="content.png style.png -o o/out.png --size 64 --iterations 3 --scales 1 --threads 1 --quiet"

  # The smallest address space in which the run succeeds when told it has
  # all the memory it wants (--memory-limit): found by bisection, in MiB.
  lo=16 hi=8192
  st_limited $((hi * 1024)) $run --memory-limit 1000000
  if [ "$status" -ne 0 ]; then
    not_ok "the run succeeds in 8 GiB of address space: exit $status"
    note stderr
    finish
  fi
  while [ $((hi - lo)) -gt 8 ]; do
    mid=$(((lo + hi) / 2))
    st_limited $((mid * 1024)) $run --memory-limit 1000000
    if [ "$status" -eq 0 ]; then hi=$mid; else lo=$mid; fi
  done
  echo "# the run needs between $lo and $hi MiB of address space"

  # The smallest address space in which the program gets past its start
  # (where it takes OpenBLAS's buffers, which OpenBLAS 0.3.21 retries for
  # ever when it cannot: see swag_set_threads), probed with a content file
  # that does not exist: exit 1 at once above it, a hang below.
  flo=16 fhi=$hi
  while [ $((fhi - flo)) -gt 4 ]; do
    mid=$(((flo + fhi) / 2))
    rm -rf o; mkdir o
    sh -c 'ulimit -v "$1" && shift && exec "$@"' sh $((mid * 1024)) \
      timeout 10 "$SWAG_TRANSFER" missing.png style.png -o o/out.png \
      --threads 1 >stdout 2>stderr
    if [ $? -eq 1 ] && grep -q "missing.png" stderr; then fhi=$mid; else flo=$mid; fi
  done
  echo "# the program starts in $fhi MiB"

  # Between the two, with the estimate told there is plenty: allocations
  # fail wherever they fall (loading the images, the weights, the
  # network's buffers, the optimiser, the final assembly). Each failure
  # must be one clear line, not an abort, and no run may hang.
  bad=0 tried=0 messages=""
  step=$(((hi - fhi) / 40))
  [ "$step" -ge 2 ] || step=2
  mib=$((hi - 1))
  while [ "$mib" -gt "$fhi" ]; do
    rm -rf o; mkdir o
    sh -c 'ulimit -v "$1" && shift && exec "$@"' sh $((mib * 1024)) \
      timeout 120 "$SWAG_TRANSFER" $run --memory-limit 1000000 >stdout 2>stderr
    status=$?
    tried=$((tried + 1))
    mib=$((mib - step))
    if [ "$status" -eq 0 ] && [ -s o/out.png ]; then
      continue
    fi
    if clean_failure; then
      line=$(sed 's/[0-9.]* MiB/N MiB/g' stderr)
      case $messages in
        *"$line"*) ;;
        *) messages="$messages$line
"; echo "# $((mib + step)) MiB: $(cat stderr)" ;;
      esac
    else
      bad=$((bad + 1))
      echo "# $((mib + step)) MiB: exit $status, $(lines stderr) lines:"
      head -c 2000 stderr | note
    fi
  done
  kinds=$(printf '%s' "$messages" | grep -c .)
  if [ "$bad" -eq 0 ] && [ "$kinds" -ge 2 ]; then
    ok "$tried address-space limits from $((hi - 1)) down to $fhi MiB: $kinds different failures, each one line, exit 1, nothing written"
  else
    not_ok "$bad of $tried address-space limits ended otherwise than in one clear line ($kinds different failures)"
  fi

  # Without --memory-limit the engine sees the limit itself: refused up
  # front, with the working size that would fit.
  st_limited $(((hi - 8) * 1024)) content.png style.png -o o/out.png \
    --size 4096 --iterations 3 --threads 1 --quiet
  if clean_failure && grep -q "would fit\|smallest size" stderr; then
    ok "ulimit -v below the need: refused before the run: $(cat stderr)"
  else
    not_ok "ulimit -v below the need: exit $status"
    note stderr
  fi
}

# PNG headers that claim sizes no memory holds: refused with one line.
case_huge_header () {
  # 100000 x 100000 and 2^31-1 x 1, with a tiny IDAT: the loader or the
  # engine must refuse them before touching 30 GB.
  "$PYTHON" - <<'PY'
import struct, zlib
def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))
def claim(path, w, h):
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n'
                + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(b'\0' * 64))
                + chunk(b'IEND', b''))
claim('huge.png', 100000, 100000)
claim('long.png', 2**31 - 1, 1)
claim('tall.png', 16, 2**31 - 1)
PY
  mkpng style.png 64 64 rgb 2
  # Under AddressSanitizer an allocation of tens of GB aborts unless told
  # to fail as malloc does: what the program then does is the test.
  ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1"
  export ASAN_OPTIONS
  for f in huge.png long.png tall.png; do
    rm -rf o; mkdir o
    "$SWAG_TRANSFER" "$f" style.png -o o/out.png --size 64 --iterations 2 \
      --threads 1 >stdout 2>stderr
    status=$?
    if [ "$status" -eq 1 ] && [ "$(lines stderr)" -eq 1 ] \
       && grep -q "^swag-transfer: $f: " stderr && [ -z "$(ls -A o)" ]; then
      ok "$f: $(cat stderr)"
    else
      not_ok "$f: exit $status, $(lines stderr) lines"
      note stderr
    fi
  done
}

# Inputs the bad-input matrix of issue 8 names that tests/cli does not
# make: images whose every pixel is transparent (refused, one line), and a
# palette (indexed) PNG (accepted: gdk-pixbuf hands it over as RGB).
case_inputs () {
  "$PYTHON" - <<'PY'
import struct, zlib
def chunk(kind, data):
    body = kind + data
    return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))
def png(path, w, h, ctype, rows, extra=b''):
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n'
                + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, ctype, 0, 0, 0))
                + extra + chunk(b'IDAT', zlib.compress(rows)) + chunk(b'IEND', b''))
# 48x40 RGBA, colourful but alpha 0 everywhere
rows = b''.join(b'\0' + b''.join(bytes([(x * 5) % 256, (y * 6) % 256, 99, 0])
                                  for x in range(48)) for y in range(40))
png('clear.png', 48, 40, 6, rows)
# 48x40 with a 4-colour palette
plte = chunk(b'PLTE', bytes([200, 30, 30, 30, 200, 30, 30, 30, 200, 240, 240, 240]))
rows = b''.join(b'\0' + bytes(((x // 6 + y // 5) % 4) for x in range(48)) for y in range(40))
png('indexed.png', 48, 40, 3, rows, plte)
PY
  mkpng content.png 48 40 rgb 1
  mkpng style.png 40 40 rgb 2
  refused () {
    what=$1 word=$2; shift 2
    rm -rf o; mkdir o
    "$SWAG_TRANSFER" "$@" -o o/out.png --size 48 --iterations 2 \
      --threads 1 >stdout 2>stderr
    status=$?
    if [ "$status" -eq 1 ] && [ "$(lines stderr)" -eq 1 ] \
       && grep -q "^swag-transfer: " stderr && grep -q -F "$word" stderr \
       && [ -z "$(ls -A o)" ]; then
      ok "$what: $(cat stderr)"
    else
      not_ok "$what: exit $status"
      note stderr
    fi
  }
  refused "a fully transparent style" "The style image is fully transparent" \
    content.png clear.png
  refused "a fully transparent content" "The content image is fully transparent" \
    clear.png style.png
  rm -rf o; mkdir o
  "$SWAG_TRANSFER" indexed.png indexed.png -o o/out.png --size 48 \
    --iterations 2 --threads 1 >stdout 2>stderr
  status=$?
  if [ "$status" -eq 0 ] && [ ! -s stderr ] && [ -s o/out.png ]; then
    ok "an indexed PNG as content and style: stylised"
  else
    not_ok "an indexed PNG: exit $status"
    note stderr
  fi
}

case "$case_name" in
  ulimit|huge-header|inputs)
    "case_$(echo "$case_name" | tr - _)"
    finish ;;
  *)
    echo "Bail out! unknown case $case_name"
    exit 99 ;;
esac
