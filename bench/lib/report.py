#!/usr/bin/env python3
"""Turns the JSON files of a bench/compare.sh run into the comparison table.

    report.py JSON_DIR [--markdown FILE]

JSON_DIR holds <server>--<run>.json (loft-bench --json output, or a stub
{"workload", "ok": false, "error_text"} when loft-bench wrote nothing),
<server>--disk-usage.json (bench/lib/disk_usage.py) and machine.json.
Prints the table on stdout; --markdown also writes a RESULTS.md-style file.
Python standard library only.
"""
import argparse
import glob
import json
import os
import sys

SERVERS = ('loft', 'dovecot')

# Order of the workloads in the table.
ORDER = ('imap-mix-peruser', 'imap-mix-shared', 'imap-mix-relogin', 'pop3-download', 'lmtp-ingest',
         'idle-fanout', 'big-mailbox', 'disk-usage')

# Top-level "results" keys that are not measurements.
SKIP = {'warnings', 'violation_samples', 'error_samples', 'commands', 'store_checks'}


# Of a timing object {"first", "min", "median", "runs", ...}: the ones shown.
TIMING_KEYS = ('first', 'median')


def direction(metric):
    """+1 when higher is better, -1 when lower is better, 0 for plain information."""
    m = metric.lower()
    if '.' in m and not m.startswith('server.'):  # "select_ms.median": the unit is the parent's
        base, sub = m.rsplit('.', 1)
        if sub in TIMING_KEYS:
            m = base
        else:
            return 0
    if m.endswith('per_s') or m.endswith('_per_sec') or 'throughput' in m:
        return 1
    if m in ('connected', 'sessions_held', 'sessions_idle', 'woken', 'woken_within_1s', 'delivered'):
        return 1
    if m.startswith('connection_errors') or m.startswith('errors') or m == 'never_woken':
        return -1
    for suffix in ('_ms', '_s', '_kb', '_mb', '_bytes', '_us', '_per_op', '_per_session', '_per_message'):
        if m.endswith(suffix):
            return -1
    return 0


def load(json_dir):
    runs = {}  # run name -> server -> document
    for path in sorted(glob.glob(os.path.join(json_dir, '*--*.json'))):
        server, run = os.path.basename(path)[:-5].split('--', 1)
        try:
            with open(path) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            doc = {'ok': False, 'error_text': 'unreadable JSON: %s' % e}
        runs.setdefault(run, {})[server] = doc
    return runs


def run_sort_key(run):
    for i, prefix in enumerate(ORDER):
        if run.startswith(prefix):
            rest = run[len(prefix):]
            digits = ''.join(c for c in rest if c.isdigit())
            return (i, int(digits) if digits else 0, 0 if 'cold' in rest else 1, rest)
    return (len(ORDER), 0, 0, run)


def failed(doc):
    if doc is None:
        return None
    if 'error_text' in doc:
        return 'ERROR'
    if doc.get('violations'):
        return 'FAILED'
    if doc.get('ok') is False:
        return 'FAILED'
    return None


def metrics(doc):
    """[(name, value)] of one run: its top-level numeric results, the server's
    CPU and memory, and CPU milliseconds per operation when it counts ops."""
    out = []
    if not doc:
        return out
    results = doc.get('results') or {}
    for k, v in results.items():
        if k in SKIP or isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            out.append((k, v))
        elif isinstance(v, dict):  # a timing: "select_ms": {"first", "min", "median", "runs"}
            for k2, v2 in v.items():
                if k2 in TIMING_KEYS and isinstance(v2, (int, float)) and not isinstance(v2, bool):
                    out.append(('%s.%s' % (k, k2), v2))
    server = doc.get('server') or {}
    for k in ('cpu_s', 'rss_kb', 'pss_kb', 'peak_rss_kb', 'peak_pss_kb', 'processes'):
        v = server.get(k)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(('server.' + k, v))
    ops = results.get('ops')
    if isinstance(ops, (int, float)) and ops > 0 and isinstance(server.get('cpu_s'), (int, float)):
        out.append(('server.cpu_ms_per_op', server['cpu_s'] * 1000.0 / ops))
    return out


def fmt(v):
    if v is None:
        return '-'
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return '{:,}'.format(int(v))
    if abs(v) >= 100:
        return '{:,.0f}'.format(v)
    if abs(v) >= 10:
        return '{:.1f}'.format(v)
    return '{:.3g}'.format(v)


