"""IMAP (RFC 3501 / RFC 9051 and the extensions Loft announces) against a
running `loft serve`, with python's imaplib and, where exact bytes matter,
the raw client in imaptest.py."""

import base64
import imaplib
import re
import ssl
import time

import pytest

from imaptest import (connect, fetch_map, fetches, find, flags_set, pairs, resp_code, search_numbers,
                      untagged_numbers)
from loftlib import b64, scram_sha256_client

ALICE_PW = 'alice-Imap-1'
BOB_PW = 'bob-Imap-2'

REQUIRED_POST_LOGIN = ('IMAP4REV1', 'IMAP4REV2', 'IDLE', 'NAMESPACE', 'UIDPLUS', 'MOVE', 'CONDSTORE', 'QRESYNC',
                       'ESEARCH', 'SEARCHRES', 'LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE', 'UNSELECT',
                       'ENABLE', 'ID', 'BINARY', 'MULTIAPPEND', 'CHILDREN', 'STATUS=SIZE', 'UTF8=ACCEPT',
                       'LITERAL+', 'SASL-IR')

# A multipart message: RFC 2047 subject, a quoted-printable text part with a
# soft line break, and a base64 attachment.
QP_PART_BODY = b'Caf=C3=A9 soft=\r\nbreak here and the word Zebrafish.\r\nSecond line.'
ATTACHMENT = bytes(range(10)) + b'\xff\xfe loft'
MULTI = (b'From: "Sender Name" <sender@example.org>\r\n'
         b'To: Alice <alice@loft.test>, bob@loft.test\r\n'
         b'Cc: carol@example.net\r\n'
         b'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n'
         b'Date: Mon, 01 Mar 2021 12:00:00 +0000\r\n'
         b'Message-ID: <multi-1@example.org>\r\n'
         b'MIME-Version: 1.0\r\n'
         b'Content-Type: multipart/mixed; boundary="XYZ"\r\n'
         b'\r\n'
         b'preamble\r\n'
         b'--XYZ\r\n'
         b'Content-Type: text/plain; charset=utf-8\r\n'
         b'Content-Transfer-Encoding: quoted-printable\r\n'
         b'\r\n' + QP_PART_BODY + b'\r\n'
         b'--XYZ\r\n'
         b'Content-Type: application/octet-stream; name="data.bin"\r\n'
         b'Content-Transfer-Encoding: base64\r\n'
         b'Content-Disposition: attachment; filename="data.bin"\r\n'
         b'\r\n' + base64.b64encode(ATTACHMENT) + b'\r\n'
         b'--XYZ--\r\n')


def simple(subject, body, sender='sender@example.org', extra=b''):
    return (b'From: ' + sender.encode() + b'\r\nTo: alice@loft.test\r\nSubject: ' + subject.encode() +
            b'\r\nDate: Tue, 02 Mar 2021 10:00:00 +0100\r\nMessage-ID: <' + subject.replace(' ', '.').encode() +
            b'@example.org>\r\n' + extra + b'\r\n' + body + b'\r\n')


M_A = simple('alpha note', b'first body, mentions Zebrafish too', sender='alpha@one.example')
M_B = simple('beta report', b'second body text', sender='beta@two.example')
M_C = simple('gamma alpha', b'third body', sender='gamma@one.example')


@pytest.fixture
def srv(loft):
    loft.add_user('alice', ALICE_PW)
    loft.add_user('bob', BOB_PW)
    loft.start('imap', 'imaps', 'lmtp')
    return loft


def caps_of(text):
    m = re.search(r'CAPABILITY ([^\]\r\n]*)', text, re.I)
    assert m, text
    return set(c.upper() for c in m.group(1).split())


def capability(c):
    untagged = c.ok('CAPABILITY')
    lines = find(untagged, '* CAPABILITY ')
    assert len(lines) == 1, untagged
    return caps_of(lines[0].text)


def append(c, mailbox, message, flags=None, date=None):
    """Raw APPEND; returns (uidvalidity, uid) from APPENDUID."""
    args = mailbox
    if flags is not None:
        args += ' (' + ' '.join(flags) + ')'
    if date is not None:
        args += ' "' + date + '"'
    c.ok('APPEND ' + args + ' {}', message)
    code = resp_code(c.last_tagged, 'APPENDUID')
    assert code, 'APPEND without APPENDUID: %r' % c.last_tagged.raw
    v, uid = code.split()
    return int(v), int(uid)


def filled(loft, messages=(M_A, M_B, M_C), user='alice'):
    """A logged-in raw session with `messages` APPENDed to INBOX and INBOX selected."""
    c = connect(loft, user)
    for m in messages:
        append(c, 'INBOX', m)
    c.ok('SELECT INBOX')
    return c


def fetch1(c, seq, items, uid=False):
    cmd = ('UID FETCH %s %s' if uid else 'FETCH %s %s') % (seq, items)
    fm = fetch_map(c.ok(cmd))
    return fm


def item(d, prefix):
    """The value of the first fetch item whose name starts with `prefix`."""
    for k, v in d.items():
        if k.startswith(prefix.upper()):
            return v
    raise AssertionError('no %s in %r' % (prefix, d))


def mutf7(name):
    """RFC 3501 5.1.3 modified UTF-7 (imaplib leaves encoding to the caller)."""
    out, run = [], []

    def flush():
        if run:
            b = base64.b64encode(''.join(run).encode('utf-16-be')).rstrip(b'=').replace(b'/', b',')
            out.append('&' + b.decode() + '-')
            run.clear()
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out.append('&-' if ch == '&' else ch)
        else:
            run.append(ch)
    flush()
    return ''.join(out)


def imaplib_login(loft, user='alice'):
    m = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=15)
    typ, _ = m.login(user, loft.passwords[user])
    assert typ == 'OK'
    return m


def list_names(untagged):
    """* LIST responses -> {name (str): set of attributes}."""
    out = {}
    for r in find(untagged, '* LIST '):
        t = r.tokens()
        name = t[4]
        name = name.decode('utf-8') if isinstance(name, bytes) else str(name)
        out[name] = flags_set(t[2])
    return out


# ---- greeting, capabilities, authentication --------------------------------------------


def test_greeting_and_prelogin_capability(srv):
    c = connect(srv)
    assert c.greeting.raw.startswith(b'* OK [CAPABILITY '), c.greeting.raw
    greet = caps_of(c.greeting.text)
    caps = capability(c)
    assert greet == caps
    for cap in ('IMAP4REV1', 'IMAP4REV2', 'STARTTLS', 'AUTH=PLAIN', 'AUTH=SCRAM-SHA-256', 'SASL-IR', 'ID',
                'ENABLE', 'IDLE', 'LITERAL+'):
        assert cap in caps, (cap, caps)
    assert 'LOGINDISABLED' not in caps  # plaintext on loopback is allowed by default
    c.logout()


def test_postlogin_capability(srv):
    c = connect(srv)
    untagged = c.login('alice', ALICE_PW)
    # RFC 9051 6.2.3: the tagged OK may carry the new capabilities
    code = resp_code(c.last_tagged, 'CAPABILITY')
    caps = capability(c)
    if code is not None:
        assert set(code.upper().split()) == caps
    for cap in REQUIRED_POST_LOGIN:
        assert cap in caps, (cap, caps)
    assert any(x.startswith('APPENDLIMIT=') for x in caps), caps
    for cap in caps:
        assert not cap.startswith('AUTH='), caps
    assert 'STARTTLS' not in caps and 'LOGINDISABLED' not in caps
    assert not find(untagged, '* BAD')
    c.logout()


def test_logindisabled_without_tls(loft, tls_cert):
    loft.add_user('alice', ALICE_PW)
    loft.set('auth', 'plaintext_on_loopback', False)
    loft.start('imap')
    c = connect(loft)
    caps = caps_of(c.greeting.text)
    assert 'LOGINDISABLED' in caps and 'STARTTLS' in caps, caps
    assert 'AUTH=PLAIN' not in caps and 'AUTH=LOGIN' not in caps, caps
    st, tagged, _ = c.status_of('LOGIN alice "%s"' % ALICE_PW)
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('AUTHENTICATE PLAIN ' + b64('\0alice\0' + ALICE_PW))
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('SELECT INBOX')  # still not authenticated
    assert st == 'BAD', tagged.raw
    c.ok('STARTTLS')
    c.starttls(ssl._create_unverified_context())
    caps = capability(c)
    assert 'LOGINDISABLED' not in caps and 'STARTTLS' not in caps and 'AUTH=PLAIN' in caps, caps
    c.login('alice', ALICE_PW)
    c.ok('SELECT INBOX')
    c.logout()


def test_login_wrong_password_then_right(srv):
    c = connect(srv)
    t0 = time.monotonic()
    st, tagged, _ = c.status_of('LOGIN alice wrong-password')
    assert st == 'NO' and b'[AUTHENTICATIONFAILED]' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('LOGIN nobody-here whatever')
    assert st == 'NO' and b'[AUTHENTICATIONFAILED]' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('SELECT INBOX')
    assert st == 'BAD', tagged.raw
    c.login('alice', ALICE_PW)
    st, tagged, _ = c.status_of('LOGIN alice "%s"' % ALICE_PW)  # not in authenticated state
    assert st == 'BAD', tagged.raw
    c.logout()
    assert time.monotonic() - t0 < 10


def test_login_literal_password(srv):
    c = connect(srv)
    c.ok('LOGIN {} {}', 'alice', ALICE_PW)
    c.ok('SELECT INBOX')
    c.logout()


def test_imaplib_login_select_logout(srv):
    m = imaplib_login(srv)
    typ, data = m.select('INBOX')
    assert typ == 'OK' and data == [b'0'], (typ, data)
    typ, data = m.logout()
    assert typ == 'BYE', (typ, data)


