# Steps of the case gui-german, sourced by gui-session.sh (which defines
# $out): GIMP and the plug-in run with LANG=de_DE.UTF-8. The locale is made
# here with localedef, into this case's folder, and found through LOCPATH:
# the root (or the host) stays as it was, and a fresh case makes it again.
# The dialog is found by its German title; the dialog writes its mnemonics
# (SWAG_DIALOG_TEST_DIR); the session takes its picture and the title the
# window manager sees, then presses OK.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.

locales=$(dirname "$out")/locale
mkdir -p "$locales"
# localedef exits 1 on mere warnings: judge by the locale it made.
localedef -i de_DE -f UTF-8 "$locales/de_DE.UTF-8" \
  >"$out/localedef.log" 2>&1 || true
if [ ! -f "$locales/de_DE.UTF-8/LC_MESSAGES/SYS_LC_MESSAGES" ]; then
  echo "gui-german: localedef could not make de_DE.UTF-8 (the 'locales'" \
       "package has its sources):" >&2
  cat "$out/localedef.log" >&2
  exit 1
fi
LOCPATH=$locales
LANG=de_DE.UTF-8
SWAG_DIALOG_TEST_DIR=$out
export LOCPATH LANG SWAG_DIALOG_TEST_DIR
unset LANGUAGE LC_ALL LC_MESSAGES

# The title of po/de.po's "SWAG Style Transfer".
dialog_title='SWAG-Stilübertragung'

on_dialog () {
  sleep 1 # let it draw
  xdotool mousemove 1365 767 || true # no tooltip in the picture
  import -window "$1" "$out/dialog.png" || true
  xdotool getwindowname "$1" > "$out/dialog-title.txt" || true
  xdotool windowfocus --sync "$1" key Return
  echo "gui-german: pressed OK in the dialog"
}
