"""SEARCH answered from the search index (<data>/mail/<user>/search.sqlite)
through the real server: a generated mailbox delivered over LMTP, whose
zqmark<d> body words have known frequencies (gen-mailbox.py: message n has
zqmark<d> for every d in 2,3,5,7,11,13,97,997 dividing n), searched before
and after an expunge, a COPY, a restart, and the loss of the index file."""

import os
import re
import smtplib
import subprocess
import sys

import pytest

from imaptest import connect, search_numbers

PW = 'search-Index-1'
N = 600
DIVISORS = (2, 3, 5, 7, 11, 13, 97)


def generate(shared_dir, out, count):
    gen = os.path.join(shared_dir, 'corpus', 'gen-mailbox.py')
    subprocess.run([sys.executable, gen, '--count', str(count), '--seed', '5', '--format', 'maildir',
                    '--out', out], check=True, stdout=subprocess.DEVNULL)
    files = []
    for root, _, names in os.walk(out):
        files += [os.path.join(root, n) for n in names]

    def seq(path):  # the X-Gen-Seq header: message n
        with open(path, 'rb') as f:
            m = re.search(rb'^X-Gen-Seq: (\d+)', f.read(), re.M)
        return int(m.group(1))
    return sorted(files, key=seq)


def uid_search(c, criteria):
    return sorted(search_numbers(c.ok('UID SEARCH ' + criteria)))


def counts(c, key, alive):
    """{d: number of UIDs} for key zqmark<d>, and the expected numbers."""
    got = {d: len(uid_search(c, '%s zqmark%d' % (key, d))) for d in DIVISORS}
    want = {d: sum(1 for n in alive if n % d == 0) for d in DIVISORS}
    return got, want


@pytest.mark.slow
def test_search_index_through_the_server(loft, shared_dir, tmp_path):
    loft.add_user('alice', PW)
    loft.start('imap', 'lmtp')
    files = generate(shared_dir, str(tmp_path / 'gen'), N)
    assert len(files) == N
    lmtp = smtplib.LMTP('127.0.0.1', loft.port('lmtp'), timeout=60)
    for path in files:
        with open(path, 'rb') as f:
            assert lmtp.sendmail('gen@example.org', ['alice@loft.test'], f.read()) == {}
    lmtp.quit()

    c = connect(loft, 'alice')
    c.ok('SELECT INBOX')
    # Message n has UID n (delivered in order into an empty INBOX).
    assert uid_search(c, 'HEADER X-Gen-Seq 1') == sorted(n for n in range(1, N + 1) if '1' in str(n))
    alive = set(range(1, N + 1))
    for key in ('BODY', 'TEXT'):
        got, want = counts(c, key, alive)
        assert got == want, key
        assert want[2] == N // 2
    assert uid_search(c, 'BODY zqmark997') == []
    assert uid_search(c, 'SUBJECT "[batch-3]"') == [150]
    assert uid_search(c, 'BODY ZQMARK97 NOT BODY zqmark2') == [97, 291, 485]
    assert uid_search(c, 'OR BODY zqmark97 TEXT "GEN5-600"') == [97, 194, 291, 388, 485, 582, 600]
    index_file = os.path.join(loft.data, 'mail', 'alice', 'search.sqlite')
    assert os.path.getsize(index_file) > 0

    # Expunge the multiples of 5; the rest must still be found exactly.
    fives = [n for n in range(5, N + 1, 5)]
    c.ok('UID STORE %s +FLAGS.SILENT (\\Deleted)' % ','.join(map(str, fives)))
    c.ok('EXPUNGE')
    alive -= set(fives)
    for key in ('BODY', 'TEXT'):
        got, want = counts(c, key, alive)
        assert got == want, key
    assert want[5] == 0

    # Copies are indexed like new messages.
    c.ok('UID COPY 97,194,291 Archive')
    c.ok('SELECT Archive')
    assert len(uid_search(c, 'BODY zqmark97')) == 3
    c.ok('SELECT INBOX')
    # New mail after the index caught up.
    lmtp = smtplib.LMTP('127.0.0.1', loft.port('lmtp'), timeout=60)
    late = b'From: late@example.org\r\nTo: alice@loft.test\r\nSubject: late\r\n\r\nzqmark2 zqmark3 arrived late\r\n'
    assert lmtp.sendmail('late@example.org', ['alice@loft.test'], late) == {}
    lmtp.quit()
    c.ok('NOOP')
    assert uid_search(c, 'BODY "arrived late"') == [N + 1]
    c.logout()

    # After a restart, and after losing the index file, the same answers.
    alive.add(N + 6)  # the late message: divisible by 2 and 3 like n = 606
    for lose_index in (False, True):
        loft.stop()
        if lose_index:
            for suffix in ('', '-wal', '-shm'):
                if os.path.exists(index_file + suffix):
                    os.unlink(index_file + suffix)
        loft.start('imap', 'lmtp', ports=loft.ports)
        c = connect(loft, 'alice')
        c.ok('SELECT INBOX')
        for key in ('BODY', 'TEXT'):
            got, want = counts(c, key, alive)
            assert got == want, (key, lose_index)
        assert uid_search(c, 'SUBJECT "[batch-3]"') == []  # 150 was expunged
        assert uid_search(c, 'SUBJECT "late"') == [N + 1]
        assert uid_search(c, 'FROM late@example') == [N + 1]
        c.logout()
        assert os.path.exists(index_file)


def test_loft_index_builds_the_index_before_the_server_runs(loft, shared_dir, tmp_path):
    """`loft import` then `loft index`: the index covers every message before
    any SEARCH, and the server's SEARCH answers agree with the known counts."""
    loft.add_user('bob', PW)
    gen = str(tmp_path / 'gen')
    generate(shared_dir, gen, 200)
    r = loft.cli('import', 'bob', gen)
    assert r.returncode == 0, r.stderr.decode()
    # The import's own background indexer may have begun (each batch of 50
    # or more new messages ends its settle); `loft index` finishes the job.
    r = loft.cli('index', 'bob')
    out = r.stdout.decode()
    assert r.returncode == 0, out + r.stderr.decode()
    assert 'INBOX: indexed through UID 200' in out
    assert os.path.getsize(os.path.join(loft.data, 'mail', 'bob', 'search.sqlite')) > 0
    assert loft.cli('index', 'nobody-here').returncode == 67
    assert loft.cli('index', 'bob', '--mailbox', 'Nope').returncode == 64

    loft.start('imap')
    c = connect(loft, 'bob')
    c.ok('SELECT INBOX')
    got, want = counts(c, 'BODY', range(1, 201))
    assert got == want
    c.logout()
