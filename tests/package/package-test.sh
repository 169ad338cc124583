#!/bin/sh
# The Debian packages of debian/, built and installed as the README's
# "Install from the package" says, by its own commands, on systems that hold
# nothing else of the project:
#
#   package-test.sh host   this host (Debian 12): the README's build command
#                          for it (plug-in left out by the build profile
#                          pkg.swag-style.noplugin, unless the host has GIMP
#                          3's development files) in a throwaway copy of the
#                          host; lintian on the packages; then, in a second,
#                          fresh copy, the README's install command installs
#                          swag-transfer alone, without GIMP, and
#                          /usr/bin/swag-transfer --help runs.
#   package-test.sh gimp   the Debian 13 root of tools/gimp-root.sh (GIMP 3):
#                          the README's Debian 13 build command makes both
#                          packages in one throwaway copy of the root; lintian
#                          and appstreamcli (Debian 13's) check them; a second,
#                          fresh copy, which never saw the source, installs
#                          them with the README's apt-get command and runs the
#                          README's Script-Fu example against the installed
#                          plug-in, and swag-transfer from /usr/bin.
#
# The throwaway copies are overlays (copy-on-write) of / or of the root, in
# a private mount namespace on a tmpfs: nothing is installed on the host or
# into the cached root, and the mounts end with the test. /work is hidden
# in them. The source is what a fresh clone holds: git's tracked files, as
# they are in the work tree (outside git: the tree without build folders).
# "sudo" in the README's commands is a no-op here (the test runs as root),
# and apt-get answers yes to its questions.
#
# Environment: SWAG_SOURCE_DIR, SWAG_BUILD_DIR (required; the work folder is
# BUILD/package-tests/MODE, which keeps the logs, the packages and the
# outputs). Needs root (mount, chroot); exits 77 (skip) without it or
# without the root, unless CI=true, where that is a failure.
#
# Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.

# shellcheck disable=SC2015 # "check && check || fail": fail when either fails
set -eu

mode=${1:?usage: package-test.sh host|gimp}
here=$(cd "$(dirname "$0")" && pwd)
src=${SWAG_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
build=${SWAG_BUILD_DIR:?set SWAG_BUILD_DIR to the meson build folder}
work=$(mkdir -p "$build/package-tests/$mode" && cd "$build/package-tests/$mode" && pwd)

skip () {
  echo "SKIP: $*" >&2
  if [ "${CI:-}" = true ]; then
    echo "CI=true: a skipped package test is a failure" >&2
    exit 1
  fi
  exit 77
}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

ok () {
  echo "ok: $*"
}

start=$(date +%s)
step () {
  echo "== $(( $(date +%s) - start )) s: $*"
}

# ----------------------------------------------------- the mount namespace --

if [ -z "${SWAG_PACKAGE_NS:-}" ]; then
  [ "$(id -u)" = 0 ] ||
    skip "the throwaway copies of the system need root (mount, chroot)"
  unshare --mount --fork true 2>/dev/null ||
    skip "no mount namespace here (unshare --mount)"
  if [ "$mode" = gimp ]; then
    # Made (or found) outside the namespace: gimp-root.sh prints its path.
    SWAG_PACKAGE_LOWER=$("$src/tools/gimp-root.sh") ||
      skip "no Debian 13 root (tools/gimp-root.sh, above)"
  else
    SWAG_PACKAGE_LOWER=/
  fi
  export SWAG_PACKAGE_LOWER
  SWAG_PACKAGE_NS=1 exec unshare --mount --fork --propagation private \
    sh "$0" "$@"
fi
lower=$SWAG_PACKAGE_LOWER

# ------------------------------------------------------ the README's text --

readme=$src/README.md
# The indented block after the line that starts with $1.
readme_block () {
  START=$1 awk 'index($0, ENVIRON["START"]) == 1 { seen = 1; next }
                seen && /^    / { on = 1; sub(/^    /, ""); print; next }
                on { exit }' "$readme"
}

if [ "$mode" = gimp ]; then
  intro='On Debian 13, Ubuntu 25.04 and later'
else
  # The host builds the plug-in too when it has GIMP 3's development files.
  if pkg-config --atleast-version=3.0 gimp-3.0 2>/dev/null; then
    intro='On Debian 13, Ubuntu 25.04 and later'
  else
    intro='On Debian 12'
  fi
fi
block=$(readme_block "$intro")
[ -n "$block" ] || fail "no command block after \"$intro\" in README.md"
# The last line installs, the lines before it build.
build_cmd=$(printf '%s\n' "$block" | sed '$d')
install_cmd=$(printf '%s\n' "$block" | sed -n '$p')
case $install_cmd in
  "sudo apt-get install "*) ;;
  *) fail "the README's block after \"$intro\" does not end with sudo apt-get install: $install_cmd" ;;
