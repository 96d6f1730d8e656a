"""Real IMAP clients against Loft: curl, mbsync (isync), offlineimap,
fetchmail, getmail6 and mutt (driven in tmux). Every test checks what ended
up where: message bytes, flags and counts on the server (through a separate
imaplib connection) and in the client's local store.

A test is skipped only when its client program is not installed."""

import os
import pwd
import re
import shutil
import subprocess
import sys
import time

import pytest

import loftlib
from imapclients import (PW, Tmux, add_maildir_message, create_tree, imap_connect, imap_expunge_one, imap_store,
                         lf, list_mailboxes, maildir_folders, make_message, message_id, read_maildir,
                         server_state, set_maildir_flags, strip_header, tree)

TREE = tree()


def need(program):
    path = shutil.which(program)
    if not path:
        pytest.skip('%s is not installed (scripts/install-deps.sh installs it)' % program)
    return path


def by_id(messages):
    return {message_id(m): m for m in messages}


@pytest.fixture
def served(loft):
    """alice with INBOX, Work, a and a/b filled from TREE; IMAP and IMAPS."""
    loft.add_user('alice', PW)
    loft.start('imap', 'imaps')
    create_tree(loft, TREE)
    return loft


def expected_server(tree_):
    return {mb: {message_id(m): (frozenset(), m) for m in msgs} for mb, msgs in tree_.items()}