def compare(metric, a, b):
    """(ratio text, verdict text) for Loft value a and Dovecot value b."""
    if a is None or b is None:
        return '-', ''
    d = direction(metric)
    if b == 0:
        ratio = '-' if a == 0 else 'inf'
    else:
        ratio = '%.2f' % (a / b)
    if d == 0 or a == b:
        return ratio, ''
    if a == 0 or b == 0:
        better = ('Loft' if (a > b) == (d > 0) else 'Dovecot')
        return ratio, better
    factor = max(a, b) / min(a, b)
    if factor < 1.03:
        return ratio, 'same'
    better = 'Loft' if (a > b) == (d > 0) else 'Dovecot'
    return ratio, ('%s %.2fx' if factor < 1.1 else '%s %.1fx') % (better, factor)


def rows(runs):
    out = []  # (run, metric, loft text, dovecot text, ratio, better, direction arrow)
    for run in sorted(runs, key=run_sort_key):
        docs = runs[run]
        loft, dove = docs.get('loft'), docs.get('dovecot')
        names = []
        for doc in (loft, dove):
            for k, _ in metrics(doc):
                if k not in names:
                    names.append(k)
        status = {s: failed(docs.get(s)) for s in SERVERS}
        if not names:
            out.append((run, 'status', status['loft'] or ('-' if loft is None else 'ok'),
                         status['dovecot'] or ('-' if dove is None else 'ok'), '-', '', ''))
            continue
        lm, dm = dict(metrics(loft)), dict(metrics(dove))
        for k in names:
            a, b = lm.get(k), dm.get(k)
            ratio, better = compare(k, a, b)
            ta, tb = fmt(a), fmt(b)
            if status['loft']:
                ta += ' (%s)' % status['loft']
                better = ''
            if status['dovecot']:
                tb += ' (%s)' % status['dovecot']
                better = ''
            arrow = {1: 'higher', -1: 'lower', 0: ''}[direction(k)]
            out.append((run, k, ta, tb, ratio, better, arrow))
    return out


HEAD = ('workload', 'metric', 'Loft', 'Dovecot', 'Loft/Dovecot', 'better is', 'winner')


def text_table(rs):
    cells = [HEAD] + [(r[0], r[1], r[2], r[3], r[4], r[6], r[5]) for r in rs]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEAD))]
    lines = []
    prev = None
    for n, c in enumerate(cells):
        first = c[0] if c[0] != prev else ''
        prev = c[0]
        row = (first,) + tuple(c[1:])
        lines.append('  '.join(x.ljust(widths[i]) if i < 2 else x.rjust(widths[i]) for i, x in enumerate(row)).rstrip())
        if n == 0:
            lines.append('  '.join('-' * w for w in widths))
    return '\n'.join(lines)


def md_table(rs):
    lines = ['| ' + ' | '.join(HEAD) + ' |', '|' + '|'.join(['---'] * 2 + ['---:'] * 3 + ['---'] * 2) + '|']
    prev = None
    for r in rs:
        first = '**%s**' % r[0] if r[0] != prev else ''
        prev = r[0]
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (first, r[1], r[2], r[3], r[4], r[6], r[5]))
    return '\n'.join(lines)


def command_tables(runs):
    """Per-command latency (p50/p99 ms, ops/s) of every run that has them."""
    parts = []
    for run in sorted(runs, key=run_sort_key):
        docs = runs[run]
        cmds = {s: ((docs.get(s) or {}).get('results') or {}).get('commands') or {} for s in SERVERS}
        names = sorted(set(cmds['loft']) | set(cmds['dovecot']))
        if not names:
            continue
        parts.append('#### %s\n' % run)
        parts.append('| command | Loft ops/s | Loft p50 ms | Loft p99 ms | Dovecot ops/s | Dovecot p50 ms | Dovecot p99 ms |')
        parts.append('|---|---:|---:|---:|---:|---:|---:|')
        for c in names:
            a, b = cmds['loft'].get(c) or {}, cmds['dovecot'].get(c) or {}
            parts.append('| %s | %s | %s | %s | %s | %s | %s |' % (
                c, fmt(a.get('ops_per_s')), fmt(a.get('p50_ms')), fmt(a.get('p99_ms')),
                fmt(b.get('ops_per_s')), fmt(b.get('p50_ms')), fmt(b.get('p99_ms'))))
        parts.append('')
    return '\n'.join(parts)


