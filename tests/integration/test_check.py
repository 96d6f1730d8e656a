"""`loft check [--repair] USER... | --all` on real stores damaged behind
Loft's back (a deleted file, a truncated one, UIDNEXT set low with sqlite3,
an orphan planted in cur/, a mailbox directory removed, a damaged index):
the exact findings, nothing changed without --repair, the repaired state,
a clean second check, and what IMAP clients of the running server see."""

import imaplib
import os
import re
import smtplib
import subprocess
import threading
import time

from loftlib import EX_NOUSER, EX_USAGE, LOFT_BIN, owner_preexec

PW = 'check-pw-1'


def body(n, extra=b''):
    return b'From: a@example.com\nSubject: message %d\n\nBody of message %d.\n%s' % (n, n, extra)


def check(loft, *args):
    r = subprocess.run([LOFT_BIN, 'check'] + list(args) + ['--config', loft.config_path],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    return r.returncode, r.stdout.decode('utf-8', 'replace').splitlines(), r.stderr.decode('utf-8', 'replace')


def sql(loft, user, statement):
    """sqlite3 on the user's index as the data directory's owner (files it
    makes must stay usable by the server)."""
    path = os.path.join(loft.data, 'mail', user, 'index.sqlite')
    r = subprocess.run(['sqlite3', '-batch', path, statement], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=30, preexec_fn=owner_preexec(loft.data), check=True)
    return r.stdout.decode().splitlines()


def file_of(loft, user, mailbox, uid):
    rows = sql(loft, user, "SELECT m.file FROM messages m JOIN mailboxes b ON b.id=m.mailbox_id "
                           "WHERE b.name='%s' AND m.uid=%d" % (mailbox, uid))
    assert len(rows) == 1, rows
    return rows[0]


def plant(loft, path, data, age=None):
    with open(path, 'wb') as f:
        f.write(data)
    st = os.stat(loft.data)
    os.chown(path, st.st_uid, st.st_gid)
    if age is not None:
        t = time.time() - age
        os.utime(path, (t, t))


def tree(path):
    """Every file below path (relative) with its content."""
    out = {}
    for root, _, names in os.walk(path):
        for n in names:
            p = os.path.join(root, n)
            if not n.startswith(('index.sqlite', 'search.sqlite')):
                with open(p, 'rb') as f:
                    out[os.path.relpath(p, path)] = f.read()
    return out


def login(loft, user='alice'):
    m = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=30)
    m.login(user, PW)
    return m


def uid_sizes(m):
    typ, data = m.uid('FETCH', '1:*', '(RFC822.SIZE)')
    assert typ == 'OK', data
    out = {}
    for item in data:
        text = item.decode() if isinstance(item, bytes) else item[0].decode()
        mt = re.search(r'UID (\d+) RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+) UID (\d+)', text)
        if mt.group(1):
            out[int(mt.group(1))] = int(mt.group(2))
        else:
            out[int(mt.group(4))] = int(mt.group(3))
    return out


