#!/bin/sh
# cli-test.sh CASE: runs the built swag-transfer on small images and checks
# what it does, speaking TAP. GPL-3.0-or-later.
#
# Environment (set by tests/cli/meson.build): SWAG_TRANSFER, IMAGE_TOOL,
# PYTHON, FIXTURES (make-fixtures.py), CHECK (check-report.py), REFERENCE
# (tests/reference).
set -u

case_name=$1
work=$(mktemp -d "${TMPDIR:-/tmp}/swag-cli-$case_name.XXXXXX") || exit 99
trap 'rm -rf "$work"' EXIT
# The case works in t/; the harness keeps its own files one level up, so
# that listings of t/ show only what the case made.
mkdir "$work/t" && cd "$work/t" || exit 99

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $*"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION COMMAND...: one TAP line from a command's status
check () {
  desc=$1; shift
  if "$@" >"$work/check.out" 2>&1; then ok "$desc"; else not_ok "$desc"; fi
  note "$work/check.out"
}
finish () {
  echo "1..$n"
  [ "$failed" -eq 0 ]
  exit $?
}
note () { sed 's/^/# /' "$@"; }

# One thread each: meson runs the cases side by side on a small machine.
T="--threads 1"
# swag-transfer ARGS...: status in $status, output in stdout and stderr
# ST_ENV: NAME=VALUE settings for this one run
ST_ENV=
st () {
  env $ST_ENV "$SWAG_TRANSFER" "$@" >stdout 2>stderr
  status=$?
}
mkpng () { "$PYTHON" "$FIXTURES" png "$@"; }
info () { "$IMAGE_TOOL" info "$1"; }
lines () { wc -l <"$1" | tr -d ' '; }

# The usual pair: an RGBA content with every kind of alpha, an RGB style.
mkpng content.png 48 40 rgba 1
mkpng style.png 40 40 rgb 2
SMALL="--size 48 --iterations 4 $T"

# expect_run DESCRIPTION: status 0 and nothing on stderr (not a terminal)
expect_run () {
  if [ "$status" -eq 0 ] && [ ! -s stderr ]; then
    ok "$1"
  else
    not_ok "$1: exit $status"
    note stderr
  fi
}

# ------------------------------------------------------------------ cases --

case_help () {
  st --help
  check "--help exits 0" [ "$status" -eq 0 ]
  check "--help shows the batch form and every setting" \
    sh -c 'for f in --batch --backbone --weights --seed --smoothing \
             --smooth-layers --temperature --alpha --iterations \
             --style-strength --style-weight --content-weight --tv-weight \
             --size --scales --optimizer --init --preserve-colors \
             --match-histogram --style-scale --style-blend --preset \
             --threads --pooling --style-layers --content-layers \
             --lbfgs-history --learning-rate --report --diagnose --quiet \
             --version; do grep -q -e "$f" stdout || { echo "# no $f"; exit 1; }; done'
  st --version
  check "--version prints the version" grep -q "^swag-transfer (swag-style) [0-9]" stdout
  st
  check "no arguments: usage error, one line" \
    eval '[ "$status" -eq 2 ] && [ "$(lines stderr)" -eq 1 ]'
}

case_run_png () {
  st content.png style.png -o out.png $SMALL
  expect_run "RGBA PNG content: exit 0"
  check "out.png is a 48x40 RGBA PNG" [ "$(info out.png)" = "png 48 40 4" ]
  set -- $("$IMAGE_TOOL" compare content.png out.png)
  echo "# mean RGB change $1, max $2, max alpha change $3"
  check "the pixels changed" "$PYTHON" -c "import sys; sys.exit(not $1 > 0.5)"
  check "alpha is the content's, exactly" [ "$3" -eq 0 ]

  mkpng grey.png 40 36 gray 3
  st grey.png style.png -o grey-out.png $SMALL
  expect_run "grey PNG content: exit 0"
  check "a grey content gives an RGB PNG" [ "$(info grey-out.png)" = "png 40 36 3" ]
  check "nothing else was written" \
    [ "$(ls | sort | tr '\n' ' ')" = "content.png grey-out.png grey.png out.png stderr stdout style.png " ]
}

