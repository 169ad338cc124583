#!/usr/bin/env python3
# check-report.py: checks a swag-transfer --report file (JSON Lines), with
# the standard library only. GPL-3.0-or-later.
#
#   check-report.py run REPORT N [NAME=VALUE ...]
#       every line is a JSON object of docs/interfaces.md's form; the evaluations
#       are numbered 0..N-1; the first line (and the first of the run, when
#       a diagnosis came before) carries "settings" with every setting of
#       docs/interfaces.md, and NAME has VALUE (compared as JSON, or as a string)
#       for each NAME=VALUE.
#   check-report.py reference REPORT REFERENCE_JSON CASE [diagnose]
#       iteration 0 (the content image itself, --init content) has the
#       reference's style_at_content as style terms and 0 as content terms;
#       with "diagnose", the diagnosis lines equal diag_content and
#       diag_style. Tolerance: 1e-4 relative, 1e-3 for the softmax modes.
#
# Prints what it checked; exits 1 with the reasons on the first failure.
import json
import math
import sys

# docs/interfaces.md's settings, by their command-line names, and the
# version (the report's "settings" must name all of them).
SETTINGS = [
    'backbone', 'weights', 'seed', 'smoothing', 'smooth-layers', 'temperature',
    'alpha', 'iterations', 'style-strength', 'style-weight', 'content-weight',
    'tv-weight', 'size', 'scales', 'optimizer', 'init', 'preserve-colors',
    'match-histogram', 'style-scale', 'style-blend', 'preset', 'threads',
    'version',
    # and the other flags of the command line
    'pooling', 'style-layers', 'content-layers', 'lbfgs-history',
    'learning-rate',
]

failures = []


def fail(message):
    failures.append(message)


def finish():
    if failures:
        for f in failures[:20]:
            print('FAIL: ' + f, file=sys.stderr)
        sys.exit(1)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def read_lines(path):
    objects = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            try:
                obj = json.loads(line)
            except ValueError as e:
                fail('line %d is not JSON: %s' % (number, e))
                continue
            if not isinstance(obj, dict):
                fail('line %d is not an object' % number)
                continue
            objects.append(obj)
    return objects


def check_evaluation(obj, where):
    for key, kind in (('scale', int), ('iteration', int), ('size', list),
                      ('layers', dict)):
        if not isinstance(obj.get(key), kind):
            fail('%s: "%s" missing or not %s' % (where, key, kind.__name__))
            return
    if not (obj['total'] is None or is_number(obj['total'])):
        fail('%s: "total" is not a number' % where)
    if len(obj['size']) != 2 or not all(isinstance(v, int) and v > 0
                                        for v in obj['size']):
        fail('%s: "size" is not [W, H]' % where)
    if not obj['layers']:
        fail('%s: no layers' % where)
    for tap, terms in obj['layers'].items():
        if not isinstance(terms, dict) or set(terms) != {'content', 'style'}:
            fail('%s: layer %s is not {"content", "style"}' % (where, tap))
            continue
        for k, v in terms.items():
            if not (v is None or is_number(v)):
                fail('%s: %s.%s is neither a number nor null' % (where, tap, k))
        if terms['content'] is None and terms['style'] is None:
            fail('%s: layer %s has no term at all' % (where, tap))


def run(path, n, expected):
    objects = read_lines(path)
    evaluations = [o for o in objects if 'iteration' in o]
    if not objects:
        fail('empty report')
        finish()
    settings = objects[0].get('settings')
    if not isinstance(settings, dict):
        fail('the first line has no "settings" object')
    else:
        missing = [s for s in SETTINGS if s not in settings]
        if missing:
            fail('settings lack: ' + ', '.join(missing))
        for item in expected:
            name, _, value = item.partition('=')
            try:
                want = json.loads(value)
            except ValueError:
                want = value
            if settings.get(name) != want:
                fail('settings: %s is %r, expected %r'
                     % (name, settings.get(name), want))
    for i, obj in enumerate(evaluations):
        check_evaluation(obj, 'evaluation %d' % i)
    iterations = [o.get('iteration') for o in evaluations]
    if iterations != list(range(n)):
        fail('iterations are %s, expected 0..%d' % (iterations, n - 1))
    # The first line of the file, and the first of every run, carry the
    # settings; no other line does.
    for i, o in enumerate(objects[1:], 2):
        if ('settings' in o) != (o.get('iteration') == 0):
            fail('line %d: "settings" %s' % (i, 'where no run starts'
                                             if 'settings' in o else 'missing'))
    print('%d lines, iterations 0..%d, %d settings'
          % (len(objects), n - 1, len(settings or {})))
    finish()