def run(cmd, timeout=60, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    return r


def text(r):
    return ('exit %s\n--- stdout ---\n%s\n--- stderr ---\n%s' % (
        r.returncode, r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')))


def test_served_tree_is_as_delivered(served):
    """The starting point every client test relies on."""
    state = server_state(served, mailboxes=sorted(TREE))
    assert state == expected_server(TREE)


# ---- curl ------------------------------------------------------------------------------------


def curl(*args, timeout=30):
    return run([need('curl'), '-sS', '--user', 'alice:' + PW] + list(args), timeout=timeout)


def test_curl_list_and_fetch_by_uid(served):
    base = 'imap://127.0.0.1:%d' % served.port('imap')
    r = curl(base + '/')
    assert r.returncode == 0, text(r)
    listed = r.stdout.decode()
    for name in ('INBOX', 'Work', 'a', 'a/b'):
        assert any(line.endswith(' ' + name) or line.endswith(' "%s"' % name)
                   for line in listed.splitlines()), 'LIST misses %s:\n%s' % (name, listed)
    # UIDs are given in delivery order, from 1 in every mailbox.
    for i, msg in enumerate(TREE['INBOX'], 1):
        r = curl(base + '/INBOX;UID=%d' % i)
        assert r.returncode == 0, text(r)
        assert r.stdout == msg
    r = curl(base + '/a;UID=2')
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['a'][1], 'the large message differs'
    r = curl(base + '/a%2Fb;UID=2')
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['a/b'][1]
    # Header section only, then a body part.
    r = curl(base + '/Work;UID=1;SECTION=HEADER')
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['Work'][0].split(b'\r\n\r\n')[0] + b'\r\n\r\n'
    r = curl(base + '/Work;UID=1;SECTION=TEXT')
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['Work'][0].split(b'\r\n\r\n', 1)[1]
    # A UID that does not exist is an error, not an empty success.
    r = curl(base + '/INBOX;UID=99')
    assert r.returncode != 0 and r.stdout == b'', text(r)
    # Fetching through curl uses BODY[] (not PEEK): the message is \Seen now.
    state = server_state(served, mailboxes=['INBOX'])
    assert all('\\Seen' in flags for flags, _ in state['INBOX'].values()), state


def test_curl_search_and_examine(served):
    base = 'imap://127.0.0.1:%d' % served.port('imap')
    r = curl(base + '/INBOX?SUBJECT%20second')
    assert r.returncode == 0, text(r)
    assert r.stdout.replace(b'\r\n', b'\n') == b'* SEARCH 2\n', text(r)
    r = curl(base + '/Work?BODY%20tomorrow')
    assert r.returncode == 0, text(r)
    assert r.stdout.replace(b'\r\n', b'\n') == b'* SEARCH 2\n', text(r)
    r = curl(base + '/INBOX', '-X', 'EXAMINE INBOX')
    assert r.returncode == 0, text(r)
    assert b'* 3 EXISTS' in r.stdout, text(r)


def test_curl_imaps_and_starttls(served, tls_cert):
    cert = tls_cert[0]
    r = curl('--cacert', cert, 'imaps://localhost:%d/Work;UID=1' % served.port('imaps'))
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['Work'][0]
    r = curl('--cacert', cert, 'imaps://localhost:%d/' % served.port('imaps'))
    assert r.returncode == 0, text(r)
    assert ' a/b' in r.stdout.decode(), text(r)
    # STARTTLS on the plain port, required.
    r = curl('-v', '--ssl-reqd', '--cacert', cert, 'imap://localhost:%d/a%%2Fb;UID=1' % served.port('imap'))
    assert r.returncode == 0, text(r)
    assert r.stdout == TREE['a/b'][0]
    err = r.stderr.decode('utf-8', 'replace')
    assert 'STARTTLS' in err and 'SSL connection using' in err, err
    # The certificate really is checked: without the CA curl refuses.
    r = curl('imaps://localhost:%d/Work;UID=1' % served.port('imaps'))
    assert r.returncode != 0 and r.stdout == b'', text(r)


def test_curl_append_upload(served):
    msg = make_message('curl-up', 'Uploaded by curl', [b'appended through curl -T'], 9)
    path = os.path.join(served.base, 'up.eml')
    with open(path, 'wb') as f:
        f.write(msg)
    r = curl('-T', path, 'imap://127.0.0.1:%d/Work' % served.port('imap'))
    assert r.returncode == 0, text(r)
    state = server_state(served, mailboxes=['Work'])
    assert set(state['Work']) == {'work-1', 'work-2', 'curl-up'}
    assert state['Work']['curl-up'][1] == msg
    # And readable again by UID (the third in Work).
    r = curl('imap://127.0.0.1:%d/Work;UID=3' % served.port('imap'))
    assert r.returncode == 0, text(r)
    assert r.stdout == msg


# ---- fetchmail ---------------------------------------------------------------------------------

MDA = r'''import os, sys
d = sys.argv[1]
data = sys.stdin.buffer.read()
n = len([x for x in os.listdir(d) if x.endswith('.msg')])
with open(os.path.join(d, '%04d.msg' % n), 'wb') as f:
    f.write(data)
'''


def fetchmail(workdir, poll):
    """Runs fetchmail once with `poll`; its MDA writes every message to
    workdir/out/NNNN.msg. Returns (result, {message-id: bytes}, log)."""
    need('fetchmail')
    out = os.path.join(workdir, 'out')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    mda = os.path.join(workdir, 'mda.py')
    with open(mda, 'w') as f:
        f.write(MDA)
    rc = os.path.join(workdir, 'fetchmailrc')
    with open(rc, 'w') as f:
        f.write('set no bouncemail\nset invisible\n' + poll +
                '  mda "%s %s %s"\n' % (sys.executable, mda, out))
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=workdir, FETCHMAILHOME=workdir)
    r = subprocess.run(['fetchmail', '-f', rc, '--nosyslog', '--idfile', os.path.join(workdir, 'ids'),
                        '--pidfile', os.path.join(workdir, 'pid'), '-v'],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    got = []
    for name in sorted(os.listdir(out)):
        with open(os.path.join(out, name), 'rb') as f:
            got.append(f.read())
    log = r.stdout.decode('utf-8', 'replace')
    # fetchmail -v shows the whole exchange: no command may have been refused.
    assert not re.search(r'IMAP< A\d+ (NO|BAD)', log), log
    return r, by_id(got), log


def test_fetchmail_imap_keep_then_delete(served, tls_cert):
    wd = os.path.join(served.base, 'fm-imap')
    os.makedirs(wd)
    poll = ('poll 127.0.0.1 with proto IMAP port %d\n'
            '  user "alice" there with password "%s" is "root" here\n'
            '  sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
            '  folder INBOX,Work,a/b\n'
            '  keep\n' % (served.port('imap'), PW, tls_cert[0]))
    r, got, log = fetchmail(wd, poll)
    assert r.returncode == 0, log
    assert re.search(r'IMAP> A\d+ STARTTLS', log) and 'upgrade to TLS succeeded' in log, \
        'fetchmail did not use STARTTLS:\n' + log
    wanted = TREE['INBOX'] + TREE['Work'] + TREE['a/b']
    assert got == {message_id(m): lf(m) for m in wanted}, log
    # Kept, and marked \Seen by fetchmail after delivery.
    state = server_state(served, mailboxes=['INBOX', 'Work', 'a/b'])
    for mb in ('INBOX', 'Work', 'a/b'):
        assert {k: v[1] for k, v in state[mb].items()} == by_id(TREE[mb]), mb
        assert all('\\Seen' in f for f, _ in state[mb].values()), (mb, state[mb])
    # A second run with keep fetches nothing new (fetchmail asks the server for unseen mail): exit 1.
    r, got, log = fetchmail(wd, poll)
    assert r.returncode == 1 and got == {}, log

    # nokeep + fetchall: everything again, then deleted and expunged on the server.
    r, got, log = fetchmail(wd, poll.replace('  keep\n', '  nokeep fetchall\n'))
    assert r.returncode == 0, log
    assert got == {message_id(m): lf(m) for m in wanted}, log
    state = server_state(served, mailboxes=['INBOX', 'Work', 'a', 'a/b'])
    assert state['INBOX'] == {} and state['Work'] == {} and state['a/b'] == {}, state
    assert {k: v[1] for k, v in state['a'].items()} == by_id(TREE['a']), 'a folder not polled must stay'


def test_fetchmail_imaps_nokeep(served, tls_cert):
    wd = os.path.join(served.base, 'fm-imaps')
    os.makedirs(wd)
    poll = ('poll 127.0.0.1 with proto IMAP port %d\n'
            '  user "alice" there with password "%s" is "root" here\n'
            '  ssl sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
            '  nokeep\n' % (served.port('imaps'), PW, tls_cert[0]))
    r, got, log = fetchmail(wd, poll)
    assert r.returncode == 0, log
    assert got == {message_id(m): lf(m) for m in TREE['INBOX']}, log
    state = server_state(served, mailboxes=['INBOX', 'Work'])
    assert state['INBOX'] == {}, state['INBOX']
    assert len(state['Work']) == 2


# ---- getmail6 ----------------------------------------------------------------------------------


def getmail(loft, workdir, retriever, port, delete, mailboxes, extra=''):
    """One getmail run into a fresh Maildir; returns (result, {message-id: bytes})."""
    need('getmail')
    gmdir = os.path.join(workdir, 'getmail')
    maildir = os.path.join(workdir, 'Maildir')
    shutil.rmtree(maildir, ignore_errors=True)
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    os.makedirs(gmdir, exist_ok=True)
    dest_user = ''
    if loftlib.is_root():
        # getmail refuses to deliver as root; it switches to this user.
        nobody = pwd.getpwnam('nobody')
        for root, dirs, files in os.walk(maildir):
            os.chown(root, nobody.pw_uid, nobody.pw_gid)
        dest_user = 'user = nobody\n'
    with open(os.path.join(gmdir, 'getmailrc'), 'w') as f:
        f.write('[retriever]\ntype = %s\nserver = 127.0.0.1\nport = %d\nusername = alice\npassword = %s\n'
                'mailboxes = (%s)\nrecord_mailbox = false\n%s\n'
                '[destination]\ntype = Maildir\npath = %s/\n%s\n'
                '[options]\nread_all = true\ndelete = %s\nreceived = false\ndelivered_to = false\n'
                'verbose = 2\nmessage_log_syslog = false\n'
                % (retriever, port, PW, ''.join('"%s", ' % m for m in mailboxes), extra, maildir, dest_user,
                   'true' if delete else 'false'))
    r = subprocess.run(['getmail', '--getmaildir', gmdir, '--rcfile', 'getmailrc'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    got = []
    for name in os.listdir(os.path.join(maildir, 'new')):
        with open(os.path.join(maildir, 'new', name), 'rb') as f:
            got.append(f.read())
    return r, by_id(got)


def test_getmail_imap_keep_then_delete(served):
    wd = os.path.join(served.base, 'gm-imap')
    wanted = TREE['INBOX'] + TREE['a/b']
    r, got = getmail(served, wd, 'SimpleIMAPRetriever', served.port('imap'), False, ['INBOX', 'a/b'])
    log = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, log
    assert got == {message_id(m): lf(m) for m in wanted}, log
    state = server_state(served, mailboxes=['INBOX', 'a/b'])
    assert {k: v[1] for k, v in state['INBOX'].items()} == by_id(TREE['INBOX'])
    assert {k: v[1] for k, v in state['a/b'].items()} == by_id(TREE['a/b'])

    r, got = getmail(served, wd, 'SimpleIMAPRetriever', served.port('imap'), True, ['INBOX', 'a/b'])
    log = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, log
    assert got == {message_id(m): lf(m) for m in wanted}, log
    state = server_state(served, mailboxes=['INBOX', 'Work', 'a/b'])
    assert state['INBOX'] == {} and state['a/b'] == {}, state
    assert len(state['Work']) == 2


def test_getmail_imaps_delete(served, tls_cert):
    wd = os.path.join(served.base, 'gm-imaps')
    r, got = getmail(served, wd, 'SimpleIMAPSSLRetriever', served.port('imaps'), True, ['Work', 'a'],
                     extra='ca_certs = %s\nssl_cert_hostname = localhost\n' % tls_cert[0])
    log = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, log
    assert got == {message_id(m): lf(m) for m in TREE['Work'] + TREE['a']}, log
    state = server_state(served, mailboxes=['INBOX', 'Work', 'a'])
    assert state['Work'] == {} and state['a'] == {}
    assert len(state['INBOX']) == 3


# ---- two-way sync: helpers -------------------------------------------------------------------


def local_state(root, folder_of=None):
    """{mailbox: {message-id: (flags, bytes)}} of a Maildir tree; folder_of
    maps a folder's relative path to the IMAP mailbox name."""
    out = {}
    for rel in maildir_folders(root):
        name = folder_of(rel) if folder_of else rel
        out[name] = {mid: (flags, data) for mid, (flags, data, _) in read_maildir(os.path.join(root, rel)).items()}
    return out


def comparable(state, strip=()):
    """Line ends as LF and client-added upload headers removed, for comparing
    a server's state with a local Maildir's."""
    out = {}
    for mb, msgs in state.items():
        out[mb] = {}
        for mid, (flags, data) in msgs.items():
            data = lf(data)
            for h in strip:
                data = strip_header(data, h)
            out[mb][mid] = (flags, data)
    return out


def flags_of(state):
    return {mb: {mid: set(f) for mid, (f, _) in msgs.items()} for mb, msgs in state.items()}


def assert_same(server, local, log, strip=()):
    s, l = comparable(server, strip), comparable(local, strip)
    assert sorted(s) == sorted(l), 'mailboxes differ: server %s, local %s\n%s' % (sorted(s), sorted(l), log)
    for mb in s:
        assert sorted(s[mb]) == sorted(l[mb]), 'messages of %s differ: server %s, local %s\n%s' % (
            mb, sorted(s[mb]), sorted(l[mb]), log)
        for mid in s[mb]:
            assert s[mb][mid][0] == l[mb][mid][0], 'flags of %s in %s: server %s, local %s\n%s' % (
                mid, mb, sorted(s[mb][mid][0]), sorted(l[mb][mid][0]), log)
            assert s[mb][mid][1] == l[mb][mid][1], 'bytes of %s in %s differ\n%s' % (mid, mb, log)


def sync_round_two(loft, folder_path):
    """The same changes for every two-way sync client: flags and deletions on
    both sides, new messages on both sides. folder_path(mailbox) -> local dir.
    Returns ({mailbox: {message-id: expected flags}} after the next sync,
    {message-id: bytes} of the two new messages)."""
    inbox = read_maildir(folder_path('INBOX'))
    set_maildir_flags(inbox['inbox-1'][2], 'FS')                 # local: \Flagged \Seen
    os.unlink(read_maildir(folder_path('Work'))['work-1'][2])    # local: deleted
    local_new = make_message('local-1', 'Written locally', [b'new on the client side'], 10)
    add_maildir_message(folder_path('a/b'), local_new, '1700000000.local1.client')
    imap_store(loft, 'INBOX', 'inbox-2', '+FLAGS', '\\Answered \\Seen')  # server: flags
    imap_store(loft, 'Work', 'work-2', '+FLAGS', '\\Flagged')
    imap_expunge_one(loft, 'a', 'a-1')                                    # server: deleted
    server_new = make_message('server-1', 'Delivered later', [b'new on the server side'], 11)
    r = loft.deliver('alice', server_new)
    assert r.returncode == 0, r.stderr
    return {
        'INBOX': {'inbox-1': {'\\Flagged', '\\Seen'}, 'inbox-2': {'\\Answered', '\\Seen'}, 'inbox-3': set(),
                  'server-1': set()},
        'Work': {'work-2': {'\\Flagged'}},
        'a': {'a-big': set()},
        'a/b': {'ab-1': set(), 'ab-2': set(), 'local-1': set()},
    }, {'local-1': local_new, 'server-1': server_new}


# ---- mbsync (isync) ----------------------------------------------------------------------------

MBSYNC_RC = '''IMAPAccount loft
Host localhost
Port {port}
User alice
Pass {pw}
SSLType {ssl}
CertificateFile {cert}
AuthMechs {mechs}

IMAPStore remote
Account loft

MaildirStore local
Path {root}/
Inbox {root}/INBOX
SubFolders Verbatim

Channel loft
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
Remove Both
SyncState {wd}/state/
'''


def mbsync(wd, *args):
    r = run([need('mbsync'), '-c', os.path.join(wd, 'mbsyncrc'), '-V'] + list(args),
            env=dict(os.environ, HOME=wd), timeout=90)
    return r, text(r)


@pytest.mark.slow
@pytest.mark.parametrize('ssl,mechs', [('IMAPS', 'PLAIN'), ('STARTTLS', 'LOGIN')])
def test_mbsync_two_way_folder_tree(served, tls_cert, ssl, mechs):
    wd = os.path.join(served.base, 'mbsync')
    root = os.path.join(wd, 'Mail')
    os.makedirs(root)
    port = served.port('imaps' if ssl == 'IMAPS' else 'imap')
    with open(os.path.join(wd, 'mbsyncrc'), 'w') as f:
        f.write(MBSYNC_RC.format(port=port, pw=PW, ssl=ssl, cert=tls_cert[0], mechs=mechs, root=root,
                                 wd=wd))

    # 1. The first sync pulls the whole tree.
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    assert 'Connection is now encrypted' in log, log
    assert ('Authenticating with SASL mechanism PLAIN' if mechs == 'PLAIN' else 'Logging in...') in log, log
    server = server_state(served)
    assert {mb: set(msgs) for mb, msgs in server.items() if msgs} == \
        {mb: set(by_id(msgs)) for mb, msgs in TREE.items()}
    local = local_state(root)
    # mbsync adds its X-TUID field to every message it propagates, either way.
    assert_same(server, local, log, strip=('X-TUID',))
    for mb, msgs in TREE.items():
        for m in msgs:
            got = strip_header(local[mb][message_id(m)][1], 'X-TUID')
            assert got == lf(m), 'bytes of %s changed' % message_id(m)

    # 2. Changes on both sides, then sync again: both agree, as expected.
    expected, new = sync_round_two(served, lambda mb: os.path.join(root, mb))
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    server = server_state(served)
    local = local_state(root)
    assert_same(server, local, log, strip=('X-TUID',))
    assert {mb: flags_of(server)[mb] for mb in expected} == expected, log
    assert strip_header(server['a/b']['local-1'][1], 'X-TUID') == new['local-1'], 'upload changed the bytes'
    assert strip_header(local['INBOX']['server-1'][1], 'X-TUID') == lf(new['server-1'])

    # 3. A new local folder is created on the server with its message.
    proj = os.path.join(root, 'Projects')
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(proj, sub))
    pmsg = make_message('proj-1', 'Project plan', [b'in a folder made on the client'], 12)
    add_maildir_message(proj, pmsg, '1700000001.proj1.client')
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    server = server_state(served)
    assert 'Projects' in server, log
    assert {k: strip_header(v[1], 'X-TUID') for k, v in server['Projects'].items()} == {'proj-1': pmsg}
    assert_same(server, local_state(root), log, strip=('X-TUID',))

    # 4. Nothing changed: another sync changes nothing.
    before = server_state(served)
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    assert server_state(served) == before
    assert_same(before, local_state(root), log, strip=('X-TUID',))

    # 5. A folder emptied and then removed locally is deleted on the server (Remove Both).
    os.unlink(read_maildir(proj)['proj-1'][2])
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    assert server_state(served, mailboxes=['Projects'])['Projects'] == {}, log
    shutil.rmtree(proj)
    r, log = mbsync(wd, '-a')
    assert r.returncode == 0, log
    m = imap_connect(served)
    try:
        assert 'Projects' not in list_mailboxes(m), log
    finally:
        m.logout()
    assert_same(server_state(served), local_state(root), log, strip=('X-TUID',))


# ---- offlineimap -------------------------------------------------------------------------------

OFFLINEIMAP_RC = '''[general]
accounts = loft
metadata = {wd}/meta
maxsyncaccounts = 1

[Account loft]
localrepository = local
remoterepository = remote

[Repository local]
type = Maildir
localfolders = {root}
sep = /

[Repository remote]
type = IMAP
remotehost = localhost
remoteport = {port}
remoteuser = alice
remotepass = {pw}
ssl = yes
sslcacertfile = {cert}
readonly = {readonly}
'''


def offlineimap(wd, port, cert, readonly):
    need('offlineimap')
    root = os.path.join(wd, 'Mail')
    os.makedirs(root, exist_ok=True)
    rc = os.path.join(wd, 'offlineimaprc')
    with open(rc, 'w') as f:
        f.write(OFFLINEIMAP_RC.format(wd=wd, root=root, port=port, pw=PW, cert=cert, readonly=readonly))
    r = run(['offlineimap', '-c', rc, '-o', '-u', 'basic'], env=dict(os.environ, HOME=wd), timeout=120)
    log = text(r)
    # offlineimap exits 0 even when a folder failed; its errors are in the log.
    assert r.returncode == 0 and 'ERROR' not in log, log
    return root, log


@pytest.mark.slow
def test_offlineimap_one_way_then_two_way(served, tls_cert):
    wd = os.path.join(served.base, 'offlineimap')
    port, cert = served.port('imaps'), tls_cert[0]

    # One way (the server is read-only for offlineimap): the whole tree arrives.
    root, log = offlineimap(wd, port, cert, readonly='True')
    server = server_state(served)
    local = local_state(root)
    assert_same(server, local, log)
    for mb, msgs in TREE.items():
        assert {k: v[1] for k, v in local[mb].items()} == {message_id(m): lf(m) for m in msgs}, mb
    # A local flag change stays local while the server is read-only.
    set_maildir_flags(read_maildir(os.path.join(root, 'Work'))['work-2'][2], 'S')
    root, log = offlineimap(wd, port, cert, readonly='True')
    assert server_state(served) == server, log

    # Two way: changes on both sides meet.
    expected, new = sync_round_two(served, lambda mb: os.path.join(root, mb))
    expected['Work']['work-2'] = {'\\Flagged', '\\Seen'}
    root, log = offlineimap(wd, port, cert, readonly='False')
    server = server_state(served)
    local = local_state(root)
    assert_same(server, local, log)
    assert {mb: flags_of(server)[mb] for mb in expected} == expected, log
    assert server['a/b']['local-1'][1] == new['local-1'], 'upload changed the bytes'
    assert local['INBOX']['server-1'][1] == lf(new['server-1'])

    # A flag removed on the server comes back down.
    imap_store(served, 'INBOX', 'inbox-1', '-FLAGS', '\\Flagged')
    root, log = offlineimap(wd, port, cert, readonly='False')
    local = local_state(root)
    assert local['INBOX']['inbox-1'][0] == {'\\Seen'}, log
    assert_same(server_state(served), local, log)


# ---- mutt in tmux ------------------------------------------------------------------------------

MUTTRC = '''set imap_user = "alice"
set imap_pass = "{pw}"
set folder = "imaps://localhost:{port}/"
set spoolfile = "+INBOX"
set ssl_ca_certificates_file = "{cert}"
set ssl_force_tls = yes
set certificate_file = "{wd}/certificates"
set header_cache = ""
set message_cachedir = ""
set record = ""
set postponed = "+Drafts"
set timeout = 2
set mail_check = 2
set imap_keepalive = 30
set imap_idle = yes
set move = no
set mark_old = no
set delete = yes
set quit = ask-yes
set confirmappend = no
set sort = date
set pager_stop = yes
set wait_key = no
set sidebar_visible = no
set charset = "utf-8"
set index_format = "%4C %Z %-20.20F %s"
'''


@pytest.mark.slow
def test_mutt_read_delete_sync(served, tls_cert):
    need('mutt')
    need('tmux')
    wd = os.path.join(served.base, 'mutt')
    os.makedirs(wd)
    rc = os.path.join(wd, 'muttrc')
    with open(rc, 'w') as f:
        f.write(MUTTRC.format(pw=PW, port=served.port('imaps'), cert=tls_cert[0], wd=wd))
    env = dict(os.environ, HOME=wd, TERM='xterm-256color', LANG='C.UTF-8', LC_ALL='C.UTF-8', MAIL='')
    env.pop('TMUX', None)
    tm = Tmux(wd, 'mutt -n -F %s' % rc, env)
    try:
        screen = tm.wait_for(lambda s: all(('Inbox first' in s, 'Inbox second' in s, 'Inbox third' in s)),
                             'the three INBOX subjects')
        assert 'Work report' not in screen  # only the spool folder is shown
        # New mail delivered while mutt has the folder open shows up by itself (IDLE).
        late = make_message('late-1', 'Arrived while open', [b'delivered during the session'], 20)
        r = served.deliver('alice', late)
        assert r.returncode == 0, r.stderr
        tm.wait_text('Arrived while open', timeout=15)
        # Open the first message (sorted by date: "Inbox first"): its body on screen.
        tm.keys('Enter')
        screen = tm.wait_text('the first inbox message.')
        assert 'Subject: Inbox first' in screen, screen
        tm.keys('i')  # back to the index
        tm.wait_for(lambda s: 'Inbox third' in s and 'the first inbox message.' not in s, 'the index again')
        # Move to the second message and delete it, then sync.
        tm.keys('j')
        tm.keys('d')
        tm.wait_for(lambda s: re.search(r'(?m)^\s*2 \S*D\S*\s+Sender\s+Inbox second', s) and 'Del:1' in s,
                    'the second message marked deleted')
        tm.keys('$')
        tm.wait_for(lambda s: 'Inbox second' not in s and 'Inbox first' in s and 'Inbox third' in s,
                    'the index without the deleted message')
        tm.keys('q')
        tm.wait_text('Quit Mutt?')
        tm.keys('y')
        deadline = time.monotonic() + 10
        while tm.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not tm.alive(), 'mutt did not quit:\n' + tm.screen()
    finally:
        tm.kill()
    state = server_state(served, mailboxes=['INBOX'])
    assert set(state['INBOX']) == {'inbox-1', 'inbox-3', 'late-1'}, state
    assert state['INBOX']['inbox-1'][0] == {'\\Seen'}, 'the message read in mutt must be \\Seen'
    assert state['INBOX']['inbox-3'][0] == frozenset()
    assert {k: v[1] for k, v in state['INBOX'].items()} == {
        'inbox-1': TREE['INBOX'][0], 'inbox-3': TREE['INBOX'][2], 'late-1': late}