esac
case $build_cmd in
  *dpkg-buildpackage*) ;;
  *) fail "the README's block after \"$intro\" does not build with dpkg-buildpackage" ;;
esac
echo "README, $intro:"
printf '  %s\n' "$build_cmd" "$install_cmd"

# The README's one-image Script-Fu example, as printed but for its 300
# iterations, 20 here (300 take 4 minutes even on a small photograph; the
# GIMP test gimp-readme-batch runs all 300 on the plug-in built from source).
one=$(awk '/^```scheme$/ { on = 1; next } on && /^```$/ { exit } on' "$readme")
[ -n "$one" ] || fail "no \`\`\`scheme block in README.md"
case $one in
  *'#:iterations 300'*) one=$(printf '%s\n' "$one" | sed 's/#:iterations 300/#:iterations 20/') ;;
  *) fail "the README's example no longer holds #:iterations 300: follow it here" ;;
esac

# ------------------------------------------------------ throwaway systems --

rm -rf "$work"
mkdir -p "$work/mnt" "$work/debs" "$work/out"
mount -t tmpfs -o mode=755 swag-package-test "$work/mnt"

# new_system NAME: a fresh copy-on-write copy of the lower system at
# $work/mnt/NAME/root, with /proc, /dev, a private /tmp and /work hidden.
new_system () {
  d=$work/mnt/$1
  mkdir -p "$d/upper" "$d/work" "$d/root"
  mount -t overlay overlay \
    -o "lowerdir=$lower,upperdir=$d/upper,workdir=$d/work" "$d/root"
  mount -t proc proc "$d/root/proc"
  if [ "$lower" = / ]; then
    mount --rbind /dev "$d/root/dev"
  fi
  mount -t tmpfs tmpfs "$d/root/tmp"
  if [ -d "$d/root/work" ]; then
    mount -t tmpfs tmpfs "$d/root/work"
  fi
  # apt-get says yes (the README's commands are run as printed).
  printf 'APT::Get::Assume-Yes "true";\n' \
    > "$d/root/etc/apt/apt.conf.d/99swag-package-test"
  echo "$d/root"
}

# in_system ROOT DIR CMD...: CMD in ROOT, in folder DIR, as root, with a
# clean environment; leading NAME=VALUE arguments of CMD add variables.
in_system () {
  r=$1 dir=$2
  shift 2
  # shellcheck disable=SC2016 # expanded by the inner shell
  nice -n 10 chroot "$r" /usr/bin/env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    sh -c 'cd "$1" && shift && exec env "$@"' sh "$dir" "$@"
}

# A README command in ROOT, in folder DIR; "sudo" is the command itself.
readme_cmd () {
  r=$1 dir=$2 cmd=$3
  shift 3
  # shellcheck disable=SC2016 # expanded by the inner shell
  in_system "$r" "$dir" "$@" sh -ec 'sudo () { "$@"; }
eval "$1"' sh "$cmd"
}

# The source as a fresh clone has it.
copy_source () {
  dst=$1
  mkdir -p "$dst"
  if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$src" && git ls-files -z --cached |
       tar --null -T - --ignore-failed-read -cf -) | tar -C "$dst" -xf -
  else
    (cd "$src" && tar --exclude=./.git --exclude='./build*' --exclude=./out \
       -cf - .) | tar -C "$dst" -xf -
  fi
}

# ------------------------------------------------------------------ build --

step "building in a copy of $lower"
a=$(new_system build)
copy_source "$a/build/swag-style"
if ! readme_cmd "$a" /build/swag-style "$build_cmd" \
       DEB_BUILD_OPTIONS=parallel=2 > "$work/build.log" 2>&1; then
  tail -n 60 "$work/build.log"
  fail "the README's build command failed (log: $work/build.log)"
fi
grep -E -i '(^|[^-])(warning|error):' "$work/build.log" | grep -v '^dpkg' |
  sed 's/^/build: /' || true
