"""`loft import`: Maildir (flags from the ":2," suffix, INTERNALDATE from the
file's mtime), mbox (mboxrd unquoting, INTERNALDATE from the From_ line) and
plain directories, read back over IMAP with imaplib; bad input; and an
import while the server runs, seen by an IDLE-ing session."""

import calendar
import imaplib
import os
import re
import subprocess
import time
from datetime import datetime

import pytest

from loftlib import EX_NOUSER, LOFT_BIN

PW = 'import-pw'

FLAG_NAMES = {'S': '\\Seen', 'R': '\\Answered', 'F': '\\Flagged', 'T': '\\Deleted', 'D': '\\Draft'}


def crlf(data):
    """What the store serves: bare LF made CRLF."""
    return re.sub(rb'(?<!\r)\n', b'\r\n', data)


def message(n, extra=b''):
    return (b'From: sender%d@example.com\nTo: alice@example.com\nSubject: message %d\n'
            b'Message-ID: <m%d@example.com>\n\nBody of message %d.\n%s' % (n, n, n, n, extra))


def run_import(loft, *args):
    return subprocess.run([LOFT_BIN, 'import'] + list(args) + ['--config', loft.config_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)


def write(path, data, mtime=None):
    with open(path, 'wb') as f:
        f.write(data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


def fetch_all(loft, mailbox='INBOX', user='alice'):
    """[(uid, set of flags, internaldate as epoch seconds, size, body bytes)] in UID order."""
    m = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=30)
    try:
        m.login(user, PW)
        typ, data = m.select('"%s"' % mailbox, readonly=True)
        assert typ == 'OK', data
        count = int(data[0])
        if count == 0:
            return []
        typ, data = m.fetch('1:*', '(UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])')
        assert typ == 'OK', data
        out = []
        for item in data:
            if not isinstance(item, tuple):
                continue
            head = item[0].decode()
            uid = int(re.search(r'UID (\d+)', head).group(1))
            flags = set(re.search(r'FLAGS \(([^)]*)\)', head).group(1).split())
            date = re.search(r'INTERNALDATE "([^"]+)"', head).group(1)
            epoch = int(datetime.strptime(date.strip(), '%d-%b-%Y %H:%M:%S %z').timestamp())
            size = int(re.search(r'RFC822\.SIZE (\d+)', head).group(1))
            out.append((uid, flags, epoch, size, item[1]))
        assert len(out) == count
        return sorted(out)
    finally:
        m.logout()


def test_import_maildir_flags_sizes_dates(loft, base_dir):
    loft.add_user('alice', PW)
    md = os.path.join(base_dir, 'src-maildir')
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(md, sub))
    t0 = 1546300800  # 2019-01-01
    # (directory, name, flags letters, content); names sort in delivery order
    files = [
        ('cur', '1546300801.M1P1.host:2,S', 'S', message(1)),
        ('cur', '1546300802.M2P1.host:2,RS', 'RS', message(2, b'crlf line\r\nmixed\n')),
        ('new', '1546300803.M3P1.host', '', message(3)),
        ('cur', '1546300804.M4P1.host:2,DFT', 'DFT', message(4)),
        # Not a message at all: stored anyway, as Dovecot's import does (no NUL:
        # IMAP serves it as 0x80).
        ('cur', '1546300805.M5P1.host:2,', '', b'\x01\x02 binary \xff\xfe\nno header at all\n'),
        ('new', '1546300806.M6P1.host:2,F', 'F', message(6, b'x' * 200000 + b'\n')),
    ]
    for i, (sub, name, _, data) in enumerate(files):
        write(os.path.join(md, sub, name), data, mtime=t0 + 3600 * (i + 1))
    write(os.path.join(md, 'tmp', '1546300807.M7P1.host'), message(7))  # tmp/ is never imported
    write(os.path.join(md, 'cur', '.hidden'), message(8))                # nor dot files

    r = run_import(loft, 'alice', md)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    total = sum(len(crlf(f[3])) for f in files)
    assert re.search(r'imported 6 messages \(%d bytes\)' % total, out), out

    loft.start('imap')
    got = fetch_all(loft)
    assert [g[0] for g in got] == [1, 2, 3, 4, 5, 6]
    for (uid, flags, epoch, size, body), (i, (sub, name, letters, data)) in zip(got, enumerate(files)):
        assert body == crlf(data), name
        assert size == len(crlf(data)), name
        assert flags == {FLAG_NAMES[c] for c in letters}, name
        assert epoch == t0 + 3600 * (i + 1), name


def test_import_maildir_keywords_from_dovecot_keywords(loft, base_dir):
    """Lower-case letters in the flags are Dovecot's keywords, numbered in
    the Maildir's dovecot-keywords file."""
    loft.add_user('alice', PW)
    md = os.path.join(base_dir, 'kw-maildir')
    os.makedirs(os.path.join(md, 'cur'))
    write(os.path.join(md, 'dovecot-keywords'), b'0 $Junk\n1 project-x\n')
    write(os.path.join(md, 'cur', '1.M1.host:2,Sa'), message(1))
    write(os.path.join(md, 'cur', '2.M2.host:2,bc'), message(2))  # 'c' is not defined: ignored
    r = run_import(loft, 'alice', md)
    assert r.returncode == 0, r.stderr.decode()
    loft.start('imap')
    got = fetch_all(loft)
    assert [g[1] for g in got] == [{'\\Seen', '$Junk'}, {'project-x'}]


