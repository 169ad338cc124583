#!/usr/bin/env python3
# readme-commands.py MARKDOWN...: runs every swag-transfer command that the
# given Markdown files show in a code block, as printed, with the build's
# program, and checks what each promises. Speaks TAP. Standard library only.
# GPL-3.0-or-later.
#
# Environment (tests/cli/meson.build): SWAG_TRANSFER, IMAGE_TOOL, SOURCE_ROOT.
#
# Commands are read from the files when the test runs, so a changed README is
# tested as it stands. What counts as a command:
# - code blocks: fenced (``` or ~~~) or indented by 4 spaces (or a tab) after
#   a blank line; inline `code` in prose is not read;
# - a line ending in a backslash continues on the next;
# - a leading "$ " prompt is dropped; VAR=value words may come first;
# - the first word is swag-transfer or a path ending in /swag-transfer.
# A synopsis is not run: a command is one when a word, stripped of [ ] and
# trailing ellipses (… or ...), is a placeholder in capitals such as CONTENT,
# OUT or OPTION, or when it is one of those ellipses or a bracket. File names
# (with a dot or a slash, or in lower case) are never taken for placeholders.
#
# How a command runs: in a fresh folder, through sh (so globs expand as a
# reader's shell would), its program word replaced by the build's binary and
# "--size 64" and "--iterations 6" inserted after it, each only when the
# command does not set it and --help lists the flag. Nothing else changes.
# Input files the command names are provided in that folder: a path that
# exists in the source tree (data/samples/...) is copied; any other is made
# from the bundled samples, the photograph for a content and the painting for
# a style, in the format its extension names; a glob (holiday/*.jpg) gets two
# such files. Options that take a value are learnt from --help.
#
# What is checked: exit status 0, and what the command promises: -o OUT an
# image of OUT's format at the content's size; --batch DIR one NAME.png per
# content at its size; --diagnose a table per image (content, then each
# style) with the statistics the README names and a row per tap; --report FILE
# JSON Lines. Each file must show at least one runnable command, so that an
# extraction that silently finds nothing fails.
import glob
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile

SIZE, ITERATIONS = '64', '6'
COMMAND_TIMEOUT = 600  # seconds, for one command in the sanitized build
PROGRAM = 'swag-transfer'

binary = os.environ['SWAG_TRANSFER']
image_tool = os.environ['IMAGE_TOOL']
source_root = os.environ['SOURCE_ROOT']
samples = {'content': os.path.join(source_root, 'data/samples/chelsea.png'),
           'style': os.path.join(source_root, 'data/samples/the_scream.jpg')}

n_tests = 0
n_failed = 0


def tap(ok, desc, detail=''):
    global n_tests, n_failed
    n_tests += 1
    if not ok:
        n_failed += 1
    print('%s %d - %s' % ('ok' if ok else 'not ok', n_tests, desc))
    for line in detail.rstrip('\n').splitlines():
        print('# ' + line)
    sys.stdout.flush()


# ------------------------------------------------------------ extraction --

FENCE = re.compile(r'^( {0,3})(`{3,}|~{3,})')


def code_blocks(text):
    """(first line number, lines) of each fenced or indented code block."""
    lines = text.splitlines()
    i, prev_blank = 0, True
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            indent, fence = len(m.group(1)), m.group(2)
            close = re.compile(r'^ {0,3}%s{%d,}\s*$' % (re.escape(fence[0]), len(fence)))
            start, body = i + 2, []
            i += 1
            while i < len(lines) and not close.match(lines[i]):
                body.append(re.sub(r'^ {0,%d}' % indent, '', lines[i]))
                i += 1
            yield start, body
            i += 1
            prev_blank = False
            continue
        if prev_blank and line.strip() and re.match(r'^( {4}|\t)', line):
            start, body = i + 1, []
            while i < len(lines) and (not lines[i].strip()
                                      or re.match(r'^( {4}|\t)', lines[i])):
                body.append(re.sub(r'^( {4}|\t)', '', lines[i]))
                i += 1
            yield start, body
            prev_blank = False
            continue
        prev_blank = not line.strip()
        i += 1


# The program word, after optional VAR=value words.
COMMAND = re.compile(r'^(\s*(?:[A-Za-z_][A-Za-z0-9_]*=\S*\s+)*)(\S*?)(?=\s|$)')


def is_program(word):
    return word == PROGRAM or word.endswith('/' + PROGRAM)