def test_check_and_repair_beside_a_running_server(loft):
    loft.add_user('alice', PW)
    loft.start('imap')
    for n in range(1, 5):
        r = loft.deliver('alice', body(n, b'kingfisher\n' if n == 3 else b''))
        assert r.returncode == 0, r.stderr
    user_dir = os.path.join(loft.data, 'mail', 'alice')
    cur = os.path.join(loft.maildir('alice'), 'cur')

    watcher = login(loft)
    typ, data = watcher.select('INBOX')
    assert typ == 'OK' and data == [b'4'], data

    # The damage, done behind the store's back.
    gone = file_of(loft, 'alice', 'INBOX', 2)
    os.unlink(os.path.join(cur, gone))
    cut = file_of(loft, 'alice', 'INBOX', 3)
    recorded = os.path.getsize(os.path.join(cur, cut))
    short = b'From: a@example.com\r\nSubject: message 3\r\n\r\nBody\r\n'
    with open(os.path.join(cur, cut), 'wb') as f:
        f.write(short)
    orphan = '1700000000.M1P1Q1R0123456789abcdef.elsewhere,S=22:2,'
    plant(loft, os.path.join(cur, orphan), b'Subject: lost\r\n\r\nx\r\n', age=3600)
    sql(loft, 'alice', "UPDATE mailboxes SET uidnext=3 WHERE name='INBOX'")
    os.rmdir(os.path.join(loft.maildir('alice', 'Trash'), 'tmp'))
    os.rmdir(os.path.join(loft.maildir('alice', 'Trash'), 'new'))
    os.rmdir(os.path.join(loft.maildir('alice', 'Trash'), 'cur'))
    os.rmdir(loft.maildir('alice', 'Trash'))

    problems = [
        'alice: mailbox INBOX uid 2: file %s is missing' % gone,
        'alice: mailbox INBOX uid 3: file %s has %d octets, the index says %d' % (cut, len(short), recorded),
        'alice: mailbox INBOX: UIDNEXT 3 is not above UID 4',
        'alice: mailbox INBOX: file %s in cur/ has no index row' % orphan,
        'alice: mailbox Trash: directory Maildir/.Trash is missing',
    ]
    before = tree(user_dir)
    rc, out, err = check(loft, 'alice')
    assert rc == 1, (out, err)
    assert out == problems + ['loft check: alice: 6 mailboxes, 4 messages: 5 problems (run with --repair to repair)']
    assert tree(user_dir) == before  # nothing changed

    rc, out, err = check(loft, '--repair', 'alice')
    assert rc == 0, (out, err)
    assert out == [
        problems[0] + '; row removed (its UID is not used again)',
        problems[1] + "; recorded size set to %d; cached tree and the mailbox's search index dropped" % len(short),
        problems[2] + '; UIDNEXT raised to 5',
        problems[3] + '; moved to lost+found/INBOX/' + orphan,
        problems[4] + '; made again (empty)',
        'loft check: alice: 6 mailboxes, 4 messages: 5 problems, 5 repaired',
    ], err
    with open(os.path.join(user_dir, 'lost+found', 'INBOX', orphan), 'rb') as f:
        assert f.read() == b'Subject: lost\r\n\r\nx\r\n'
    assert not os.path.exists(os.path.join(cur, orphan))
    assert sorted(os.listdir(loft.maildir('alice', 'Trash'))) == ['cur', 'new', 'tmp']

    rc, out, err = check(loft, 'alice')
    assert (rc, out) == (0, ['loft check: alice: 6 mailboxes, 3 messages: clean']), err

    # The session selected all along hears of the removal like any expunge,
    # and reads the corrected size and the file's bytes.
    deadline = time.monotonic() + 10
    while 'EXPUNGE' not in watcher.untagged_responses and time.monotonic() < deadline:
        watcher.noop()
        time.sleep(0.1)
    assert watcher.untagged_responses.get('EXPUNGE') == [b'2']
    assert uid_sizes(watcher) == {1: os.path.getsize(os.path.join(cur, file_of(loft, 'alice', 'INBOX', 1))),
                                  3: len(short),
                                  4: os.path.getsize(os.path.join(cur, file_of(loft, 'alice', 'INBOX', 4)))}
    typ, data = watcher.uid('FETCH', '3', '(BODY.PEEK[])')
    assert typ == 'OK' and data[0][1] == short, data
    typ, data = watcher.uid('SEARCH', 'BODY', 'kingfisher')
    assert (typ, data) == ('OK', [b'']), data  # the words of the bytes that were are gone too
    watcher.logout()

    # A new session sees the same; the next delivery gets a new UID.
    r = loft.deliver('alice', body(5))
    assert r.returncode == 0, r.stderr
    m = login(loft)
    typ, data = m.select('INBOX')
    assert data == [b'4'], data
    typ, data = m.uid('SEARCH', 'ALL')
    assert data == [b'1 3 4 5'], data
    typ, data = m.status('INBOX', '(MESSAGES UIDNEXT)')
    assert b'MESSAGES 4' in data[0] and b'UIDNEXT 6' in data[0], data
    typ, data = m.select('Trash')
    assert (typ, data) == ('OK', [b'0']), data
    m.logout()


def test_check_all_users_and_bad_arguments(loft):
    loft.add_user('alice', PW)
    loft.add_user('bob', PW)
    assert loft.deliver('alice', body(1)).returncode == 0
    rc, out, err = check(loft, '--all')
    assert rc == 0, (out, err)
    # bob never received mail: nothing to check yet.
    assert out == ['loft check: alice: 6 mailboxes, 1 message: clean',
                   'bob: note: no mail stored yet',
                   'loft check: bob: 0 mailboxes, 0 messages: clean']
    rc, out, err = check(loft, 'nobody')
    assert rc == EX_NOUSER and "no such user 'nobody'" in err
    assert check(loft)[0] == EX_USAGE
    assert check(loft, '--all', 'alice')[0] == EX_USAGE


