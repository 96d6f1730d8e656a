"""Loft behind a real Postfix (Debian's package): Loft's LMTP listener as the
target of Postfix's lmtp: transport, and `loft deliver` as the
mailbox_command of Postfix's local(8). Mail goes in through Postfix's SMTP
port and is read back from Loft through POP3.

Each test runs its own private Postfix instance, entirely inside the test's
temporary directory: its own config_directory (main.cf, master.cf),
queue_directory, data_directory and log file (maillog_file, written by
postlogd), one smtpd on 127.0.0.1 at a free port, no service chrooted.
`postfix -c DIR` as root needs nothing from the default main.cf (only
non-root set-gid commands consult alternate_config_directories there), so
the system's Postfix (/etc/postfix, /var/spool/postfix, the service) is
neither configured, written nor started. A Postfix master must be started
as root.
"""

import os
import pwd
import re
import shlex
import shutil
import signal
import smtplib
import subprocess
import time

import pytest

import loftlib
from loftlib import fetch_all, free_port, strip_trace_before, trace_fields, wait_accepting

pytestmark = pytest.mark.skipif(not loftlib.is_root(), reason='a Postfix master must be started as root')

POSTFIX_HOST = 'postfix.test'

# Every service Postfix needs to accept, queue, deliver (lmtp, local) and
# bounce; chroot is "n" everywhere so nothing has to be copied into a jail.
MASTER_CF = """\
# service  type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:{port} inet n   -       n       -       -       smtpd
pickup     unix  n       -       n       60      1       pickup
cleanup    unix  n       -       n       -       0       cleanup
qmgr       unix  n       -       n       300     1       qmgr
rewrite    unix  -       -       n       -       -       trivial-rewrite
bounce     unix  -       -       n       -       0       bounce
defer      unix  -       -       n       -       0       bounce
trace      unix  -       -       n       -       0       bounce
verify     unix  -       -       n       -       1       verify
flush      unix  n       -       n       1000?   0       flush
proxymap   unix  -       -       n       -       -       proxymap
showq      unix  n       -       n       -       -       showq
error      unix  -       -       n       -       -       error
retry      unix  -       -       n       -       -       error
discard    unix  -       -       n       -       -       discard
local      unix  -       n       n       -       -       local
lmtp       unix  -       -       n       -       -       lmtp
smtp       unix  -       -       n       -       -       smtp
anvil      unix  -       -       n       -       1       anvil
scache     unix  -       -       n       -       1       scache
postlog    unix-dgram n  -       n       -       1       postlogd
"""


def postfix_command(name):
    path = shutil.which(name) or os.path.join('/usr/sbin', name)
    if not os.access(path, os.X_OK):
        pytest.fail('%s not found: install Debian\'s postfix (scripts/install-deps.sh)' % name)
    return path


