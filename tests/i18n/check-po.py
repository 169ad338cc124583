#!/usr/bin/env python3
"""Checks of swag-style's translations, one per meson test:

  check-po.py catalogs SRC         every catalog of po/LINGUAS compiles
                                   with msgfmt --check (formats, header,
                                   one mnemonic where the English has one),
                                   with nothing fuzzy or untranslated, and
                                   the dialog's mnemonics are unique in it
  check-po.py potfiles SRC         po/POTFILES.in is sorted and lists every
                                   source file with a marked string
  check-po.py current SRC          the catalogs hold exactly the strings the
                                   sources mark (xgettext, the glib preset)
  check-po.py installed SRC BUILD  each catalog installs for the command
                                   line and, when it is built, the plug-in

Exit status 0 when the check passes, 1 when it fails (with the reasons on
stderr), 77 (skipped) when a tool it needs is missing.

Copyright (C) 2026 the swag-style authors. GPL-3.0-or-later.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

DOMAIN = 'swag-style'

# Where marked strings live, and what marks them (gi18n's macros, the
# engine's swag-i18n.h, ngettext and g_dngettext).
SOURCE_DIRS = ['cli', 'engine', 'plugin']
MARKED = re.compile(r'(?:^|[^A-Za-z0-9_])(?:N?C?_|ngettext|g_dngettext)\s*\(\s*'
                    r'(?:GETTEXT_PACKAGE\s*,\s*)?(?:/\*.*?\*/\s*)*"', re.S)

# The keywords of meson's glib preset (i18n.gettext(..., preset: 'glib')).
XGETTEXT_KEYWORDS = ['-k_', '--keyword=N_', '--keyword=C_:1c,2',
                     '--keyword=NC_:1c,2', '--keyword=g_dcgettext:2',
                     '--keyword=g_dngettext:2,3', '--keyword=g_dpgettext2:2c,3']

# The labels that the plug-in's dialog shows with a mnemonic (the
# arguments plugin/swag-dialog.c builds through the procedure dialog, and its
# preview toggle): no two may share a letter, in any language. GIMP's own
# buttons (OK, Cancel, Reset, ...) come from GIMP's catalogs; the GIMP
# test gui-german checks them together with these, in German.
DIALOG_MNEMONICS = [
    '_Preview', 'S_tyle layer', '_Network', '_Iterations', 'Style stren_gth',
    '_Weights', 'Weights _file', 'Ran_dom seed', 'S_moothing', 'T_emperature',
    'Wor_king size', 'N_umber of scales', 'Optimi_zer', '_Begin with',
    'Preser_ve colours', 'Second style la_yer', 'Second style sh_are',
]

failures = []


def fail(message):
    failures.append(message)
    print('FAIL: ' + message, file=sys.stderr)


def ok(message):
    print('ok: ' + message)


def finish():
    if failures:
        print('%d problem(s)' % len(failures), file=sys.stderr)
        sys.exit(1)
    sys.exit(0)


def need(tool):
    if shutil.which(tool) is None:
        print('SKIP: %s is not installed' % tool)
        sys.exit(77)


def linguas(src):
    langs = []
    with open(os.path.join(src, 'po', 'LINGUAS'), encoding='utf-8') as f:
        for line in f:
            if not line.strip().startswith('#'):
                langs += line.split()
    return langs


def unquote(s):
    """The value of a C-style quoted string of a .po file."""
    out, i = [], 1
    escapes = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', 'r': '\r'}
    while i < len(s) - 1:
        c = s[i]
        if c == '\\':
            out.append(escapes.get(s[i + 1], '\\' + s[i + 1]))
            i += 2
        else:
            out.append(c)
            i += 1
    return ''.join(out)


def read_po(path):
    """The entries of a .po file as dicts: msgctxt, msgid, msgid_plural,
    msgstr (a list), flags; obsolete (#~) entries left out."""
    entries, cur, key = [], None, None

    def close():
        if cur is not None and 'msgid' in cur:
            entries.append(cur)

    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if line.startswith('#~'):
                continue
            if not line.strip():
                close()
                cur, key = None, None
                continue
            if cur is None:
                cur = {'flags': [], 'msgstr': {}}
            if line.startswith('#,'):
                cur['flags'] += [x.strip() for x in line[2:].split(',')]
                continue
            if line.startswith('#'):
                continue
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$',
                         line)
            if m:
                key = m.group(1)
                value = unquote(m.group(3))
                if key.startswith('msgstr'):
                    key = ('msgstr', int(m.group(2) or 0))
                    cur['msgstr'][key[1]] = value
                else:
                    cur[key] = value
            elif line.startswith('"') and key:
                if isinstance(key, tuple):
                    cur['msgstr'][key[1]] += unquote(line)
                else:
                    cur[key] += unquote(line)
    close()
    return entries