case_run_jpeg () {
  "$IMAGE_TOOL" convert content.png content.jpg
  "$IMAGE_TOOL" convert style.png style.jpg
  check "fixtures are JPEG" [ "$(info content.jpg)" = "jpeg 48 40 3" ]
  st content.jpg style.jpg -o out.jpg $SMALL
  expect_run "JPEG in, JPEG out: exit 0"
  check "out.jpg is a 48x40 JPEG" [ "$(info out.jpg)" = "jpeg 48 40 3" ]
  set -- $("$IMAGE_TOOL" compare content.jpg out.jpg)
  check "the pixels changed ($1)" "$PYTHON" -c "import sys; sys.exit(not $1 > 0.5)"

  st content.png style.jpg -o upper.JPEG $SMALL
  expect_run "RGBA content to .JPEG (any case): exit 0"
  check "no alpha in the JPEG" [ "$(info upper.JPEG)" = "jpeg 48 40 3" ]
}

case_report () {
  mkpng style2.png 44 40 rgb 5
  st content.png style.png style2.png -o out.png --size 48 --iterations 5 $T \
     --style-blend 1,3 --report report.jsonl --quiet
  expect_run "two styles, blend, --report, --quiet: exit 0"
  check "report: JSON Lines, iterations 0..4, all settings" \
    "$PYTHON" "$CHECK" run report.jsonl 5 style-blend=[0.25,0.75] preset=null \
      threads=1 iterations=5 seed=0
  note report.jsonl | head -c 600; echo
  check "out.png written" [ "$(info out.png)" = "png 48 40 4" ]
}

# Every flag reaches the engine: the report's settings say what was asked.
case_flags () {
  st content.png style.png -o out.png $T --size 48 --iterations 4 --scales 2 \
     --backbone vgg19 --pooling max --seed 77 --smoothing softmax \
     --smooth-layers relu1_1 --temperature 2.5 --alpha 0.125 \
     --style-layers relu1_1,relu2_1 --content-layers relu2_1 \
     --style-strength 3 --tv-weight 0.25 --optimizer adam \
     --learning-rate 0.05 --lbfgs-history 7 --init noise --preserve-colors \
     --match-histogram --style-scale 0.75 --report report.jsonl
  expect_run "every setting given: exit 0"
  check "each one is in the settings" \
    "$PYTHON" "$CHECK" run report.jsonl 4 backbone=vgg19 pooling=max seed=77 \
      smoothing=softmax smooth-layers=relu1_1 temperature=2.5 alpha=0.125 \
      style-layers=relu1_1,relu2_1 content-layers=relu2_1 style-strength=3.0 \
      tv-weight=0.25 optimizer=adam learning-rate=0.05 lbfgs-history=7 \
      init=noise preserve-colors=true match-histogram=true style-scale=0.75 \
      size=48 scales=2 weights=random style-weight=0.0 content-weight=0.0
  check "only the asked taps are reported" \
    "$PYTHON" -c 'import json
o=json.loads(open("report.jsonl").readline())
assert sorted(o["layers"])==["relu1_1","relu2_1"], o["layers"]'

  st content.png style.png -o out2.png $T --size 48 --iterations 3 \
     --seed 18446744073709551615 --content-layers "" --optimizer lbfgs \
     --init style-noise --smoothing channel-softmax --report report2.jsonl
  expect_run "the largest seed, no content layer: exit 0"
  # The engine writes seeds as signed 64-bit numbers; swag-transfer reads
  # them back modulo 2^64, so the report's value reproduces the run.
  check "seed 2^64-1 reported as -1, no content term" \
    "$PYTHON" "$CHECK" run report2.jsonl 3 seed=-1 content-layers= \
      init=style-noise smoothing=channel-softmax
  st content.png style.png -o out3.png $T --size 48 --iterations 3 --seed -1 \
     --content-layers "" --init style-noise --smoothing channel-softmax
  check "--seed -1 gives the same image as --seed 2^64-1" \
    eval '[ "$("$IMAGE_TOOL" compare out2.png out3.png)" = "0.0000 0 0" ]'
}

