#!/usr/bin/env python3
"""The command line against the engine's table of settings, speaking TAP.

The table comes from `swag-transfer --dump-settings json` (the engine's
own, swag_settings). For every entry:

  - `--help` lists `--NAME` with the table's values (range or choices) and
    its default;
  - the values the table allows are accepted: a number at both ends of its
    range, every choice, a boolean switch (`-o` into a folder that does not
    exist then fails later, with exit status 1, after the settings were
    taken: status 2 means the settings were refused);
  - the values just outside a range, and a choice that is not one, are
    refused with exit status 2 and a message naming the setting;
  - the report's "settings" carry the value given, in the table's own text.

Environment: SWAG_TRANSFER, and the fixtures of cli-test.sh are not
needed (nothing is read: a run with settings that pass stops at the
missing content). GPL-3.0-or-later.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

PROGRAM = os.environ['SWAG_TRANSFER']

n = 0
failed = 0


def check(ok, what, detail=''):
    global n, failed
    n += 1
    if ok:
        print('ok %d - %s' % (n, what))
    else:
        failed += 1
        print('not ok %d - %s' % (n, what))
        for line in str(detail).splitlines():
            print('# ' + line)


def run(*args):
    p = subprocess.run([PROGRAM] + list(args), capture_output=True,
                       text=True, env=dict(os.environ, LC_ALL='C.UTF-8'))
    return p.returncode, p.stdout, p.stderr


def settings_taken(*flags):
    """Exit status and stderr of a run whose settings pass and whose files
    do not exist: settings are checked first, so 1 (a missing file) means
    they were taken, 2 that one was refused."""
    with tempfile.TemporaryDirectory() as tmp:
        return run(*flags, '--threads', '1', '-o',
                   os.path.join(tmp, 'out.png'),
                   os.path.join(tmp, 'missing-content.png'),
                   os.path.join(tmp, 'missing-style.png'))


def text_of(value):
    """A double as Python prints it shortest: what swag-transfer takes."""
    return repr(value)


status, out, err = run('--dump-settings', 'json')
check(status == 0, '--dump-settings json exits 0', err)
table = json.loads(out)
settings = table['settings']
defaults = {s['name']: s['default'] for s in settings}
check(len(settings) > 20, '%d settings in the table' % len(settings))

status, help_text, err = run('--help')
check(status == 0, '--help exits 0', err)
help_lines = {}
for line in help_text.splitlines():
    for word in line.split():
        if word.startswith('--'):
            help_lines.setdefault(word.split('=')[0], line)

for s in settings:
    name, kind = s['name'], s['type']
    flag = '--' + name
    line = help_lines.get(flag)
    check(line is not None, '%s: in --help' % flag, help_text)
    if line is None:
        continue

    # --help says the values and the default.
    if kind in ('int', 'double'):
        want = '%s to %s; default %s' % (s['min-text'], s['max-text'],
                                          s['default'])
    elif kind == 'choice':
        want = '%s; default %s)' % (', '.join(s['choices']), s['default'])
    elif kind == 'file':
        want = '%s, or a file; default %s)' % (', '.join(s['choices']),
                                              s['default'])
    elif kind == 'seed':
        want = '(default %s)' % s['default']
    elif kind == 'taps':
        # the default network's list, named after it
        want = 'default for %s: %s)' % (defaults['backbone'], s['default'])
    else:
        want = s['help']
    check(want in line and (kind == 'boolean' or s['default'] in line),
          '%s: --help says "%s" and the default %s' % (flag, want,
                                                      s['default']),
          line)

    # The values the table allows are taken...
    if kind in ('int', 'double'):
        good = [s['min-text'], s['max-text'], s['default']]
    elif kind == 'choice':
        good = s['choices']
    elif kind == 'file':
        good = s['choices']
    elif kind == 'seed':
        good = ['0', '18446744073709551615', '-1']
    elif kind == 'taps':
        good = [s['default']]
    else:
        good = [None]
    for value in good:
        args = [flag] if value is None else [flag + '=' + value]
        status, _, err = settings_taken(*args)
        check(status == 1 and 'missing-' in err,
              '%s: accepted' % ' '.join(args), err)

    # ...and those outside refused, naming the setting.
    bad = []
    if kind == 'int':
        bad = [str(int(s['min']) - 1), str(int(s['max']) + 1), '1.5']
    elif kind == 'double':
        bad = [text_of(math.nextafter(s['min'], -math.inf)),
               text_of(math.nextafter(s['max'], math.inf)), 'nan', 'x']
    elif kind == 'choice':
        bad = ['no-such-' + name]
    elif kind == 'seed':
        bad = ['18446744073709551616', 'x']
    for value in bad:
        status, _, err = settings_taken(flag + '=' + value)
        check(status == 2 and name in err and len(err.splitlines()) == 1,
              '%s=%s: refused, naming the setting' % (flag, value), err)

# The report's settings carry what was given, in the table's words.
with tempfile.TemporaryDirectory() as tmp:
    fixtures = os.environ.get('FIXTURES')
    python = os.environ.get('PYTHON', sys.executable)
    content = os.path.join(tmp, 'c.png')
    style = os.path.join(tmp, 's.png')
    subprocess.run([python, fixtures, 'png', content, '32', '32', 'rgb', '1'],
                   check=True)
    subprocess.run([python, fixtures, 'png', style, '32', '32', 'rgb', '2'],
                   check=True)
    args, want = [], {}
    for s in settings:
        if s['type'] in ('int', 'double') and s['name'] not in (
                'iterations', 'size', 'scales'):
            value = s['max-text'] if s['name'] in ('lbfgs-history',) \
                else s['min-text']
            if s['name'] in ('style-scale',):
                value = '1'   # a tiny style would not fit the network
            args.append('--%s=%s' % (s['name'], value))
            want[s['name']] = float(value)
    report = os.path.join(tmp, 'r.jsonl')
    status, _, err = run(*args, '--iterations', '2', '--size', '32',
                         '--scales', '1', '--threads', '1', '--report',
                         report, '-o', os.path.join(tmp, 'o.png'), content,
                         style)
    check(status == 0, 'a run with every number at an end of its range', err)
    if status == 0:
        with open(report, encoding='utf-8') as f:
            got = json.loads(f.readline())['settings']
        wrong = {k: (v, got.get(k)) for k, v in want.items()
                 if got.get(k) != v}
        check(not wrong, 'the report has each of them', wrong)

print('1..%d' % n)
sys.exit(1 if failed else 0)