for deb in "$a"/build/*.deb; do
  cp "$deb" "$work/debs/"
done
ls -l "$work/debs"

deb () {
  for f in "$work/debs/$1"_*.deb; do
    [ -f "$f" ] && basename "$f" && return 0
  done
  return 1
}
transfer_deb=$(deb swag-transfer) || fail "no swag-transfer package was built"
if [ "$intro" = 'On Debian 12' ]; then
  plugin_deb=
  if deb gimp-plugin-swag-style >/dev/null; then
    fail "the profile pkg.swag-style.noplugin still built gimp-plugin-swag-style"
  fi
  ok "Debian 12: swag-transfer built, the plug-in's package left out"
else
  plugin_deb=$(deb gimp-plugin-swag-style) ||
    fail "no gimp-plugin-swag-style package was built"
  ok "both packages built"
fi

depends=$(dpkg-deb -f "$work/debs/$transfer_deb" Depends)
echo "swag-transfer Depends: $depends"
case $depends in
  *gimp*) fail "swag-transfer depends on GIMP: $depends" ;;
esac
if [ -n "$plugin_deb" ]; then
  depends=$(dpkg-deb -f "$work/debs/$plugin_deb" Depends)
  echo "gimp-plugin-swag-style Depends: $depends"
  version=$(in_system "$a" / pkg-config --modversion gimp-3.0)
  case $depends in
    *"gimp (>= $version), gimp (<< 4~)"*) ok "the plug-in depends on GIMP >= $version, < 4" ;;
    *) fail "the plug-in does not depend on the GIMP 3 it was built with ($version)" ;;
  esac
fi

step "lintian"
# The system's own lintian (Debian 12's on the host, 13's in the root): no
# error and no warning, except what debian/*.lintian-overrides explain.
# shellcheck disable=SC2086 # $plugin_deb is empty on Debian 12
if ! in_system "$a" /build lintian --fail-on error,warning --info \
       $transfer_deb $plugin_deb > "$work/lintian.log" 2>&1; then
  cat "$work/lintian.log"
  fail "lintian found errors or warnings"
fi
cat "$work/lintian.log"
ok "lintian $(in_system "$a" / lintian --print-version): no errors, no warnings"

# ---------------------------------------------------------------- install --

step "installing in a fresh copy of $lower"
b=$(new_system install)
[ ! -e "$b/build" ] && [ -z "$(ls -A "$b/work" 2>/dev/null)" ] ||
  fail "the fresh copy of $lower holds a source tree"
! in_system "$b" / sh -c 'command -v swag-transfer' >/dev/null ||
  fail "swag-transfer is already installed in $lower"
mkdir -p "$b/root/packages/swag-style"
cp "$work/debs/$transfer_deb" "$b/root/packages/"
[ -z "$plugin_deb" ] || cp "$work/debs/$plugin_deb" "$b/root/packages/"
# The README's install command, run where a clone would be.
if ! readme_cmd "$b" /root/packages/swag-style "$install_cmd" \
       > "$work/install.log" 2>&1; then
  cat "$work/install.log"
  fail "the README's install command failed"
fi
grep -v "Reading database" "$work/install.log" | tail -n 5
installed () {
  # shellcheck disable=SC2016 # dpkg-query's field, not the shell's
  in_system "$b" / dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null |
    grep -q '^install ok installed$'
}
installed swag-transfer || fail "swag-transfer is not installed"
if [ -z "$plugin_deb" ]; then
  ! installed gimp-plugin-swag-style || fail "the plug-in's package was installed"
  ! installed gimp || fail "GIMP was installed with swag-transfer"
  ok "swag-transfer installed alone, without GIMP"
else
  installed gimp-plugin-swag-style ||
    fail "gimp-plugin-swag-style is not installed"
  ok "both packages installed"
fi

step "swag-transfer from /usr/bin"
in_system "$b" /tmp /usr/bin/swag-transfer --help > "$work/help.txt" ||
  fail "/usr/bin/swag-transfer --help failed"
grep -q '^  swag-transfer \[OPTION…\] CONTENT STYLE' "$work/help.txt" &&
  grep -q -- '--output=OUT' "$work/help.txt" ||
  fail "swag-transfer --help printed no usage: $(cat "$work/help.txt")"
ok "/usr/bin/swag-transfer --help prints its usage"
in_system "$b" / man -w swag-transfer > /dev/null 2>&1 ||
  [ -f "$b/usr/share/man/man1/swag-transfer.1.gz" ] ||
  fail "no manual page swag-transfer(1)"
ok "the manual page is installed"

# The catalogs of /usr/share/locale: the German locale is made inside the
# copy when it lacks one.
if in_system "$b" / sh -c 'locale -a | grep -qix "de_DE\.utf-\{0,1\}8" ||
                           localedef -i de_DE -f UTF-8 de_DE.UTF-8' \
     > /dev/null 2>&1; then
  in_system "$b" /tmp LANG=de_DE.UTF-8 /usr/bin/swag-transfer --help \
    > "$work/help-de.txt" || fail "swag-transfer --help in German failed"
  grep -qF 'Das Ergebnis nach AUSGABE schreiben' "$work/help-de.txt" ||
    fail "swag-transfer --help is not German with LANG=de_DE.UTF-8"
  ok "swag-transfer speaks German from its installed catalog"
else
  echo "note: no German locale in $lower; catalog check left out"
fi

if [ -z "$plugin_deb" ]; then
  step "passed"
  exit 0
fi

# ---------------------------------------------------------------- plug-in --

step "the plug-in in GIMP 3"
plugin=$(in_system "$b" / pkg-config --variable=gimplibdir gimp-3.0)/plug-ins/swag-style
[ -x "$b$plugin/swag-style" ] || fail "no plug-in at $plugin/swag-style"
for lang in de es fr; do
  [ -f "$b$plugin/locale/$lang/LC_MESSAGES/swag-style.mo" ] ||
    fail "the plug-in's $lang catalog is missing"
done
ok "the plug-in and its catalogs are in GIMP's plug-in folder $plugin"
metainfo=/usr/share/metainfo/org.gimp.GIMP.Plugin.SwagStyle.metainfo.xml
in_system "$b" / appstreamcli validate --no-net --pedantic "$metainfo" ||
  fail "appstreamcli rejects the installed $metainfo"
ok "appstreamcli $(in_system "$b" / appstreamcli --version | sed -n '1s/.*: //p') validates $metainfo"

# The README's one-image example (read at the start). Its files are made
# where it says, in /path.
mkdir -p "$b/path" "$b/root/profile"
in_system "$b" /path convert -size 48x40 gradient:'#2050a0-#e0c060' \
  -fill '#c03030' -draw 'circle 16,18 26,22' -quality 95 photo.jpg
in_system "$b" /path convert -seed 7 -size 64x64 plasma:orange-purple \
  -swirl 120 -quality 95 painting.jpg
printf '(show-welcome-dialog no)\n(check-updates no)\n' > "$b/root/profile/gimprc"
echo "README one-image example:"
printf '%s\n' "$one"
status=0
in_system "$b" /tmp GIMP3_DIRECTORY=/root/profile \
  timeout 300 gimp-console-3.0 -i --quit \
    --batch-interpreter plug-in-script-fu-eval -b "(begin $one)" \
  > "$work/gimp.log" 2>&1 || status=$?
cat "$work/gimp.log"
echo
[ "$status" = 0 ] || fail "GIMP exited with status $status"
! grep -q 'batch command experienced an execution error' "$work/gimp.log" ||
  fail "the README's example failed in GIMP (above)"
cp "$b/path/photo-swag.png" "$work/out/" ||
  fail "the README's example wrote no /path/photo-swag.png"
size=$(in_system "$b" /path identify -format '%wx%h' photo-swag.png)
[ "$size" = 48x40 ] || fail "photo-swag.png is $size, not the photograph's 48x40"
# Pixels that differ from the photograph by more than 8/255 in a channel.
changed=$(in_system "$b" /path compare -metric AE -fuzz 3.2% \
            photo.jpg photo-swag.png null: 2>&1) || true
changed=${changed%% *}
[ "${changed%.*}" -ge 384 ] 2>/dev/null ||
  fail "photo-swag.png is not stylised: $changed of 1920 pixels changed"
ok "the README's example stylised /path/photo.jpg: $changed of 1920 pixels changed"

pluginrc=$b/root/profile/pluginrc
# GIMP writes its system plug-in folder (gimplibdir) as ${gimp_plug_in_dir}.
# shellcheck disable=SC2016 # GIMP's variable, not the shell's
grep -qF '(plug-in-def "${gimp_plug_in_dir}/plug-ins/swag-style/swag-style"' "$pluginrc" &&
  grep -qF '(proc-def "plug-in-swag-style-transfer"' "$pluginrc" &&
  grep -qF '(menu-path "<Image>/Filters/Artistic")' "$pluginrc" ||
  fail "GIMP's pluginrc lacks the system plug-in, its procedure or its menu path"
ok "GIMP registered plug-in-swag-style-transfer from its system plug-in folder in Filters > Artistic"

# GIMP finds the plug-in's catalogs: started in German with a fresh
# profile, it caches the German menu label.
if [ -f "$work/help-de.txt" ]; then
  mkdir -p "$b/root/profile-de"
  cp "$b/root/profile/gimprc" "$b/root/profile-de/"
  in_system "$b" /tmp GIMP3_DIRECTORY=/root/profile-de LANG=de_DE.UTF-8 \
    timeout 300 gimp-console-3.0 -i --quit > "$work/gimp-de.log" 2>&1 ||
    { cat "$work/gimp-de.log"; fail "GIMP in German failed"; }
  grep -qF 'SWAG-S_tilübertragung …' "$b/root/profile-de/pluginrc" ||
    fail "GIMP in German did not find the plug-in's German catalog"
  ok "GIMP in German shows the menu item SWAG-S_tilübertragung …"
fi

# swag-transfer on the same files.
in_system "$b" /path /usr/bin/swag-transfer -q --iterations 6 --scales 1 \
  photo.jpg painting.jpg -o cli.png || fail "swag-transfer failed"
size=$(in_system "$b" /path identify -format '%wx%h' cli.png)
[ "$size" = 48x40 ] || fail "swag-transfer wrote $size, not 48x40"
ok "/usr/bin/swag-transfer stylises the same photograph"

step "passed"