class Postfix(object):
    """One private Postfix instance under <base>/postfix."""

    def __init__(self, base, settings):
        self.root = os.path.join(base, 'postfix')
        self.etc = os.path.join(self.root, 'etc')
        self.queue = os.path.join(self.root, 'queue')
        self.state = os.path.join(self.root, 'data')
        self.log_path = os.path.join(self.root, 'maillog')
        self.port = free_port()
        self.started = False
        self.postfix = postfix_command('postfix')
        self.postqueue = postfix_command('postqueue')
        self.main_cf = {
            'compatibility_level': '3.6',
            'queue_directory': self.queue,
            'data_directory': self.state,
            'myhostname': POSTFIX_HOST,
            'mydestination': '',
            'inet_interfaces': '127.0.0.1',
            'inet_protocols': 'ipv4',
            'mynetworks': '127.0.0.0/8',
            'alias_maps': '',  # no /etc/aliases: root stays root
            'alias_database': '',
            'maillog_file': self.log_path,
            'maillog_file_prefixes': self.root,
            'smtpd_peername_lookup': 'no',  # no resolver in the way
            'biff': 'no',
        }
        self.main_cf.update(settings)

    def run(self, *args, check=True):
        r = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        out = r.stdout.decode('utf-8', 'replace')
        assert not check or r.returncode == 0, '%s: exit %d\n%s\n%s' % (' '.join(args), r.returncode, out,
                                                                       self.log_text())
        return out

    def start(self):
        os.makedirs(self.etc)
        os.makedirs(self.queue)  # root-owned; `postfix check` makes its subdirectories
        os.makedirs(self.state)
        os.chmod(self.root, 0o755)
        os.chmod(self.queue, 0o755)
        pw = pwd.getpwnam('postfix')
        os.chown(self.state, pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.etc, 'main.cf'), 'w') as f:
            f.write(''.join('%s = %s\n' % kv for kv in self.main_cf.items()))
        with open(os.path.join(self.etc, 'master.cf'), 'w') as f:
            f.write(MASTER_CF.format(port=self.port))
        self.run(self.postfix, '-c', self.etc, 'check')
        self.started = True
        self.run(self.postfix, '-c', self.etc, 'start')
        wait_accepting('127.0.0.1', self.port, None, log=self.log_text)
        return self

    def master_pid(self):
        try:
            with open(os.path.join(self.queue, 'pid', 'master.pid')) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self):
        if not self.started:
            return
        self.started = False
        pid = self.master_pid()
        self.run(self.postfix, '-c', self.etc, 'stop', check=False)  # waits up to 5 s, then kill -9
        if pid is None:
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)  # the master this test started, still there

    def log_text(self):
        try:
            with open(self.log_path, 'rb') as f:
                return '--- postfix log (%s) ---\n%s' % (self.log_path, f.read().decode('utf-8', 'replace'))
        except OSError:
            return '--- no postfix log ---'

    def queue_listing(self):
        return self.run(self.postqueue, '-c', self.etc, '-p')

    def flush(self):
        self.run(self.postqueue, '-c', self.etc, '-f')

    def wait_queue_empty(self, timeout=30.0):
        """Until every message (bounces included: Postfix queues a bounce
        before it removes the bounced message) has left the queue. A
        deferral fails at once: nothing here should need a retry."""
        deadline = time.monotonic() + timeout
        deferred_before = self.log_text().count('status=deferred')
        while True:
            listing = self.queue_listing()
            if 'Mail queue is empty' in listing:
                return
            log = self.log_text()
            assert log.count('status=deferred') == deferred_before, 'a delivery was deferred\n%s\n%s' % (
                listing, log)
            assert time.monotonic() < deadline, 'Postfix queue not empty after %.0f s\n%s\n%s' % (
                timeout, listing, log)
            time.sleep(0.1)

    def wait_log(self, pattern, timeout=15.0):
        """The first log line matching `pattern` (postlogd writes asynchronously)."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            for line in self.log_text().splitlines():
                if rx.search(line):
                    return line
            assert time.monotonic() < deadline, 'no log line matches %r\n%s' % (pattern, self.log_text())
            time.sleep(0.1)

    def delivery(self, qid, rcpt, status='sent'):
        """The log line of one delivery attempt of queue file `qid` to `rcpt`."""
        return self.wait_log(r'\b%s: to=<%s>, .*status=%s ' % (re.escape(qid), re.escape(rcpt), status))

    def bounce_of(self, qid):
        """Queue id of the non-delivery notification Postfix made for `qid`."""
        line = self.wait_log(r'\b%s: sender non-delivery notification: ' % re.escape(qid))
        return line.rsplit(' ', 1)[1]


@pytest.fixture
def postfix(loft, base_dir):
    """postfix(settings) starts a private Postfix with these main.cf settings
    (on top of a self-contained base); stopped before Loft is."""
    instances = []

    def make(settings):
        pf = Postfix(base_dir, settings)
        instances.append(pf)
        return pf.start()
    yield make
    for pf in instances:
        pf.stop()


def submit(smtp, sender, rcpts, msg):
    """One SMTP transaction; returns Postfix's queue id of the message."""
    code, text = smtp.mail(sender)
    assert code == 250, (code, text)
    for rcpt in rcpts:
        code, text = smtp.rcpt(rcpt)
        assert code == 250, (rcpt, code, text)
    code, text = smtp.data(msg)  # bytes go out as they are, dot-stuffed
    assert code == 250, (code, text)
    m = re.search(rb'queued as ([0-9A-Za-z]+)', text)
    assert m, text
    return m.group(1).decode()