# On a terminal: a bar updated in place, then a summary line.
case_progress () {
  if ! command -v script >/dev/null 2>&1; then
    n=$((n + 1)); echo "ok $n # SKIP script(1) is not installed"
    return
  fi
  SHELL=/bin/sh script -qec "\"$SWAG_TRANSFER\" content.png style.png -o out.png $SMALL" \
    /dev/null >tty.txt 2>&1
  status=$?
  tr '\r' '\n' <tty.txt | tr -d '\033' | note
  check "exit 0 on a terminal" [ "$status" -eq 0 ]
  check "a bar redrawn in place" \
    eval '[ "$(tr "\r" "\n" <tty.txt | grep -c "^\[[= ]*\] [0-9]*/4  loss ")" -ge 2 ]'
  check "the last evaluation, with the time left" \
    grep -q "\] 4/4  loss [0-9.e+-]*  scale 2/2 48×40  0:[0-9][0-9] (0:[0-9][0-9] left)" tty.txt
  check "a summary line" grep -q "swag-transfer: wrote out.png (48×40) in " tty.txt
  check "the image is written" [ "$(info out.png)" = "png 48 40 4" ]
}

case_preset () {
  # the flag before the preset still wins: presets apply first
  st content.png style.png -o out.png --iterations 4 --preset paper-vgg19 \
     --size 32 $T --report report.jsonl
  expect_run "--iterations 4 --preset paper-vgg19: exit 0"
  check "the preset's settings, with the explicit iterations" \
    "$PYTHON" "$CHECK" run report.jsonl 4 preset=paper-vgg19 pooling=max \
      backbone=vgg19 style-weight=1000000.0 content-weight=1.0 iterations=4 \
      size=32
  st content.png style.png -o out2.png --preset paper-resnet50-swag \
     --backbone vgg19 --smoothing none --size 32 --iterations 3 $T \
     --report report2.jsonl
  expect_run "--preset paper-resnet50-swag --backbone vgg19: exit 0"
  check "explicit backbone and smoothing override the preset" \
    "$PYTHON" "$CHECK" run report2.jsonl 3 backbone=vgg19 smoothing=none \
      style-weight=1e17
  st content.png style.png -o out3.png --preset nosuch
  check "unknown preset: usage error listing the presets" \
    eval '[ "$status" -eq 2 ] && grep -q "paper-vgg19" stderr'
}

# reference CASE FLAGS...: iteration 0 and the diagnosis against PyTorch
reference () {
  id=$1; shift
  st "$REFERENCE/images/content-64x64.png" "$REFERENCE/images/style-64x64.png" \
     -o out.png --size 64 --scales 1 --seed 2021 --init content \
     --iterations 2 $T --diagnose --report report.jsonl --no-match-histogram "$@"
  expect_run "$id: exit 0"
  check "$id: iteration 0 and --diagnose equal the reference" \
    "$PYTHON" "$CHECK" reference report.jsonl "$REFERENCE/reference.json" "$id" diagnose
  check "$id: the diagnosis is printed" grep -q "max Gram" stdout
  check "$id: the report is still a valid run report" \
    "$PYTHON" "$CHECK" run report.jsonl 2
}

# The references use the paper's content layers (relu4_2, conv3_5).
case_reference_vgg19 () {
  reference vgg19-max-none-64x64 --backbone vgg19 --pooling max --smoothing none \
    --content-layers relu4_2
  reference vgg19-avg-none-64x64 --backbone vgg19 --pooling avg --smoothing none \
    --content-layers relu4_2
}

case_reference_resnet50 () {
  reference resnet50-softmax-64x64 --backbone resnet50 --smoothing softmax \
    --temperature 1 --content-layers conv3_5
  reference resnet50-auto-64x64 --backbone resnet50 --smoothing auto \
    --temperature 1 --content-layers conv3_5
}

