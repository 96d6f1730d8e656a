"""POP3 (RFC 1939, CAPA, STLS, AUTH, response codes) against a running `loft serve`."""

import base64
import hashlib
import os
import poplib
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import tempfile
import time

import pytest

from loftlib import (MEMORY_SCALE, Pop3Raw, RssSampler, b64, client_tls_context, fetch_all, make_big_message,
                     parse_listing, pop3_login, pop3_stuff, pop3_unstuff, scram_sha256_client, strip_trace_before)

ALICE_PW = 'alice-Secret-1'
BOB_PW = 'bob-Secret-2'


def make_message(subject, body_lines, extra_headers=()):
    head = [b'From: Sender <sender@example.org>', b'To: Alice <alice@loft.test>',
            b'Subject: ' + subject.encode(), b'Date: Mon, 01 Mar 2021 12:00:00 +0000',
            b'Message-ID: <%s@example.org>' % hashlib.md5(subject.encode()).hexdigest().encode()]
    head += list(extra_headers)
    return b'\r\n'.join(head) + b'\r\n\r\n' + b''.join(l + b'\r\n' for l in body_lines)


M1 = make_message('plain one', [b'Hello Alice,', b'', b'just a short note.', b'-- ', b'Sender'])
M2 = make_message('dots', [b'.leading dot', b'..two leading dots', b'.', b'a line', b'.', b'..',
                           b' .space then dot', b'...', b'end.'])
M3 = make_message('long body', [b'body line %02d' % i for i in range(1, 21)])
MSGS = [M1, M2, M3]


def start_pop3(loft, *listeners, messages=MSGS):
    loft.add_user('alice', ALICE_PW)
    loft.add_user('bob', BOB_PW)
    if messages:
        loft.drop_messages('alice', messages)
    loft.start(*(listeners or ('pop3',)))
    return loft


@pytest.fixture
def pop3(loft):
    return start_pop3(loft)


def connect(loft, **kw):
    return Pop3Raw('127.0.0.1', loft.port('pop3'), **kw)


def capa_of(conn):
    first, wire = conn.multi('CAPA')
    assert first.startswith(b'+OK'), first
    lines = [l.decode() for l in wire.split(b'\r\n') if l not in (b'', b'.')]
    return {l.split()[0].upper(): l.split()[1:] for l in lines}


def login_retry_in_use(loft, user, password, wait=3.0):
    """A login that tolerates [IN-USE] for `wait` seconds (a closed session's
    lock being released by the server)."""
    deadline = time.monotonic() + wait
    while True:
        p = connect(loft)
        assert p.cmd('USER ' + user).startswith(b'+OK')
        r = p.cmd('PASS ' + password)
        if r.startswith(b'+OK'):
            return p
        p.close()
        assert b'[IN-USE]' in r and time.monotonic() < deadline, r
        time.sleep(0.1)


def index_inbox_flags(loft, user):
    """{uid: flags} of INBOX read from a copy of the user's index (reading
    the live file as root could leave root-owned -shm files behind)."""
    src = os.path.join(loft.data, 'mail', user, 'index.sqlite')
    d = tempfile.mkdtemp(prefix='loft-idx-')
    try:
        for suffix in ('', '-wal'):
            if os.path.exists(src + suffix):
                shutil.copyfile(src + suffix, os.path.join(d, 'index.sqlite' + suffix))
        db = sqlite3.connect(os.path.join(d, 'index.sqlite'))
        rows = db.execute("SELECT m.uid, m.flags FROM messages m JOIN mailboxes b ON m.mailbox_id = b.id "
                          "WHERE upper(b.name) = 'INBOX' ORDER BY m.uid").fetchall()
        db.close()
        return dict(rows)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- greeting, CAPA, USER/PASS, APOP --------------------------------------------------


def test_greeting_and_capa_in_authorization_state(pop3):
    p = connect(pop3)
    assert p.greeting.startswith(b'+OK'), p.greeting
    assert p.greeting.endswith(b'\r\n')
    assert not re.search(rb'<[^>]*@[^>]*>', p.greeting), 'APOP timestamp in greeting although APOP is off: %r' \
        % p.greeting
    caps = capa_of(p)
    for tag in ('TOP', 'USER', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'SASL', 'STLS',
                'IMPLEMENTATION'):
        assert tag in caps, 'CAPA lacks %s: %r' % (tag, caps)
    assert {'PLAIN', 'LOGIN', 'SCRAM-SHA-256'} <= {m.upper() for m in caps['SASL']}, caps['SASL']
    assert p.quit().startswith(b'+OK')