BODY = (b'first line\r\n.leading dot\r\n..two dots\r\n.\r\nFrom the start of a line\r\n>From quoted\r\n'
        b' \xc3\xa4 utf-8 \xe2\x82\xac\r\ntab\there\r\n\r\n\r\nlast line\r\n')


def message(tag, sender, to, body=BODY):
    """Every header field Postfix would add for a local client is already
    there, so Postfix passes the message on unchanged (bar its Received)."""
    return (b'X-Test-Tag: ' + tag.encode() + b'\r\nFrom: Sender <' + sender.encode() + b'>\r\n'
            b'To: ' + to.encode() + b'\r\nSubject: via postfix ' + tag.encode() + b'\r\n'
            b'Date: Thu, 26 Nov 2026 10:00:00 +0000\r\nMessage-ID: <' + tag.encode() + b'@loft.test>\r\n'
            b'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n'
            b'Content-Transfer-Encoding: 8bit\r\n\r\n' + body)


def with_tag(msgs, tag):
    hits = [m for m in msgs if b'\r\nX-Test-Tag: ' + tag.encode() + b'\r\n' in m]
    assert len(hits) == 1, 'expected exactly one message tagged %s among %d' % (tag, len(msgs))
    return hits[0]


def mailbox(loft, user):
    return [m for _, _, m in fetch_all(loft, user)]


# ---- Postfix lmtp: -> Loft's LMTP listener -------------------------------------------


def check_lmtp_copy(pf, stored, original, tag, sender, rcpt, qid, lmtp_port, single):
    """A copy Postfix handed over by LMTP = Loft's trace fields (Return-Path,
    Delivered-To unless the transaction was shared, Received) + Postfix's
    Received + the original bytes."""
    fields, body = strip_trace_before(stored, b'X-Test-Tag: ' + tag.encode())
    assert body == original, 'body of %s for %s is not byte-exact' % (tag, rcpt)
    names = [n for n, _ in fields]
    assert names[0] == 'return-path' and fields[0][1] == b'<' + sender.encode() + b'>', fields
    assert names.count('return-path') == 1, fields
    received = [v for n, v in fields if n == 'received']
    assert len(received) == 2 and names[-1] == 'received', fields
    loft_received, postfix_received = received
    # Loft's: the LHLO name Postfix gave (its myhostname), Loft's own host name.
    assert loft_received.startswith(b'from ' + POSTFIX_HOST.encode()), loft_received
    assert b'by loft.test with LMTP' in loft_received, loft_received
    assert b'(envelope-from <' + sender.encode() + b'>)' in loft_received, loft_received
    # Postfix's own, naming the queue file it delivered from.
    assert b'by ' + POSTFIX_HOST.encode() + b' (Postfix) with ESMTP id ' + qid.encode() in postfix_received, \
        postfix_received
    delivered_to = [v for n, v in fields if n == 'delivered-to']
    if single:
        assert delivered_to == [rcpt.encode()], fields
        assert b'for <' + rcpt.encode() + b'>' in postfix_received, postfix_received
    else:  # Loft (like Dovecot) may leave it out for a shared transaction, never name another
        assert all(v == rcpt.encode() for v in delivered_to), fields
    # Postfix logged Loft's per-recipient 250 reply, which carries the id of
    # Loft's Received field: this copy is the one that reply acknowledged.
    line = pf.delivery(qid, rcpt)
    assert 'relay=127.0.0.1[127.0.0.1]:%d,' % lmtp_port in line, line
    assert 'dsn=2.0.0, status=sent (250 2.0.0 <%s>' % rcpt in line, line
    m = re.search(rb'\bid ([^\s;]+)', loft_received)
    assert m and m.group(1).decode() in line, (loft_received, line)