def ident(entry):
    return (entry.get('msgctxt'), entry['msgid'], entry.get('msgid_plural'))


def show(ident_):
    ctx, msgid, plural = ident_
    return (ctx + '|' if ctx else '') + repr(msgid)


def mnemonic(label):
    m = re.search(r'_(.)', label.replace('__', ''))
    return m.group(1).lower() if m else None


# ------------------------------------------------------------------------

def check_catalogs(src):
    need('msgfmt')
    langs = linguas(src)
    if not langs:
        fail('po/LINGUAS names no language')
    po_dir = os.path.join(src, 'po')
    present = sorted(f[:-3] for f in os.listdir(po_dir) if f.endswith('.po'))
    for lang in sorted(set(present) - set(langs)):
        fail('po/%s.po is not in po/LINGUAS' % lang)
    for lang in langs:
        po = os.path.join(po_dir, lang + '.po')
        if not os.path.isfile(po):
            fail('po/LINGUAS names %s, but po/%s.po is missing' % (lang, lang))
            continue
        if not os.path.isfile(os.path.join(po_dir, 'plugin', lang, 'meson.build')):
            fail('po/plugin/%s/meson.build is missing: the plug-in would not '
                 'get the %s catalog' % (lang, lang))
        r = subprocess.run(['msgfmt', '--check', '--check-accelerators=_',
                            '--statistics', '-o', os.devnull, po],
                           capture_output=True, text=True,
                           env=dict(os.environ, LC_ALL='C'))
        report = (r.stdout + r.stderr).strip()
        if r.returncode != 0:
            fail('msgfmt --check refuses po/%s.po:\n%s' % (lang, report))
            continue
        if re.search(r'fuzzy|untranslated', report):
            fail('po/%s.po is not complete: %s' % (lang, report))
            continue
        entries = read_po(po)
        header = next((e for e in entries if e['msgid'] == ''), None)
        if not header or 'Language: %s\n' % lang not in header['msgstr'].get(0, ''):
            fail('po/%s.po: the header does not say "Language: %s"' % (lang, lang))
        empty = [e for e in entries if e['msgid'] and
                 (not e['msgstr'] or any(not v for v in e['msgstr'].values()))]
        fuzzy = [e for e in entries if e['msgid'] and 'fuzzy' in e['flags']]
        for e in empty + fuzzy:
            fail('po/%s.po: %s is %s' % (lang, show(ident(e)),
                                          'fuzzy' if e in fuzzy else 'untranslated'))
        ok('po/%s.po: %s' % (lang, report))

        # The dialog's mnemonics, in this language.
        by_id = {e['msgid']: e['msgstr'].get(0, '') for e in entries}
        letters = {}
        for english in DIALOG_MNEMONICS:
            if english not in by_id:
                fail('po/%s.po has no %r (is DIALOG_MNEMONICS in %s current?)'
                     % (lang, english, os.path.basename(__file__)))
                continue
            letter = mnemonic(by_id[english])
            if letter is None:
                fail('po/%s.po: %r has no mnemonic in %r' % (lang, english, by_id[english]))
                continue
            letters.setdefault(letter, []).append(by_id[english])
        clashes = {k: v for k, v in letters.items() if len(v) > 1}
        for letter, labels in sorted(clashes.items()):
            fail('po/%s.po: the dialog\'s labels %s share the mnemonic %r'
                 % (lang, ', '.join(repr(x) for x in labels), letter))
        if not clashes:
            ok('po/%s.po: the dialog\'s %d mnemonics are unique'
               % (lang, sum(len(v) for v in letters.values())))
    finish()