def close(got, want, tol, what):
    if got is None or want is None:
        if got is not want:
            fail('%s: got %r, reference %r' % (what, got, want))
        return
    rel = abs(got - want) / max(abs(want), 1e-300)
    if not rel <= tol:
        fail('%s: got %.10g, reference %.10g, relative error %.2e > %.0e'
             % (what, got, want, rel, tol))


def reference(path, ref_path, case_id, diagnose):
    with open(ref_path, encoding='utf-8') as f:
        ref = json.load(f)
    case = [c for c in ref['cases'] if c['id'] == case_id]
    if not case:
        fail('no case ' + case_id)
        finish()
    case = case[0]
    tol = 1e-3 if 'softmax' in case['smoothing'] or case['smoothing'] == 'auto' \
        else 1e-4
    objects = read_lines(path)
    first = [o for o in objects if o.get('iteration') == 0]
    if len(first) != 1:
        fail('%d lines with iteration 0' % len(first))
        finish()
    layers = first[0]['layers']
    checked = 0
    for tap, t in case['taps'].items():
        terms = layers.get(tap)
        if terms is None:
            fail('tap %s missing at iteration 0' % tap)
            continue
        close(terms['style'], t['style_at_content'], tol,
              'style term of %s at the content' % tap)
        if t['content'] is None:
            if terms['content'] is not None:
                fail('%s has a content term, the reference none' % tap)
        elif terms['content'] is None or abs(terms['content']) > 1e-12:
            fail('content term of %s at the content is %r, not 0'
                 % (tap, terms['content']))
        checked += 1
    if set(layers) != set(case['taps']):
        fail('taps %s, reference %s' % (sorted(layers), sorted(case['taps'])))
    print('%s: iteration 0 matches on %d taps (tolerance %.0e)'
          % (case_id, checked, tol))

    if diagnose:
        for role, member in (('content', 'diag_content'), ('style', 'diag_style')):
            lines = [o for o in objects if o.get('diagnose') == role]
            if len(lines) != 1:
                fail('%d diagnosis lines for the %s' % (len(lines), role))
                continue
            taps = lines[0]['taps']
            for tap, t in case['taps'].items():
                d = taps.get(tap)
                if d is None:
                    fail('diagnosis of the %s lacks %s' % (role, tap))
                    continue
                if d['shape'] != t['shape']:
                    fail('%s %s shape %r, reference %r'
                         % (role, tap, d['shape'], t['shape']))
                want = t[member]
                close(d['max_activation'], want['max_activation'], tol,
                      '%s %s max activation' % (role, tap))
                close(d['max_gram'], want['max_gram'], tol,
                      '%s %s max Gram' % (role, tap))
                # As the engine's conformance test: an entropy of a saturated
                # softmax is ~1e-16, where only an absolute bound means much.
                if abs(d['gram_entropy'] - want['gram_entropy']) > 1e-9:
                    close(d['gram_entropy'], want['gram_entropy'], tol,
                          '%s %s Gram entropy' % (role, tap))
                if t['temperature'] is not None:
                    close(d['temperature'], t['temperature'], tol,
                          '%s %s temperature' % (role, tap))
        print('%s: diagnosis matches for the content and the style' % case_id)
    finish()


def main(argv):
    if len(argv) >= 4 and argv[1] == 'run':
        run(argv[2], int(argv[3]), argv[4:])
    elif len(argv) in (5, 6) and argv[1] == 'reference':
        reference(argv[2], argv[3], argv[4], len(argv) == 6)
    else:
        sys.exit(__doc__ if __doc__ else 'usage: see the header')


if __name__ == '__main__':
    main(sys.argv)
