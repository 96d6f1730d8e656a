"""Differential IMAP check: the corpus APPENDed to Loft and to the reference
Dovecot 2.3 must give the same FETCH answers (RFC822.SIZE, INTERNALDATE,
FLAGS, ENVELOPE, BODY, BODYSTRUCTURE, sections, BINARY, BINARY.SIZE) and the
same SEARCH results (imapdiff.py in its IMAP mode). Differences that are
legitimately explained are listed, each with its reason, in
imap_dovecot_known_differences.json; an entry matches on where and item, and
on the values when it gives them."""

import json
import os
import subprocess
import sys

import pytest

from refdovecot import dovecot, is_known, load_known  # noqa: F401 (dovecot is a fixture)

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN = os.path.join(HERE, 'imap_dovecot_known_differences.json')
LOFT_USER, LOFT_PW = 'carol', 'carol-loft-pass'


def test_imap_answers_match_dovecot(loft, dovecot, shared_dir):
    corpus = os.path.join(shared_dir, 'corpus', 'messages')
    tool = os.path.join(shared_dir, 'tools', 'imapdiff.py')
    loft.add_user(LOFT_USER, LOFT_PW)
    loft.start('imap')
    out_json = os.path.join(loft.base, 'imapdiff.json')
    cmd = [sys.executable, tool,
           '--a', '127.0.0.1:%d:alice:alice-pass' % dovecot['imap'],
           '--b', '127.0.0.1:%d:%s:%s' % (loft.port('imap'), LOFT_USER, LOFT_PW),
           '--corpus', corpus, '--json', out_json, '--timeout', '120', '-q',
           '--trace', os.path.join(loft.base, 'imapdiff.trace')]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800)
    output = r.stdout.decode('utf-8', 'replace')
    last = output.strip().splitlines()[-1] if output.strip() else ''
    assert r.returncode in (0, 1) and os.path.exists(out_json), 'imapdiff could not run (exit %d):\n%s' % (
        r.returncode, output[-5000:])
    with open(out_json) as f:
        result = json.load(f)
    known = load_known(KNOWN)
    unexplained = [d for d in result['differences'] if not is_known(d, known)]
    stale = [(k['where'], k['item']) for k in known if not any(is_known(d, [k]) for d in result['differences'])]
    if stale:
        print('known differences that no longer occur (remove them from %s): %r' % (KNOWN, stale))
    summary = '\n'.join('  %-45s passed %5d failed %4d skipped %4d' % (k, v['passed'], v['failed'], v['skipped'])
                        for k, v in sorted(result['summary'].items()))
    details = '\n'.join('FAIL %s %s %s %s\n     A: %s\n     B: %s' % (d['where'], d['item'], d['path'], d['detail'],
                                                                      d['a'][:300], d['b'][:300])
                        for d in unexplained[:40])
    assert not unexplained, '%s\n%d differences not explained in %s:\n%s\n%s\nnotes: %s' % (
        last, len(unexplained), os.path.basename(KNOWN), summary, details, result.get('notes'))
    assert result.get('messages', 0) > 0, result.get('notes')
