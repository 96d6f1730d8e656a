"""Helpers for driving Loft's IMAP server with real clients: a small folder
tree of messages, the server's state as seen through a separate imaplib
connection, the state of a local Maildir tree, and tmux screen polling.

Python standard library only.
"""

import base64
import datetime
import email.utils
import imaplib
import os
import random
import re
import subprocess
import time

PW = 'imap-Clients-9'

# Maildir info letters (https://cr.yp.to/proto/maildir.html) <-> IMAP system flags.
MAILDIR_FLAGS = {'D': '\\Draft', 'F': '\\Flagged', 'R': '\\Answered', 'S': '\\Seen', 'T': '\\Deleted'}


def make_message(tag, subject, body_lines, day=1):
    """A message with a unique Message-ID <tag@example.org>; CRLF lines."""
    head = [b'Return-Path: <sender@example.org>', b'From: Sender <sender@example.org>', b'To: Alice <alice@loft.test>',
            b'Subject: ' + subject.encode(),
            b'Date: ' + email.utils.format_datetime(
                datetime.datetime(2021, 3, day, 12, 0, tzinfo=datetime.timezone.utc)).encode(),
            b'Message-ID: <' + tag.encode() + b'@example.org>']
    return b'\r\n'.join(head) + b'\r\n\r\n' + b''.join(l + b'\r\n' for l in body_lines)


def big_message(tag, subject, size, day):
    """A multipart message with a base64 attachment of `size` pseudo-random
    bytes: large literals, long runs of lines."""
    rnd = random.Random(size)
    data = base64.encodebytes(bytes(rnd.getrandbits(8) for _ in range(size))).rstrip(b'\n').split(b'\n')
    lines = [b'This is a multi-part message in MIME format.', b'', b'--frontier', b'Content-Type: text/plain',
             b'', b'see the attachment', b'', b'--frontier', b'Content-Type: application/octet-stream',
             b'Content-Transfer-Encoding: base64', b'Content-Disposition: attachment; filename="blob.bin"', b'']
    lines += data + [b'', b'--frontier--']
    msg = make_message(tag, subject, lines, day)
    return msg.replace(b'\r\n\r\n', b'\r\nMIME-Version: 1.0\r\n'
                       b'Content-Type: multipart/mixed; boundary="frontier"\r\n\r\n', 1)


def tree():
    """{mailbox: [message bytes]}: INBOX, a flat folder and a nested one
    (a/b under a), with dot-stuffing bait, 8-bit text and a longer body."""
    return {
        'INBOX': [
            make_message('inbox-1', 'Inbox first', [b'Hello Alice,', b'', b'the first inbox message.'], 1),
            make_message('inbox-2', 'Inbox second', [b'.leading dot', b'..two dots', b'.', b'end'], 2),
            make_message('inbox-3', 'Inbox third', [b'body line %02d' % i for i in range(1, 41)], 3),
        ],
        'Work': [
            make_message('work-1', 'Work report', [b'quarterly numbers', b'8-bit: \xc3\xa4\xc3\xb6\xc3\xbc'], 4),
            make_message('work-2', 'Work meeting', [b'tomorrow at ten'], 5),
        ],
        'a': [
            make_message('a-1', 'Folder a only', [b'in a'], 6),
            big_message('a-big', 'Folder a, large attachment', 300000, 9),
        ],
        'a/b': [
            make_message('ab-1', 'Nested one', [b'in a/b, first'], 7),
            make_message('ab-2', 'Nested two', [b'in a/b, second'], 8),
        ],
    }


def message_id(message):
    """The local part of the Message-ID: the tag given to make_message."""
    m = re.search(rb'(?im)^message-id:\s*<([^>@]*)@?[^>]*>', message)
    return m.group(1).decode() if m else None


def lf(message):
    return message.replace(b'\r\n', b'\n')


# ---- the server through imaplib -------------------------------------------------------------


def imap_connect(loft, user='alice', password=PW):
    m = imaplib.IMAP4('127.0.0.1', loft.port('imap'), timeout=15)
    typ, data = m.login(user, password)
    assert typ == 'OK', data
    return m