def test_damaged_index_is_rebuilt_only_without_a_server(loft):
    loft.add_user('alice', PW)
    loft.start('imap')
    for n in range(1, 4):
        assert loft.deliver('alice', body(n)).returncode == 0
    assert loft.deliver('alice', body(9), mailbox='Sent').returncode == 0
    m = login(loft)
    typ, data = m.select('INBOX')
    old_validity = int(m.untagged_responses['UIDVALIDITY'][0])
    m.logout()
    user_dir = os.path.join(loft.data, 'mail', 'alice')
    sql(loft, 'alice', 'PRAGMA wal_checkpoint(TRUNCATE)')
    with open(os.path.join(user_dir, 'index.sqlite'), 'r+b') as f:
        f.write(b'\0' * 100)  # the header: no longer a database

    rc, out, err = check(loft, 'alice')
    assert rc == 1, (out, err)
    assert out[0] == 'alice: index.sqlite is damaged: file is not a database'
    rc, out, err = check(loft, '--repair', 'alice')
    assert rc == 1
    assert out[0] == ('alice: index.sqlite is damaged: file is not a database; not repaired: the server is '
                      'running: stop it and run loft check --repair again to rebuild the index')

    loft.stop()
    rc, out, err = check(loft, '--repair', 'alice')
    assert rc == 0, (out, err)
    aside = [n for n in os.listdir(user_dir) if re.match(r'index\.sqlite\.damaged-\d{8}T\d{6}Z$', n)]
    assert len(aside) == 1, os.listdir(user_dir)
    assert out == ['alice: index.sqlite is damaged: file is not a database; damaged index moved aside to %s; '
                   'index rebuilt from the files: 4 messages in 6 mailboxes, new UIDVALIDITYs, flags kept for 0'
                   % aside[0],
                   'loft check: alice: 6 mailboxes, 4 messages: 1 problem, 1 repaired']
    assert check(loft, 'alice')[:2] == (0, ['loft check: alice: 6 mailboxes, 4 messages: clean'])

    loft.start('imap')
    m = login(loft)
    typ, data = m.select('INBOX')
    assert data == [b'3'], data
    assert int(m.untagged_responses['UIDVALIDITY'][0]) > old_validity
    typ, data = m.uid('FETCH', '1:*', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])')
    subjects = [item[1].strip() for item in data if isinstance(item, tuple)]
    assert subjects == [b'Subject: message 1', b'Subject: message 2', b'Subject: message 3'], subjects
    typ, data = m.select('Sent')
    assert data == [b'1'], data
    m.logout()


def test_check_beside_deliveries_and_expunges_finds_nothing(loft):
    """Rows expunged and files unlinked while a check reads: never a finding,
    and a repair running all the while changes nothing."""
    loft.add_user('alice', PW)
    loft.start('imap', 'lmtp')
    assert loft.deliver('alice', body(0)).returncode == 0  # the store exists before the first check
    stop = threading.Event()
    delivered = []
    failures = []

    def deliver():
        try:
            lmtp = smtplib.LMTP('127.0.0.1', loft.port('lmtp'), timeout=30)
            n = 0
            while not stop.is_set():
                n += 1
                assert lmtp.sendmail('a@example.com', ['alice@loft.test'], body(n)) == {}
                delivered.append(n)
            lmtp.quit()
        except Exception as e:  # noqa: BLE001 - reported below
            failures.append(repr(e))

    def expunge():
        try:
            m = login(loft)
            m.select('INBOX')
            while not stop.is_set():
                typ, data = m.search(None, 'ALL')
                if data[0]:
                    m.store(data[0].decode().replace(' ', ','), '+FLAGS', '(\\Deleted)')
                    m.expunge()
                time.sleep(0.05)
            m.logout()
        except Exception as e:  # noqa: BLE001
            failures.append(repr(e))

    threads = [threading.Thread(target=deliver), threading.Thread(target=expunge)]
    for t in threads:
        t.start()
    runs = 0
    try:
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            rc, out, err = check(loft, '--repair', 'alice')
            runs += 1
            assert rc == 0, (out, err)
            assert len(out) == 1 and re.match(r'loft check: alice: 6 mailboxes, \d+ messages?: clean$', out[0]), out
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures
    assert runs >= 3 and len(delivered) >= 20, (runs, len(delivered))
    assert not os.path.exists(os.path.join(loft.data, 'mail', 'alice', 'lost+found'))
    m = login(loft)
    typ, data = m.select('INBOX')
    if data != [b'0']:
        m.store('1:*', '+FLAGS', '(\\Deleted)')
        m.expunge()
    m.logout()
    assert check(loft, 'alice')[:2] == (0, ['loft check: alice: 6 mailboxes, 0 messages: clean'])