LMTP_USERS = {'alice': 'alice-pf-pw', 'bob': 'bob-pf-pw', 'carol': 'carol-pf-pw'}


def test_postfix_lmtp_transport_delivers_into_loft(loft, postfix):
    for user, pw in LMTP_USERS.items():
        loft.add_user(user, pw)
    loft.start('lmtp', 'pop3')
    lmtp_port = loft.port('lmtp')
    # loft.test is a virtual mailbox domain whose mailboxes Postfix does not
    # know (no virtual_mailbox_maps): it accepts every recipient and Loft
    # decides at RCPT time, as with Dovecot's LMTP.
    pf = postfix({
        'virtual_mailbox_domains': 'loft.test',
        'virtual_transport': 'lmtp:inet:127.0.0.1:%d' % lmtp_port,
    })
    sender = 'carol@loft.test'
    shared = message('pf-shared', sender, 'alice@loft.test, bob@loft.test')
    ghost = message('pf-ghost', sender, 'bob@loft.test, ghost@loft.test')
    big = message('pf-big', sender, 'alice@loft.test',
                  b''.join(b'%06d ' % i + b'x' * 70 + b'\r\n' for i in range(4000)) + BODY)
    with smtplib.SMTP('127.0.0.1', pf.port, timeout=30) as s:
        assert s.ehlo('client.example')[0] == 250
        qid_shared = submit(s, sender, ['alice@loft.test', 'bob@loft.test'], shared)
        qid_ghost = submit(s, sender, ['bob@loft.test', 'ghost@loft.test'], ghost)
        qid_big = submit(s, sender, ['alice@loft.test'], big)
    pf.wait_queue_empty()

    # The unknown user: refused by Loft at RCPT, bounced by Postfix.
    line = pf.delivery(qid_ghost, 'ghost@loft.test', status='bounced')
    assert 'relay=127.0.0.1[127.0.0.1]:%d,' % lmtp_port in line, line
    assert 'dsn=5.1.1, status=bounced (host 127.0.0.1[127.0.0.1] said: ' \
        '550 5.1.1 <ghost@loft.test>' in line, line
    assert '(in reply to RCPT TO command)' in line, line
    qid_bounce = pf.bounce_of(qid_ghost)
    assert 'relay=127.0.0.1[127.0.0.1]:%d,' % lmtp_port in pf.delivery(qid_bounce, sender)

    alice, bob, carol = (mailbox(loft, u) for u in ('alice', 'bob', 'carol'))
    assert (len(alice), len(bob), len(carol)) == (2, 2, 1), (len(alice), len(bob), len(carol))
    for user, msgs in (('alice', alice), ('bob', bob)):
        check_lmtp_copy(pf, with_tag(msgs, 'pf-shared'), shared, 'pf-shared', sender, user + '@loft.test',
                        qid_shared, lmtp_port, single=False)
    check_lmtp_copy(pf, with_tag(bob, 'pf-ghost'), ghost, 'pf-ghost', sender, 'bob@loft.test', qid_ghost,
                    lmtp_port, single=False)
    check_lmtp_copy(pf, with_tag(alice, 'pf-big'), big, 'pf-big', sender, 'alice@loft.test', qid_big,
                    lmtp_port, single=True)

    # The bounce reached carol through Loft's LMTP too, with the null sender.
    fields, report = strip_trace_before(carol[0], b'Received: by ' + POSTFIX_HOST.encode() + b' (Postfix)')
    assert fields[0] == ('return-path', b'<>'), fields
    assert [v for n, v in fields if n == 'delivered-to'] == [sender.encode()], fields
    assert b'\r\nFrom: Mail Delivery System <MAILER-DAEMON@' + POSTFIX_HOST.encode() + b'>\r\n' in report
    assert b'\r\nX-Postfix-Queue-ID: ' + qid_ghost.encode() + b'\r\n' in report
    assert b'\r\nFinal-Recipient: rfc822; ghost@loft.test\r\n' in report
    assert b'\r\nStatus: 5.1.1\r\n' in report
    assert b'\r\nDiagnostic-Code: smtp; 550 5.1.1 <ghost@loft.test>' in report
    assert b'Final-Recipient: rfc822; bob@loft.test' not in report, 'bob was delivered, not bounced'
    assert b'\r\nX-Test-Tag: pf-ghost\r\n' in report  # the returned message


