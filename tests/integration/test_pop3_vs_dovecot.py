"""Differential POP3 check: the same corpus served by Loft and by the
reference Dovecot 2.3 must give the same STAT, UIDL count, LIST, TOP and RETR
answers (imapdiff.py --pop3). Differences that are legitimately explained
are listed, each with its reason, in pop3_dovecot_known_differences.json."""

import json
import os
import subprocess
import sys

import pytest

from loftlib import pop3_login
from refdovecot import dovecot, is_known, load_known  # noqa: F401 (dovecot is a fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN = os.path.join(HERE, 'pop3_dovecot_known_differences.json')
LOFT_USER, LOFT_PW = 'bob', 'bob-loft-pass'


def corpus_messages(corpus):
    """The corpus as imapdiff.py loads it: sorted file names, a leading mbox
    From_ line dropped, line ends made CRLF."""
    out = []
    for name in sorted(n for n in os.listdir(corpus)
                       if not n.startswith('.') and os.path.isfile(os.path.join(corpus, n))):
        with open(os.path.join(corpus, name), 'rb') as f:
            raw = f.read()
        if raw.startswith(b'From '):
            raw = raw.split(b'\n', 1)[1] if b'\n' in raw else b''
        out.append(raw.replace(b'\r\n', b'\n').replace(b'\n', b'\r\n'))
    return out


def test_pop3_answers_match_dovecot(loft, dovecot, shared_dir):
    corpus = os.path.join(shared_dir, 'corpus', 'messages')
    tool = os.path.join(shared_dir, 'tools', 'imapdiff.py')
    loft.add_user(LOFT_USER, LOFT_PW)
    msgs = corpus_messages(corpus)
    loft.drop_messages(LOFT_USER, msgs, prefix='corpus')
    loft.start('pop3')
    # The first login takes the dropped files in; do it here so that
    # imapdiff's own timeouts only measure the POP3 answers.
    p = pop3_login(loft, LOFT_USER, LOFT_PW, timeout=300)
    assert p.cmd('STAT').startswith(b'+OK %d ' % len(msgs))
    p.quit()
    out_json = os.path.join(loft.base, 'imapdiff.json')
    cmd = [sys.executable, tool, '--pop3',
           '--a', '127.0.0.1:%d:bob:bob-pass' % dovecot['pop3'], '--deliver-a', '127.0.0.1:%d' % dovecot['imap'],
           '--b', '127.0.0.1:%d:%s:%s' % (loft.port('pop3'), LOFT_USER, LOFT_PW),
           '--corpus', corpus, '--json', out_json, '--timeout', '120', '--trace', os.path.join(loft.base, 'imapdiff.trace')]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=400)
    output = r.stdout.decode('utf-8', 'replace')
    last = output.strip().splitlines()[-1] if output.strip() else ''
    assert r.returncode in (0, 1) and os.path.exists(out_json), 'imapdiff could not run (exit %d):\n%s' % (
        r.returncode, output[-5000:])
    with open(out_json) as f:
        result = json.load(f)
    assert result['messages'] == len(msgs), result.get('notes')
    known = load_known(KNOWN)
    unexplained = [d for d in result['differences'] if not is_known(d, known)]
    stale = [(k['where'], k['item']) for k in known if not any(is_known(d, [k]) for d in result['differences'])]
    if stale:
        print('known differences that no longer occur (remove them from %s): %r' % (KNOWN, stale))
    summary = '\n'.join('  %-12s passed %5d failed %4d skipped %4d' % (k, v['passed'], v['failed'], v['skipped'])
                        for k, v in sorted(result['summary'].items()))
    details = '\n'.join('FAIL %s %s %s %s\n     A: %s\n     B: %s' % (d['where'], d['item'], d['path'], d['detail'],
                                                                      d['a'][:300], d['b'][:300])
                        for d in unexplained[:40])
    assert not unexplained, '%s\n%d differences not explained in %s:\n%s\n%s\nnotes: %s' % (
        last, len(unexplained), os.path.basename(KNOWN), summary, details, result.get('notes'))
    if not known:
        assert last.endswith(' 0 failed'), last