def test_import_mbox_into_new_mailbox(loft, base_dir):
    loft.add_user('alice', PW)
    bodies = [
        message(1),
        # mboxrd: ">From " in the body was quoted once more on writing.
        message(2, b'From the start of a line\n>From already quoted\n\n'),
        message(3, b'last line'),  # no final newline in the message
    ]
    quoted = [re.sub(rb'(?m)^(>*From )', rb'>\1', b) for b in bodies]
    dates = ['Tue Jan  1 00:00:00 2019', 'Wed Feb 13 12:34:56 2019', 'Sun Dec 31 23:59:59 2023']
    mbox = b''
    for q, d in zip(quoted, dates):
        if not q.endswith(b'\n'):
            q += b'\n'
        mbox += b'From sender@example.com ' + d.encode() + b'\n' + q + b'\n'
    path = os.path.join(base_dir, 'in.mbox')
    write(path, mbox)

    r = run_import(loft, 'alice', path, '--mailbox', 'Archive/2019')
    assert r.returncode == 0, r.stderr.decode()
    assert 'imported 3 messages' in r.stdout.decode()

    loft.start('imap')
    got = fetch_all(loft, 'Archive/2019')
    assert len(got) == 3
    for (uid, flags, epoch, size, body), original, d in zip(got, bodies, dates):
        want = original if original.endswith(b'\n') else original + b'\n'
        assert body == crlf(want)
        assert flags == set()
        assert epoch == calendar.timegm(time.strptime(d, '%a %b %d %H:%M:%S %Y'))
    assert b'\r\nFrom the start of a line\r\n>From already quoted\r\n' in got[1][4]
    assert fetch_all(loft, 'INBOX') == []


def test_import_plain_directory_and_unreadable_files(loft, base_dir):
    loft.add_user('alice', PW)
    src = os.path.join(base_dir, 'plain')
    os.makedirs(os.path.join(src, 'subdir'))
    msgs = {'a.eml': message(1), 'b.eml': message(2), 'c.txt': b'just some text\n'}
    for i, (name, data) in enumerate(sorted(msgs.items())):
        write(os.path.join(src, name), data, mtime=1600000000 + i)
    write(os.path.join(src, 'subdir', 'x.eml'), message(9))  # not recursed into
    os.symlink(os.path.join(src, 'missing.eml'), os.path.join(src, 'broken.eml'))  # unreadable
    os.mkfifo(os.path.join(src, 'd.fifo'))  # not a regular file: must not hang

    r = run_import(loft, 'alice', src, '--batch', '2')
    err = r.stderr.decode()
    assert r.returncode != 0, 'skipped files must give a non-zero exit'
    assert 'broken.eml' in err and 'd.fifo' in err, err
    assert 'imported 3 messages' in r.stdout.decode()

    loft.start('imap')
    got = fetch_all(loft)
    assert [g[4] for g in got] == [crlf(d) for _, d in sorted(msgs.items())]
    assert [g[2] for g in got] == [1600000000, 1600000001, 1600000002]


def test_import_needs_an_existing_user_and_source(loft, base_dir):
    loft.add_user('alice', PW)
    src = os.path.join(base_dir, 'one')
    os.makedirs(src)
    write(os.path.join(src, 'm'), message(1))
    r = run_import(loft, 'nobody-here', src)
    assert r.returncode == EX_NOUSER, r.stderr.decode()
    assert 'no such user' in r.stderr.decode()
    r = run_import(loft, 'alice', os.path.join(base_dir, 'does-not-exist'))
    assert r.returncode == 66, r.stderr.decode()  # EX_NOINPUT
    loft.start('imap')
    assert fetch_all(loft) == []


def test_import_while_serving_wakes_idle(loft, base_dir):
    loft.add_user('alice', PW)
    loft.start('imap')
    src = os.path.join(base_dir, 'live')
    os.makedirs(src)
    for i in range(5):
        write(os.path.join(src, 'm%d' % i), message(i))

    m = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=30)
    try:
        m.login('alice', PW)
        typ, data = m.select('INBOX')
        assert typ == 'OK' and data[0] == b'0'
        m.send(b'i1 IDLE\r\n')
        assert m.readline().startswith(b'+ ')

        r = run_import(loft, 'alice', src, '--batch', '5')
        assert r.returncode == 0, r.stderr.decode()

        m.sock.settimeout(10)
        seen = b''
        deadline = time.monotonic() + 10
        while b'* 5 EXISTS' not in seen and time.monotonic() < deadline:
            seen += m.readline()
        assert b'* 5 EXISTS' in seen, seen
        m.send(b'DONE\r\n')
        while True:
            line = m.readline()
            assert line, 'connection closed'
            if line.startswith(b'i1 '):
                assert line.startswith(b'i1 OK'), line
                break
    finally:
        try:
            m.logout()
        except Exception:
            pass
    assert len(fetch_all(loft)) == 5
