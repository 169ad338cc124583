# Steps of the case gui-cancel, sourced by gui-session.sh (which defines
# $inputs, $out, $lib and $case). The first dialog: Escape while its
# preview runs. The second: OK, which starts the full run; when the
# plug-in's progress text says the second scale has begun, a picture of
# the screen (GIMP's window made as large as the screen, so that the
# status bar shows the text), then a click on the Cancel button of GIMP's
# progress in the status bar. The button is found where the status bar
# changed when the progress began: the rightmost changed part of the
# bottom of the screen, compared with a picture taken before OK (the
# dialog, at the top left, does not reach down there).
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.

samples=$(cd "$(dirname "$lib")/../../data/samples" && pwd)
cp "$samples/chelsea.png" "$samples/the_scream.jpg" "$out/"

# The dialog writes a line per preview frame; the plug-in each progress
# text.
SWAG_DIALOG_TEST_DIR=$out
SWAG_PROGRESS_LOG=$out/progress.txt
export SWAG_DIALOG_TEST_DIR SWAG_PROGRESS_LOG

# A memory limit just above what the full run needs with 5 L-BFGS pairs
# (as progress.sh finds it), so that GIMP's status bar shows the engine's
# note with the progress (progress-scale-2.png).
"$SWAG_CLI" --memory-limit 1 --backbone vgg19 --size 320 --scales 2 -n 60 \
  "$out/chelsea.png" "$out/the_scream.jpg" -o "$out/unused.png" \
  > "$out/estimate.txt" 2>&1 || true
need=$(sed -n 's/.*this run needs \([0-9][0-9]*\) MiB.*/\1/p' "$out/estimate.txt")
if [ -n "$need" ]; then
  SWAG_MEMORY_LIMIT=$(( (need + 1) * 1048576 ))
  export SWAG_MEMORY_LIMIT
fi

# Waits until FILE has a line matching the extended regexp; at most $3 s.
wait_line () {
  tenths=0
  until [ -f "$1" ] && grep -q -E -e "$2" "$1"; do
    tenths=$((tenths + 1))
    if [ $tenths -gt $(($3 * 10)) ]; then
      echo "gui-cancel: after $3 s no line of $1 matches $2"
      return 1
    fi
    sleep 0.1
  done
}

# Waits until window $1 is gone; at most 30 s.
wait_gone () {
  tenths=0
  while xdotool search --onlyvisible --name "^$dialog_title\$" 2>/dev/null |
        grep -qx "$1"; do
    tenths=$((tenths + 1))
    [ $tenths -le 300 ] || return 1
    sleep 0.1
  done
}

now () {
  date +%s.%N
}

# The bottom of the screen: the status bar's row only (the tool options
# and the layers dock above and beside it change during a run too: a
# box over them would miss the button).
bottom=738

dialogs=0
on_dialog () {
  dialogs=$((dialogs + 1))
  xdotool mousemove 1365 767 || true # no tooltips, no cursor position

  if [ $dialogs = 1 ]; then
    wait_line "$out/frames.txt" '^frame 1 ' 120 || true
    import -window root "$out/preview-running.png" || true
    now > "$out/escape-1.txt"
    xdotool windowfocus --sync "$1" key Escape
    echo "gui-cancel: pressed Escape while the preview ran"
    wait_gone "$1" || echo "gui-cancel: the dialog did not close"
    return 1 # the next dialog comes here too
  fi

  # GIMP's window as large as the screen: the status bar has room.
  main=$(image_window)
  if [ -n "$main" ]; then
    xdotool windowmove "$main" 0 0 windowsize "$main" 1366 768 || true
  fi
  sleep 2
  import -window root "$out/before-run.png" || true
  now > "$out/ok-2.txt"
  xdotool windowfocus --sync "$1" key Return
  echo "gui-cancel: pressed OK"

  if ! wait_line "$out/progress.txt" '(^| )[Ss]cale 2 of 2: ' 240; then
    return 0
  fi
  sleep 1
  import -window root "$out/progress-scale-2.png" || true
  # The changed part of the bottom of the screen: WxH+X+Y.
  box=$(convert "$out/before-run.png" "$out/progress-scale-2.png" \
          -crop "1366x$((768 - bottom))+0+$bottom" +repage \
          -compose difference -composite -threshold 5% \
          -format '%@' info: 2>/dev/null || true)
  echo "gui-cancel: the status bar changed in $box (from y $bottom)"
  echo "$box" > "$out/changed-box.txt"
  w=${box%%x*} rest=${box#*x}
  h=${rest%%+*} rest=${rest#*+}
  x=${rest%%+*} y=${rest#*+}
  if [ -z "$box" ] || [ "$w" -lt 40 ]; then
    echo "gui-cancel: no status bar change found"
    return 0
  fi
  cx=$((x + w - 25)) cy=$((bottom + y + h / 2))
  tail -n 1 "$out/progress.txt" > "$out/progress-at-cancel.txt"
  now > "$out/click-2.txt"
  xdotool mousemove "$cx" "$cy" click 1 mousemove 1365 767
  echo "gui-cancel: clicked Cancel at $cx,$cy"
}
