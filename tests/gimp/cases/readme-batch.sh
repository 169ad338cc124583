#!/bin/sh
# The README's two Script-Fu examples, as printed there, with the README's
# example paths replaced by this case's files:
# - the one-image example (the ```scheme block), on photo.png with
#   painting.png, saved as one-swag.png;
# - the folder command (the indented gimp-console-3.0 block after "A folder
#   of files"), run from the top folder as the README says: every photo*.png
#   of the inputs stylised with painting.png into this case's output folder.
#
#   readme-batch.sh INPUTS OUT TOP      (run by run-gimp-tests.sh)
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu
inputs=$1 out=$2 top=$3
readme=$top/README.md

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# Replaces each FROM with TO in the text on stdin; fails when a FROM is not
# there (the README changed: this case must follow it).
replace () {
  text=$(cat)
  while [ $# -ge 2 ]; do
    case $text in
      *"$1"*) ;;
      *) fail "the README's example no longer holds $1" ;;
    esac
    text=$(printf '%s' "$text" | FROM=$1 TO=$2 awk '
      { s = $0; r = ""
        while ((i = index(s, ENVIRON["FROM"])) > 0) {
          r = r substr(s, 1, i - 1) ENVIRON["TO"]
          s = substr(s, i + length(ENVIRON["FROM"])) }
        print r s }')
    shift 2
  done
  printf '%s\n' "$text"
}

# GIMP exits 0 even when a batch command fails; its log says so.
run_gimp () {
  log=$1
  shift
  status=0
  "$@" > "$log" 2>&1 || status=$?
  cat "$log"
  [ "$status" = 0 ] || fail "GIMP exited with status $status"
  if grep -q 'batch command experienced an execution error' "$log"; then
    fail "a batch command failed (above)"
  fi
}

# 1. One image.
one=$(awk '/^```scheme$/ { on = 1; next } on && /^```$/ { exit } on' "$readme" |
      replace /path/photo.jpg "$inputs/photo.png" \
              /path/painting.jpg "$inputs/painting.png" \
              /path/photo-swag.png "$out/one-swag.png")
[ -n "$one" ] || fail "no \`\`\`scheme block in $readme"
echo "README one-image example:"
printf '%s\n' "$one"
run_gimp "$out/one.log" timeout 300 gimp-console-3.0 -i --quit \
  --batch-interpreter plug-in-script-fu-eval -b "(begin $one)"

# 2. A folder of files: the indented block after "A folder of files".
folder=$(awk '/^A folder of files/ { seen = 1; next }
              seen && /^    / { on = 1; sub(/^    /, ""); print; next }
              on { exit }' "$readme" |
         replace /photos/styled "$out" \
                 /photos/'*'.jpg "$inputs/photo*.png" \
                 /paintings/scream.jpg "$inputs/painting.png")
case $folder in
  gimp-console-3.0*) ;;
  *) fail "no gimp-console-3.0 command after \"A folder of files\" in $readme" ;;
esac
echo "README folder command:"
printf '%s\n' "$folder"
cd "$top"
run_gimp "$out/folder.log" timeout 300 sh -c "$folder"

echo SWAG-CASE-OK
