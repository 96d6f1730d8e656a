"""Isolation through the real binary: no mailbox name, user name or path in
any command reaches outside the data directory (checked on the filesystem
afterwards), one user can never read or change another user's mail (Loft
has no ACL or shared folders: there is no way in at all), and the server
runs as the unprivileged user after it started as root.
"""

import os
import re
import secrets

import pytest

import loftlib
from imaptest import Imap, connect, quote
from loftlib import LmtpRaw, Pop3Raw, b64, pop3_login, smtp_stuff

ALICE_PW = 'alice-Secret-1'
BOB_PW = 'bob-Secret-2'
SAFE_DIR = re.compile(r'^\.[A-Za-z0-9_%~-]+$')  # a mailbox directory, as the store makes them


def msg(subject, marker):
    return (b'From: someone@example.org\r\nTo: x@loft.test\r\nSubject: ' + subject.encode() +
            b'\r\nMessage-ID: <' + marker.encode() + b'@example.org>\r\n\r\n' + marker.encode() + b'\r\n')


def snapshot(root):
    """{relative path: (is dir, size, mtime_ns)} of everything below root."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (os.path.isdir(p), st.st_size, st.st_mtime_ns)
    return out


def entries_named(root, token):
    """Every path below root (walked) whose name contains token."""
    found = []
    for d, dirs, files in os.walk(root):
        found += [os.path.join(d, n) for n in dirs + files if token in n]
    return found


def hostile_names(tok):
    """(names that try to leave the user's Maildir or are invalid: never OK),
    (odd names that are legal: may be OK, must stay inside)."""
    t = tok.encode()
    escaping = [
        b'../bob/' + t, b'../../' + t, b'../../../../../../tmp/' + t, b'INBOX/../../bob/' + t, b'/tmp/' + t,
        b'/' + t, t + b'/../../../bob', t + b'/./x', t + b'//x', b'..', b'.', b'INBOX/..', b'./' + t, t + b'/..',
        b'Maildir/../../' + t,
        # modified UTF-7 spelling "..", "/" and "../" (not valid mUTF-7: ASCII must not be encoded)
        b'&AC4ALg-/' + t, b'&AC8-' + t, b'&AC4ALgAv-' + t, b'&' + t, b'&Jjo' + t,
        t + b'\x00x', t + b'\xff\xfe', t + b'\r\nx',
        b'L' * 2000 + t, b'/'.join([b'd'] * 30) + b'/' + t,
    ]
    # (CREATE "x/" creates x: RFC 3501 6.3.3)
    legal = [t + b'/', b'~bob/' + t, b'~/' + t, b'%2e%2e/' + t, t + b'\\..\\bob', b'...' + t, b'.' + t, b'#shared/' + t,
             t + b'-' + b'a' * 900, t + b'-' + b'a' * 899 + b'b', t + b' &AOk-t&AOk-']
    return escaping, legal


class Session(object):
    """An IMAP session that keeps going through BAD answers (a NOOP after
    each resets Loft's bad-command counter)."""

    def __init__(self, loft, user, password):
        self.c = connect(loft, user, password)

    def status(self, cmd, *literals):
        st, tagged, untagged = self.c.status_of(cmd, *literals)
        assert st in ('OK', 'NO', 'BAD'), tagged.raw
        if st == 'BAD':
            self.c.ok('NOOP')
        return st, tagged, untagged


def list_names(untagged):
    out = []
    for r in untagged:
        if not r.raw.startswith(b'* LIST '):
            continue
        t = r.tokens()
        name = t[4]
        out.append(name if isinstance(name, bytes) else str(name).encode())
    return out


def test_no_name_reaches_outside_the_data_directory_or_another_user(loft):
    tok = 'zq' + secrets.token_hex(5)
    bob_marker = 'BOBMARK' + secrets.token_hex(4)
    loft.add_user('alice', ALICE_PW)
    loft.add_user('bob', BOB_PW)
    helpers = ['helper%d' % i for i in range(3)]
    for h in helpers:
        loft.add_user(h, h + '-pw')
    for i in range(2):
        assert loft.deliver('bob', msg('bob %d' % i, bob_marker)).returncode == 0
    assert loft.deliver('alice', msg('alice', 'alice-own')).returncode == 0
    loft.start('imap', 'pop3', 'lmtp')
    b = connect(loft, 'bob', BOB_PW)
    b.ok('CREATE BobSecret')
    b.ok('APPEND BobSecret {}', msg('bob secret', bob_marker))
    bob_mailboxes = set(list_names(b.ok('LIST "" "*"')))
    assert b'BobSecret' in bob_mailboxes
    b.logout()
    mail_root = os.path.join(loft.data, 'mail')
    # Bob's message files and mailbox directories (his index is checked
    # through IMAP at the end; the server may still be indexing his mail
    # for SEARCH in the background).
    bob_before = snapshot(loft.maildir('bob'))
    users_before = sorted(os.listdir(mail_root))
    escaping, legal = hostile_names(tok)

    # ---- IMAP mailbox names ------------------------------------------------------------
    s = Session(loft, 'alice', ALICE_PW)
    c = s.c
    c.ok('CREATE ' + quote('Legit-' + tok))
    c.ok('SELECT INBOX')
    refused = []
    for name in escaping + legal:
        results = {}
        results['CREATE'] = s.status('CREATE {}', name)[0]
        results['SELECT'] = s.status('SELECT {}', name)[0]
        c.ok('SELECT INBOX')
        results['EXAMINE'] = s.status('EXAMINE {}', name)[0]
        c.ok('SELECT INBOX')
        results['STATUS'] = s.status('STATUS {} (MESSAGES)', name)[0]
        results['APPEND'] = s.status('APPEND {} {}', name, msg('appended', 'appended-' + tok))[0]
        results['COPY'] = s.status('COPY 1 {}', name)[0]
        results['RENAME to'] = s.status('RENAME {} {}', ('Legit-' + tok).encode(), name)[0]
        if results['RENAME to'] == 'OK':
            c.ok('RENAME {} {}', name, ('Legit-' + tok).encode())
        results['RENAME from'] = s.status('RENAME {} {}', name, ('Renamed-' + tok).encode())[0]
        if results['RENAME from'] == 'OK':
            c.ok('RENAME {} {}', ('Renamed-' + tok).encode(), name)
        results['SUBSCRIBE'] = s.status('SUBSCRIBE {}', name)[0]
        if name in escaping:
            ok = [k for k, v in results.items() if v == 'OK' and k != 'SUBSCRIBE']
            assert not ok, '%r was accepted by %s' % (name[:80], ok)
            # MOVE only for the refused names (it would empty INBOX otherwise).
            st = s.status('MOVE 1 {}', name)[0]
            assert st != 'OK', 'MOVE to %r' % name[:80]
            refused.append(name)
    # The two long names that share their first 200 bytes are two mailboxes.
    long_a, long_b = legal[-3], legal[-2]

    def messages(name):
        untagged = c.ok('STATUS {} (MESSAGES)', name)
        return int(re.search(rb'MESSAGES (\d+)', untagged[0].raw).group(1))
    before_a, before_b = messages(long_a), messages(long_b)
    c.ok('APPEND {} {}', long_a, msg('long a', 'long-a'))
    assert (messages(long_a), messages(long_b)) == (before_a + 1, before_b), 'long names collide'

    # LIST patterns and references that try to look elsewhere.
    own = set(list_names(c.ok('LIST "" "*"')))
    assert own, 'alice lists nothing'
    patterns = [('', '../*'), ('', '../bob/*'), ('', '/*'), ('', '~bob/*'), ('', '*/../*'), ('', '%/%/%'),
                ('../', '*'), ('/', '*'), ('~bob/', '*'), ('../bob/', '%'), ('', '#shared/*'),
                ('', 'Other Users/*'), ('', '*BobSecret*'), ('', '..'), ('/tmp/', '*'), ('', '&AC4ALg-/*')]
    for ref, pattern in patterns:
        st, tagged, untagged = s.status('LIST {} {}', ref.encode(), pattern.encode())
        names = set(list_names(untagged))
        assert names <= own, (ref, pattern, names - own)
        for n in names:
            assert b'BobSecret' not in n and b'bob' != n.lower(), (ref, pattern, n)
    assert not [n for n in own if b'BobSecret' in n], own

    # Another user's mail by any name: not there.
    for name in ('bob', 'bob/INBOX', '~bob/INBOX', '~bob', '#shared/bob/INBOX', 'Other Users/bob/INBOX',
                 'user/bob', 'user.bob', '/home/bob', '../bob/Maildir', 'BobSecret', '../bob/BobSecret',
                 os.path.join(mail_root, 'bob', 'Maildir')):
        st, tagged, _ = s.status('SELECT ' + quote(name))
        assert st != 'OK', 'alice selected %r: %r' % (name, tagged.raw)
        st, tagged, _ = s.status('STATUS ' + quote(name) + ' (MESSAGES)')
        assert st != 'OK', 'alice got the STATUS of %r: %r' % (name, tagged.raw)
    c.ok('SELECT INBOX')
    # No ACL, no shared namespaces: nothing grants access to another user.
    caps = b''.join(r.raw for r in c.ok('CAPABILITY')).upper()
    assert b' ACL' not in caps and b'RIGHTS=' not in caps, caps
    ns = [r.raw for r in c.ok('NAMESPACE')]
    assert ns == [b'* NAMESPACE (("" "/")) NIL NIL\r\n'], ns
    for cmd in ('GETACL INBOX', 'SETACL INBOX alice lrswipkxtecda', 'SETACL "../bob/INBOX" alice lr',
                'MYRIGHTS INBOX', 'LISTRIGHTS INBOX bob', 'DELETEACL INBOX bob'):
        assert s.status(cmd)[0] == 'BAD', cmd
    # What alice can read, in every mailbox she has, is hers.
    for name in list_names(c.ok('LIST "" "*"')):
        st, _, untagged = s.status('EXAMINE {}', name)
        if st != 'OK':
            continue  # \Noselect parents
        if b' 0 EXISTS' in b''.join(r.raw for r in untagged):
            continue
        data = b''.join(r.raw for r in c.ok('FETCH 1:* (BODY.PEEK[] FLAGS)'))
        assert bob_marker.encode() not in data, name
    # UIDs that exist in bob's INBOX mean nothing in hers.
    c.ok('SELECT INBOX')
    got = c.ok('UID FETCH 1:10 (BODY.PEEK[])')
    assert bob_marker.encode() not in b''.join(r.raw for r in got)
    c.logout()

    # ---- user names -------------------------------------------------------------------------
    # Every attempt from another address, so that login throttling (per
    # address and per user) does not slow the test down.
    addresses = ('127.0.%d.%d' % (1 + i // 200, 1 + i % 200) for i in range(10000))

    def fresh():
        return Imap('127.0.0.1', loft.port('imap'), source=next(addresses))

    for user in ('../bob', 'bob/../bob', './bob', 'bob/', '/bob', '../../etc/passwd', 'bob\x00', '..', '.',
                 'mail/bob', '../alice', '~bob'):
        for password in (BOB_PW, ALICE_PW):
            c = fresh()
            st, tagged, _ = c.status_of('LOGIN {} {}', user.encode(), password.encode())
            assert st in ('NO', 'BAD'), 'LOGIN %r: %r' % (user, tagged.raw)
            c.close()

    def plain(authzid, authcid, password):
        c = fresh()
        st, tagged, _ = c.status_of('AUTHENTICATE PLAIN ' + b64('%s\0%s\0%s' % (authzid, authcid, password)))
        c.close()
        return st, tagged.raw
    # SASL PLAIN: a user's own password with bob (or a path) as the identity to act as.
    for i, authzid in enumerate(('bob', '../bob', 'bob/../alice', '../alice', 'BOB', 'alice/../bob', '*')):
        h = helpers[i % 3]
        st, raw = plain(authzid, h, h + '-pw')
        assert st == 'NO', 'authzid %r with %s\'s password: %r' % (authzid, h, raw)
    for authcid in ('../alice', 'alice/', './alice', '/alice'):
        assert plain('', authcid, ALICE_PW)[0] == 'NO', authcid
    c = fresh()
    st, tagged, _ = c.status_of('AUTHENTICATE PLAIN ' + b64('alice\0alice\0' + ALICE_PW))
    assert st == 'OK', tagged.raw  # acting as oneself is fine
    listed = set(list_names(c.ok('LIST "" "*"')))
    assert listed == own, (listed, own)
    c.logout()

    p = Pop3Raw('127.0.0.1', loft.port('pop3'), source=next(addresses))
    for user in ('../bob', 'bob/../bob', '/bob', '../../etc/passwd', '..', 'bob/'):
        r = p.cmd('USER ' + user)
        if r.startswith(b'+OK'):
            r = p.cmd('PASS ' + BOB_PW)
        assert r.startswith(b'-ERR'), (user, r)
    r = p.cmd('AUTH PLAIN ' + b64('bob\0alice\0' + ALICE_PW))
    assert r.startswith(b'-ERR'), r
    p.close()
    q = pop3_login(loft, 'alice', ALICE_PW)
    first, wire = q.multi('RETR 1')
    assert first.startswith(b'+OK') and bob_marker.encode() not in wire
    q.quit()

    m = LmtpRaw('127.0.0.1', loft.port('lmtp'))
    assert m.cmd('LHLO attacker')[0] == 250
    assert m.cmd('MAIL FROM:<a@example.org>')[0] == 250
    for rcpt in ('../bob@loft.test', 'bob/../alice@loft.test', '"../bob"@loft.test', '../../../tmp/%s@x' % tok,
                 '/etc/passwd', '..@loft.test', '.bob@loft.test', 'bob\\/x@loft.test', '%s/..@x' % tok):
        code, text = m.cmd('RCPT TO:<%s>' % rcpt)
        assert code in (501, 550, 553), (rcpt, code, text)
    # +detail naming a path: delivered to alice's INBOX, nowhere else.
    assert m.cmd('RCPT TO:<alice+../../bob/Maildir/%s@loft.test>' % tok)[0] == 250
    assert m.cmd('DATA')[0] == 354
    m.send(smtp_stuff(msg('detail', 'detail-' + tok)))
    assert m.reply()[0] == 250
    m.cmd('QUIT')
    m.close()

    # ---- `loft deliver` with such names ---------------------------------------------------
    r = loft.deliver('../bob', msg('cli', 'cli-' + tok))
    assert r.returncode != 0, 'deliver --user ../bob succeeded'
    for box in ('../../bob/Maildir', '../' + tok, '/tmp/' + tok):
        r = loft.deliver('alice', msg('cli', 'cli-' + tok), mailbox=box)
        # Refused, or delivered inside alice's store: checked below.
        assert r.returncode in (0, loftlib.EX_TEMPFAIL, 65, 64, 73), (box, r.returncode, r.stderr)

    # ---- the filesystem --------------------------------------------------------------------
    assert sorted(os.listdir(mail_root)) == users_before, os.listdir(mail_root)
    assert snapshot(loft.maildir('bob')) == bob_before, 'bob\'s files changed'
    alice_md = os.path.realpath(loft.maildir('alice'))
    made = entries_named(loft.base, tok)
    print('%d names refused everywhere; %d paths made for the legal ones, all inside alice\'s Maildir' % (
        len(refused), len(made)))
    assert len(made) >= 5, 'the legal odd names made no mailboxes: %s' % made
    for path in made:
        real = os.path.realpath(path)
        assert real.startswith(alice_md + os.sep), 'outside alice\'s Maildir: %s' % path
        top = os.path.relpath(real, alice_md).split(os.sep)[0]
        assert SAFE_DIR.match(top), 'unsafe mailbox directory %r' % top
    for d in ('/tmp', '/', '/root', os.path.dirname(loft.base), loft.base, loft.data, mail_root):
        if os.path.isdir(d):
            assert not [n for n in os.listdir(d) if tok in n], d
    for name in os.listdir(alice_md):
        assert name in ('cur', 'new', 'tmp') or SAFE_DIR.match(name), name
    # The detail and the refused names left alice's INBOX and the escapes nothing.
    a = connect(loft, 'alice', ALICE_PW)
    inbox = b''.join(r.raw for r in a.ok('SELECT INBOX'))
    data = b''.join(r.raw for r in a.ok('FETCH 1:* (BODY.PEEK[])'))
    assert ('detail-' + tok).encode() in data, inbox
    a.logout()
    # Bob's mail is as it was: two messages, unread, and his other mailbox.
    b = connect(loft, 'bob', BOB_PW)
    assert b'* 2 EXISTS' in b''.join(r.raw for r in b.ok('EXAMINE INBOX'))
    flags = b''.join(r.raw for r in b.ok('FETCH 1:* (FLAGS)'))
    assert b'\\Seen' not in flags and b'\\Deleted' not in flags, flags
    assert b'* 1 EXISTS' in b''.join(r.raw for r in b.ok('EXAMINE BobSecret'))
    assert set(list_names(b.ok('LIST "" "*"'))) == bob_mailboxes
    b.logout()


@pytest.mark.skipif(not loftlib.is_root(), reason='privilege drop needs root')
def test_runs_unprivileged_without_capabilities(loft):
    """Started as root: every uid and gid is the run_as user's, no
    capability is left, and what hostile names create belongs to that user."""
    target = 'daemon' if loftlib.user_exists('daemon') else None
    if target:
        loft.set(None, 'run_as', target)
    loft.add_user('alice', ALICE_PW)
    loft.start('imap')
    with open('/proc/%d/status' % loft.pid) as f:
        status = f.read()
    field = dict(re.findall(r'^(\w+):\s*(.*)$', status, re.M))
    uids, gids = field['Uid'].split(), field['Gid'].split()
    assert '0' not in uids and len(set(uids)) == 1, uids
    assert '0' not in gids and len(set(gids)) == 1, gids
    assert '0' not in field.get('Groups', '').split(), field.get('Groups')
    if target:
        import pwd
        assert int(uids[0]) == pwd.getpwnam(target).pw_uid
    for cap in ('CapInh', 'CapPrm', 'CapEff', 'CapAmb'):
        if cap in field:
            assert int(field[cap], 16) == 0, '%s = %s' % (cap, field[cap])
    tok = 'zq' + secrets.token_hex(5)
    s = Session(loft, 'alice', ALICE_PW)
    s.c.ok('CREATE ' + quote('own-' + tok))
    for name in (b'../../' + tok.encode(), b'/tmp/' + tok.encode()):
        assert s.status('CREATE {}', name)[0] != 'OK'
    s.c.ok('APPEND {} {}', ('own-' + tok).encode(), msg('x', 'x'))
    s.c.logout()
    made = entries_named(loft.base, tok)
    assert made, 'the mailbox directory was not made'
    for p in made:
        assert os.stat(p).st_uid == int(uids[0]), '%s belongs to uid %d' % (p, os.stat(p).st_uid)
        for d, dirs, files in os.walk(p):
            for n in dirs + files:
                assert os.stat(os.path.join(d, n)).st_uid == int(uids[0]), os.path.join(d, n)
    assert not [n for n in os.listdir('/tmp') if tok in n]