def marked_files(src):
    found = []
    for d in SOURCE_DIRS:
        for root, _, files in os.walk(os.path.join(src, d)):
            for name in files:
                if not name.endswith(('.c', '.h')):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding='utf-8') as f:
                    if MARKED.search(f.read()):
                        found.append(os.path.relpath(path, src))
    return sorted(found)


def check_potfiles(src):
    with open(os.path.join(src, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        listed = [l.strip() for l in f if l.strip() and not l.startswith('#')]
    if listed != sorted(listed):
        fail('po/POTFILES.in is not sorted (LC_ALL=C sort)')
    if len(set(listed)) != len(listed):
        fail('po/POTFILES.in lists a file twice')
    for path in listed:
        if not os.path.isfile(os.path.join(src, path)):
            fail('po/POTFILES.in lists %s, which does not exist' % path)
    marked = marked_files(src)
    for path in sorted(set(marked) - set(listed)):
        fail('%s marks strings for translation but is not in po/POTFILES.in' % path)
    for path in sorted(set(listed) - set(marked)):
        fail('po/POTFILES.in lists %s, which marks no string' % path)
    if not failures:
        ok('po/POTFILES.in: %d files, sorted, every file with a marked string'
           % len(listed))
    finish()


def check_current(src):
    need('xgettext')
    with tempfile.TemporaryDirectory() as tmp:
        pot = os.path.join(tmp, DOMAIN + '.pot')
        r = subprocess.run(['xgettext', '--from-code=UTF-8', '-D', src,
                            '-f', os.path.join(src, 'po', 'POTFILES.in'),
                            '-o', pot] + XGETTEXT_KEYWORDS,
                           capture_output=True, text=True)
        if r.returncode != 0:
            fail('xgettext failed:\n' + r.stderr)
            finish()
        wanted = {ident(e) for e in read_po(pot) if e['msgid']}
    for lang in linguas(src):
        po = os.path.join(src, 'po', lang + '.po')
        if not os.path.isfile(po):
            continue  # the catalogs test says so
        have = {ident(e) for e in read_po(po) if e['msgid']}
        missing, stale = wanted - have, have - wanted
        for i in sorted(missing, key=show):
            fail('po/%s.po lacks %s' % (lang, show(i)))
        for i in sorted(stale, key=show):
            fail('po/%s.po has %s, which the sources no longer mark' % (lang, show(i)))
        if not missing and not stale:
            ok('po/%s.po holds the %d strings of the sources' % (lang, len(wanted)))
    if failures:
        print('To bring the catalogs up to date: ninja -C BUILD %s-update-po, '
              'then translate what is new or fuzzy (po/README.md).' % DOMAIN,
              file=sys.stderr)
    finish()


def check_installed(src, build):
    need('meson')
    r = subprocess.run(['meson', 'introspect', '--installed', build],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail('meson introspect --installed failed:\n' + r.stderr)
        finish()
    installed = set(json.loads(r.stdout).values())
    localedir = os.environ['SWAG_LOCALEDIR']
    plugin_locale = os.environ.get('SWAG_PLUGIN_LOCALE_DIR', '')
    for lang in linguas(src):
        places = [(localedir, 'the command line')]
        if plugin_locale:
            places.append((plugin_locale, 'the plug-in'))
        for base, who in places:
            path = os.path.join(base, lang, 'LC_MESSAGES', DOMAIN + '.mo')
            if path in installed:
                ok('%s: %s' % (who, path))
            else:
                fail('%s: %s is not installed' % (who, path))
    if not plugin_locale:
        print('note: no plug-in in this build (no GIMP 3): its catalogs are '
              'checked where it is built (the gimp suite)')
    finish()


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    what, src = sys.argv[1], sys.argv[2]
    if what == 'catalogs':
        check_catalogs(src)
    elif what == 'potfiles':
        check_potfiles(src)
    elif what == 'current':
        check_current(src)
    elif what == 'installed' and len(sys.argv) == 4:
        check_installed(src, sys.argv[3])
    print(__doc__, file=sys.stderr)
    sys.exit(2)


if __name__ == '__main__':
    main()