def commands(path):
    """(line number, text) of each swag-transfer command in the file."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    for start, body in code_blocks(text):
        k = 0
        while k < len(body):
            first = k
            line = body[k]
            while line.endswith('\\') and k + 1 < len(body):
                k += 1
                line = line[:-1] + ' ' + body[k].strip()
            k += 1
            line = re.sub(r'^\s*\$\s+', '', line).strip()
            m = COMMAND.match(line)
            if m and is_program(m.group(2)):
                yield start + first, line


ELLIPSIS = ('…', '...')


def placeholder(word):
    """The placeholder a synopsis word holds, or None for a literal word."""
    if word in ('[', ']') or word in ELLIPSIS:
        return word
    w = word.strip('[]')
    for e in ELLIPSIS:
        if w.endswith(e):
            w = w[:-len(e)]
    # -o OUT, [OPTIONS], STYLE…, [STYLE…], --batch=DIR, W1,W2
    for part in w.split('=', 1)[-1].strip('[]').split(','):
        if re.fullmatch(r'[A-Z][A-Z0-9_]*', part) and len(part) >= 2:
            return w
    return None


# ---------------------------------------------------------------- options --

def learn_options():
    """Long and short names of the flags that take a value, from --help."""
    out = subprocess.run([binary, '--help'], capture_output=True, text=True,
                         check=True).stdout
    takes_value, short_of, known = set(), {}, set()
    for line in out.splitlines():
        m = re.match(r'^\s+(?:-(\w), )?--([\w-]+)(=\S+)?\s', line)
        if not m:
            continue
        short, name, value = m.groups()
        known.add(name)
        if short:
            short_of[short] = name
        if value:
            takes_value.add(name)
    return known, takes_value, short_of


KNOWN, TAKES_VALUE, SHORT_OF = learn_options()


def parse(words):
    """The command's options ({name: [values]}) and its file arguments."""
    opts, args, k, only_args = {}, [], 0, False
    while k < len(words):
        w = words[k]
        k += 1
        if only_args or w == '-' or not w.startswith('-'):
            args.append(w)
        elif w == '--':
            only_args = True
        elif w.startswith('--'):
            name, eq, value = w[2:].partition('=')
            if name in TAKES_VALUE and not eq and k < len(words):
                value = words[k]
                k += 1
            opts.setdefault(name, []).append(value)
        else:
            # -o OUT, -oOUT, -qj2
            cluster = w[1:]
            while cluster:
                name = SHORT_OF.get(cluster[0], cluster[0])
                cluster = cluster[1:]
                if name in TAKES_VALUE:
                    value = cluster
                    if not value and k < len(words):
                        value = words[k]
                        k += 1
                    opts.setdefault(name, []).append(value)
                    break
                opts.setdefault(name, []).append('')
    return opts, args


# ----------------------------------------------------------------- inputs --

def info(path):
    r = subprocess.run([image_tool, 'info', path], capture_output=True, text=True)
    return r.stdout.split() if r.returncode == 0 else None


def make_image(path, role):
    """A picture for a file the README names but the tree does not hold."""
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    src = samples[role]
    if os.path.splitext(path)[1].lower() == os.path.splitext(src)[1].lower():
        shutil.copyfile(src, path)
    else:
        subprocess.run([image_tool, 'convert', src, path], check=True)


def provide(work, name, role):
    """Puts the input @name in @work; the files it stands for."""
    if os.path.isabs(name):
        return sorted(glob.glob(name)) if glob.has_magic(name) else [name]
    if glob.has_magic(name):
        found = sorted(glob.glob(os.path.join(source_root, name)))
        if found:
            made = []
            for f in found:
                rel = os.path.relpath(f, source_root)
                os.makedirs(os.path.dirname(os.path.join(work, rel)) or work,
                            exist_ok=True)
                shutil.copyfile(f, os.path.join(work, rel))
                made.append(rel)
            return made
        made = []
        for stem in ('first', 'second'):
            rel = re.sub(r'\[[^]]*\]|[*?]', stem, name, count=1)
            rel = re.sub(r'\[[^]]*\]|[*?]', '', rel)
            make_image(os.path.join(work, rel), role)
            made.append(rel)
        return made
    target = os.path.join(work, name)
    if os.path.exists(target):
        return [name]
    tree = os.path.join(source_root, name)
    if os.path.isfile(tree):
        os.makedirs(os.path.dirname(target) or work, exist_ok=True)
        shutil.copyfile(tree, target)
    else:
        make_image(target, role)
    return [name]


# ------------------------------------------------------------- one command --

