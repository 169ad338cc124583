#!/usr/bin/env python3
"""check-arguments.py PROCEDURE_JSON SWAG_TRANSFER: the procedure's
arguments (as dump-arguments.py read them from GIMP's PDB) against the
engine's table of settings (`SWAG_TRANSFER --dump-settings json`):

  - every setting is an argument under its name, of its type, with the
    table's range, default, choices, label (the nick) and help (the blurb),
    in the table's order; a FILE setting also has NAME-file;
  - the preset argument offers "none" and the engine's presets;
  - no argument is neither a setting nor one of the plug-in's own;
  - every value the procedure accepts is one the engine accepts: the ends
    of every range and every choice, given to swag-transfer, pass its
    checks (which are swag_params_validate's). A run whose settings pass
    stops at its missing files with exit status 1; 2 would be a refusal.

Prints one line per check; exits 1 at the end if any failed.
GPL-3.0-or-later.
"""
import json
import os
import subprocess
import sys
import tempfile

procedure_json, program = sys.argv[1], sys.argv[2]
G_MAXINT = 2**31 - 1

# The plug-in's own arguments, and GIMP's.
OWN = {'run-mode', 'image', 'drawables', 'style-layer', 'style-layer-2',
       'style-blend', 'preset'}

failures = 0


def check(ok, what, detail=''):
    global failures
    print(('ok: ' if ok else 'FAIL: ') + what)
    if not ok:
        failures += 1
        if detail:
            print('  ' + str(detail))


with open(procedure_json, encoding='utf-8') as f:
    arguments = json.load(f)
args = {a['name']: a for a in arguments}
order = [a['name'] for a in arguments]
table = json.loads(subprocess.run([program, '--dump-settings', 'json'],
                                  check=True, capture_output=True,
                                  text=True).stdout)
settings = table['settings']
names = {s['name'] for s in settings}

check(len(settings) > 20, '%d settings in the engine\'s table' % len(settings))

for s in settings:
    name, kind = s['name'], s['type']
    a = args.get(name)
    check(a is not None, '%s: an argument' % name)
    if a is None:
        continue
    check(a['nick'].replace('_', '') == s['label'],
          '%s: the nick is the label "%s"' % (name, s['label']), a['nick'])
    check(a['blurb'].startswith(s['help']),
          '%s: the blurb is the help' % name, a['blurb'])
    if kind in ('int', 'double'):
        want_type = 'gint' if kind == 'int' else 'gdouble'
        got = (a['value-type'], a.get('min'), a.get('max'), a.get('default'))
        want = (want_type, s['min'], s['max'], s['default-number'])
        check(got == want, '%s: %s %s to %s, default %s'
              % (name, want_type, s['min-text'], s['max-text'], s['default']),
              'got %r, want %r' % (got, want))
    elif kind == 'seed':
        got = (a['value-type'], a.get('min'), a.get('max'), a.get('default'))
        want = ('gint', 0, G_MAXINT, int(s['default']))
        check(got == want, '%s: the seeds an int holds, default %s'
              % (name, s['default']), 'got %r, want %r' % (got, want))
    elif kind == 'boolean':
        got = (a['value-type'], a.get('default'))
        want = ('gboolean', s['default'] == 'true')
        check(got == want, '%s: a boolean, default %s' % (name, s['default']),
              'got %r, want %r' % (got, want))
    elif kind in ('choice', 'file'):
        choices = s['choices'] + (['file'] if kind == 'file' else [])
        got = (a['spec-type'], a.get('choices'), a.get('default'))
        want = ('GimpParamChoice', choices, s['default'])
        check(got == want, '%s: %s, default %s' % (name, ', '.join(choices),
                                                   s['default']),
              'got %r, want %r' % (got, want))
        if kind == 'file':
            f = args.get(name + '-file')
            check(f is not None and f['value-type'] == 'GFile',
                  '%s-file: a file argument' % name, f)
    elif kind == 'taps':
        got = (a['value-type'], a.get('default'))
        check(got == ('gchararray', ''), '%s: a string, empty by default'
              % name, got)

# The table's order: Script-Fu may pass arguments by position.
positions = [order.index(s['name']) for s in settings if s['name'] in args]
check(positions == sorted(positions), 'the arguments follow the table\'s order')

preset = args.get('preset')
want = ['none'] + [p['name'] for p in table['presets']]
check(preset is not None and preset.get('choices') == want
      and preset.get('default') == 'none',
      'preset: %s, default none' % ', '.join(want), preset)

extra = [n for n in order if n not in names and n not in OWN
         and not (n.endswith('-file') and n[:-5] in names)]
check(not extra, 'every argument is a setting or the plug-in\'s own', extra)

# Every value the procedure accepts, the engine accepts.
with tempfile.TemporaryDirectory() as tmp:
    def taken(flag):
        p = subprocess.run([program, flag, '--threads', '1', '-o',
                            os.path.join(tmp, 'out.png'),
                            os.path.join(tmp, 'no-content.png'),
                            os.path.join(tmp, 'no-style.png')],
                           capture_output=True, text=True)
        return p.returncode == 1 and 'no-' in p.stderr, p.stderr.strip()

    for s in settings:
        a = args.get(s['name'])
        if a is None:
            continue
        values = []
        if 'min' in a:
            values = [a['min'], a['max'], a['default']]
            values = [repr(v) if a['value-type'] == 'gdouble' else str(v)
                      for v in values]
        elif 'choices' in a:
            values = [c for c in a['choices'] if c != 'file']
        for v in values:
            ok, err = taken('--%s=%s' % (s['name'], v))
            check(ok, 'the engine takes %s = %s' % (s['name'], v), err)

if failures:
    print('%d check(s) failed' % failures)
    sys.exit(1)
