#!/bin/sh
# Runs a GUI test case of the swag-style plug-in: GIMP 3 (not the console)
# under Xvfb, with this script as the user at the keyboard.
#
#   gui-session.sh INPUTS OUT LIB.scm CASE.scm
#
# The case talks to this script through files in OUT:
# - when the plug-in's dialog "SWAG Style Transfer" shows, this script saves
#   a picture of it (dialog.png) and presses Return (OK);
# - for each file OUT/request-undo-N the case writes, it presses Ctrl+Z in
#   the image window, once, and writes OUT/done-undo-N.
# A case may bring its own steps in cases/CASE.session.sh, which this
# script sources before GIMP starts: it may export variables for GIMP and
# the plug-in, and define on_dialog WINDOW to replace what is done when the
# dialog shows (by default, the picture and OK); when on_dialog returns
# non-zero, the next dialog to show is handed to it too.
# GIMP3_DIRECTORY must name the (throwaway) profile. Exits with GIMP's
# status.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

inputs=$1 out=$2 lib=$3 case=$4
dialog_title='SWAG Style Transfer'

# The default for the dialog: a picture of it, then OK.
on_dialog () {
  sleep 1 # let it draw
  import -window "$1" "$out/dialog.png" || true
  xdotool windowfocus --sync "$1" key Return
  echo "gui-session: pressed OK in the dialog"
}

session=${case%.scm}.session.sh
if [ -f "$session" ]; then
  # shellcheck disable=SC1090 # the case's own steps
  . "$session"
fi

# Xvfb picks a free display and writes its number to fd 5.
displayfile=$out/display
Xvfb -displayfd 5 -screen 0 1366x768x24 -nolisten tcp 5>"$displayfile" \
  >"$out/xvfb.log" 2>&1 &
xvfb=$!
gimp=

# shellcheck disable=SC2317 # called by the trap
cleanup () {
  if [ -n "$gimp" ]; then kill "$gimp" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

i=0
while [ ! -s "$displayfile" ]; do
  i=$((i + 1))
  [ $i -le 100 ] || { echo "gui-session: Xvfb did not start" >&2; exit 1; }
  sleep 0.1
done
DISPLAY=:$(cat "$displayfile")
export DISPLAY

# One batch command: each runs in a fresh interpreter.
gimp-3.0 -n -s --batch-interpreter plug-in-script-fu-eval \
  -b "(begin (define swag-inputs \"$inputs\") (define swag-out \"$out\")
             (load \"$lib\") (load \"$case\"))" \
  --quit &
gimp=$!

# The window of the image: GIMP's main window (single-window mode) or the
# image window, whose title ends in "GIMP".
image_window () {
  xdotool search --onlyvisible --name 'GIMP$' 2>/dev/null | head -n 1
}

dialog_done=
while kill -0 "$gimp" 2>/dev/null; do
  if [ -z "$dialog_done" ]; then
    window=$(xdotool search --onlyvisible --name "^$dialog_title\$" \
               2>/dev/null | head -n 1 || true)
    if [ -n "$window" ] && on_dialog "$window"; then
      dialog_done=yes
    fi
  fi

  for request in "$out"/request-undo-*; do
    [ -e "$request" ] || continue
    n=${request##*-}
    [ -e "$out/done-undo-$n" ] && continue
    window=$(image_window)
    if [ -n "$window" ]; then
      xdotool windowfocus --sync "$window" key ctrl+z
      echo "gui-session: pressed Ctrl+Z ($n)"
      : > "$out/done-undo-$n"
    fi
  done
  sleep 0.3
done

status=0
wait "$gimp" || status=$?
gimp=
exit $status