# ---- local(8) with mailbox_command = loft deliver ----------------------------------------

# local(8) runs mailbox_command with the recipient's uid (for root: with
# default_privs), and Loft's data directory (0700) is open only to its owner,
# so the recipient must be the account that owns it. The test uses `nobody`:
# Loft's run_as, Postfix's default_privs and the Loft user mail is delivered
# to, which leaves the system's accounts untouched. root (mail to root runs
# as default_privs, $USER is "root") is the system account Loft does not know.
LOCAL_USER = 'nobody'
LOCAL_PW = 'nobody-pf-pw'
LOCAL_TRACE = ('return-path', 'delivered-to', 'x-original-to', 'received')


def split_local_copy(stored, marker):
    """stored = header fields in front (Loft's and local(8)'s trace fields,
    Postfix's Received) + the part starting with the line `marker`."""
    assert not stored.startswith(b'From '), 'the mbox From_ line local(8) puts in front must not be stored'
    i = stored.find(b'\r\n' + marker)
    assert i >= 0, 'marker %r not found' % marker
    fields = trace_fields(stored[:i + 2])
    assert fields and fields[0][0] == 'return-path', fields  # the first line is a Return-Path
    for name, _ in fields:
        assert name in LOCAL_TRACE, 'unexpected field %r in front of the message: %r' % (name, fields)
    return fields, stored[i + 2:]


def check_local_copy(stored, original, tag, sender, rcpt, qid):
    fields, body = split_local_copy(stored, b'X-Test-Tag: ' + tag.encode() + b'\r\n')
    # local(8) pipes LF lines; the store holds (and POP3 serves) CRLF: the same bytes.
    assert body == original, 'body of %s is not byte-exact' % tag
    # Every Return-Path names the envelope sender. (loft deliver prepends its
    # own Return-Path and Delivered-To above the ones local(8) already put
    # in front, so each may be there twice; Dovecot's LDA adds none.)
    assert all(v == b'<' + sender.encode() + b'>' for n, v in fields if n == 'return-path'), fields
    assert [v for n, v in fields if n == 'x-original-to'] == [rcpt.encode()], fields
    delivered_to = [v for n, v in fields if n == 'delivered-to']
    assert delivered_to and all(v in (rcpt.encode(), LOCAL_USER.encode()) for v in delivered_to), fields
    received = [v for n, v in fields if n == 'received']
    assert len(received) == 1, fields
    by_postfix = b'by ' + POSTFIX_HOST.encode() + b' (Postfix) with ESMTP id ' + qid.encode()
    assert by_postfix in received[0], received
    assert b'for <' + rcpt.encode() + b'>' in received[0], received