def test_capa_in_transaction_state(pop3):
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    before = m.capa()
    m.user('alice')
    m.pass_(ALICE_PW)
    after = m.capa()
    for tag in ('TOP', 'UIDL', 'RESP-CODES', 'PIPELINING'):
        assert tag in before and tag in after, (before, after)
    # RFC 2595: STLS is not available once authenticated.
    with pytest.raises(poplib.error_proto):
        m._shortcmd('STLS')
    m.quit()


def test_user_pass_login_and_wrong_password(pop3):
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    assert m.user('alice').startswith(b'+OK')
    assert m.pass_(ALICE_PW).startswith(b'+OK')
    assert m.stat() == (3, sum(len(x) for x in MSGS))
    m.quit()

    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    m.user('alice')
    with pytest.raises(poplib.error_proto) as e:
        m.pass_('wrong-password')
    assert str(e.value).startswith("b'-ERR [AUTH]"), e.value
    # The session stays in AUTHORIZATION state and a retry works.
    m.user('alice')
    assert m.pass_(ALICE_PW).startswith(b'+OK')
    m.quit()


def test_unknown_user_answers_like_wrong_password(pop3):
    answers = {}
    for user, pw in (('alice', 'not-the-password'), ('nosuchuser', 'not-the-password')):
        p = connect(pop3)
        u = p.cmd('USER ' + user)
        assert u.startswith(b'+OK'), 'USER must not reveal whether %s exists: %r' % (user, u)
        answers[user] = (u, p.cmd('PASS ' + pw))
        p.close()
    assert answers['alice'][1].startswith(b'-ERR [AUTH]'), answers
    assert answers['alice'] == answers['nosuchuser'], answers


def test_pass_without_user_and_commands_before_login(pop3):
    p = connect(pop3)
    for line in ('PASS ' + ALICE_PW, 'STAT', 'LIST', 'RETR 1', 'DELE 1', 'UIDL', 'TOP 1 0', 'RSET'):
        r = p.cmd(line)
        assert r.startswith(b'-ERR'), (line, r)
    assert p.cmd('QUIT').startswith(b'+OK')
    assert p.is_closed()


def test_apop_off_by_default(pop3):
    p = connect(pop3)
    r = p.cmd('APOP alice ' + 'a' * 32)
    assert r.startswith(b'-ERR'), r
    p.close()
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    with pytest.raises(poplib.error_proto):
        m.apop('alice', ALICE_PW)  # poplib refuses without a greeting timestamp
    m.close()


def test_apop_when_enabled(loft):
    loft.set('auth', 'apop', True)
    start_pop3(loft)
    p = connect(loft)
    ts = re.search(rb'<[^<>]+@[^<>]+>', p.greeting)
    assert ts, 'no APOP timestamp in greeting: %r' % p.greeting
    caps = capa_of(p)
    assert 'TOP' in caps
    bad = hashlib.md5(ts.group(0) + b'wrong').hexdigest()
    r = p.cmd('APOP alice ' + bad)
    assert r.startswith(b'-ERR [AUTH]'), r
    p.close()

    m = poplib.POP3('127.0.0.1', loft.port('pop3'), timeout=10)
    assert m.apop('alice', ALICE_PW).startswith(b'+OK')
    assert m.stat()[0] == 3
    m.quit()
    # The timestamp differs per connection (replay protection).
    t2 = re.search(rb'<[^<>]+@[^<>]+>', connect(loft).greeting).group(0)
    assert t2 != ts.group(0)


# ---- STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT ----------------------------------


def test_stat_and_list_sizes_are_crlf_octets(pop3):
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    m.user('alice')
    m.pass_(ALICE_PW)
    assert m.stat() == (3, sum(len(x) for x in MSGS))
    resp, lines, _ = m.list()
    assert resp.startswith(b'+OK')
    assert lines == [b'%d %d' % (i + 1, len(x)) for i, x in enumerate(MSGS)]
    assert m.list(2) == b'+OK 2 %d' % len(M2)
    with pytest.raises(poplib.error_proto):
        m.list(4)
    with pytest.raises(poplib.error_proto):
        m.list(0)
    m.quit()


