#!/bin/sh
# LeakSanitizer still reports a leak of ours that goes through the calls
# GIMP's own one-time allocations go through, with tests/gimp/lsan.supp in
# force (the builds with AddressSanitizer only).
#
#   lsan-leak.sh INPUTS OUT TOP      (run by run-gimp-tests.sh)
#
# One run of the plug-in in gimp-console with SWAG_TEST_LEAK=1, where it
# leaks on purpose (leak_on_purpose in plugin/swag-main.c) through GLib
# (g_strdup_printf; g_io_channel_unix_new, as gimp_main opens its wire),
# libgimpbase (gimp_value_array_new) and libgimp (gimp_image_get_layers,
# whose array libgimpbase copies): each must be a direct leak in the
# plug-in's report, and nothing else may be. GIMP's output goes to
# OUT/gimp.log, not to the case's log, where any direct leak fails a case.
# Exits 77 (skip) where LeakSanitizer is off (SWAG_LSAN).
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu
inputs=$1 out=$2 top=$3

if [ "${SWAG_LSAN:-off}" != on ]; then
  echo "lsan-leak: LeakSanitizer is off in this run (SWAG_LSAN=${SWAG_LSAN:-off}): nothing to check"
  exit 77
fi

log=$out/gimp.log
status=0
env SWAG_TEST_LEAK=1 gimp-console-3.0 -i --quit \
  --batch-interpreter plug-in-script-fu-eval -b "
(begin
  (define swag-inputs \"$inputs\") (define swag-out \"$out\")
  (load \"$top/tests/gimp/lib.scm\")
  (define img (load-image \"photo.png\"))
  (define content (first-layer img))
  (define style (load-layer img \"painting.png\" 1))
  (check-result-layer img (stylise img (list content) style) content style)
  (swag-done))" > "$log" 2>&1 || status=$?

fail () {
  echo "FAIL: $*"
  echo "lsan-leak: GIMP's output, $log:"
  sed 's/^/    /' "$log"
  exit 1
}

[ "$status" = 0 ] || fail "GIMP exited with status $status"
grep -q '^SWAG-CASE-OK$' "$log" || fail "the run did not reach its end"
grep -q 'SWAG_TEST_LEAK=1: leaking on purpose' "$log" ||
  fail "the plug-in did not leak on purpose (is it built with AddressSanitizer?)"

# The direct leaks, one a line: their frames' function names.
# (Other programs' lines may come between a report's lines: only frame
# lines count, and a block ends at the next report or summary.)
awk '/^Direct leak of/ { if (b != "") print b " "; b = "direct:"; next }
     /^(Indirect leak of|SUMMARY:)/ { if (b != "") print b " "; b = ""; next }
     b != "" && /^ +#[0-9]+ 0x[0-9a-f]+ in / { b = b " " $4 }
     END { if (b != "") print b " " }' "$log" > "$out/direct-leaks.txt"
echo "lsan-leak: the direct leaks LeakSanitizer reported (their frames):"
sed 's/^/    /' "$out/direct-leaks.txt"

found () {
  grep " $1 " "$out/direct-leaks.txt" | grep -q ' leak_on_purpose '
}
for call in g_strdup_printf g_io_channel_unix_new gimp_value_array_new gimp_image_get_layers; do
  if found "$call"; then
    echo "ok: the leak on purpose through $call is reported"
  else
    fail "the leak on purpose through $call was not reported"
  fi
done
others=$(grep -v ' leak_on_purpose ' "$out/direct-leaks.txt" || true)
[ -z "$others" ] || fail "direct leaks other than those on purpose: $others"
echo "ok: no other direct leak"
echo SWAG-CASE-OK