def ok(result):
    typ, data = result
    assert typ == 'OK', '%s %r' % (typ, data)
    return data


def create_tree(loft, messages, user='alice'):
    """CREATEs every mailbox of `messages` (parents first) on the running
    server and delivers the messages with `loft deliver --mailbox`."""
    m = imap_connect(loft, user)
    try:
        for name in sorted(messages):
            if name != 'INBOX':
                ok(m.create(name))
    finally:
        m.logout()
    for name, msgs in messages.items():
        for msg in msgs:
            r = loft.deliver(user, msg, mailbox=None if name == 'INBOX' else name)
            assert r.returncode == 0, r.stderr
            assert b'does not exist' not in r.stderr, r.stderr


LIST_RE = re.compile(rb'^\((?P<attrs>[^)]*)\) (?:"(?P<sep>[^"]*)"|NIL) (?P<name>.*)$')


def imap_unquote(name):
    if name.startswith(b'"') and name.endswith(b'"'):
        name = re.sub(rb'\\(.)', rb'\1', name[1:-1])
    return name.decode()


def list_mailboxes(m):
    out = []
    for line in ok(m.list()):
        if isinstance(line, tuple):  # a literal name
            out.append(line[1].decode())
            continue
        g = LIST_RE.match(line)
        assert g, line
        if b'\\noselect' in g.group('attrs').lower():
            continue
        out.append(imap_unquote(g.group('name')))
    return sorted(out)


def quote(name):
    return '"' + name.replace('\\', '\\\\').replace('"', '\\"') + '"'


def mailbox_messages(m, mailbox):
    """{uid: (frozenset of flags without \\Recent, bytes)} of one mailbox,
    read-only (EXAMINE, BODY.PEEK) so looking changes nothing."""
    typ, data = m.select(quote(mailbox), readonly=True)
    assert typ == 'OK', (mailbox, data)
    if int(data[0]) == 0:
        return {}
    flags = {}
    for line in ok(m.uid('FETCH', '1:*', '(UID FLAGS)')):
        g = re.search(rb'UID (\d+)', line)
        f = re.search(rb'FLAGS \(([^)]*)\)', line)
        assert g and f, line
        flags[int(g.group(1))] = frozenset(x for x in f.group(1).decode().split() if x != '\\Recent')
    bodies = {}
    for item in ok(m.uid('FETCH', '1:*', '(UID BODY.PEEK[])')):
        if isinstance(item, tuple):
            g = re.search(rb'UID (\d+)', item[0])
            assert g, item[0]
            bodies[int(g.group(1))] = item[1]
    assert set(flags) == set(bodies), (flags, bodies.keys())
    return {uid: (flags[uid], bodies[uid]) for uid in sorted(flags)}


def server_state(loft, user='alice', password=PW, mailboxes=None):
    """{mailbox: {message-id: (flags, bytes)}} for every selectable mailbox
    (or just `mailboxes`), through a fresh imaplib connection."""
    m = imap_connect(loft, user, password)
    try:
        names = mailboxes if mailboxes is not None else list_mailboxes(m)
        out = {}
        for name in names:
            msgs = {}
            for uid, (flags, body) in mailbox_messages(m, name).items():
                msgs[message_id(body) or 'uid-%d' % uid] = (flags, body)
            out[name] = msgs
        return out
    finally:
        m.logout()


def imap_store(loft, mailbox, mid, op, flags, user='alice'):
    """UID STORE on the message with Message-ID <mid@...> of `mailbox`."""
    m = imap_connect(loft, user)
    try:
        ok(m.select(quote(mailbox)))
        uid = uid_of(m, mid)
        return ok(m.uid('STORE', str(uid), op, '(%s)' % flags))
    finally:
        m.logout()


def uid_of(m, mid):
    data = ok(m.uid('SEARCH', 'HEADER', 'Message-ID', '<%s@example.org>' % mid))
    uids = data[0].split()
    assert len(uids) == 1, 'SEARCH HEADER Message-ID <%s@example.org> -> %r' % (mid, data)
    return int(uids[0])