def test_uidl_format_and_single(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    first, wire = p.multi('UIDL')
    assert first.startswith(b'+OK'), first
    uidls = parse_listing(wire)
    assert sorted(uidls) == [1, 2, 3]
    assert len(set(uidls.values())) == 3
    for u in uidls.values():
        assert 1 <= len(u) <= 70 and all(0x21 <= ord(c) <= 0x7e for c in u), u
    r = p.cmd('UIDL 2')
    assert r == ('+OK 2 %s\r\n' % uidls[2]).encode(), r
    assert p.cmd('UIDL 9').startswith(b'-ERR')
    p.quit()


def test_retr_byte_exact_with_dot_stuffing(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    for n, msg in enumerate(MSGS, 1):
        first, wire = p.multi('RETR %d' % n)
        assert first.startswith(b'+OK'), first
        assert wire == pop3_stuff(msg) + b'.\r\n', 'RETR %d wire form differs:\n%r\n%r' % (
            n, wire, pop3_stuff(msg) + b'.\r\n')
        assert pop3_unstuff(wire) == msg
    p.quit()
    # The same through poplib (which unstuffs itself).
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    m.user('alice')
    m.pass_(ALICE_PW)
    _, lines, octets = m.retr(2)
    assert b'\r\n'.join(lines) + b'\r\n' == M2
    m.quit()


def test_message_starting_with_dot_line(loft):
    odd = b'.X-Odd: leading dot in the first header line\r\nSubject: odd\r\n\r\n.\r\n'
    start_pop3(loft, messages=[odd])
    p = pop3_login(loft, 'alice', ALICE_PW)
    first, wire = p.multi('RETR 1')
    assert wire == b'..X-Odd: leading dot in the first header line\r\nSubject: odd\r\n\r\n..\r\n.\r\n', wire
    p.quit()


def test_top(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    header, body = M3.split(b'\r\n\r\n', 1)
    first, wire = p.multi('TOP 3 0')
    assert first.startswith(b'+OK'), first
    assert pop3_unstuff(wire) == header + b'\r\n\r\n'
    first, wire = p.multi('TOP 3 5')
    assert pop3_unstuff(wire) == header + b'\r\n\r\n' + b''.join(
        b'body line %02d\r\n' % i for i in range(1, 6))
    first, wire = p.multi('TOP 3 1000')
    assert pop3_unstuff(wire) == M3
    first, wire = p.multi('TOP 2 3')
    assert wire == pop3_stuff(M2.split(b'\r\n\r\n', 1)[0] + b'\r\n\r\n.leading dot\r\n..two leading dots\r\n.\r\n') \
        + b'.\r\n', wire
    for bad in ('TOP 3', 'TOP 3 -1', 'TOP 9 1', 'TOP 0 1', 'TOP x 1', 'TOP 3 x'):
        r = p.cmd(bad)
        assert r.startswith(b'-ERR'), (bad, r)
    p.quit()


def test_dele_rset_noop_quit(pop3):
    total = sum(len(x) for x in MSGS)
    p = pop3_login(pop3, 'alice', ALICE_PW)
    _, wire = p.multi('UIDL')
    uidls = parse_listing(wire)
    assert p.cmd('DELE 1').startswith(b'+OK')
    assert p.cmd('DELE 1').startswith(b'-ERR'), 'deleting a deleted message'
    assert p.cmd('LIST 1').startswith(b'-ERR')
    assert p.cmd('RETR 1').startswith(b'-ERR')
    assert p.cmd('TOP 1 0').startswith(b'-ERR')
    assert p.cmd('UIDL 1').startswith(b'-ERR')
    assert p.cmd('STAT') == b'+OK 2 %d\r\n' % (total - len(M1))
    _, wire = p.multi('LIST')
    assert parse_listing(wire) == {2: str(len(M2)), 3: str(len(M3))}
    assert p.cmd('RSET').startswith(b'+OK')
    assert p.cmd('STAT') == b'+OK 3 %d\r\n' % total
    assert p.cmd('DELE 2').startswith(b'+OK')
    assert p.cmd('NOOP').startswith(b'+OK')
    # Deletion happens only at QUIT: another look before that still sees 3.
    assert p.cmd('QUIT').startswith(b'+OK')
    assert p.is_closed()
    # ... and is visible to a new session at once (no lock left behind).
    p = pop3_login(pop3, 'alice', ALICE_PW)
    assert p.cmd('STAT') == b'+OK 2 %d\r\n' % (total - len(M2))
    _, wire = p.multi('UIDL')
    assert parse_listing(wire) == {1: uidls[1], 2: uidls[3]}, 'UIDL of the remaining messages changed'
    assert p.retr(2) == M3
    p.quit()


def test_deleted_messages_stay_until_quit(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    assert p.cmd('DELE 3').startswith(b'+OK')
    files_before = pop3.files_in('alice')
    assert len(files_before) == 3, files_before
    p.quit()
    deadline = time.monotonic() + 5
    while len(pop3.files_in('alice')) != 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(pop3.files_in('alice')) == 2, pop3.files_in('alice')


def test_dropped_connection_deletes_nothing(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    for n in (1, 2, 3):
        assert p.cmd('DELE %d' % n).startswith(b'+OK')
    # Abortive close (RST) without QUIT.
    p.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    p.close()
    q = login_retry_in_use(pop3, 'alice', ALICE_PW)
    assert q.cmd('STAT') == b'+OK 3 %d\r\n' % sum(len(x) for x in MSGS)
    q.quit()
    # An orderly close without QUIT too.
    p = pop3_login(pop3, 'alice', ALICE_PW)
    assert p.cmd('DELE 1').startswith(b'+OK')
    p.sock.shutdown(socket.SHUT_WR)
    p.is_closed()
    p.close()
    q = login_retry_in_use(pop3, 'alice', ALICE_PW)
    assert q.cmd('STAT').startswith(b'+OK 3 ')
    q.quit()


def test_in_use_lock(pop3):
    first = pop3_login(pop3, 'alice', ALICE_PW)
    second = connect(pop3)
    assert second.cmd('USER alice').startswith(b'+OK')
    r = second.cmd('PASS ' + ALICE_PW)
    assert r.startswith(b'-ERR [IN-USE]'), r
    third = connect(pop3)
    r = third.cmd('AUTH PLAIN ' + b64('\0alice\0' + ALICE_PW))
    assert r.startswith(b'-ERR [IN-USE]'), r
    # Another user is not affected.
    bob = pop3_login(pop3, 'bob', BOB_PW)
    assert bob.cmd('STAT') == b'+OK 0 0\r\n'
    bob.quit()
    # The first session is unaffected by the refused ones.
    assert first.cmd('STAT').startswith(b'+OK 3 ')
    assert first.cmd('QUIT').startswith(b'+OK')
    # After QUIT the maildrop is free at once, also for the refused connection.
    assert second.cmd('USER alice').startswith(b'+OK')
    r = second.cmd('PASS ' + ALICE_PW)
    assert r.startswith(b'+OK'), r
    second.quit()
    third.close()


def test_uidl_stable_across_sessions_and_restart(pop3):
    def uidl_map():
        p = pop3_login(pop3, 'alice', ALICE_PW)
        _, wire = p.multi('UIDL')
        p.quit()
        return parse_listing(wire)

    u1 = uidl_map()
    assert uidl_map() == u1
    pop3.restart('pop3')
    assert uidl_map() == u1
    p = pop3_login(pop3, 'alice', ALICE_PW)
    assert p.cmd('DELE 2').startswith(b'+OK')
    p.quit()
    pop3.drop_messages('alice', [make_message('late arrival', [b'new'])], prefix='late')
    u2 = uidl_map()
    assert [u2[1], u2[2]] == [u1[1], u1[3]]
    assert u2[3] not in u1.values(), 'a new message reused an old UIDL'


def test_lf_only_file_is_served_with_crlf(loft):
    lf = b'From: x@example.org\nSubject: lf only\n\nline one\n.dot\nline three\n'
    start_pop3(loft, messages=[lf])
    crlf = lf.replace(b'\n', b'\r\n')
    p = pop3_login(loft, 'alice', ALICE_PW)
    assert p.cmd('LIST 1') == b'+OK 1 %d\r\n' % len(crlf)
    assert p.retr(1) == crlf
    p.quit()


def test_new_files_picked_up_in_name_order_at_login(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    extra = [make_message('extra %d' % i, [b'extra body %d' % i]) for i in range(5)]
    pop3.drop_messages('alice', extra, prefix='x')
    # A running session keeps its view (RFC 1939 maildrop snapshot).
    assert p.cmd('STAT').startswith(b'+OK 3 ')
    p.quit()
    got = [m for _, _, m in fetch_all(pop3, 'alice', ALICE_PW)]
    assert got == MSGS + extra


def test_retr_sets_seen(pop3):
    p = pop3_login(pop3, 'alice', ALICE_PW)
    p.retr(2)
    first, _ = p.multi('TOP 3 0')  # TOP does not set \Seen
    assert first.startswith(b'+OK')
    p.quit()
    flags = index_inbox_flags(pop3, 'alice')
    assert len(flags) == 3, flags
    uids = sorted(flags)
    assert [flags[u] & 1 for u in uids] == [0, 1, 0], 'only the RETRieved message has \\Seen: %r' % flags


# ---- SASL -----------------------------------------------------------------------------


def test_auth_plain(pop3):
    p = connect(pop3)
    r = p.cmd('AUTH PLAIN ' + b64('\0alice\0' + ALICE_PW))
    assert r.startswith(b'+OK'), r
    assert p.cmd('STAT').startswith(b'+OK 3 ')
    p.quit()
    # Without an initial response: empty challenge, then the credentials.
    p = connect(pop3)
    r = p.cmd('AUTH PLAIN')
    assert r.rstrip(b'\r\n') in (b'+', b'+ '), r
    r = p.cmd(b64('\0alice\0' + ALICE_PW))
    assert r.startswith(b'+OK'), r
    p.quit()
    # Wrong password, authorization identity equal to the user, cancel, malformed.
    p = connect(pop3)
    r = p.cmd('AUTH PLAIN ' + b64('\0alice\0wrong'))
    assert r.startswith(b'-ERR [AUTH]'), r
    r = p.cmd('AUTH PLAIN ' + b64('alice\0alice\0' + ALICE_PW))
    assert r.startswith(b'+OK'), r
    p.quit()
    p = connect(pop3)
    assert p.cmd('AUTH PLAIN').startswith(b'+')
    r = p.cmd('*')
    assert r.startswith(b'-ERR'), r
    r = p.cmd('AUTH PLAIN !!!notbase64!!!')
    assert r.startswith(b'-ERR'), r
    r = p.cmd('AUTH PLAIN ' + b64('no-nul-bytes'))
    assert r.startswith(b'-ERR'), r
    r = p.cmd('AUTH X-UNKNOWN-MECH')
    assert r.startswith(b'-ERR'), r
    # After all that the session still logs in.
    assert p.cmd('AUTH PLAIN ' + b64('\0alice\0' + ALICE_PW)).startswith(b'+OK')
    p.quit()


def test_auth_login(pop3):
    p = connect(pop3)
    r = p.cmd('AUTH LOGIN')
    assert r.startswith(b'+ '), r
    r = p.cmd(b64('alice'))
    assert r.startswith(b'+ '), r
    r = p.cmd(b64(ALICE_PW))
    assert r.startswith(b'+OK'), r
    p.quit()
    p = connect(pop3)
    assert p.cmd('AUTH LOGIN ' + b64('alice')).startswith(b'+ ')
    r = p.cmd(b64('wrong'))
    assert r.startswith(b'-ERR [AUTH]'), r
    p.close()


def _scram(pop3, password):
    p = connect(pop3)
    r = p.cmd('AUTH SCRAM-SHA-256')
    assert r.rstrip(b'\r\n') in (b'+', b'+ '), r
    answers = []

    def send_recv(msg):
        r = p.cmd(b64(msg))
        answers.append(r)
        if not r.startswith(b'+ '):
            raise AssertionError('SCRAM step answered %r' % r)
        return base64.b64decode(r[2:].strip())

    try:
        ok, final = scram_sha256_client('alice', password, send_recv)
    except AssertionError:
        return p, None, answers
    return p, ok, answers


def test_auth_scram_sha256(pop3):
    p, server_ok, answers = _scram(pop3, ALICE_PW)
    assert server_ok, 'server signature did not verify: %r' % answers
    # RFC 5034: the additional success data comes as a challenge; the client
    # answers with an empty line and then gets +OK.
    r = p.cmd('')
    assert r.startswith(b'+OK'), r
    assert p.cmd('STAT').startswith(b'+OK 3 ')
    p.quit()
    p, server_ok, answers = _scram(pop3, 'wrong-password')
    assert server_ok is None and answers[-1].startswith(b'-ERR [AUTH]'), answers
    p.close()


# ---- TLS --------------------------------------------------------------------------------


def test_stls_with_poplib(pop3, tls_cert):
    m = poplib.POP3('127.0.0.1', pop3.port('pop3'), timeout=10)
    assert m.stls(context=client_tls_context(tls_cert[0])).startswith(b'+OK')
    caps = m.capa()
    assert 'STLS' not in caps, caps
    assert 'USER' in caps
    m.user('alice')
    m.pass_(ALICE_PW)
    assert m.stat()[0] == 3
    assert b'\r\n'.join(m.retr(2)[1]) + b'\r\n' == M2
    m.quit()


def test_stls_discards_pipelined_plaintext(pop3, tls_cert):
    p = connect(pop3)
    # Command injection before the handshake (CVE-2011-0411 style) must be ignored.
    p.send('STLS\r\nUSER alice\r\n')
    r = p.readline()
    assert r.startswith(b'+OK'), r
    p.starttls(client_tls_context(tls_cert[0]))
    r = p.cmd('PASS ' + ALICE_PW)
    assert r.startswith(b'-ERR'), 'USER sent before the handshake was executed: %r' % r
    assert p.cmd('STLS').startswith(b'-ERR'), 'second STLS'
    p.login('alice', ALICE_PW)
    p.quit()


def test_pop3s_with_poplib(loft, tls_cert):
    start_pop3(loft, 'pop3', 'pop3s')
    m = poplib.POP3_SSL('127.0.0.1', loft.port('pop3s'), context=client_tls_context(tls_cert[0]), timeout=10)
    assert 'STLS' not in m.capa()
    m.user('alice')
    m.pass_(ALICE_PW)
    assert m.stat() == (3, sum(len(x) for x in MSGS))
    assert b'\r\n'.join(m.retr(3)[1]) + b'\r\n' == M3
    m.quit()


def test_plaintext_refused_without_tls_unless_stls(loft, tls_cert):
    loft.set('auth', 'plaintext_on_loopback', False)
    start_pop3(loft, 'pop3', 'pop3s')
    p = connect(loft)
    u = p.cmd('USER alice')
    if u.startswith(b'+OK'):
        r = p.cmd('PASS ' + ALICE_PW)
    else:
        r = u
    assert r.startswith(b'-ERR [AUTH]'), (u, r)
    r = p.cmd('AUTH PLAIN ' + b64('\0alice\0' + ALICE_PW))
    assert r.startswith(b'-ERR [AUTH]'), r
    r = p.cmd('AUTH LOGIN')
    assert r.startswith(b'-ERR [AUTH]'), r
    assert 'STLS' in capa_of(p)
    # STLS makes it acceptable.
    assert p.cmd('STLS').startswith(b'+OK')
    p.starttls(client_tls_context(tls_cert[0]))
    p.login('alice', ALICE_PW)
    assert p.cmd('STAT').startswith(b'+OK 3 ')
    p.quit()
    # Implicit TLS allows it too.
    m = poplib.POP3_SSL('127.0.0.1', loft.port('pop3s'), context=client_tls_context(tls_cert[0]), timeout=10)
    m.user('alice')
    assert m.pass_(ALICE_PW).startswith(b'+OK')
    m.quit()


# ---- pipelining, bad input ---------------------------------------------------------------


def test_pipelining(pop3):
    p = connect(pop3)
    p.send('USER alice\r\nPASS %s\r\nSTAT\r\nLIST\r\nUIDL 1\r\nRETR 2\r\nNOOP\r\nDELE 1\r\nRSET\r\n' % ALICE_PW)
    assert p.readline().startswith(b'+OK')
    assert p.readline().startswith(b'+OK')
    assert p.readline() == b'+OK 3 %d\r\n' % sum(len(x) for x in MSGS)
    assert p.readline().startswith(b'+OK')
    assert parse_listing(p.read_until_terminator()) == {i + 1: str(len(x)) for i, x in enumerate(MSGS)}
    assert p.readline().startswith(b'+OK 1 ')
    assert p.readline().startswith(b'+OK')
    assert pop3_unstuff(p.read_until_terminator()) == M2
    assert p.readline().startswith(b'+OK')
    assert p.readline().startswith(b'+OK')
    assert p.readline().startswith(b'+OK')
    assert p.cmd('STAT').startswith(b'+OK 3 ')
    p.quit()


def test_garbage_and_overlong_lines(pop3):
    bystander = pop3_login(pop3, 'bob', BOB_PW)
    p = connect(pop3)
    for line in (b'\x00\x01\xff\xfe garbage', b'FOO', b'', b'PASS', b'\x1b[2J', b'LIST\x00'):
        r = p.cmd(line)
        assert r.startswith(b'-ERR'), (line, r)
    r = p.cmd(b'USER ' + b'a' * 100000)
    assert r.startswith(b'-ERR'), r[:100]
    if not p.is_closed(0.5):
        p.login('alice', ALICE_PW)
        for line in ('RETR abc', 'RETR 0', 'RETR 4294967296', 'RETR 99999999999999999999', 'LIST -1',
                     'DELE 99', 'TOP 1', 'UIDL x', 'RETR 1 2'):
            r = p.cmd(line)
            assert r.startswith(b'-ERR'), (line, r)
        assert p.cmd('NOOP').startswith(b'+OK')
        assert p.cmd('QUIT').startswith(b'+OK')
    p.close()

    # A 5 MB line without a line end: answered and/or closed, never buffered whole.
    p = connect(pop3, timeout=10)
    chunk = b'x' * 65536
    sent = 0
    closed = False
    try:
        while sent < 5 << 20:
            p.sock.sendall(chunk)
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    except socket.timeout:
        pass  # the server stopped reading: it must answer or close now
    if not closed:
        # Wait for an answer line or the close, whichever comes first.
        p.sock.settimeout(10.0)
        try:
            while b'\n' not in p.buf:
                chunk = p.sock.recv(65536)
                if not chunk:
                    closed = True
                    break
                p.buf += chunk
        except socket.timeout:
            pass
        except OSError:
            closed = True
    if p.buf:
        assert bytes(p.buf).startswith(b'-ERR'), bytes(p.buf[:200])
    assert closed or p.buf, 'server neither answered nor closed after %d bytes without a line end' % sent
    p.close()
    assert pop3.rss_kb() < 64 * 1024 * MEMORY_SCALE, 'server RSS %d kB after an overlong line' % pop3.rss_kb()

    # Everyone else is still served.
    assert bystander.cmd('STAT') == b'+OK 0 0\r\n'
    bystander.quit()
    q = pop3_login(pop3, 'alice', ALICE_PW)
    assert q.cmd('STAT').startswith(b'+OK 3 ')
    q.quit()


def test_failed_login_throttling(pop3):
    def attempt(source, user, password):
        # Timed from the connection to the PASS answer: a server may apply
        # the delay to the greeting, USER or PASS.
        t0 = time.monotonic()
        p = connect(pop3, source=source, timeout=60)
        assert p.cmd('USER ' + user).startswith(b'+OK')
        r = p.cmd('PASS ' + password)
        dt = time.monotonic() - t0
        p.close()
        return dt, r

    t_ok, r = attempt('127.0.0.2', 'alice', ALICE_PW)
    assert r.startswith(b'+OK'), r
    known = [attempt('127.0.0.3', 'alice', 'bad-%d' % i) for i in range(6)]
    unknown = [attempt('127.0.0.4', 'nosuchuser', 'bad-%d' % i) for i in range(6)]
    summary = 'known user: %s\nunknown user: %s' % ([(round(t, 3), r) for t, r in known],
                                                      [(round(t, 3), r) for t, r in unknown])
    assert all(r.startswith(b'-ERR [AUTH]') for _, r in known + unknown), summary
    assert [r for _, r in known] == [r for _, r in unknown], summary
    # Several failures make the answers slower ...
    assert known[-1][0] >= known[0][0] + 0.4, summary
    assert unknown[-1][0] >= unknown[0][0] + 0.4, summary
    # ... the unknown user costs a password verification too ...
    if known[0][0] > 0.03:
        assert unknown[0][0] >= 0.3 * known[0][0], summary
    # ... and another address with another user is not slowed down.
    t_other, r = attempt('127.0.0.5', 'bob', BOB_PW)
    assert r.startswith(b'+OK'), r
    assert t_other < t_ok + 0.3, (t_ok, t_other)


# ---- big messages -----------------------------------------------------------------------


@pytest.mark.slow
def test_100mb_message_streamed_with_bounded_memory(loft):
    loft.set('limits', 'max_message_size', 200 * 1024 * 1024)
    loft.add_user('alice', ALICE_PW)
    path = os.path.join(loft.base, 'big.eml')
    original = make_big_message(path, 100 * 1024 * 1024)
    with open(path, 'rb') as f:
        r = loft.deliver('alice', f, sender='big@example.org')
    assert r.returncode == 0, r.stderr
    os.unlink(path)
    loft.start('pop3')

    with RssSampler(loft) as rss:
        p = pop3_login(loft, 'alice', ALICE_PW, timeout=60)
        r = p.cmd('LIST 1')
        size = int(r.split()[2])
        p.send('RETR 1\r\n')
        first = p.readline()
        assert first.startswith(b'+OK'), first
        wire = bytearray(p.buf)
        p.buf = bytearray()
        paused = False
        while not wire.endswith(b'\r\n.\r\n'):
            chunk = p.sock.recv(1 << 20)
            assert chunk, 'connection closed after %d bytes' % len(wire)
            wire += chunk
            if not paused and len(wire) > 20 << 20:
                time.sleep(1.5)  # a server that does not stream would now buffer the rest
                paused = True
        p.quit()
    got = pop3_unstuff(bytes(wire))
    assert len(got) == size, 'LIST says %d, RETR gave %d' % (size, len(got))
    fields, body = strip_trace_before(got, b'From: big@example.org')
    assert body == original
    peak = rss.peak()
    print('100 MB RETR: %d RSS samples, peak %d kB' % (len(rss.samples), peak))
    assert peak < 64 * 1024 * MEMORY_SCALE, 'server RSS reached %d kB while sending 100 MB (samples %d)' % (peak, len(rss.samples))


# ---- curl -----------------------------------------------------------------------------


def curl(*args, timeout=60):
    return subprocess.run(['curl', '-sS', '--max-time', '30'] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=timeout)


def test_curl_pop3_and_pop3s(loft, tls_cert):
    start_pop3(loft, 'pop3', 'pop3s')
    cred = 'alice:' + ALICE_PW
    base = 'pop3://127.0.0.1:%d/' % loft.port('pop3')
    r = curl('-u', cred, base)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b''.join(b'%d %d\r\n' % (i + 1, len(m)) for i, m in enumerate(MSGS)), r.stdout
    for n, m in enumerate(MSGS, 1):
        r = curl('-u', cred, base + str(n))
        assert r.returncode == 0, r.stderr
        assert r.stdout == m, (n, r.stdout)
    r = curl('-u', 'alice:wrong', base)
    assert r.returncode != 0
    # STLS required by the client, certificate verified.
    r = curl('--ssl-reqd', '--cacert', tls_cert[0], '-u', cred, 'pop3://localhost:%d/2' % loft.port('pop3'))
    assert r.returncode == 0, r.stderr
    assert r.stdout == M2
    # Implicit TLS.
    sbase = 'pop3s://127.0.0.1:%d/' % loft.port('pop3s')
    r = curl('-k', '-u', cred, sbase)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(b'\r\n') == 3
    r = curl('-k', '-u', cred, sbase + '3')
    assert r.returncode == 0, r.stderr
    assert r.stdout == M3
    # DELE through curl's custom request; applied at its QUIT.
    r = curl('-k', '-u', cred, '-X', 'DELE', '-I', sbase + '1')
    assert r.returncode == 0, r.stderr
    r = curl('-k', '-u', cred, sbase)
    assert r.stdout == b''.join(b'%d %d\r\n' % (i + 1, len(m)) for i, m in enumerate(MSGS[1:])), r.stdout
