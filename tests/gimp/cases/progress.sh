#!/bin/sh
# The progress text of a run in GIMP: the scale and the iteration, and the
# engine's note that the L-BFGS history was shortened to fit in memory,
# kept in the text until the layer is done (it used to give way to the
# next iteration's text a tenth of a second later). In English and German,
# one layer and two.
#
#   progress.sh INPUTS OUT TOP      (run by run-gimp-tests.sh)
#
# Each run is the bundled photograph (451x300) with the bundled painting
# as the style, at a working size of 128 in 2 scales, 16 evaluations, with
# SWAG_MEMORY_LIMIT just above what the run needs with 5 L-BFGS pairs (the
# engine's estimate, as swag-transfer reports it under --memory-limit 1),
# so that the engine shortens the history from 100 pairs. The plug-in
# writes each text it hands to gimp_progress_set_text to SWAG_PROGRESS_LOG;
# progress.check reads them. German: the locale is made with localedef
# into this case's folder (LOCPATH), as gui-german does.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu
inputs=$1 out=$2 top=$3
tests=$top/tests/gimp
samples=$top/data/samples
cli=${SWAG_CLI:?run-gimp-tests.sh sets SWAG_CLI}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# What the run needs with 5 pairs, in MiB (rounded).
"$cli" --memory-limit 1 --size 128 --scales 2 -n 16 \
  "$samples/chelsea.png" "$samples/the_scream.jpg" -o "$out/unused.png" \
  > "$out/estimate.txt" 2>&1 || true
cat "$out/estimate.txt"
need=$(sed -n 's/.*this run needs \([0-9][0-9]*\) MiB.*/\1/p' "$out/estimate.txt")
[ -n "$need" ] || fail "swag-transfer did not say what the run needs"
SWAG_MEMORY_LIMIT=$(( (need + 1) * 1048576 ))
export SWAG_MEMORY_LIMIT
echo "progress: SWAG_MEMORY_LIMIT=$SWAG_MEMORY_LIMIT (the run needs $need MiB with 5 pairs)"

locales=$(dirname "$out")/locale
mkdir -p "$locales"
# localedef exits 1 on mere warnings: judge by the locale it made.
localedef -i de_DE -f UTF-8 "$locales/de_DE.UTF-8" \
  > "$out/localedef.log" 2>&1 || true
[ -f "$locales/de_DE.UTF-8/LC_MESSAGES/SYS_LC_MESSAGES" ] ||
  fail "localedef could not make de_DE.UTF-8: $(cat "$out/localedef.log")"

# run_gimp NAME LANG LAYERS: one run in gimp-console, its texts in
# OUT/progress-NAME.txt.
run_gimp () {
  name=$1 lang=$2 layers=$3
  log=$out/gimp-$name.log
  status=0
  env LANG="$lang" LOCPATH="$locales" SWAG_PROGRESS_LOG="$out/progress-$name.txt" \
    gimp-console-3.0 -i --quit --batch-interpreter plug-in-script-fu-eval -b "
(begin
  (define swag-inputs \"$inputs\") (define swag-out \"$out\")
  (load \"$tests/lib.scm\")
  (define (sample name)
    (car (gimp-file-load RUN-NONINTERACTIVE (string-append \"$samples/\" name))))
  (define img (sample \"chelsea.png\"))
  (define content (first-layer img))
  (define style (first-layer (sample \"the_scream.jpg\")))
  (define layers
    (if (= $layers 1)
        (list content)
        (let ((copy (car (gimp-layer-new-from-drawable content img))))
          (gimp-image-insert-layer img copy 0 0)
          (list copy content))))
  (define results
    (vector->list
      (cadr (plug-in-swag-style-transfer #:run-mode RUN-NONINTERACTIVE
                                         #:image img
                                         #:drawables (list->vector layers)
                                         #:style-layer style
                                         #:iterations 16 #:size 128
                                         #:scales 2))))
  (check-equal \"one new layer per selected layer\" (length results) $layers)
  (check-result-layer img (car results) (car layers) style)
  (swag-done))" > "$log" 2>&1 || status=$?
  cat "$log"
  [ "$status" = 0 ] || fail "GIMP ($name) exited with status $status"
  grep -q '^SWAG-CASE-OK$' "$log" || fail "the run ($name) did not reach its end"
  echo "progress: the texts of the run ($name):"
  cat "$out/progress-$name.txt"
}

run_gimp en C.UTF-8 1
run_gimp de de_DE.UTF-8 1
run_gimp layers C.UTF-8 2
echo SWAG-CASE-OK
