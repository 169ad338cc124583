# Steps of the case gui-dialog, sourced by gui-session.sh (which defines
# $out, $lib and $case): the bundled photograph and painting as inputs, the
# dialog's test hooks on. The first dialog is cancelled while its preview
# runs. In the second: a picture, a change of the style strength (the
# preview starts again), another picture a few seconds later, a look at
# the Advanced page, then OK.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.

samples=$(cd "$(dirname "$lib")/../../data/samples" && pwd)
cp "$samples/chelsea.png" "$samples/the_scream.jpg" "$out/"

# The dialog writes its mnemonics, the preview's place in the window, a
# line per preview frame and the longest main-loop stall here.
SWAG_DIALOG_TEST_DIR=$out
SWAG_DIALOG_STALL_LOG=1
export SWAG_DIALOG_TEST_DIR SWAG_DIALOG_STALL_LOG

frame_count () {
  if [ -f "$out/frames.txt" ]; then
    wc -l < "$out/frames.txt"
  else
    echo 0
  fi
}

# Waits until the preview has shown $1 frames; at most $2 seconds.
wait_frames () {
  tenths=0
  while [ "$(frame_count)" -lt "$1" ]; do
    tenths=$((tenths + 1))
    if [ $tenths -gt $(($2 * 10)) ]; then
      echo "gui-dialog: after $2 s the preview had shown $(frame_count) frames, not $1"
      return 0
    fi
    sleep 0.1
  done
}

dialogs=0

# Escape while the preview runs; returns when the window has gone.
cancel_dialog () {
  wait_frames 1 120
  xdotool windowfocus --sync "$1" key Escape
  echo "gui-dialog: pressed Escape in the first dialog"
  tenths=0
  while xdotool search --onlyvisible --name "^$dialog_title\$" 2>/dev/null |
        grep -qx "$1"; do
    tenths=$((tenths + 1))
    [ $tenths -le 300 ] || break
    sleep 0.1
  done
}

on_dialog () {
  dialogs=$((dialogs + 1))
  if [ $dialogs = 1 ]; then
    cancel_dialog "$1"
    return 1
  fi

  # No tooltip in the pictures.
  xdotool mousemove 1365 767 || true

  wait_frames $(($(frame_count) + 2)) 120
  import -window "$1" "$out/shot-1.png" || true
  first=$(frame_count)
  echo "gui-dialog: first picture after $first preview frames"

  # The first evaluations change the picture little. The second picture
  # is also the README's (nothing has been touched yet).
  sleep 3
  wait_frames $((first + 10)) 120
  import -window "$1" "$out/shot-2.png" || true
  cp "$out/shot-2.png" "$out/dialog.png"
  echo "gui-dialog: second picture after $(frame_count) preview frames"

  # A setting changes: Alt+G goes to the style strength, Up adds a step.
  # The preview starts again after a pause.
  xdotool windowfocus --sync "$1" key alt+g Up
  echo "gui-dialog: raised the style strength"
  sleep 1
  wait_frames $(($(frame_count) + 3)) 120

  # The Advanced page, for a look (its first showing, where GTK lays out
  # its many controls, is the dialog's longest stall). Clicking its tab
  # moves the focus to the tabs, where Return would not reach OK: OK by
  # its mnemonic.
  # shellcheck disable=SC2046 # X Y
  xdotool mousemove --window "$1" $(cat "$out/advanced-tab.txt") click 1 \
    mousemove 1365 767 || true
  sleep 1
  import -window "$1" "$out/advanced.png" || true
  # The window's size on the Advanced page, the taller one (a capture
  # would be cut at the screen's edge; xwininfo is not).
  xwininfo -id "$1" | awk '/^ *Width:/ { w = $2 } /^ *Height:/ { h = $2 }
                           END { print w, h }' > "$out/window-size.txt" || true

  # (gui-repeat-undo presses OK with Return, the default.)
  xdotool windowfocus --sync "$1" key alt+o
  echo "gui-session: pressed OK in the dialog (Alt+O)"
}