case_diagnose () {
  mkpng style2.png 44 40 rgb 5
  st --diagnose content.png style.png style2.png --size 48 $T --report diag.jsonl \
    --backbone vgg19 --content-layers relu4_2
  check "--diagnose alone: exit 0" [ "$status" -eq 0 ]
  note stdout
  check "one table per image" \
    [ "$(grep -c -e '^content ' -e '^style ' stdout)" -eq 3 ]
  check "a line per tap (5 style + 1 content taps, 3 images)" \
    [ "$(grep -c '^  relu' stdout)" -eq 18 ]
  check "the report holds one object per image" \
    "$PYTHON" -c 'import json,sys
objs=[json.loads(l) for l in open("diag.jsonl")]
assert [o["diagnose"] for o in objs]==["content","style","style"], objs
assert "settings" in objs[0] and all(len(o["taps"])==6 for o in objs)'
  check "nothing but the report was written" \
    [ "$(ls | sort | tr '\n' ' ')" = "content.png diag.jsonl stderr stdout style.png style2.png " ]

  # The content alone (README's own example): no style to estimate with.
  st --diagnose content.png --size 48 $T --report diag1.jsonl --smoothing auto
  check "--diagnose CONTENT without a style: exit 0" [ "$status" -eq 0 ]
  note stdout
  note stderr
  check "one table, the content's, a line per tap (the default network's 8)" \
    eval '[ "$(grep -c -e "^content " -e "^style " stdout)" -eq 1 ] &&
          grep -q "^content content.png (48×40)" stdout &&
          [ "$(grep -c "^  k[0-9]" stdout)" -eq 8 ]'
  check "the report: one object, the content's, with the settings" \
    "$PYTHON" -c 'import json
objs=[json.loads(l) for l in open("diag1.jsonl")]
assert [o["diagnose"] for o in objs]==["content"], objs
assert objs[0]["settings"]["style-blend"]==[] and len(objs[0]["taps"])==8, objs
assert all(t["temperature"] > 0 for t in objs[0]["taps"].values()), objs'
}

case_batch () {
  mkpng second.png 36 44 rgb 7
  "$IMAGE_TOOL" convert second.png third.jpg
  st --batch results style.png content.png second.png third.jpg $SMALL
  expect_run "--batch DIR STYLE three contents: exit 0"
  check "content.png done" [ "$(info results/content.png)" = "png 48 40 4" ]
  check "second.png done" [ "$(info results/second.png)" = "png 36 44 3" ]
  check "third.jpg done as PNG" [ "$(info results/third.png)" = "png 36 44 3" ]

  st --batch results2 -s style.png -s second.png content.png third.jpg $SMALL \
     --report batch.jsonl
  expect_run "--batch DIR -s STYLE -s STYLE contents: exit 0"
  check "both written" [ "$(ls results2 | tr '\n' ' ')" = "content.png third.png " ]
  check "one report, each run starting with its settings and files" \
    "$PYTHON" -c 'import json
objs=[json.loads(l) for l in open("batch.jsonl")]
starts=[o for o in objs if "settings" in o]
assert [o["iteration"] for o in starts]==[0,0], starts
assert [o["content"] for o in starts]==["content.png","third.jpg"]
assert starts[0]["styles"]==["style.png","second.png"]
assert starts[1]["output"]=="results2/third.png"
assert len(objs)==8, len(objs)'


  st --batch results3 style.png content.png sub/content.jpg $SMALL
  check "two contents with one output name: usage error before any work" \
    eval '[ "$status" -eq 2 ] && [ "$(lines stderr)" -eq 1 ] && [ ! -e results3 ]'
}

case_batch_failure () {
  mkpng second.png 36 44 rgb 7
  echo "not an image" >broken.png
  st --batch results style.png content.png broken.png missing.png second.png $SMALL
  note stderr
  check "a failing file: exit 1" [ "$status" -eq 1 ]
  check "the good ones are written" \
    [ "$(ls results | tr '\n' ' ')" = "content.png second.png " ]
  check "each failure named, then a summary" \
    eval 'grep -q "^swag-transfer: broken.png: " stderr &&
          grep -q "^swag-transfer: missing.png: " stderr &&
          grep -q "2 of 4 .*broken.png, missing.png" stderr &&
          [ "$(lines stderr)" -eq 3 ]'
}

