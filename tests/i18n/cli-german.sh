#!/bin/sh
# swag-transfer speaks the user's language: with LANG=de_DE.UTF-8 its
# --help and its errors (its own and the engine's, which come through the
# same domain) are German; LANGUAGE picks French and Spanish; LANG=C stays
# English. Runs the command line built with its catalog folder set to the
# build tree's (SWAG_TRANSFER_PO, see meson.build here); the installed
# program's folder is checked by the 'installed' test.
#
# The German locale: the system's when it has one, else made here with
# localedef into the test's own folder and used through LOCPATH (no root
# needed, the system untouched). Exits 77 (skip) when it cannot be made
# (localedef or the locale sources of the 'locales' package missing),
# except under CI=true, where that is a failure.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
set -eu

prog=${SWAG_TRANSFER_PO:?set SWAG_TRANSFER_PO to the test build of swag-transfer}
tmp=${TMPDIR:-/tmp}/swag-i18n-cli.$$
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p "$tmp"

skip () {
  echo "SKIP: $*"
  if [ "${CI:-}" = true ]; then
    echo "CI=true: the German locale must be available (install 'locales')" >&2
    exit 1
  fi
  exit 77
}

failures=0
ok () { echo "ok: $*"; }
not_ok () { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

unset LC_ALL LC_MESSAGES LANGUAGE LOCPATH

if ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\{0,1\}8'; then
  command -v localedef >/dev/null 2>&1 || skip "no de_DE.UTF-8 locale and no localedef"
  mkdir -p "$tmp/locale"
  # localedef exits 1 on mere warnings: judge by the locale it made.
  localedef -i de_DE -f UTF-8 "$tmp/locale/de_DE.UTF-8" >"$tmp/localedef.log" 2>&1 || true
  [ -f "$tmp/locale/de_DE.UTF-8/LC_MESSAGES/SYS_LC_MESSAGES" ] ||
    skip "no de_DE.UTF-8 locale, and localedef could not make one: $(tail -n 1 "$tmp/localedef.log")"
  LOCPATH=$tmp/locale
  export LOCPATH
  echo "note: de_DE.UTF-8 made with localedef, used through LOCPATH"
fi

# Runs env "$@"; the output (stdout and stderr) in $out.
run () {
  out=$(env "$@" 2>&1) || true
}

expect () { # what, text the output must hold
  if printf '%s\n' "$out" | grep -qF -- "$2"; then
    ok "$1"
  else
    not_ok "$1: no \"$2\" in:"
    printf '%s\n' "$out" | sed 's/^/    /' >&2
  fi
}

# --help: the option descriptions, the placeholders, the summary.
run LANG=de_DE.UTF-8 "$prog" --help
expect "--help in German: an option" "Das Ergebnis nach AUSGABE schreiben (.png, .jpg oder .jpeg)"
expect "--help in German: the usage line" "INHALT STIL [STIL…] -o AUSGABE"
expect "--help in German: the summary" "Stilisiert INHALT im Stil von STIL"
expect "--help in German: a setting of the engine's table, with its choices" "Das Netzwerk, dessen Merkmale Stil und Inhalt bestimmen (multiscale, vgg19"
expect "--help in German: a range and a default" "(1 bis 100000; Vorgabe 300)"

run LANG=C "$prog" --help
expect "--help under LANG=C stays English" "Write the result to OUT (.png, .jpg or .jpeg)"

run LANG=de_DE.UTF-8 LANGUAGE=fr "$prog" --help
expect "LANGUAGE=fr: French" "Écrire le résultat dans SORTIE (.png, .jpg ou .jpeg)"
run LANG=de_DE.UTF-8 LANGUAGE=es "$prog" --help
expect "LANGUAGE=es: Spanish" "Escribir el resultado en SALIDA (.png, .jpg o .jpeg)"

# Errors: the command line's own, and the engine's (its domain is bound by
# the command line only).
run LANG=de_DE.UTF-8 "$prog"
expect "an error of the command line in German" "nichts zu tun: -o AUSGABE, --batch ORDNER oder --diagnose angeben"
run LANG=de_DE.UTF-8 "$prog" --iterations=0 -o "$tmp/x.png" a.png b.png
expect "an error of the engine in German" "iterations muss zwischen 1 und 100000 liegen (erhalten: 0)"
run LANG=de_DE.UTF-8 LANGUAGE=fr "$prog" --iterations=0 -o "$tmp/x.png" a.png b.png
expect "an error of the engine in French" "iterations doit être compris entre 1 et 100000 (reçu 0)"
run LANG=de_DE.UTF-8 "$prog" --smoothing=wavy -o "$tmp/x.png" a.png b.png
expect "a composed error of the engine in German" "Unbekannter Wert »wavy« für smoothing; möglich sind: none, softmax"

if [ "$failures" -gt 0 ]; then
  echo "$failures check(s) failed" >&2
  exit 1
fi