def problems(runs):
    out = []
    for run in sorted(runs, key=run_sort_key):
        for s in SERVERS:
            doc = runs[run].get(s)
            st = failed(doc)
            if not st:
                continue
            detail = doc.get('error_text') or ''
            samples = ((doc.get('results') or {}).get('violation_samples') or []) + \
                      ((doc.get('results') or {}).get('error_samples') or [])
            if samples:
                detail = (detail + ' ' if detail else '') + '; '.join(str(x) for x in samples[:3])
            out.append('- %s on %s: %s (violations %s, errors %s) %s' % (
                run, s, st, doc.get('violations', '-'), doc.get('errors', '-'), detail))
    return out


def index_files(runs):
    out = []
    for s in SERVERS:
        doc = (runs.get('disk-usage') or {}).get(s)
        if doc and doc.get('index_files'):
            files = ', '.join('%s %s KiB' % (k, fmt(v)) for k, v in sorted(doc['index_files'].items()))
            out.append('- %s (%s): %s' % (s, doc.get('path', ''), files))
    return out


def markdown(json_dir, rs, runs):
    m = {}
    try:
        with open(os.path.join(json_dir, 'machine.json')) as f:
            m = json.load(f)
    except (OSError, ValueError):
        pass
    notes = []
    for s in SERVERS:
        p = os.path.join(json_dir, '.cache-' + s)
        if os.path.exists(p):
            with open(p) as f:
                state = f.read().strip()
            notes.append('- %s: page cache %s (`sync; echo 3 > /proc/sys/vm/drop_caches`) before the restart '
                         'that precedes the cold SELECT.' % (s, 'dropped' if state == 'dropped' else 'NOT dropped'))
        p = os.path.join(json_dir, '.provision-%s-s' % s)
        if os.path.exists(p):
            with open(p) as f:
                notes.append('- %s: provisioning took %s s.' % (s, f.read().strip()))
    out = ['# Loft vs Dovecot: benchmark results', '',
           'Made by `bench/compare.sh%s` (see bench/README.md for what each workload does and how both '
           'servers are configured).' % (' --quick' if m.get('mode') == 'quick' else ''), '',
           '- date: %s' % m.get('date', '?'),
           '- machine: %s CPUs (%s), %s GiB memory, kernel %s' % (m.get('host_cpus', '?'), m.get('cpu_model', '?'),
                                                                 m.get('mem_gib', '?'), m.get('kernel', '?')),
           '- disk: %s (%s, %s)' % (m.get('disk', '?'), m.get('fs', '?'), m.get('disk_model', '?')),
           '- Loft: %s (%s, built %s); Dovecot: %s; loft-bench: %s' % (
               m.get('loft_version', '?'), m.get('loft_binary', '?'), m.get('loft_built', '?'),
               m.get('dovecot_version', '?'), m.get('loft_bench_version', '?')),
           '- file descriptor limit (ulimit -n) of servers and loft-bench: %s' % m.get('nofile', '?'),
           '- workloads: %s' % m.get('workloads', '?'),
           '', '"Loft/Dovecot" is Loft\'s value divided by Dovecot\'s; "better is" says which direction wins '
           'for that metric (throughput: higher; latency, CPU seconds, memory, sizes: lower); "winner" names the '
           'better server and by how much (differences under 3% are "same"). `server.*` rows are the server\'s '
           'processes (Loft: one process; Dovecot: the master and all its children): CPU seconds used during '
           'the run, RSS and PSS summed at the end of the run. A run with protocol violations or failed '
           'commands is marked FAILED and gets no winner.', '',
           md_table(rs), '']
    probs = problems(runs)
    if probs:
        out += ['## Failed runs', ''] + probs + ['']
    idx = index_files(runs)
    if idx:
        out += ['## Index files of the big mailbox', ''] + idx + ['']
    if notes:
        out += ['## Notes', ''] + notes + ['']
    cmds = command_tables(runs)
    if cmds:
        out += ['## Per-command latency', '', cmds]
    return '\n'.join(out) + '\n'


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('json_dir')
    ap.add_argument('--markdown')
    a = ap.parse_args(argv)
    runs = load(a.json_dir)
    if not runs:
        print('report.py: no results in %s' % a.json_dir, file=sys.stderr)
        return 1
    rs = rows(runs)
    print(text_table(rs))
    probs = problems(runs)
    if probs:
        print('\n' + '\n'.join(probs))
    if a.markdown:
        with open(a.markdown, 'w') as f:
            f.write(markdown(a.json_dir, rs, runs))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