def test_authenticate_plain_sasl_ir(srv):
    c = connect(srv)
    c.ok('AUTHENTICATE PLAIN ' + b64('\0alice\0' + ALICE_PW))
    c.ok('SELECT INBOX')
    c.logout()
    # authzid equal to the user is allowed; a wrong password is not
    c = connect(srv)
    c.ok('AUTHENTICATE PLAIN ' + b64('alice\0alice\0' + ALICE_PW))
    c.logout()
    c = connect(srv)
    st, tagged, _ = c.status_of('AUTHENTICATE PLAIN ' + b64('\0alice\0nope'))
    assert st == 'NO' and b'[AUTHENTICATIONFAILED]' in tagged.raw, tagged.raw
    c.logout()


def test_authenticate_plain_with_continuation_and_cancel(srv):
    c = connect(srv)
    c.raw_send('A1 AUTHENTICATE PLAIN\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'+'), r.raw
    c.raw_send('*\r\n')  # RFC 3501 6.2.2: the client cancels
    r, _ = c.finish('A1')
    assert r.raw.startswith(b'A1 BAD'), r.raw
    c.raw_send('A2 AUTHENTICATE PLAIN\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'+'), r.raw
    c.raw_send(b64('\0alice\0' + ALICE_PW) + '\r\n')
    r, _ = c.finish('A2')
    assert r.raw.startswith(b'A2 OK'), r.raw
    c.logout()


def test_authenticate_plain_imaplib(srv):
    m = imaplib.IMAP4('127.0.0.1', srv.port('imap'), timeout=15)
    typ, _ = m.authenticate('PLAIN', lambda _: ('\0alice\0' + ALICE_PW).encode())
    assert typ == 'OK'
    assert m.select('INBOX')[0] == 'OK'
    m.logout()


def scram_exchange(c, user, password, initial_response=True):
    tag = c.next_tag()
    state = {'first': True}

    def send_recv(msg):
        if state['first']:
            state['first'] = False
            if initial_response:
                c.raw_send('%s AUTHENTICATE SCRAM-SHA-256 %s\r\n' % (tag, b64(msg)))
            else:
                c.raw_send('%s AUTHENTICATE SCRAM-SHA-256\r\n' % tag)
                r = c.read_response()
                assert r.raw.rstrip(b'\r\n') in (b'+', b'+ '), r.raw
                c.raw_send(b64(msg) + '\r\n')
        else:
            c.raw_send(b64(msg) + '\r\n')
        r = c.read_response()
        if r.raw.startswith(b'+ '):
            return base64.b64decode(r.raw[2:].strip())
        state['tagged'] = r
        code = resp_code(r, 'SASL')
        return base64.b64decode(code) if code else r.raw

    ok, server_final = scram_sha256_client(user, password, send_recv)
    if 'tagged' not in state:
        c.raw_send('\r\n')  # RFC 3501: the empty response after the server's final data
        state['tagged'], _ = c.finish(tag)
    return ok, state['tagged']


def test_authenticate_scram_sha256(srv):
    for ir in (True, False):
        c = connect(srv)
        ok, tagged = scram_exchange(c, 'alice', ALICE_PW, initial_response=ir)
        assert ok, 'server signature did not verify'
        assert tagged.raw.split()[1] == b'OK', tagged.raw
        c.ok('SELECT INBOX')
        c.logout()


def test_authenticate_scram_wrong_password(srv):
    c = connect(srv)
    tag = c.next_tag()
    first = {'sent': False}

    def send_recv(msg):
        c.raw_send(('%s AUTHENTICATE SCRAM-SHA-256 %s\r\n' % (tag, b64(msg))) if not first['sent']
                   else b64(msg) + '\r\n')
        first['sent'] = True
        r = c.read_response()
        if r.raw.startswith(b'+ '):
            return base64.b64decode(r.raw[2:].strip())
        first['tagged'] = r
        return b''
    ok, _ = scram_sha256_client('alice', 'not-the-password', send_recv)
    assert not ok
    assert first['tagged'].raw.startswith(tag.encode() + b' NO'), first['tagged'].raw
    c.ok('NOOP')
    c.logout()


def test_starttls_and_pipelined_command_discarded(srv):
    c = connect(srv)
    # RFC 3501 6.2.1 / RFC 9051 11.1: nothing sent in the clear after STARTTLS may be executed
    c.raw_send(b'S1 STARTTLS\r\nS2 LOGIN alice "' + ALICE_PW.encode() + b'"\r\n')
    r, untagged = c.finish('S1')
    assert r.raw.startswith(b'S1 OK'), r.raw
    assert not untagged
    assert not c.buf, 'bytes after the STARTTLS answer: %r' % bytes(c.buf)
    c.starttls(ssl._create_unverified_context())
    caps = capability(c)
    assert 'STARTTLS' not in caps and 'IMAP4REV1' in caps, caps
    st, tagged, untagged = c.status_of('SELECT INBOX')
    assert st == 'BAD', (tagged.raw, 'the pipelined LOGIN was executed')
    assert not [u for u in untagged if u.raw.startswith(b'S2 ')]
    st, tagged, _ = c.status_of('STARTTLS')  # not twice
    assert st == 'BAD', tagged.raw
    c.login('alice', ALICE_PW)
    c.logout()


def test_starttls_imaplib(srv):
    m = imaplib.IMAP4('127.0.0.1', srv.port('imap'), timeout=15)
    typ, _ = m.starttls(ssl_context=ssl._create_unverified_context())
    assert typ == 'OK'
    assert 'STARTTLS' not in m.capabilities
    assert m.login('alice', ALICE_PW)[0] == 'OK'
    m.logout()


def test_imaps(srv):
    m = imaplib.IMAP4_SSL('127.0.0.1', srv.port('imaps'), ssl_context=ssl._create_unverified_context(),
                          timeout=15)
    assert 'STARTTLS' not in m.capabilities and 'AUTH=PLAIN' in m.capabilities, m.capabilities
    assert m.login('alice', ALICE_PW)[0] == 'OK'
    assert m.select('INBOX')[0] == 'OK'
    m.logout()
    c = connect(srv, 'alice', listener='imaps')
    st, tagged, _ = c.status_of('STARTTLS')
    assert st == 'BAD', tagged.raw
    c.logout()


# ---- SELECT / EXAMINE -------------------------------------------------------------------


def test_select_and_examine_responses(srv):
    for m in (M_A, M_B, M_C):
        r = srv.deliver('alice', m)
        assert r.returncode == 0, r.stderr
    c = connect(srv, 'alice')
    untagged = c.ok('SELECT INBOX')
    tagged = c.last_tagged
    assert b'[READ-WRITE]' in tagged.raw, tagged.raw
    flags = find(untagged, '* FLAGS ')
    assert len(flags) == 1
    assert {'\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'} <= flags_set(flags[0].tokens()[2])
    perm = [u for u in untagged if resp_code(u, 'PERMANENTFLAGS') is not None]
    assert len(perm) == 1 and '\\*' in resp_code(perm[0], 'PERMANENTFLAGS'), perm
    assert untagged_numbers(untagged, 'EXISTS') == [3], untagged
    uv = [resp_code(u, 'UIDVALIDITY') for u in untagged if resp_code(u, 'UIDVALIDITY')]
    assert len(uv) == 1 and int(uv[0]) > 0
    un = [resp_code(u, 'UIDNEXT') for u in untagged if resp_code(u, 'UIDNEXT')]
    assert un == ['4'], untagged
    # EXAMINE: same data, read-only, and STORE refused; flags unchanged afterwards
    untagged = c.ok('EXAMINE INBOX')
    assert b'[READ-ONLY]' in c.last_tagged.raw, c.last_tagged.raw
    assert untagged_numbers(untagged, 'EXISTS') == [3]
    assert [resp_code(u, 'UIDVALIDITY') for u in untagged if resp_code(u, 'UIDVALIDITY')] == uv
    # refused, or (Dovecot) "OK Store ignored with read-only mailbox."; the flags stay as they are
    st, tagged, _ = c.status_of('STORE 1 +FLAGS (\\Flagged)')
    assert st == 'NO' or (st == 'OK' and b'read-only' in tagged.raw.lower()), tagged.raw
    c.ok('FETCH 1 BODY[]')  # no implicit \Seen in a read-only mailbox
    fm = fetch1(c, '1', '(FLAGS)')
    assert flags_set(fm[1]['FLAGS']) == set(), fm
    # "inbox" in any case is INBOX
    untagged = c.ok('SELECT iNbOx')
    assert untagged_numbers(untagged, 'EXISTS') == [3]
    c.logout()


def test_select_nonexistent_leaves_no_mailbox_selected(srv):
    c = connect(srv, 'alice')
    c.ok('SELECT INBOX')
    st, tagged, _ = c.status_of('SELECT no-such-box')
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('NOOP')
    assert st == 'OK'
    st, tagged, _ = c.status_of('FETCH 1:* FLAGS')
    assert st == 'BAD', tagged.raw  # RFC 3501 6.3.1: a failed SELECT leaves the authenticated state
    c.logout()


# ---- LIST / LSUB / mailbox names ----------------------------------------------------------


def test_list_patterns_and_hierarchy(srv):
    c = connect(srv, 'alice')
    for name in ('a/b/c', 'a/d', 'x', 'xy'):
        c.ok('CREATE "%s"' % name)
    # the hierarchy delimiter
    untagged = c.ok('LIST "" ""')
    t = find(untagged, '* LIST ')[0].tokens()
    assert '\\Noselect' in flags_set(t[2]) and t[3] == b'/' and t[4] == b'', t
    allnames = list_names(c.ok('LIST "" "*"'))
    for name in ('INBOX', 'a', 'a/b', 'a/b/c', 'a/d', 'x', 'xy', 'Drafts', 'Sent', 'Trash', 'Junk', 'Archive'):
        assert name in allnames, (name, allnames)
    assert '\\HasChildren' in allnames['a'] and '\\HasNoChildren' in allnames['a/d'], allnames
    assert '\\HasNoChildren' in allnames['a/b/c'] and '\\HasChildren' in allnames['a/b'], allnames
    top = list_names(c.ok('LIST "" "%"'))
    assert 'a' in top and 'x' in top and 'INBOX' in top and not any('/' in n for n in top), top
    assert set(list_names(c.ok('LIST "" "a/%"'))) == {'a/b', 'a/d'}
    assert set(list_names(c.ok('LIST "" "a/*"'))) == {'a/b', 'a/b/c', 'a/d'}
    assert set(list_names(c.ok('LIST "a/" "%"'))) == {'a/b', 'a/d'}  # reference + pattern
    assert set(list_names(c.ok('LIST "" "x*"'))) == {'x', 'xy'}
    assert set(list_names(c.ok('LIST "" "inbox"'))) == {'INBOX'}
    assert list_names(c.ok('LIST "" "nothing*"')) == {}
    # a/b exists only through its child, a/b/c: created implicitly, selectable per Dovecot
    c.ok('SELECT a/b/c')
    c.logout()


def test_list_imaplib(srv):
    m = imaplib_login(srv)
    assert m.create('Projects/2024')[0] == 'OK'
    typ, data = m.list('""', 'Projects*')
    assert typ == 'OK'
    names = sorted(re.search(rb'"/" (.*)$', d).group(1).strip(b'"') for d in data)
    assert names == [b'Projects', b'Projects/2024'], data
    m.logout()


def test_modified_utf7_names(srv):
    name = 'Entwürfe'
    encoded = mutf7(name)
    assert encoded == 'Entw&APw-rfe'
    m = imaplib_login(srv)
    assert m.create(encoded)[0] == 'OK'
    assert m.create('"%s"' % mutf7('Tom & Jerry/日本語'))[0] == 'OK'
    typ, data = m.list('""', '*')
    joined = b'\n'.join(data)
    assert b'Entw&APw-rfe' in joined, data
    assert mutf7('Tom & Jerry/日本語').encode() in joined and b'Tom &- Jerry' in joined, data
    assert m.select(encoded)[0] == 'OK'
    m.logout()
    c = connect(srv, 'alice')
    # not valid modified UTF-7: refused
    for bad in ('"Bad&Jjo"', '"Bad&AGE-"', '"Bad&U,BTFw-&ZeVnLIqe-"'):
        st, tagged, _ = c.status_of('CREATE ' + bad)
        assert st in ('NO', 'BAD'), (bad, tagged.raw)
    # UTF-8 after ENABLE UTF8=ACCEPT (RFC 6855): names in UTF-8 both ways
    untagged = c.ok('ENABLE UTF8=ACCEPT')
    assert find(untagged, '* ENABLED'), untagged
    names = list_names(c.ok('LIST "" "*"'))
    assert 'Entwürfe' in names and 'Tom & Jerry/日本語' in names, names
    c.ok('CREATE {}', 'Größe'.encode())
    c.ok('SELECT "Entwürfe"')
    c.logout()
    c = connect(srv, 'alice')
    names = list_names(c.ok('LIST "" "*"'))
    assert mutf7('Größe') in names and 'Gr&APYA3w-e' in names, names
    c.logout()


def test_imap4rev2_enable_utf8_names(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE ' + mutf7('Entwürfe'))
    untagged = c.ok('ENABLE IMAP4rev2')
    en = find(untagged, '* ENABLED')
    assert en and 'IMAP4REV2' in en[0].text.upper(), untagged
    names = list_names(c.ok('LIST "" "*"'))
    assert 'Entwürfe' in names, names
    untagged = c.ok('SELECT "Entwürfe"')
    assert not untagged_numbers(untagged, 'RECENT'), 'IMAP4rev2 has no RECENT: %r' % untagged
    c.logout()


def test_special_use(srv):
    c = connect(srv, 'alice')
    names = list_names(c.ok('LIST "" "*"'))
    expect = {'Drafts': '\\Drafts', 'Sent': '\\Sent', 'Trash': '\\Trash', 'Junk': '\\Junk', 'Archive': '\\Archive'}
    for name, attr in expect.items():
        assert attr in names[name], (name, names)
    assert not any(a in names['INBOX'] for a in expect.values())
    c.ok('CREATE Other')
    su = list_names(c.ok('LIST (SPECIAL-USE) "" "*"'))
    assert set(su) == set(expect), su
    for name, attr in expect.items():
        assert attr in su[name]
    ret = list_names(c.ok('LIST "" "*" RETURN (SPECIAL-USE)'))
    assert 'Other' in ret and not (ret['Other'] & set(expect.values()))
    assert '\\Sent' in ret['Sent']
    c.logout()


def test_list_extended_subscribed_children_status(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE box/sub')
    c.ok('SUBSCRIBE box/sub')
    sub = list_names(c.ok('LIST (SUBSCRIBED) "" "*"'))
    assert 'box/sub' in sub and '\\Subscribed' in sub['box/sub'], sub
    assert 'box' not in sub
    append(c, 'box/sub', M_A)
    append(c, 'box/sub', M_B, flags=['\\Seen'])
    untagged = c.ok('LIST "" "box*" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))')
    statuses = {bytes(u.tokens()[2]) if isinstance(u.tokens()[2], bytes) else str(u.tokens()[2]).encode():
                pairs(u.tokens()[3]) for u in find(untagged, '* STATUS ')}
    assert statuses.get(b'box/sub') == {'MESSAGES': '2', 'UNSEEN': '1'}, untagged
    names = list_names(untagged)
    assert '\\HasChildren' in names['box'] and '\\HasNoChildren' in names['box/sub'], names
    c.logout()


def test_list_recursivematch_childinfo(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE box/sub')
    c.ok('SUBSCRIBE box/sub')
    # RFC 5258 3.5 / example 5.6: the unsubscribed parent matched by "%" comes with CHILDINFO
    untagged = c.ok('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')
    box = [u for u in find(untagged, '* LIST ') if u.tokens()[4] in (b'box', 'box')]  # atom or quoted
    assert box and b'CHILDINFO' in box[0].raw.upper() and b'"SUBSCRIBED"' in box[0].raw.upper(), untagged
    assert '\\Subscribed' not in flags_set(box[0].tokens()[2])
    c.logout()


# ---- CREATE / DELETE / RENAME ------------------------------------------------------------


def test_create_delete_rename(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE work')
    st, tagged, _ = c.status_of('CREATE work')
    assert st == 'NO' and b'[ALREADYEXISTS]' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('CREATE INBOX')
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('CREATE inbox')
    assert st == 'NO', tagged.raw
    c.ok('CREATE "trail/"')  # RFC 3501 6.3.3: a trailing delimiter is allowed, the name is "trail"
    assert 'trail' in list_names(c.ok('LIST "" "trail*"'))
    st, tagged, _ = c.status_of('DELETE INBOX')
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('DELETE nothing-here')
    assert st == 'NO' and b'[NONEXISTENT]' in tagged.raw, tagged.raw
    # RENAME moves the inferiors too
    c.ok('CREATE work/2024')
    append(c, 'work/2024', M_A)
    c.ok('RENAME work job')
    names = list_names(c.ok('LIST "" "*"'))
    assert 'job' in names and 'job/2024' in names and 'work' not in names and 'work/2024' not in names, names
    st = c.ok('STATUS job/2024 (MESSAGES)')
    assert pairs(st[0].tokens()[3])['MESSAGES'] == '1', st
    st, tagged, _ = c.status_of('RENAME job trail')
    assert st == 'NO' and b'[ALREADYEXISTS]' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('RENAME nothing-here other')
    assert st == 'NO' and b'[NONEXISTENT]' in tagged.raw, tagged.raw
    c.ok('DELETE job/2024')
    c.ok('DELETE trail')
    names = list_names(c.ok('LIST "" "*"'))
    assert 'trail' not in names and 'job/2024' not in names and 'job' in names
    st, tagged, _ = c.status_of('SELECT trail')
    assert st == 'NO'
    c.logout()


def test_delete_selected_mailbox(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE doomed')
    c.ok('SELECT doomed')
    st, tagged, untagged = c.status_of('DELETE doomed')
    # Dovecot allows it and closes the mailbox; either way the mailbox is gone or kept consistently
    names = list_names(c.ok('LIST "" "*"'))
    assert (st == 'OK') == ('doomed' not in names), (tagged.raw, names)
    c.ok('NOOP')
    c.logout()


def test_rename_inbox_moves_messages(srv):
    c = connect(srv, 'alice')
    for m in (M_A, M_B):
        append(c, 'INBOX', m)
    c.ok('RENAME INBOX "Old Inbox"')
    st = c.ok('STATUS "Old Inbox" (MESSAGES)')
    assert pairs(st[0].tokens()[3])['MESSAGES'] == '2', st
    st = c.ok('STATUS INBOX (MESSAGES UIDNEXT)')
    d = pairs(st[0].tokens()[3])
    assert d['MESSAGES'] == '0', st
    c.ok('SELECT "Old Inbox"')
    fm = fetch_map(c.ok('FETCH 1:* BODY.PEEK[]'))
    assert [item(fm[i], 'BODY[') for i in (1, 2)] == [M_A, M_B]
    untagged = c.ok('SELECT INBOX')
    assert untagged_numbers(untagged, 'EXISTS') == [0]
    append(c, 'INBOX', M_C)  # INBOX still works
    c.logout()


def test_subscribe_lsub(srv):
    m = imaplib_login(srv)
    for name in ('news', 'news/tech', 'lists'):
        assert m.create(name)[0] == 'OK'
    assert m.subscribe('news/tech')[0] == 'OK'
    assert m.subscribe('lists')[0] == 'OK'
    typ, data = m.lsub('""', '*')
    names = sorted(re.search(rb'"/" (.*)$', d).group(1).strip(b'"') for d in data if d)
    assert b'news/tech' in names and b'lists' in names and b'news' not in names, data
    typ, data = m.lsub('""', 'news/%')
    assert [d for d in data if d and b'news/tech' in d], data
    assert m.unsubscribe('lists')[0] == 'OK'
    typ, data = m.lsub('""', '*')
    assert not [d for d in data if d and b'lists' in d], data
    m.logout()


def test_lsub_percent_shows_unsubscribed_parent_noselect(srv):
    m = imaplib_login(srv)
    assert m.create('news/tech')[0] == 'OK'
    assert m.subscribe('news/tech')[0] == 'OK'
    # RFC 3501 6.3.9: '%' matching a parent of a subscribed child returns it with \Noselect
    typ, data = m.lsub('""', '%')
    parent = [d for d in data if d and (d.endswith(b' news') or d.endswith(b'"news"'))]
    assert parent and b'\\Noselect' in parent[0], data
    m.logout()


def test_subscription_survives_delete(srv):
    m = imaplib_login(srv)
    assert m.create('gone')[0] == 'OK'
    assert m.subscribe('gone')[0] == 'OK'
    assert m.delete('gone')[0] == 'OK'
    # RFC 3501 6.3.6 / RFC 9051 6.3.9: a server MUST NOT unilaterally remove a subscription
    typ, data = m.lsub('""', '*')
    assert [d for d in data if d and d.endswith(b'gone')], data
    assert m.unsubscribe('gone')[0] == 'OK'
    typ, data = m.lsub('""', '*')
    assert not [d for d in data if d and d.endswith(b'gone')], data
    m.logout()


def test_status(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE stat')
    for m, fl in ((M_A, ['\\Seen']), (M_B, []), (M_C, ['\\Flagged'])):
        append(c, 'stat', m, flags=fl)
    untagged = c.ok('STATUS stat (MESSAGES UIDNEXT UIDVALIDITY UNSEEN SIZE HIGHESTMODSEQ)')
    assert len(untagged) == 1
    t = untagged[0].tokens()
    assert t[1] == 'STATUS' and t[2] == 'stat', t
    d = pairs(t[3])
    assert d['MESSAGES'] == '3' and d['UIDNEXT'] == '4' and d['UNSEEN'] == '2', d
    assert int(d['SIZE']) == len(M_A) + len(M_B) + len(M_C), d
    assert int(d['UIDVALIDITY']) > 0 and int(d['HIGHESTMODSEQ']) > 0, d
    # RECENT (IMAP4rev1) is still accepted
    d2 = pairs(c.ok('STATUS stat (RECENT MESSAGES)')[0].tokens()[3])
    assert d2['MESSAGES'] == '3' and 'RECENT' in d2
    st, tagged, _ = c.status_of('STATUS nowhere (MESSAGES)')
    assert st == 'NO', tagged.raw
    st, tagged, _ = c.status_of('STATUS stat (BOGUS)')
    assert st == 'BAD', tagged.raw
    m = imaplib_login(srv)
    typ, data = m.status('stat', '(MESSAGES UNSEEN)')
    assert typ == 'OK' and b'MESSAGES 3' in data[0] and b'UNSEEN 2' in data[0], data
    m.logout()
    c.logout()


# ---- APPEND -----------------------------------------------------------------------------


def test_append_flags_date_appenduid(srv):
    c = connect(srv, 'alice')
    c.ok('SELECT INBOX')
    v1, u1 = append(c, 'INBOX', M_A, flags=['\\Seen', '$Work'], date='01-Mar-2021 12:34:56 +0200')
    appended = c.ok('APPEND INBOX {}', M_B)
    v2, u2 = [int(x) for x in resp_code(c.last_tagged, 'APPENDUID').split()]
    assert v1 == v2 and u2 == u1 + 1 and u1 == 1
    # the session's own APPENDs are announced (RFC 3501 6.3.11: EXISTS, at the latest at the next NOOP)
    untagged = appended + c.ok('NOOP')
    assert 2 in untagged_numbers(untagged, 'EXISTS'), untagged
    fm = fetch1(c, '1:2', '(UID FLAGS INTERNALDATE RFC822.SIZE)')
    assert flags_set(fm[1]['FLAGS']) == {'\\Seen', '$Work'}, fm
    assert fm[1]['INTERNALDATE'] == b'01-Mar-2021 12:34:56 +0200', fm
    assert int(fm[1]['RFC822.SIZE']) == len(M_A) and int(fm[2]['RFC822.SIZE']) == len(M_B)
    assert int(fm[2]['UID']) == u2
    untagged = c.ok('SELECT INBOX')
    uv_sel = [resp_code(u, 'UIDVALIDITY') for u in untagged if resp_code(u, 'UIDVALIDITY')][0]
    assert int(uv_sel) == v1
    # imaplib's append, with a date in internal form
    m = imaplib_login(srv)
    typ, data = m.append('INBOX', '(\\Flagged)', '"15-Jun-2022 08:00:00 +0000"', M_C)
    assert typ == 'OK' and b'APPENDUID' in data[0], data
    m.logout()
    untagged = c.ok('NOOP')  # message 3 exists for this session only once announced
    assert untagged_numbers(untagged, 'EXISTS') == [3], untagged
    fm = fetch1(c, '3', '(FLAGS INTERNALDATE BODY.PEEK[])')
    assert flags_set(fm[3]['FLAGS']) == {'\\Flagged'} and fm[3]['INTERNALDATE'] == b'15-Jun-2022 08:00:00 +0000'
    assert item(fm[3], 'BODY[') == M_C
    c.logout()


def test_append_trycreate_and_bad_arguments(srv):
    c = connect(srv, 'alice')
    st, tagged, _ = c.status_of('APPEND nowhere {}', M_A)
    assert st == 'NO' and b'[TRYCREATE]' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('APPEND INBOX (\\Bogus) {}', M_A)
    assert st in ('BAD', 'NO'), tagged.raw
    st, tagged, _ = c.status_of('APPEND INBOX "99-Foo-2021 00:00:00 +0000" {}', M_A)
    assert st == 'BAD', tagged.raw
    st = pairs(c.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])
    assert st['MESSAGES'] == '0', st
    c.ok('NOOP')
    c.logout()


def test_multiappend_raw(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE multi')
    # RFC 3502: several messages in one APPEND, non-synchronizing literals
    data = (b'MA APPEND multi (\\Seen) {%d+}\r\n' % len(M_A) + M_A +
            b' (\\Flagged) "02-Mar-2021 10:00:00 +0000" {%d+}\r\n' % len(M_B) + M_B +
            b' {%d+}\r\n' % len(M_C) + M_C + b'\r\n')
    c.raw_send(data)
    r, _ = c.finish('MA')
    assert r.raw.startswith(b'MA OK'), r.raw
    code = resp_code(r, 'APPENDUID')
    assert code and code.split()[1] in ('1:3', '1,2,3'), r.raw
    c.ok('SELECT multi')
    fm = fetch1(c, '1:*', '(FLAGS INTERNALDATE BODY.PEEK[])')
    assert [item(fm[i], 'BODY[') for i in (1, 2, 3)] == [M_A, M_B, M_C]
    assert flags_set(fm[1]['FLAGS']) == {'\\Seen'} and flags_set(fm[2]['FLAGS']) == {'\\Flagged'}
    assert fm[2]['INTERNALDATE'] == b'02-Mar-2021 10:00:00 +0000'
    # a failing message in a MULTIAPPEND stores none of them (atomic, RFC 3502)
    data = (b'MB APPEND multi {%d+}\r\n' % len(M_A) + M_A + b' "99-Bad-2021 10:00:00 +0000" {%d+}\r\n' % len(M_B) +
            M_B + b'\r\n')
    c.raw_send(data)
    r, _ = c.finish('MB')
    assert r.raw.split()[1] in (b'BAD', b'NO'), r.raw
    st = pairs(c.ok('STATUS multi (MESSAGES)')[0].tokens()[3])
    assert st['MESSAGES'] == '3', st
    c.logout()


def test_append_too_big_and_server_keeps_answering(loft):
    loft.add_user('alice', ALICE_PW)
    loft.set('limits', 'max_message_size', 100000)
    loft.start('imap')
    c = connect(loft, 'alice')
    caps = capability(c)
    assert 'APPENDLIMIT=100000' in caps, caps
    # synchronizing literal above the limit: refused before any data is sent
    c.raw_send('B1 APPEND INBOX {100001}\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'B1 NO') or r.raw.startswith(b'B1 BAD'), r.raw
    assert b'[TOOBIG]' in r.raw or r.raw.startswith(b'B1 BAD'), r.raw
    c.ok('NOOP')
    # a huge one as well (no memory for it is reserved)
    c.raw_send('B2 APPEND INBOX {4000000000}\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'B2 NO') or r.raw.startswith(b'B2 BAD'), r.raw
    c.ok('NOOP')
    # exactly at the limit is fine
    msg = b'Subject: big\r\n\r\n' + b'x' * (100000 - 18) + b'\r\n'
    assert len(msg) == 100000
    c.ok('APPEND INBOX {}', msg)
    # non-synchronizing literal above the limit: refused; the connection stays usable or is closed with BYE
    c.raw_send(b'B3 APPEND INBOX {100001+}\r\n' + b'y' * 100001 + b'\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'B3 NO') or r.raw.startswith(b'B3 BAD') or r.raw.startswith(b'* BYE'), r.raw
    if not r.raw.startswith(b'* BYE'):
        c.ok('NOOP')
    c2 = connect(loft, 'alice')
    st = pairs(c2.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])
    assert st['MESSAGES'] == '1', st
    c2.logout()


# ---- FETCH --------------------------------------------------------------------------------


def test_fetch_items_exact_bytes(srv):
    c = connect(srv, 'alice')
    append(c, 'INBOX', M_A)
    append(c, 'INBOX', MULTI, date='01-Mar-2021 12:00:00 +0000')
    c.ok('SELECT INBOX')
    fm = fetch1(c, '2', '(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE)')[2]
    assert int(fm['UID']) == 2 and flags_set(fm['FLAGS']) == set()
    assert int(fm['RFC822.SIZE']) == len(MULTI)
    assert fm['INTERNALDATE'] == b'01-Mar-2021 12:00:00 +0000'
    env = fm['ENVELOPE']
    assert env[0] == b'Mon, 01 Mar 2021 12:00:00 +0000'
    assert env[1] == b'=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?='
    assert env[2] == [[b'Sender Name', None, b'sender', b'example.org']], env[2]
    assert env[3] == env[2] and env[4] == env[2]  # sender and reply-to default to from
    assert env[5] == [[b'Alice', None, b'alice', b'loft.test'], [None, None, b'bob', b'loft.test']], env[5]
    assert env[6] == [[None, None, b'carol', b'example.net']]
    assert env[7] is None and env[8] is None
    assert env[9] == b'<multi-1@example.org>'
    # the whole message and its parts, byte for byte
    d = fetch1(c, '2', '(BODY.PEEK[] BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[1] BODY.PEEK[2] '
               'BODY.PEEK[1.MIME] BODY.PEEK[]<0.10> BODY.PEEK[HEADER.FIELDS (Subject)])')[2]
    header, text = MULTI.split(b'\r\n\r\n', 1)
    assert d['BODY[]'] == MULTI
    assert d['BODY[HEADER]'] == header + b'\r\n\r\n'
    assert d['BODY[TEXT]'] == text
    assert d['BODY[1]'] == QP_PART_BODY
    assert d['BODY[2]'] == base64.b64encode(ATTACHMENT)
    assert d['BODY[1.MIME]'] == (b'Content-Type: text/plain; charset=utf-8\r\n'
                                 b'Content-Transfer-Encoding: quoted-printable\r\n\r\n')
    assert d['BODY[]<0>'] == MULTI[:10]
    assert item(d, 'BODY[HEADER.FIELDS') == b'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_K=C3=B6ln?=\r\n\r\n'
    d = fetch1(c, '2', '(BODY.PEEK[HEADER.FIELDS.NOT (Subject Date Cc To From Message-ID)] BODY.PEEK[1]<4.6> '
               'BODY.PEEK[]<%d.100>)' % (len(MULTI) - 5))[2]
    assert item(d, 'BODY[HEADER.FIELDS.NOT') == (b'MIME-Version: 1.0\r\n'
                                                 b'Content-Type: multipart/mixed; boundary="XYZ"\r\n\r\n')
    assert d['BODY[1]<4>'] == QP_PART_BODY[4:10]
    assert d['BODY[]<%d>' % (len(MULTI) - 5)] == MULTI[-5:]
    # RFC822 forms
    d = fetch1(c, '1', '(RFC822.HEADER RFC822.TEXT)')[1]
    assert d['RFC822.HEADER'] == M_A.split(b'\r\n\r\n', 1)[0] + b'\r\n\r\n'
    assert d['RFC822.TEXT'] == M_A.split(b'\r\n\r\n', 1)[1]
    # the raw wire form of one literal: "BODY[] {n}\r\n" + exactly the message
    tagged, untagged = c.command('FETCH 1 (BODY.PEEK[])')
    assert untagged[0].raw == b'* 1 FETCH (BODY[] {%d}\r\n' % len(M_A) + M_A + b')\r\n', untagged[0].raw
    c.logout()


def test_fetch_bodystructure_and_binary(srv):
    c = connect(srv, 'alice')
    append(c, 'INBOX', MULTI)
    c.ok('SELECT INBOX')
    d = fetch1(c, '1', '(BODYSTRUCTURE BODY)')[1]
    bs = d['BODYSTRUCTURE']
    low = lambda v: v.lower() if isinstance(v, bytes) else v  # noqa: E731
    text, att = bs[0], bs[1]
    assert low(bs[2]) == b'mixed', bs
    assert [low(x) for x in bs[3]] == [b'boundary', b'xyz'], bs[3]
    assert low(text[0]) == b'text' and low(text[1]) == b'plain'
    assert [low(x) for x in text[2]] == [b'charset', b'utf-8']
    assert text[3] is None and text[4] is None and low(text[5]) == b'quoted-printable'
    # lines: Dovecot counts the line breaks (2), the unterminated last line may count too (3)
    assert int(text[6]) == len(QP_PART_BODY) and int(text[7]) in (2, 3), text
    assert low(att[0]) == b'application' and low(att[1]) == b'octet-stream'
    assert [low(x) for x in att[2]] == [b'name', b'data.bin'] and low(att[5]) == b'base64'
    assert int(att[6]) == len(base64.b64encode(ATTACHMENT))
    disp = att[8]
    assert low(disp[0]) == b'attachment' and [low(x) for x in disp[1]] == [b'filename', b'data.bin'], att
    assert isinstance(d['BODY'], list) and len(d['BODY'][0]) < len(text)  # BODY has no extension data
    # BINARY (RFC 3516): decoded content; BINARY.SIZE the decoded size
    d = fetch1(c, '1', '(BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1] BINARY.PEEK[2]<2.3>)')[1]
    assert d['BINARY[2]'] == ATTACHMENT
    assert int(d['BINARY.SIZE[2]']) == len(ATTACHMENT)
    assert d['BINARY[1]'] == 'Café softbreak here and the word Zebrafish.\r\nSecond line.'.encode()
    assert d['BINARY[2]<2>'] == ATTACHMENT[2:5]
    # the attachment holds NUL bytes: it must come as a literal8 (~{n})
    tagged, untagged = c.command('FETCH 1 (BINARY.PEEK[2])')
    assert b'BINARY[2] ~{%d}\r\n' % len(ATTACHMENT) + ATTACHMENT in untagged[0].raw, untagged[0].raw
    # BINARY of a multipart is refused (RFC 3516 4.2: [UNKNOWN-CTE] or BAD/NO)
    c.ok('NOOP')
    c.logout()


def test_seen_set_by_body_not_by_peek(srv):
    c = filled(srv)
    fm = fetch1(c, '1', '(BODY.PEEK[])')
    assert 'FLAGS' not in fm[1]
    assert flags_set(fetch1(c, '1', 'FLAGS')[1]['FLAGS']) == set()
    untagged = c.ok('FETCH 1 BODY[TEXT]')
    fm = fetch_map(untagged)
    # RFC 3501 6.4.5: the FLAGS change comes with the response
    assert '\\Seen' in flags_set(fm[1]['FLAGS']), untagged
    assert flags_set(fetch1(c, '1', 'FLAGS')[1]['FLAGS']) == {'\\Seen'}
    c.ok('FETCH 2 RFC822')
    assert flags_set(fetch1(c, '2', 'FLAGS')[2]['FLAGS']) == {'\\Seen'}
    c.ok('FETCH 3 (RFC822.HEADER BINARY.PEEK[1] BODY[HEADER.FIELDS (From)]<0.5> RFC822.SIZE)')
    f3 = flags_set(fetch1(c, '3', 'FLAGS')[3]['FLAGS'])
    assert f3 == {'\\Seen'}, f3  # BODY[...]<partial> without PEEK sets \Seen; RFC822.HEADER does not alone
    c.ok('STORE 3 -FLAGS (\\Seen)')
    c.ok('FETCH 3 (RFC822.HEADER RFC822.SIZE)')
    assert flags_set(fetch1(c, '3', 'FLAGS')[3]['FLAGS']) == set()
    c.logout()


def test_fetch_macros_and_uid_fetch(srv):
    c = filled(srv)
    d = fetch1(c, '1:*', 'FAST')
    assert set(d) == {1, 2, 3}
    assert set(d[1]) >= {'FLAGS', 'INTERNALDATE', 'RFC822.SIZE'}
    d = fetch1(c, '2', 'ALL')[2]
    assert set(d) >= {'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'}
    d = fetch1(c, '3', 'FULL')[3]
    assert 'BODY' in d
    # UID FETCH always includes UID; a range beyond the last UID gives the last message (RFC 3501 6.4.8)
    d = fetch1(c, '2:99', 'FLAGS', uid=True)
    assert set(d) == {2, 3} and int(d[3]['UID']) == 3
    d = fetch1(c, '*', 'FLAGS', uid=True)
    assert set(d) == {3}
    d = fetch1(c, '99:*', 'FLAGS', uid=True)
    assert set(d) == {3}  # "99:*" is "3:99" when 3 is the largest UID
    d = fetch1(c, '50:60', 'FLAGS', uid=True)
    assert d == {}
    d = fetch1(c, '3,1', 'UID')
    assert set(d) == {1, 3}
    c.logout()


def test_fetch_imaplib(srv):
    c = filled(srv)
    c.logout()
    m = imaplib_login(srv)
    m.select('INBOX')
    typ, data = m.fetch('2', '(BODY.PEEK[])')
    assert typ == 'OK' and data[0][1] == M_B, data
    typ, data = m.uid('FETCH', '3', '(RFC822.SIZE)')
    assert typ == 'OK' and b'RFC822.SIZE %d' % len(M_C) in data[0], data
    m.logout()


# ---- STORE --------------------------------------------------------------------------------


def test_store_flags_and_keywords(srv):
    c = filled(srv)
    untagged = c.ok('STORE 1 +FLAGS (\\Flagged $Important)')
    fm = fetch_map(untagged)
    assert flags_set(fm[1]['FLAGS']) == {'\\Flagged', '$Important'}, untagged
    untagged = c.ok('STORE 1:2 +FLAGS (\\Answered)')
    fm = fetch_map(untagged)
    assert flags_set(fm[1]['FLAGS']) == {'\\Flagged', '$Important', '\\Answered'}
    assert flags_set(fm[2]['FLAGS']) == {'\\Answered'}
    untagged = c.ok('STORE 1 -FLAGS (\\Flagged)')
    assert flags_set(fetch_map(untagged)[1]['FLAGS']) == {'$Important', '\\Answered'}
    untagged = c.ok('STORE 2 FLAGS.SILENT (\\Draft custom)')
    assert not fetches(untagged), 'FLAGS.SILENT must not answer with FETCH: %r' % untagged
    assert flags_set(fetch1(c, '2', 'FLAGS')[2]['FLAGS']) == {'\\Draft', 'custom'}
    untagged = c.ok('STORE 2 -FLAGS.SILENT (custom)')
    assert not fetches(untagged)
    untagged = c.ok('STORE 3 FLAGS (\\Draft)')
    assert flags_set(fetch_map(untagged)[3]['FLAGS']) == {'\\Draft'}, untagged
    untagged = c.ok('STORE 3 FLAGS ()')
    assert flags_set(fetch_map(untagged)[3]['FLAGS']) == set(), untagged
    untagged = c.ok('UID STORE 3 +FLAGS (\\Seen)')
    fm = fetch_map(untagged)
    assert int(fm[3]['UID']) == 3 and flags_set(fm[3]['FLAGS']) == {'\\Seen'}, untagged  # RFC 3501 6.4.8
    # keywords show up in FLAGS and PERMANENTFLAGS of a new SELECT
    untagged = c.ok('SELECT INBOX')
    allflags = flags_set(find(untagged, '* FLAGS ')[0].tokens()[2])
    assert {'$Important', 'custom'} <= allflags or '$Important' in allflags, allflags
    d = fetch1(c, '1:3', 'FLAGS')
    assert flags_set(d[1]['FLAGS']) == {'$Important', '\\Answered'}
    assert flags_set(d[2]['FLAGS']) == {'\\Draft'}  # FLAGS.SILENT replaced \\Answered, then custom went
    # bad STORE arguments
    for bad in ('STORE 1 +FLAGS (\\Bogus)', 'STORE 1 XFLAGS (\\Seen)', 'STORE 1 +FLAGS (\\Recent)'):
        st, tagged, _ = c.status_of(bad)
        assert st in ('BAD', 'NO'), (bad, tagged.raw)
    # imaplib
    m = imaplib_login(srv)
    m.select('INBOX')
    typ, data = m.store('3', '+FLAGS', '(\\Deleted)')
    assert typ == 'OK' and b'\\Deleted' in data[0], data
    m.logout()
    c.logout()


# ---- SEARCH -------------------------------------------------------------------------------


def test_search(srv):
    c = filled(srv, messages=(M_A, M_B, M_C, MULTI))
    c.ok('STORE 2 +FLAGS (\\Seen)')
    c.ok('STORE 3 +FLAGS (\\Flagged $Tag)')

    def search(q, *lits, uid=False):
        return search_numbers(c.ok(('UID SEARCH ' if uid else 'SEARCH ') + q, *lits))
    assert search('ALL') == [1, 2, 3, 4]
    assert search('FROM "one.example"') == [1, 3]
    assert search('FROM alpha') == [1]
    assert search('SUBJECT alpha') == [1, 3]
    assert search('UNSEEN') == [1, 3, 4]
    assert search('SEEN') == [2]
    assert search('FLAGGED') == [3] and search('KEYWORD $Tag') == [3] and search('UNKEYWORD $Tag') == [1, 2, 4]
    assert search('OR FROM beta SUBJECT gamma') == [2, 3]
    assert search('NOT FROM one.example') == [2, 4]
    assert search('NOT (FROM alpha SUBJECT alpha)') == [2, 3, 4]
    assert search('2:3 UNSEEN') == [3]
    assert search('BODY Zebrafish') == [1, 4]
    assert search('TEXT "second body"') == [2]
    assert search('HEADER Message-ID "<beta.report@example.org>"') == [2]
    # RFC 2047 subjects and quoted-printable bodies are searched decoded
    assert search('CHARSET UTF-8 SUBJECT {}', 'Köln'.encode()) == [4]
    assert search('CHARSET UTF-8 SUBJECT {}', 'grüße'.encode()) == [4]  # case-insensitive
    assert search('CHARSET UTF-8 BODY {}', 'Café'.encode()) == [4]
    assert search('BODY softbreak') == [4]  # across the soft line break
    assert search('LARGER %d' % (len(MULTI) - 1)) == [4]
    assert search('SMALLER %d' % (len(M_A) + 1)) == [i for i, m in ((1, M_A), (2, M_B), (3, M_C))
                                                      if len(m) <= len(M_A)]
    assert search('SENTBEFORE 2-Mar-2021') == [4] and search('SENTON 2-Mar-2021') == [1, 2, 3]
    assert search('UID 2:3') == [2, 3]
    assert search('ALL', uid=True) == [1, 2, 3, 4]
    c.ok('STORE 1 +FLAGS (\\Deleted)')
    c.ok('EXPUNGE')
    assert search('ALL') == [1, 2, 3]
    assert search('ALL', uid=True) == [2, 3, 4]
    assert search('FROM one.example', uid=True) == [3]
    assert search('SEEN') == [1] and search('SEEN', uid=True) == [2]
    st, tagged, _ = c.status_of('SEARCH CHARSET X-BOGUS-CHARSET SUBJECT x')
    assert st == 'NO' and b'[BADCHARSET' in tagged.raw, tagged.raw
    st, tagged, _ = c.status_of('SEARCH FROMM x')
    assert st == 'BAD', tagged.raw
    m = imaplib_login(srv)
    m.select('INBOX')
    typ, data = m.search(None, 'SUBJECT', 'beta')
    assert typ == 'OK' and data == [b'1'], data
    m.logout()
    c.logout()


def test_esearch_and_searchres(srv):
    c = filled(srv, messages=(M_A, M_B, M_C, MULTI))
    tag = c.next_tag()
    untagged = c.ok('SEARCH RETURN (MIN MAX COUNT ALL) FROM one.example', tag=tag)
    es = find(untagged, '* ESEARCH')
    assert len(es) == 1 and not find(untagged, '* SEARCH'), untagged
    t = es[0].tokens()
    assert [str(t[2][0]).upper(), t[2][1]] == ['TAG', tag.encode()], t
    d = pairs(t[3:])
    assert d == {'MIN': '1', 'MAX': '3', 'COUNT': '2', 'ALL': '1,3'}, t
    untagged = c.ok('UID SEARCH RETURN (COUNT MIN) ALL')
    t = find(untagged, '* ESEARCH')[0].tokens()
    assert 'UID' in [str(x).upper() for x in t], t
    untagged = c.ok('SEARCH RETURN () ALL')  # RETURN () is ALL
    t = find(untagged, '* ESEARCH')[0].tokens()
    assert pairs(t[3:]) == {'ALL': '1:4'}, t
    untagged = c.ok('SEARCH RETURN (MIN MAX) FROM nobody.example')
    t = find(untagged, '* ESEARCH')[0].tokens()
    assert len(t) == 3, t  # no matches: just the correlator
    # SEARCHRES (RFC 5182): SAVE then use "$"
    untagged = c.ok('SEARCH RETURN (SAVE) OR FROM beta SUBJECT gamma')
    assert not find(untagged, '* SEARCH') and not find(untagged, '* ESEARCH'), untagged
    fm = fetch1(c, '$', '(UID)')
    assert sorted(fm) == [2, 3], fm
    c.ok('STORE $ +FLAGS (\\Flagged)')
    assert search_numbers(c.ok('SEARCH FLAGGED')) == [2, 3]
    assert search_numbers(c.ok('SEARCH $ FROM beta')) == [2]
    untagged = c.ok('UID SEARCH RETURN (SAVE MIN) FROM one.example')
    t = find(untagged, '* ESEARCH')[0].tokens()
    assert pairs(t[4:] if str(t[3]).upper() == 'UID' else t[3:]).get('MIN') == '1', t
    fm = fetch1(c, '$', '(FLAGS)', uid=True)
    assert sorted(fm) == [1], fm  # RFC 5182 2.1: SAVE with MIN alone saves just the minimum
    c.logout()


# ---- COPY / MOVE / EXPUNGE ----------------------------------------------------------------


def test_copy_copyuid(srv):
    c = filled(srv)
    c.ok('STORE 2 +FLAGS (\\Flagged $Kw)')
    c.ok('CREATE dest')
    uv = int(pairs(c.ok('STATUS dest (UIDVALIDITY)')[0].tokens()[3])['UIDVALIDITY'])
    c.ok('COPY 2:3 dest')
    code = resp_code(c.last_tagged, 'COPYUID')
    assert code, c.last_tagged.raw
    v, src, dst = code.split()
    assert int(v) == uv and src in ('2:3', '2,3') and dst in ('1:2', '1,2'), code
    c.ok('UID COPY 1 dest')
    code = resp_code(c.last_tagged, 'COPYUID')
    assert code.split()[1:] == ['1', '3'], code
    st, tagged, _ = c.status_of('COPY 1 nowhere')
    assert st == 'NO' and b'[TRYCREATE]' in tagged.raw, tagged.raw
    untagged = c.ok('NOOP')
    assert not untagged_numbers(untagged, 'EXPUNGE')  # copying leaves the source alone
    c.ok('EXAMINE dest')
    fm = fetch1(c, '1:*', '(UID FLAGS BODY.PEEK[])')
    assert [item(fm[i], 'BODY[') for i in (1, 2, 3)] == [M_B, M_C, M_A]
    assert flags_set(fm[1]['FLAGS']) == {'\\Flagged', '$Kw'}  # flags are copied
    c.logout()
    m = imaplib_login(srv)
    m.select('INBOX')
    typ, data = m.copy('1', 'dest')
    assert typ == 'OK' and b'COPYUID' in data[0], data
    m.logout()


def test_move(srv):
    c = filled(srv)
    c.ok('STORE 1 +FLAGS (\\Seen)')
    untagged = c.ok('MOVE 1:2 Trash')
    # RFC 6851: COPYUID in an untagged OK before the expunges
    cu = [u for u in untagged if resp_code(u, 'COPYUID')]
    assert cu and cu[0].raw.startswith(b'* OK'), untagged
    v, src, dst = resp_code(cu[0], 'COPYUID').split()
    assert src in ('1:2', '1,2') and dst in ('1:2', '1,2'), cu[0].raw
    exp = untagged_numbers(untagged, 'EXPUNGE')
    assert exp in ([1, 1], [2, 1]), untagged
    assert untagged.index(cu[0]) < min(i for i, u in enumerate(untagged) if b'EXPUNGE' in u.raw)
    d = fetch1(c, '1:*', 'UID')
    assert list(d) == [1] and int(d[1]['UID']) == 3
    untagged = c.ok('UID MOVE 3 Archive')
    assert untagged_numbers(untagged, 'EXPUNGE') == [1]
    st, tagged, _ = c.status_of('MOVE 1 nowhere')
    assert st in ('NO', 'BAD'), tagged.raw  # empty mailbox, nothing to move (or bad set)
    c.ok('EXAMINE Trash')
    fm = fetch1(c, '1:*', '(FLAGS BODY.PEEK[])')
    assert [item(fm[i], 'BODY[') for i in (1, 2)] == [M_A, M_B]
    assert flags_set(fm[1]['FLAGS']) == {'\\Seen'}
    c.logout()


def test_move_with_qresync_gives_vanished(srv):
    c = filled(srv)
    c.ok('ENABLE QRESYNC')
    c.ok('SELECT INBOX')
    untagged = c.ok('MOVE 2 Trash')
    assert find(untagged, '* VANISHED 2'), untagged
    assert not untagged_numbers(untagged, 'EXPUNGE'), untagged
    c.logout()


def simulate_expunges(uids, untagged):
    out = list(uids)
    for n in untagged_numbers(untagged, 'EXPUNGE'):
        assert 1 <= n <= len(out), (n, out)
        del out[n - 1]
    return out


def test_expunge(srv):
    c = filled(srv, messages=(M_A, M_B, M_C, M_A, M_B))
    c.ok('STORE 2,4 +FLAGS (\\Deleted)')
    untagged = c.ok('EXPUNGE')
    assert len(untagged_numbers(untagged, 'EXPUNGE')) == 2
    assert simulate_expunges([1, 2, 3, 4, 5], untagged) == [1, 3, 5], untagged
    d = fetch1(c, '1:*', 'UID')
    assert [int(d[i]['UID']) for i in sorted(d)] == [1, 3, 5]
    untagged = c.ok('EXPUNGE')  # nothing left to expunge
    assert not untagged_numbers(untagged, 'EXPUNGE')
    # UID EXPUNGE (RFC 4315): only the given UIDs, even if others are \Deleted
    c.ok('STORE 1:3 +FLAGS (\\Deleted)')
    untagged = c.ok('UID EXPUNGE 3:4')
    assert untagged_numbers(untagged, 'EXPUNGE') == [2], untagged
    d = fetch1(c, '1:*', '(UID FLAGS)')
    assert [int(d[i]['UID']) for i in sorted(d)] == [1, 5]
    assert all('\\Deleted' in flags_set(v['FLAGS']) for v in d.values())
    c.logout()
    m = imaplib_login(srv)
    m.select('INBOX')
    typ, data = m.expunge()
    assert typ == 'OK' and sorted(data) in ([b'1', b'1'], [b'1', b'2']), data
    m.logout()


def test_close_expunges_unselect_does_not(srv):
    c = filled(srv)
    c.ok('STORE 1 +FLAGS (\\Deleted)')
    untagged = c.ok('UNSELECT')
    assert not untagged_numbers(untagged, 'EXPUNGE')
    st, tagged, _ = c.status_of('FETCH 1 FLAGS')
    assert st == 'BAD', tagged.raw  # no mailbox selected
    assert pairs(c.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])['MESSAGES'] == '3'
    c.ok('EXAMINE INBOX')
    c.ok('CLOSE')  # read-only: no expunge
    assert pairs(c.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])['MESSAGES'] == '3'
    c.ok('SELECT INBOX')
    untagged = c.ok('CLOSE')
    assert not untagged_numbers(untagged, 'EXPUNGE'), 'CLOSE expunges silently: %r' % untagged
    assert pairs(c.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])['MESSAGES'] == '2'
    st, tagged, _ = c.status_of('CLOSE')
    assert st == 'BAD', tagged.raw
    c.logout()


# ---- CONDSTORE / QRESYNC -------------------------------------------------------------------


def modseq_of(d):
    return int(d['MODSEQ'][0])


def test_condstore(srv):
    c = filled(srv)
    untagged = c.ok('ENABLE CONDSTORE')
    assert find(untagged, '* ENABLED CONDSTORE'), untagged
    untagged = c.ok('SELECT INBOX')
    hm = [resp_code(u, 'HIGHESTMODSEQ') for u in untagged if resp_code(u, 'HIGHESTMODSEQ')]
    assert hm and int(hm[0]) > 0, untagged
    highest = int(hm[0])
    d = fetch1(c, '1:3', '(MODSEQ)')
    mods = {i: modseq_of(d[i]) for i in d}
    assert all(0 < m <= highest for m in mods.values()), (mods, highest)
    # STORE with the current modseq succeeds and reports the new one
    untagged = c.ok('STORE 1 (UNCHANGEDSINCE %d) +FLAGS (\\Flagged)' % mods[1])
    fm = fetch_map(untagged)
    new1 = modseq_of(fm[1])
    assert new1 > highest and '\\Flagged' in flags_set(fm[1]['FLAGS']), untagged
    # with an older modseq: not changed, [MODIFIED 1]
    st, tagged, untagged = c.status_of('STORE 1:2 (UNCHANGEDSINCE %d) +FLAGS (\\Answered)' % mods[1])
    modified = '1' if mods[2] <= mods[1] else ('1:2', '1,2')
    assert st == 'OK' and resp_code(tagged, 'MODIFIED') in modified, (tagged.raw, mods)
    d = d2 = fetch1(c, '1:2', '(FLAGS MODSEQ)')
    assert '\\Answered' not in flags_set(d[1]['FLAGS']) and modseq_of(d[1]) == new1
    if mods[2] <= mods[1]:
        assert '\\Answered' in flags_set(d[2]['FLAGS'])
    # FETCH CHANGEDSINCE returns only what changed
    d = fetch1(c, '1:*', '(FLAGS) (CHANGEDSINCE %d)' % highest)
    assert 1 in d and 3 not in d and 'MODSEQ' in d[1], d
    changed = [i for i in (1, 2) if modseq_of(d2[i]) > highest]
    top = max(modseq_of(d2[i]) for i in changed)
    untagged = c.ok('SEARCH MODSEQ %d' % (highest + 1))
    # RFC 7162 3.1.5: the highest mod-sequence of the matches comes with the result
    assert search_numbers(untagged) == changed and re.search(rb'\(MODSEQ %d\)' % top, untagged[0].raw), untagged
    st = pairs(c.ok('STATUS INBOX (HIGHESTMODSEQ)')[0].tokens()[3])
    assert int(st['HIGHESTMODSEQ']) >= new1
    c.logout()


def test_condstore_enabled_by_fetch_modseq(srv):
    c = filled(srv)
    # RFC 7162 3.1: FETCH MODSEQ enables CONDSTORE; then the SELECT shows HIGHESTMODSEQ
    d = fetch1(c, '1', '(MODSEQ)')
    assert modseq_of(d[1]) > 0
    untagged = c.ok('STORE 1 +FLAGS (\\Seen)')
    assert 'MODSEQ' in fetch_map(untagged)[1], untagged
    c.logout()


def test_qresync_select(srv):
    c = filled(srv, messages=(M_A, M_B, M_C, MULTI))
    c.ok('ENABLE QRESYNC')
    untagged = c.ok('SELECT INBOX')
    uv = int([resp_code(u, 'UIDVALIDITY') for u in untagged if resp_code(u, 'UIDVALIDITY')][0])
    hm = int([resp_code(u, 'HIGHESTMODSEQ') for u in untagged if resp_code(u, 'HIGHESTMODSEQ')][0])
    c.logout()
    # another session changes flags of UID 2 and expunges UID 3
    o = connect(srv, 'alice')
    o.ok('SELECT INBOX')
    o.ok('STORE 2 +FLAGS (\\Answered)')
    o.ok('STORE 3 +FLAGS (\\Deleted)')
    o.ok('EXPUNGE')
    o.logout()
    c = connect(srv, 'alice')
    c.ok('ENABLE QRESYNC')
    untagged = c.ok('SELECT INBOX (QRESYNC (%d %d))' % (uv, hm))
    van = find(untagged, '* VANISHED (EARLIER) ')
    assert len(van) == 1 and van[0].raw == b'* VANISHED (EARLIER) 3\r\n', untagged
    fm = fetch_map(untagged)
    assert list(fm) == [2], untagged
    assert int(fm[2]['UID']) == 2 and flags_set(fm[2]['FLAGS']) == {'\\Answered'} and modseq_of(fm[2]) > hm
    assert untagged_numbers(untagged, 'EXISTS') == [3]
    # with known UIDs: only those are reported
    untagged = c.ok('SELECT INBOX (QRESYNC (%d %d 1:2))' % (uv, hm))
    assert not find(untagged, '* VANISHED'), untagged
    assert list(fetch_map(untagged)) == [2]
    # a wrong UIDVALIDITY: a full resync, no VANISHED or FETCH
    untagged = c.ok('SELECT INBOX (QRESYNC (%d %d))' % (uv + 1, hm))
    assert not find(untagged, '* VANISHED') and not fetches(untagged), untagged
    # UID FETCH ... (CHANGEDSINCE m VANISHED)
    untagged = c.ok('UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)' % hm)
    assert find(untagged, '* VANISHED (EARLIER) 3'), untagged
    # after QRESYNC is on, an EXPUNGE answers VANISHED
    c.ok('STORE 1 +FLAGS (\\Deleted)')
    untagged = c.ok('EXPUNGE')
    assert find(untagged, '* VANISHED 1'), untagged
    assert not untagged_numbers(untagged, 'EXPUNGE')
    st, tagged, _ = c.status_of('SELECT INBOX (QRESYNC (%d))' % uv)
    assert st == 'BAD', tagged.raw
    c.logout()


def test_qresync_select_without_enable_is_bad(srv):
    c = connect(srv, 'alice')
    st, tagged, _ = c.status_of('SELECT INBOX (QRESYNC (1 1))')
    assert st == 'BAD', tagged.raw  # RFC 7162 3.2.5: QRESYNC must be enabled first
    c.logout()


# ---- IMAP4rev2 ------------------------------------------------------------------------------


def test_imap4rev2_search_answers_esearch_and_status_deleted(srv):
    c = connect(srv, 'alice')
    append(c, 'INBOX', M_A, flags=['\\Deleted'])
    append(c, 'INBOX', M_B)
    c.ok('ENABLE IMAP4rev2')
    untagged = c.ok('SELECT INBOX')
    assert not untagged_numbers(untagged, 'RECENT'), untagged
    # RFC 9051 6.4.4 / 7.3.4: SEARCH results come as ESEARCH, never as SEARCH
    tag = c.next_tag()
    untagged = c.ok('SEARCH ALL', tag=tag)
    assert not find(untagged, '* SEARCH'), untagged
    es = find(untagged, '* ESEARCH')
    assert len(es) == 1, untagged
    t = es[0].tokens()
    assert [str(t[2][0]).upper(), t[2][1]] == ['TAG', tag.encode()] and pairs(t[3:]) == {'ALL': '1:2'}, t
    untagged = c.ok('UID SEARCH UNDELETED')
    t = find(untagged, '* ESEARCH')[0].tokens()
    assert 'UID' in [str(x).upper() for x in t] and pairs(t[4:]) == {'ALL': '2'}, t
    # STATUS DELETED (RFC 9051 6.3.11)
    d = pairs(c.ok('STATUS INBOX (MESSAGES DELETED SIZE)')[0].tokens()[3])
    assert d == {'MESSAGES': '2', 'DELETED': '1', 'SIZE': str(len(M_A) + len(M_B))}, d
    c.logout()


def test_append_literal8_binary_content(srv):
    c = connect(srv, 'alice')
    # RFC 3516 4.4: APPEND with literal8 may carry NUL bytes
    body = b'Subject: binary\r\nContent-Type: application/octet-stream\r\n\r\nNUL\x00byte\x01\xff\r\n'
    c.raw_send(b'B1 APPEND INBOX ~{%d}\r\n' % len(body))
    r = c.read_response()
    assert r.raw.startswith(b'+'), r.raw
    c.raw_send(body + b'\r\n')
    tagged, _ = c.finish('B1')
    if tagged.raw.startswith(b'B1 NO'):
        # refusing NULs is allowed, but then with a code saying so, and nothing stored
        assert b'[UNKNOWN-CTE]' in tagged.raw or b'[CANNOT]' in tagged.raw or b'[LIMIT]' in tagged.raw, tagged.raw
        assert pairs(c.ok('STATUS INBOX (MESSAGES)')[0].tokens()[3])['MESSAGES'] == '0'
    else:
        assert tagged.raw.startswith(b'B1 OK'), tagged.raw
        c.ok('SELECT INBOX')
        d = fetch1(c, '1', '(RFC822.SIZE BINARY.PEEK[])')[1]
        assert d['BINARY[]'] == body and int(d['RFC822.SIZE']) == len(body), d
    c.logout()


def test_copy_keeps_internaldate_and_header_fields_of_absent_field(srv):
    c = connect(srv, 'alice')
    append(c, 'INBOX', M_A, date='05-Jan-2020 01:02:03 -0500')
    c.ok('SELECT INBOX')
    c.ok('COPY 1 Archive')
    c.ok('MOVE 1 Trash')
    for box in ('Archive', 'Trash'):
        c.ok('EXAMINE ' + box)
        d = fetch1(c, '1', '(INTERNALDATE BODY.PEEK[HEADER.FIELDS (X-Not-There)] BODY.PEEK[])')[1]
        assert d['INTERNALDATE'] == b'05-Jan-2020 01:02:03 -0500', (box, d)
        assert item(d, 'BODY[HEADER.FIELDS') == b'\r\n', d  # no such field: just the blank line
        assert d['BODY[]'] == M_A
    c.logout()


# ---- ID, NAMESPACE, NOOP, LOGOUT -----------------------------------------------------------


def test_id_namespace_noop_logout(srv):
    c = connect(srv)
    untagged = c.ok('ID ("name" "pytest" "version" "1.0")')  # allowed before login (RFC 2971)
    ids = find(untagged, '* ID ')
    assert len(ids) == 1
    t = ids[0].tokens()
    assert t[2] is None or (isinstance(t[2], list) and len(t[2]) % 2 == 0), t
    c.ok('ID NIL')
    c.ok('NOOP')
    c.login('alice', ALICE_PW)
    untagged = c.ok('NAMESPACE')
    ns = find(untagged, '* NAMESPACE ')
    assert len(ns) == 1
    t = ns[0].tokens()
    assert t[2] == [[b'', b'/']] and t[3] is None and t[4] is None, t
    c.ok('NOOP')
    c.raw_send('L1 LOGOUT\r\n')
    r1 = c.read_response()
    r2 = c.read_response()
    assert r1.raw.startswith(b'* BYE'), r1.raw
    assert r2.raw.startswith(b'L1 OK'), r2.raw
    assert c.is_closed(), 'connection still open after LOGOUT'


def test_imaplib_noop_namespace(srv):
    m = imaplib_login(srv)
    assert m.noop()[0] == 'OK'
    typ, data = m.namespace()
    assert typ == 'OK' and data == [b'(("" "/")) NIL NIL'], data
    m.logout()


# ---- bad input -------------------------------------------------------------------------------


def test_bad_commands_and_server_keeps_answering(srv):
    c = connect(srv, 'alice')
    c.ok('SELECT INBOX')
    append(c, 'INBOX', M_A)
    c.ok('NOOP')
    for bad in ('XYZZY', 'FETCH', 'FETCH 0 FLAGS', 'FETCH a:b FLAGS', 'FETCH 1:2:3 FLAGS', 'FETCH 1 (FLAGS',
                'FETCH 1 BOGUSITEM', 'STORE 1 FLAGZ (\\Seen)', 'SEARCH (', 'UID BOGUS 1',
                'LIST "" ', 'SELECT', 'CREATE', 'COPY 1', 'SEARCH UID 0:x', 'FETCH 4294967296 FLAGS'):
        st, tagged, untagged = c.status_of(bad)
        assert st == 'BAD', (bad, tagged.raw)
        untagged = c.ok('NOOP')
    tagged, _ = c.command('FETCH 1 (UID)')
    assert tagged.raw.split()[1] == b'OK'
    # a line without a tag
    c.raw_send('\r\n')
    r = c.read_response()
    assert r.raw.startswith(b'* BAD') or r.raw.split()[1:2] == [b'BAD'], r.raw
    c.ok('NOOP')
    c.logout()


def test_fetch_invalid_section_numbers(srv):
    c = filled(srv, messages=(MULTI,))
    # section-part = nz-number *("." nz-number) (RFC 3501 9)
    for bad in ('FETCH 1 BODY[1.]', 'FETCH 1 BODY[.1]', 'FETCH 1 BODY[1..2]', 'FETCH 1 BODY[1.FOO]',
                'FETCH 1 BODY[HEADER.FIELDS]', 'FETCH 1 BODY[]<x.5>', 'FETCH 1 BODY[1'):
        st, tagged, untagged = c.status_of(bad)
        assert st == 'BAD', (bad, tagged.raw, untagged)
        c.ok('NOOP')
    # zero or out-of-range part numbers: BAD, or (Dovecot, which only checks for digits) an empty part
    for odd in ('BODY.PEEK[0]', 'BODY.PEEK[1.0]', 'BODY.PEEK[9999999999999]'):
        st, tagged, untagged = c.status_of('FETCH 1 ' + odd)
        if st == 'OK':
            d = fetch_map(untagged)[1]
            assert item(d, 'BODY[') in (b'', None), (odd, untagged)
        else:
            assert st == 'BAD', (odd, tagged.raw)
        c.ok('NOOP')
    # a valid but absent part is not an error: empty (Dovecot) or NIL
    d = fetch1(c, '1', 'BODY.PEEK[7]')[1]
    assert d['BODY[7]'] in (b'', None), d
    c.logout()


def test_too_long_line(srv):
    c = connect(srv, 'alice')
    c.ok('SELECT INBOX')
    c.sock.settimeout(15)
    # 1 MB line: refused with BAD (or BYE and a close), memory bounded
    payload = b'X1 SEARCH ' + b' '.join([b'SUBJECT aaaaaaaaaa'] * 55000) + b'\r\n'
    try:
        c.raw_send(payload)
    except (BrokenPipeError, ConnectionResetError):
        pass
    r = c.read_response()
    assert r.raw.startswith(b'X1 BAD') or r.raw.startswith(b'* BAD') or r.raw.startswith(b'* BYE'), r.raw[:200]
    if not r.raw.startswith(b'* BYE'):
        # the rest of the line is not taken for commands; the session goes on
        rest = c.poll(1.0)
        assert all(not x.raw.split()[0].startswith(b'SUBJECT') for x in rest), rest[:3]
        c.ok('NOOP')
    c2 = connect(srv, 'alice')
    c2.ok('SELECT INBOX')
    c2.logout()


def test_literal_pipelining_and_literal_plus(srv):
    c = connect(srv, 'alice')
    c.ok('CREATE {}', 'lit box', sync=False)
    assert 'lit box' in list_names(c.ok('LIST "" "lit*"'))
    # several commands in one packet are answered in order
    c.raw_send('P1 NOOP\r\nP2 SELECT "lit box"\r\nP3 STATUS INBOX (MESSAGES)\r\n')
    r1, _ = c.finish('P1')
    r2, _ = c.finish('P2')
    r3, u3 = c.finish('P3')
    assert [r.raw.split()[1] for r in (r1, r2, r3)] == [b'OK', b'OK', b'OK']
    c.logout()