# bad NAME STATUS WORD ARGS...: exit STATUS, one line on stderr that starts
# "swag-transfer: " and holds WORD, and nothing at all in the output folder.
bad () {
  name=$1 want=$2 word=$3; shift 3
  rm -rf o; mkdir o
  st "$@"
  if [ "$status" -eq "$want" ] && [ "$(lines stderr)" -eq 1 ] \
     && grep -q "^swag-transfer: " stderr && grep -q -F -e "$word" stderr \
     && [ -z "$(ls -A o)" ]; then
    ok "$name: exit $status: $(cat stderr)"
  else
    not_ok "$name: exit $status (want $want), $(lines stderr) lines, output folder: $(ls -A o | tr '\n' ' ')"
    note stderr
  fi
}

case_bad_input () {
  O="-o o/out.png $SMALL"
  : >empty.png
  head -c $(($(wc -c <content.png) / 2)) content.png >truncated.png
  "$IMAGE_TOOL" convert content.png whole.jpg
  head -c $(($(wc -c <whole.jpg) - 100)) whole.jpg >truncated.jpg
  echo "hello, I am text" >text.png
  mkdir folder.png
  mkpng one.png 1 1
  mkpng thin.png 1 40
  mkpng wide.png 10000 1
  "$PYTHON" "$FIXTURES" png0 zero.png
  # weights: a ResNet-50 tensor name given to VGG-19, and NaN in VGG's first
  # tensor (each small: the loader refuses them before reading further)
  "$PYTHON" "$FIXTURES" safetensors resnet.safetensors conv1.weight:64,3,7,7
  "$PYTHON" "$FIXTURES" safetensors nan.safetensors \
    features.0.weight:64,3,3,3:nan features.0.bias:64

  bad "missing content" 1 missing.png missing.png style.png $O
  bad "missing style" 1 nostyle.png content.png nostyle.png $O
  bad "empty file" 1 "empty.png: the file is empty" empty.png style.png $O
  bad "truncated PNG" 1 "truncated.png: the PNG file is truncated" truncated.png style.png $O
  bad "truncated JPEG" 1 "truncated.jpg: the JPEG file is truncated" truncated.jpg style.png $O
  bad "text named .png" 1 "text.png: not a PNG or JPEG" text.png style.png $O
  bad "a folder" 1 folder.png folder.png style.png $O
  bad "1x1 PNG" 1 one.png one.png style.png $O
  bad "1x40 PNG" 1 thin.png thin.png style.png $O
  bad "10000x1 PNG" 1 wide.png wide.png style.png $O
  bad "0x0 PNG" 1 zero.png zero.png style.png $O
  bad "1x40 style" 1 thin.png content.png thin.png $O
  bad "unknown backbone" 2 "vgg19, resnet50" content.png style.png $O --backbone vgg20
  bad "unknown smoothing" 2 "softmax" content.png style.png $O --smoothing soft
  bad "iterations 0" 2 "iterations must be between 1 and 100000 (got 0)" content.png style.png $O --iterations 0
  bad "iterations -3" 2 "iterations must be between" content.png style.png $O --iterations -3
  bad "iterations abc" 2 "--iterations" content.png style.png $O --iterations abc
  bad "style weight -1" 2 "style-weight must be between 0 and" content.png style.png $O --style-weight -1
  bad "content weight -1" 2 "content-weight must be between 0 and" content.png style.png $O --content-weight -1
  bad "temperature 0" 2 "temperature must be between 1e-06 and" content.png style.png $O --temperature 0
  bad "size 8" 2 "size must be between 16 and 16384 (got 8)" content.png style.png $O --size 8
  bad "unknown tap" 2 "relu9_9" content.png style.png $O --backbone vgg19 --style-layers relu1_1,relu9_9
  bad "blend count" 2 "--style-blend" content.png style.png $O --style-blend 1,2
  bad "blend all zero" 2 "--style-blend" content.png style.png $O --style-blend 0
  bad "threads -1" 2 "--threads" content.png style.png $O --threads -1
  bad "weights of the other backbone" 1 resnet.safetensors content.png style.png $O --weights resnet.safetensors
  bad "weights with NaN" 1 nan.safetensors content.png style.png $O --weights nan.safetensors
  bad "missing weights file" 1 nothere.safetensors content.png style.png $O --weights nothere.safetensors
  # (no data folder with weights: the error lists those searched, on one line)
  ST_ENV="XDG_DATA_DIRS=$work/none"
  bad "pretrained weights not installed" 1 "$work/none/swag-style/weights." content.png style.png $O --backbone vgg19 --weights pretrained
  ST_ENV=
  bad "ablation net with pretrained" 1 "random weights only" content.png style.png $O --backbone pseudo-vgg --weights pretrained
  bad "out of memory" 1 "memory" content.png style.png $O --memory-limit 1
  bad "unknown output extension" 2 "out.tif" content.png style.png -o o/out.tif $SMALL
  bad "output without extension" 2 "o/out" content.png style.png -o o/out $SMALL
  bad "output folder missing" 1 "o/nothere/out.png" content.png style.png -o o/nothere/out.png $SMALL
  bad "unknown flag" 2 "--frobnicate" content.png style.png $O --frobnicate
  bad "no style" 2 "style" content.png $O
  bad "-o and --batch" 2 "--batch" content.png style.png $O --batch o
  bad "nothing to do" 2 "-o OUT" content.png style.png
}

