"""A full disk: the data directory on a small tmpfs made by the test.

Delivery answers a temporary failure (LMTP 452 4.3.1, `loft deliver`
EX_TEMPFAIL), APPEND answers NO [OVERQUOTA], nothing already stored is
damaged, the server keeps running, and once there is space again (the
tmpfs is grown in place) everything works without a restart.
"""

import os
import random
import subprocess
import time

import pytest

from loftlib import LmtpRaw, smtp_stuff
import imaplib

USER, PW = 'fay', 'fay-full-pw'


@pytest.fixture
def small_fs(base_dir):
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root')
    mnt = os.path.join(base_dir, 'small')
    os.mkdir(mnt)
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=3m,mode=0755', 'tmpfs', mnt], check=True)
    try:
        yield mnt
    finally:
        subprocess.run(['umount', '-l', mnt], check=False)


def resize(mnt, size):
    subprocess.run(['mount', '-o', 'remount,size=%s' % size, mnt], check=True)


def message(i, kb):
    rnd = random.Random(i)
    # Incompressible and line-broken, so every byte costs a byte of tmpfs.
    body = b''.join(b'%x\r\n' % rnd.getrandbits(300) for _ in range(kb * 1024 // 80))
    return (b'From: filler@example.org\r\nTo: fay@loft.test\r\nSubject: filler %d\r\n'
            b'Message-ID: <fill-%d@example.org>\r\nX-Fill: %d\r\n\r\n' % (i, i, i)) + body


def lmtp_deliver(port, data):
    c = LmtpRaw('127.0.0.1', port, timeout=30)
    try:
        assert c.greeting[0] == 220 and c.cmd('LHLO full')[0] == 250
        assert c.cmd('MAIL FROM:<filler@example.org>')[0] == 250
        code, text = c.cmd('RCPT TO:<%s@loft.test>' % USER)
        if code != 250:
            return code, text
        assert c.cmd('DATA')[0] == 354
        c.send(smtp_stuff(data))
        return c.reply()
    finally:
        c.close()


def fetch_all(port):
    c = imaplib.IMAP4('127.0.0.1', port, timeout=30)
    c.login(USER, PW)
    typ, _ = c.select('INBOX')
    assert typ == 'OK'
    typ, data = c.uid('FETCH', '1:*', '(BODY.PEEK[])')
    assert typ == 'OK', data
    c.logout()
    return [item[1] for item in data if isinstance(item, tuple)]


def body_of(stored):
    """The message as delivered: LMTP adds trace fields before it."""
    i = stored.index(b'From: filler@')
    return stored[i:]


@pytest.mark.slow
def test_full_disk_fails_temporarily_and_recovers(loft, small_fs):
    loft.data = os.path.join(small_fs, 'data')
    loft.set(None, 'data_dir', loft.data)
    loft.add_user(USER, PW)
    loft.start('imap', 'lmtp')

    # Fill the file system with deliveries until one is refused.
    acked = []
    refusal = None
    for i in range(200):
        code, text = lmtp_deliver(loft.port('lmtp'), message(i, 64))
        if code == 250:
            acked.append(i)
            continue
        refusal = (code, text)
        break
    assert refusal is not None, 'a 3 MB file system took %d messages of 64 kB' % len(acked)
    assert len(acked) >= 5, 'refused too early: %r' % (refusal,)
    assert refusal[0] == 452 and '4.3.1' in ' '.join(refusal[1]), refusal
    # Smaller ones are refused alike, not half-stored.
    for i in range(1000, 1005):
        code, text = lmtp_deliver(loft.port('lmtp'), message(i, 16))
        if code == 250:
            acked.append(i)
        else:
            assert code == 452, (code, text)

    # APPEND: NO [OVERQUOTA]; the session goes on.
    c = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=30)
    c.login(USER, PW)
    typ, data = c.append('INBOX', None, None, message(2000, 256))
    assert typ == 'NO' and data[0].startswith(b'[OVERQUOTA]'), (typ, data)
    typ, data = c.select('INBOX')
    assert typ == 'OK' and int(data[0]) == len(acked), (typ, data, len(acked))
    c.logout()

    # Loft's own delivery command says "try again later" (EX_TEMPFAIL).
    r = loft.deliver(USER, message(3000, 256))
    assert r.returncode == 75, (r.returncode, r.stderr)

    # Nothing stored was damaged.
    stored = fetch_all(loft.port('imap'))
    assert len(stored) == len(acked)
    assert [body_of(s) for s in stored] == [message(i, 64 if i < 1000 else 16) for i in acked]
    assert loft.running()

    # Space again: everything works, without a restart.
    resize(small_fs, '32m')
    code, text = lmtp_deliver(loft.port('lmtp'), message(4000, 64))
    assert code == 250, (code, text)
    acked.append(4000)
    c = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=30)
    c.login(USER, PW)
    typ, data = c.append('INBOX', '(\\Seen)', None, message(5000, 64))
    assert typ == 'OK', (typ, data)
    c.logout()
    acked.append(5000)
    stored = fetch_all(loft.port('imap'))
    want = [message(i, 16 if 1000 <= i < 1005 else 64) for i in acked]
    assert [body_of(s) for s in stored] == want

    # And a restart finds the same.
    loft.restart('imap', 'lmtp')
    assert [body_of(s) for s in fetch_all(loft.port('imap'))] == want