def imap_expunge_one(loft, mailbox, mid, user='alice'):
    """\\Deleted + EXPUNGE of one message; returns the untagged responses."""
    m = imap_connect(loft, user)
    try:
        ok(m.select(quote(mailbox)))
        uid = uid_of(m, mid)
        ok(m.uid('STORE', str(uid), '+FLAGS.SILENT', '(\\Deleted)'))
        return ok(m.expunge())
    finally:
        m.logout()


# ---- a local Maildir tree ---------------------------------------------------------------------


def maildir_flags(filename, sep=':'):
    if sep + '2,' not in filename:
        return frozenset()
    letters = filename.rsplit(sep + '2,', 1)[1]
    return frozenset(MAILDIR_FLAGS[c] for c in letters if c in MAILDIR_FLAGS)


def read_maildir(path):
    """{message-id: (flags, bytes, file path)} of one Maildir folder."""
    out = {}
    for sub in ('new', 'cur'):
        d = os.path.join(path, sub)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            p = os.path.join(d, name)
            with open(p, 'rb') as f:
                data = f.read()
            mid = message_id(data) or name
            assert mid not in out, 'message %s twice in %s' % (mid, path)
            out[mid] = (maildir_flags(name), data, p)
    return out


def maildir_folders(root):
    """Relative paths (with '/') of the Maildir folders under `root`."""
    out = []
    for dirpath, dirnames, _ in os.walk(root):
        if all(os.path.isdir(os.path.join(dirpath, s)) for s in ('cur', 'new', 'tmp')):
            out.append(os.path.relpath(dirpath, root).replace(os.sep, '/'))
        dirnames[:] = [d for d in dirnames if d not in ('cur', 'new', 'tmp')]
    return sorted(out)


def set_maildir_flags(path, letters):
    """Moves a message file to cur/ with exactly these info letters."""
    d, name = os.path.split(path)
    base = name.split(':2,', 1)[0]
    target = os.path.join(os.path.dirname(d), 'cur', base + ':2,' + ''.join(sorted(letters)))
    os.rename(path, target)
    return target


def add_maildir_message(folder, message, name):
    tmp = os.path.join(folder, 'tmp', name)
    with open(tmp, 'wb') as f:
        f.write(message)
    os.rename(tmp, os.path.join(folder, 'new', name))


def strip_header(message, name):
    """`message` without any `name:` header field (one a client adds on
    upload, such as mbsync's X-TUID)."""
    head, sep, body = message.partition(b'\r\n\r\n' if b'\r\n\r\n' in message else b'\n\n')
    nl = b'\r\n' if sep == b'\r\n\r\n' else b'\n'
    lines = head.split(nl)
    keep, skipping = [], False
    for line in lines:
        if line[:1] in (b' ', b'\t') and skipping:
            continue
        skipping = line.lower().startswith(name.lower().encode() + b':')
        if not skipping:
            keep.append(line)
    return nl.join(keep) + sep + body


# ---- tmux ------------------------------------------------------------------------------------


class Tmux(object):
    """One private tmux server (its own socket) running one program."""

    def __init__(self, workdir, command, env, width=200, height=50):
        self.sock = os.path.join(workdir, 'tmux.sock')
        self.env = env
        self.run('new-session', '-d', '-x', str(width), '-y', str(height), command)

    def run(self, *args, check=True):
        return subprocess.run(['tmux', '-S', self.sock] + list(args), env=self.env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=20, check=check)

    def screen(self):
        r = self.run('capture-pane', '-p', check=False)
        return r.stdout.decode('utf-8', 'replace')

    def keys(self, *keys):
        self.run('send-keys', *keys)

    def wait_for(self, predicate, what, timeout=10.0):
        """Polls the screen until predicate(screen) is true; returns the screen."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if predicate(s):
                return s
            if time.monotonic() > deadline:
                raise AssertionError('screen never showed %s within %.0f s; last screen:\n%s' % (what, timeout, s))
            time.sleep(0.2)

    def wait_text(self, text, timeout=10.0):
        return self.wait_for(lambda s: text in s, repr(text), timeout)

    def alive(self):
        return self.run('has-session', check=False).returncode == 0

    def kill(self):
        self.run('kill-server', check=False)
