"""Differential IMAP check: the corpus APPENDed to Loft and to the reference
Dovecot 2.3 must give the same FETCH answers (RFC822.SIZE, INTERNALDATE,
FLAGS, ENVELOPE, BODY, BODYSTRUCTURE, sections, BINARY, BINARY.SIZE) and the
same SEARCH results (imapdiff.py in its IMAP mode). Differences that are
legitimately explained are listed, each with its reason, in
imap_dovecot_known_differences.json; an entry matches on where and item, and
on the values when it gives them."""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
KNOWN = os.path.join(HERE, 'imap_dovecot_known_differences.json')
LOFT_USER, LOFT_PW = 'carol', 'carol-loft-pass'


def ports_free(*ports):
    for p in ports:
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
        except OSError:
            return False
        finally:
            s.close()
    return True


@pytest.fixture
def dovecot(shared_dir):
    script = os.path.join(shared_dir, 'tools', 'reference-dovecot.sh')
    if not (os.path.exists('/usr/sbin/dovecot') and os.path.exists('/usr/lib/dovecot/imap')):
        pytest.fail('Dovecot is not installed (needed for the reference comparison): '
                    'apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd')
    d = tempfile.mkdtemp(prefix='rd', dir='/tmp')  # short: Dovecot's unix socket paths
    os.chmod(d, 0o755)
    errors = []
    for _ in range(10):
        base = random.randrange(20000, 60000, 100)
        if not ports_free(base + 110, base + 143):
            continue
        r = subprocess.run([script, 'start', d, str(base)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if r.returncode == 0:
            break
        errors.append(r.stdout.decode('utf-8', 'replace'))
    else:
        shutil.rmtree(d, ignore_errors=True)
        pytest.fail('reference Dovecot did not start:\n' + '\n'.join(errors))
    yield {'imap': base + 143, 'pop3': base + 110, 'dir': d}
    subprocess.run([script, 'stop', d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    shutil.rmtree(d, ignore_errors=True)


def load_known():
    with open(KNOWN) as f:
        known = json.load(f)
    for k in known:
        assert k.get('where') and k.get('item') and k.get('reason'), 'incomplete entry in %s: %r' % (KNOWN, k)
    return known


def is_known(diff, known):
    for k in known:
        if (k['where'], k['item']) != (diff['where'], diff['item']):
            continue
        if 'a' in k and k['a'] != diff['a']:
            continue
        if 'b' in k and k['b'] != diff['b']:
            continue
        return True
    return False


@pytest.mark.slow
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
    known = load_known()
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