case_output () {
  echo old >out.png
  st content.png missing.png -o out.png $SMALL
  check "a failed run leaves an existing OUT alone" [ "$(cat out.png)" = old ]
  st content.png style.png -o out.png $SMALL
  expect_run "a good run replaces it"
  check "now an image" [ "$(info out.png)" = "png 48 40 4" ]
  check "no temporary file left" \
    [ "$(ls | sort | tr '\n' ' ')" = "content.png out.png stderr stdout style.png " ]
}

case_sigint () {
  mkpng big.png 64 64 rgb 4
  # sh starts background commands with SIGINT ignored (and swag-transfer
  # then leaves it so, as it should); dash cannot undo that with trap, so a
  # small exec wrapper puts the default back.
  "$PYTHON" -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' \
    "$SWAG_TRANSFER" big.png style.png -o o.png --size 64 --iterations 100000 \
     $T --report report.jsonl >stdout 2>stderr &
  pid=$!
  # Interrupt once the run is optimising (a report line exists), not while
  # it is still loading.
  i=0
  while [ ! -s report.jsonl ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
  sleep 1
  kill -INT "$pid"
  # Should it not stop, it is killed after a minute and the case fails,
  # rather than running into meson's timeout with a stray process.
  # (A loop that ends when told, not a sleep 60 left behind holding the
  # test's output open.)
  (
    i=0
    while [ ! -e "$work/stopped" ] && [ $i -lt 600 ]; do
      sleep 0.1; i=$((i + 1))
    done
    [ -e "$work/stopped" ] || kill -KILL "$pid"
  ) >/dev/null 2>&1 &
  watchdog=$!
  wait "$pid"
  status=$?
  : >"$work/stopped"
  wait "$watchdog"
  echo "# $(wc -l <report.jsonl) evaluations before the interrupt"
  check "SIGINT: exit 130" [ "$status" -eq 130 ]
  check "SIGINT: one line on stderr" [ "$(lines stderr)" -eq 1 ]
  check "SIGINT: no output, no temporary file" \
    [ "$(ls | sort | tr '\n' ' ')" = "big.png content.png report.jsonl stderr stdout style.png " ]
}

case "$case_name" in
  help|run-png|run-jpeg|report|flags|progress|preset|reference-vgg19|\
  reference-resnet50|diagnose|batch|batch-failure|bad-input|output|sigint)
    "case_$(echo "$case_name" | tr - _)"
    finish ;;
  *)
    echo "Bail out! unknown case $case_name"
    exit 99 ;;
esac