def run(where, text):
    words = shlex.split(text)
    # Analyse up to a shell operator; sh runs the whole line.
    for k, w in enumerate(words):
        if w in ('&&', '||', ';', '|', '&') or w[:1] in '<>':
            words = words[:k]
            break
    m = COMMAND.match(text)
    prog_index = next(k for k, w in enumerate(words) if is_program(w))
    opts, args = parse(words[prog_index + 1:])

    # Which file is what, as swag-transfer reads its arguments.
    styles, contents = [], []
    if 'style' in opts:
        styles, contents = opts['style'], args
    elif 'batch' in opts:
        styles, contents = args[:1], args[1:]
    else:
        contents, styles = args[:1], args[1:]

    added = []
    for name, value in (('size', SIZE), ('iterations', ITERATIONS)):
        if name in KNOWN and name not in opts:
            added += ['--' + name, value]
    if 'help' in opts or 'version' in opts:
        added = []
    run_text = (m.group(1) + shlex.quote(binary) + ' ' + ' '.join(added)
                + text[m.end():])

    work = tempfile.mkdtemp(prefix='readme-', dir=tmp_root)
    content_files, style_files = [], []
    for name in contents:
        content_files += provide(work, name, 'content')
    for name in styles:
        style_files += provide(work, name, 'style')

    # Its own process group, so that a hang is ended whole (and, when
    # meson's timeout ends this script, by on_term below).
    proc = subprocess.Popen(['sh', '-c', run_text], cwd=work, text=True,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    running.append(proc)
    try:
        stdout, stderr = proc.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        stderr += '\n(killed after %d s)' % COMMAND_TIMEOUT
    finally:
        running.remove(proc)
    r = subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)
    detail = '%s: %s\nran: %s\n' % (where, text, run_text)
    if r.returncode != 0:
        tap(False, '%s: exit %d' % (where, r.returncode),
            detail + 'stdout:\n' + r.stdout[-3000:] + 'stderr:\n' + r.stderr[-3000:])
        return
    tap(True, '%s: exit 0: %s' % (where, text), 'ran: ' + run_text)

    def sized_like(out, content, fmt):
        got, want = info(os.path.join(work, out)), info(os.path.join(work, content))
        ok = got is not None and want is not None and got[0] == fmt \
            and got[1:3] == want[1:3]
        return ok, 'got %s, want %s %s' % (got, fmt, want and want[1:3])

    for out in opts.get('output', []):
        ext = os.path.splitext(out)[1].lower()
        fmt = 'png' if ext == '.png' else 'jpeg'
        ok, why = sized_like(out, content_files[0], fmt)
        tap(ok, '%s: -o %s is a %s at the content\'s size' % (where, out, fmt), why)

    for folder in opts.get('batch', []):
        for c in content_files:
            out = os.path.join(folder, os.path.splitext(os.path.basename(c))[0] + '.png')
            ok, why = sized_like(out, c, 'png')
            tap(ok, '%s: --batch wrote %s at the size of %s' % (where, out, c), why)

    if 'diagnose' in opts:
        ok, why = diagnosis_ok(r.stdout, content_files, style_files)
        tap(ok, '%s: --diagnose printed a table per image' % where,
            why + '\nstdout:\n' + r.stdout[-3000:])

    for report in opts.get('report', []):
        try:
            with open(os.path.join(work, report), encoding='utf-8') as f:
                objs = [json.loads(line) for line in f]
            ok, why = len(objs) > 0, '%d objects' % len(objs)
        except (OSError, ValueError) as e:
            ok, why = False, str(e)
        tap(ok, '%s: --report %s is JSON Lines' % (where, report), why)


def diagnosis_ok(stdout, content_files, style_files):
    """Titles in order (the first content, each style, then the other
    contents of a batch), each with a header that names the README's
    statistics and at least one tap row."""
    want = [('content', c) for c in content_files[:1]] \
        + [('style %d' % (k + 1), s) for k, s in enumerate(style_files)] \
        + [('content', c) for c in content_files[1:]]
    tables, current = [], None
    for line in stdout.splitlines():
        if line.startswith('  ') and current is not None:
            current[1].append(line)
        else:
            current = (line, [])
            tables.append(current)
    if len(tables) != len(want):
        return False, '%d tables, want %d' % (len(tables), len(want))
    for (title, rows), (role, name) in zip(tables, want):
        if not re.fullmatch(r'%s %s \(\d+×\d+\)' % (re.escape(role), re.escape(name)),
                            title):
            return False, 'title %r, want %s %s' % (title, role, name)
        head = rows[0] if rows else ''
        for column in ('max activation', 'max Gram', 'Gram entropy'):
            if column not in head:
                return False, '%s: no column %r' % (role, column)
        if len(rows) < 2:
            return False, '%s: no tap rows' % role
    return True, '%d tables' % len(tables)


# ------------------------------------------------------------------- main --

running = []   # the command being run, in a process group of its own


def on_term(signum, frame):
    """meson ends a test that times out with SIGTERM to this script's
    group, which the commands left: end theirs too, and clean up."""
    for proc in running:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
    raise SystemExit(128 + signum)


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)

tmp_root = tempfile.mkdtemp(prefix='swag-readme-')
try:
    for path in sys.argv[1:]:
        shown = os.path.relpath(path, source_root)
        runnable = skipped = 0
        for line_no, text in commands(path):
            where = '%s:%d' % (shown, line_no)
            held = [w for w in text.split() if placeholder(w)]
            if held:
                skipped += 1
                print('# %s: synopsis (placeholders %s), not run: %s'
                      % (where, ' '.join(held), text))
                continue
            runnable += 1
            try:
                run(where, text)
            except Exception as e:  # a broken command must not stop the rest
                tap(False, '%s: %s' % (where, text), '%s: %s' % (type(e).__name__, e))
        tap(runnable > 0, '%s: %d commands run, %d synopses skipped'
            % (shown, runnable, skipped))
finally:
    shutil.rmtree(tmp_root, ignore_errors=True)

print('1..%d' % n_tests)
sys.exit(1 if n_failed else 0)