def test_loft_deliver_as_postfix_mailbox_command(loft, postfix):
    loft.set(None, 'run_as', LOCAL_USER)
    loft.add_user(LOCAL_USER, LOCAL_PW)
    loft.start('pop3')  # hands the data directory to run_as
    owner = pwd.getpwnam(LOCAL_USER)
    assert os.stat(loft.data).st_uid == owner.pw_uid
    command = '%s deliver --config %s --user "$USER"' % (shlex.quote(loftlib.LOFT_BIN),
                                                         shlex.quote(loft.config_path))
    pf = postfix({
        'mydestination': 'localhost',
        'mailbox_command': command,
        'default_privs': LOCAL_USER,
    })
    sender = rcpt = LOCAL_USER + '@localhost'
    first = message('pf-local', sender, rcpt)
    to_root = message('pf-root', sender, 'root@localhost')
    with smtplib.SMTP('127.0.0.1', pf.port, timeout=30) as s:
        assert s.ehlo('client.example')[0] == 250
        qid_first = submit(s, sender, [rcpt], first)
        qid_root = submit(s, sender, ['root@localhost'], to_root)
    pf.wait_queue_empty()

    line = pf.delivery(qid_first, rcpt)
    assert 'relay=local,' in line and 'dsn=2.0.0, status=sent (delivered to command: ' in line, line
    # Exit 67 (EX_NOUSER) is what local(8) reports as "user unknown", 5.1.1.
    line = pf.delivery(qid_root, 'root@localhost', status='bounced')
    assert 'relay=local,' in line, line
    assert 'dsn=5.1.1, status=bounced (user unknown. ' \
        "Command output: loft deliver: no such user 'root'" in line, line
    qid_bounce = pf.bounce_of(qid_root)
    assert 'relay=local,' in pf.delivery(qid_bounce, rcpt)

    # Exit 75 (EX_TEMPFAIL): Postfix keeps the message and delivers it on
    # the retry once the cause is gone; exactly one copy arrives.
    user_dir = os.path.join(loft.data, 'mail', LOCAL_USER)
    assert os.path.isdir(user_dir)
    later = message('pf-retry', sender, rcpt)
    os.chmod(user_dir, 0)
    try:
        with smtplib.SMTP('127.0.0.1', pf.port, timeout=30) as s:
            assert s.ehlo('client.example')[0] == 250
            qid_later = submit(s, sender, [rcpt], later)
        line = pf.delivery(qid_later, rcpt, status='deferred')
        assert 'relay=local,' in line and 'dsn=4.3.0, status=deferred (temporary failure.' in line, line
        assert qid_later in pf.queue_listing()
    finally:
        os.chmod(user_dir, 0o700)
    pf.flush()
    pf.wait_queue_empty()
    assert 'relay=local,' in pf.delivery(qid_later, rcpt)

    msgs = mailbox(loft, LOCAL_USER)
    assert len(msgs) == 3, [m[:300] for m in msgs]
    check_local_copy(with_tag(msgs, 'pf-local'), first, 'pf-local', sender, rcpt, qid_first)
    check_local_copy(with_tag(msgs, 'pf-retry'), later, 'pf-retry', sender, rcpt, qid_later)

    bounces = [m for m in msgs if b'\r\nX-Postfix-Queue-ID: ' + qid_root.encode() + b'\r\n' in m]
    assert len(bounces) == 1
    fields, report = split_local_copy(bounces[0], b'Received: by ' + POSTFIX_HOST.encode() + b' (Postfix)')
    assert all(v == b'<>' for n, v in fields if n == 'return-path'), fields  # the null sender
    assert [v for n, v in fields if n == 'x-original-to'] == [rcpt.encode()], fields
    assert b'\r\nFrom: Mail Delivery System <MAILER-DAEMON@' + POSTFIX_HOST.encode() + b'>\r\n' in report
    assert b'\r\nFinal-Recipient: rfc822; root@localhost\r\n' in report
    assert b'\r\nStatus: 5.1.1\r\n' in report
    assert b"\r\nDiagnostic-Code: x-unix; loft deliver: no such user 'root'" in report
    assert b'\r\nX-Test-Tag: pf-root\r\n' in report  # the returned message
