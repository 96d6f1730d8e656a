"""Abuse resistance through the real binary, over real sockets: connection
floods beyond the per-address and global limits, slow-loris connections,
password guessing, pipelined floods, oversized lines and literals, garbage
bytes, and the TLS versions and ciphers offered.

In every attack a well-behaved client (GoodClient, another thread, from
127.0.0.1) keeps logging in, SELECTing and FETCHing: each of its commands
must succeed within LATENCY_BOUND seconds. The attackers connect from other
loopback addresses (127.0.0.2 and up) and must get the protocol's answer
(BAD/NO, -ERR, 5xx) or a close. The server's VmRSS is sampled every 20 ms
and must stay under RSS_CEILING_KB during and after each attack.
"""

import base64
import random
import re
import socket
import ssl
import threading
import time
import warnings

from imaptest import Imap, connect, quote
from loftlib import MEMORY_SCALE, LmtpRaw, Pop3Raw, RssSampler, b64, first_line, smtp_stuff

LATENCY_BOUND = 2.0  # seconds, for every command of the good client
# VmRSS ceiling: an idle server is ~15 MB; four workers may each hold a
# 19 MiB argon2id buffer at once while hashing (worker_threads = 4 below).
RSS_CEILING_KB = 128 * 1024 * MEMORY_SCALE

GOOD_USER, GOOD_PW = 'carol', 'carol-Good-pw1'
DAVE_PW = 'dave-Good-pw2'
ALICE_PW = 'alice-Secret-pw3'


def message(n, size=400):
    body = b''.join(b'line %04d of message %d\r\n' % (i, n) for i in range(max(1, size // 24)))
    return (b'From: sender@example.org\r\nTo: carol@loft.test\r\nSubject: message %d\r\n'
            b'Message-ID: <m%d@example.org>\r\n\r\n' % (n, n)) + body


def install(loft, users=(('carol', GOOD_PW), ('dave', DAVE_PW)), messages=3, **limits):
    loft.set('limits', 'worker_threads', 4)
    for k, v in limits.items():
        loft.set('limits', k, v)
    for name, pw in users:
        loft.add_user(name, pw)
    for i in range(messages):
        r = loft.deliver(GOOD_USER, message(i + 1))
        assert r.returncode == 0, r.stderr


# ---- the well-behaved client ------------------------------------------------------------


class GoodClient(object):
    """Logs in, SELECTs and FETCHes in a loop in its own thread, timing every
    command. persistent=True keeps one session (for when the server is full
    and refuses new connections); otherwise every round is a new connection."""

    def __init__(self, loft, persistent=False, messages=3):
        self.loft = loft
        self.persistent = persistent
        self.messages = messages
        self.timings = []
        self.failures = []
        self.rounds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _timed(self, name, fn):
        t0 = time.monotonic()
        try:
            r = fn()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.failures.append('%s after %.2f s: %r' % (name, time.monotonic() - t0, e))
            raise
        self.timings.append((name, time.monotonic() - t0))
        return r

    def _connect(self):
        c = self._timed('connect', lambda: Imap('127.0.0.1', self.loft.port('imap'), timeout=10))
        assert c.greeting.raw.startswith(b'* OK'), c.greeting.raw
        self._timed('LOGIN', lambda: c.login(GOOD_USER, GOOD_PW))
        return c

    def _work(self, c):
        self._timed('SELECT', lambda: c.ok('SELECT INBOX'))
        got = self._timed('FETCH', lambda: c.ok('FETCH 1:* (UID FLAGS RFC822.SIZE ENVELOPE)'))
        if len([r for r in got if b' FETCH ' in r.raw]) != self.messages:
            self.failures.append('FETCH 1:* answered %d messages' % len(got))
        body = self._timed('FETCH BODY', lambda: c.ok('FETCH 1 BODY.PEEK[]'))
        if not body or not body[0].literals or not body[0].literals[0].endswith(message(1)):
            self.failures.append('FETCH 1 BODY.PEEK[] gave the wrong message')

    def _run(self):
        c = None
        while not self._stop.is_set():
            try:
                if c is None:
                    c = self._connect()
                self._work(c)
                if not self.persistent:
                    self._timed('LOGOUT', c.logout)
                    c = None
                self.rounds += 1
            except Exception:  # noqa: BLE001 - recorded by _timed
                if c is not None:
                    c.close()
                c = None
                if len(self.failures) > 20:
                    return
            self._stop.wait(0.02)
        if c is not None:
            c.logout()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(30)
        return False

    def max_latency(self):
        return max((t for _, t in self.timings), default=0.0)

    def check(self, what):
        slow = [(n, round(t, 3)) for n, t in self.timings if t > LATENCY_BOUND]
        slowest = sorted(self.timings, key=lambda x: -x[1])[:3]
        print('%s: good client %d rounds, %d commands, max latency %.3f s (slowest: %s)' %
              (what, self.rounds, len(self.timings), self.max_latency(),
               ', '.join('%s %.3f' % (n, t) for n, t in slowest)))
        assert not self.failures, '%s: the good client failed: %s\n%s' % (what, self.failures[:5],
                                                                          self.loft.log_text())
        assert self.rounds >= 2, '%s: the good client made only %d rounds' % (what, self.rounds)
        assert not slow, '%s: good client answers slower than %.1f s: %s' % (what, LATENCY_BOUND, slow[:10])


def check_memory(loft, rss, what):
    after = loft.rss_kb()
    print('%s: RSS peak %d kB (%d samples), after %d kB' % (what, rss.peak(), len(rss.samples), after))
    assert rss.samples, 'no RSS samples'
    assert rss.peak() < RSS_CEILING_KB, '%s: server RSS reached %d kB (ceiling %d kB)' % (
        what, rss.peak(), RSS_CEILING_KB)
    assert after < RSS_CEILING_KB, '%s: server RSS %d kB after the attack' % (what, after)
    assert loft.running(), '%s: the server died\n%s' % (what, loft.log_text())


# ---- raw socket helpers -------------------------------------------------------------------


def raw_connect(port, source=None, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if source:
        s.bind((source, 0))
    s.connect(('127.0.0.1', port))
    return s



def read_all(s, quiet=2.0, limit=30.0):
    """Everything the server sends until it closes, or until nothing came for
    `quiet` seconds. Returns (bytes, closed)."""
    out = bytearray()
    deadline = time.monotonic() + limit
    s.settimeout(quiet)
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(1 << 16)
        except socket.timeout:
            return bytes(out), False
        except OSError:
            return bytes(out), True
        if not chunk:
            return bytes(out), True
        out += chunk
    return bytes(out), False


def send_ignoring_close(s, data):
    """sendall that tolerates the server closing (it may refuse and close)."""
    try:
        s.sendall(data)
        return True
    except OSError:  # BrokenPipeError, ConnectionResetError, socket.timeout
        return False


class Counter(object):
    """Reads a socket and counts the answer lines that start with `marker`
    until `expected` were seen."""

    def __init__(self, s, marker, expected):
        self.s, self.marker, self.expected = s, marker, expected
        self.count = 0
        self.octets = 0

    def run(self, deadline):
        rest = b''
        self.s.settimeout(5.0)
        while self.count < self.expected and time.monotonic() < deadline:
            try:
                chunk = self.s.recv(1 << 20)
            except socket.timeout:
                continue
            if not chunk:
                break
            self.octets += len(chunk)
            lines = (rest + chunk).split(b'\n')
            rest = lines.pop()
            for line in lines:
                if line.startswith(self.marker):
                    self.count += 1
        return self.count


# ---- 1. connection floods --------------------------------------------------------------------


def test_connection_flood_beyond_per_address_and_global_limits(loft):
    per_ip, total = 8, 40
    install(loft, max_connections_per_ip=per_ip, max_connections=total)
    loft.start('imap', 'pop3', 'lmtp')
    ports = [loft.port('imap'), loft.port('pop3'), loft.port('lmtp')]
    greeting_ok = (b'* OK', b'+OK', b'220 ')
    held = []

    def flood(addresses, attempts):
        """Opens `attempts` connections from each address, round robin over
        the listeners; keeps the served ones. Returns {address: served}."""
        served = {}
        for a in addresses:
            served[a] = 0
            for i in range(attempts):
                s = raw_connect(ports[i % 3], source=a)
                g = first_line(s, wait=3.0)
                if g.startswith(greeting_ok):
                    served[a] += 1
                    held.append(s)
                else:
                    assert g == b'', 'a refused connection got %r' % g
                    s.close()
        return served

    persistent = GoodClient(loft, persistent=True)
    with RssSampler(loft) as rss, persistent:
        # Per address: 4 attackers x 25 connections; each gets exactly 8.
        with GoodClient(loft) as good:
            served = flood(['127.0.0.%d' % i for i in range(2, 6)], 25)
            assert served == {'127.0.0.%d' % i: per_ip for i in range(2, 6)}, served
            # A churn of connections that close at once, from one more address.
            for _ in range(300):
                s = raw_connect(ports[0], source='127.0.0.6')
                s.close()
            time.sleep(0.5)
        good.check('per-address flood')
        # Global: only the rest up to 40 is served (32 attackers + the
        # persistent good session hold 33; the reconnecting one has logged out).
        time.sleep(0.3)
        served = flood(['127.0.0.%d' % i for i in range(7, 11)], per_ip)
        n = sum(served.values())
        assert total - 33 - 1 <= n <= total - 33, 'served %d beyond the global limit: %s' % (n, served)
        # Now full: a new client is refused, whoever it is ...
        s = raw_connect(ports[1], source='127.0.0.1')
        assert first_line(s) == b''
        s.close()
        # ... while the persistent good session keeps being served.
        rounds = persistent.rounds
        deadline = time.monotonic() + 10
        while persistent.rounds < rounds + 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert persistent.rounds >= rounds + 3, 'the good session stalled while the server was full'
        for s in held:
            s.close()
        held.clear()
        # Slots come back: a new connection is served again soon.
        deadline = time.monotonic() + 5
        while True:
            s = raw_connect(ports[0], source='127.0.0.2')
            g = first_line(s)
            s.close()
            if g.startswith(b'* OK') or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert g.startswith(b'* OK'), g
        served = flood(['127.0.0.3'], per_ip + 2)
        assert served == {'127.0.0.3': per_ip}, served
        for s in held:
            s.close()
    persistent.check('global flood (persistent session)')
    check_memory(loft, rss, 'connection flood')


# ---- 2. slow-loris ------------------------------------------------------------------------------


class Trickler(object):
    """A connection that, after setup_fn, sends `trickle` `chunk` bytes at a
    time (one byte by default) on every tick()."""

    def __init__(self, name, port, source, setup_fn, trickle, expect_close=True, answer=None, chunk=1):
        self.name = name
        self.s = raw_connect(port, source=source)
        self.t0 = time.monotonic()
        self.received = bytearray()
        setup_fn(self)
        self.trickle = trickle
        self.pos = 0
        self.chunk = chunk
        self.expect_close = expect_close
        self.answer = answer  # what the server says before closing
        self.closed_after = None

    def expect(self, prefix, wait=5.0):
        self.s.settimeout(wait)
        while b'\n' not in self.received:
            chunk = self.s.recv(4096)
            assert chunk, '%s: closed during set-up' % self.name
            self.received += chunk
        line, _, rest = bytes(self.received).partition(b'\n')
        self.received = bytearray(rest)
        assert line.startswith(prefix), '%s: %r' % (self.name, line)
        return line

    def tick(self):
        if self.closed_after is not None:
            return
        try:
            self.s.setblocking(False)
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionResetError
                self.received += chunk
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        except OSError:
            self.closed_after = time.monotonic() - self.t0
            return
        try:
            start = self.pos % len(self.trickle)
            self.pos += self.s.send(self.trickle[start:start + self.chunk])
        except OSError:
            self.closed_after = time.monotonic() - self.t0


def test_slow_loris_before_and_after_login(loft):
    install(loft, login_timeout=3, pop3_idle_timeout=3, lmtp_idle_timeout=3)
    loft.start('imap', 'pop3', 'lmtp')
    imap, pop3, lmtp = loft.port('imap'), loft.port('pop3'), loft.port('lmtp')

    def greeting_only(t):
        t.expect(b'')

    def imap_literal(t):
        t.expect(b'* OK')
        t.s.sendall(b'a LOGIN carol {40}\r\n')
        t.expect(b'+ ')

    def pop3_logged_in(t):
        t.expect(b'+OK')
        t.s.sendall(b'USER dave\r\nPASS %s\r\n' % DAVE_PW.encode())
        t.expect(b'+OK')
        t.expect(b'+OK')

    def lmtp_in_data(t):
        t.expect(b'220')
        t.s.sendall(b'LHLO attacker\r\nMAIL FROM:<a@example.org>\r\nRCPT TO:<dave@loft.test>\r\nDATA\r\n')
        while not t.expect(b'').startswith(b'354'):
            pass

    def lmtp_in_command(t):
        t.expect(b'220')

    def imap_in_append(t):
        t.expect(b'* OK')
        t.s.sendall(b'a LOGIN dave %s\r\nb APPEND INBOX {2000}\r\n' % DAVE_PW.encode())
        t.expect(b'a OK')
        t.expect(b'+ ')

    bye = b'* BYE Disconnected for inactivity.'
    err = b'-ERR Disconnected for inactivity.'
    conns = []
    with RssSampler(loft) as rss, GoodClient(loft) as good:
        # Before login: the login timeout counts from the connection, even
        # for commands trickled in that complete now and then.
        for i in range(8):
            conns.append(Trickler('imap pre-login %d' % i, imap, '127.0.0.2', greeting_only, b'a CAPABILITY\r\n',
                                  answer=bye))
            conns.append(Trickler('pop3 pre-login %d' % i, pop3, '127.0.0.3', greeting_only, b'CAPA\r\n', answer=err))
        # ... and for whole commands sent now and then.
        for i in range(4):
            conns.append(Trickler('imap NOOPs %d' % i, imap, '127.0.0.2', greeting_only, b'a NOOP\r\n', answer=bye,
                                  chunk=8))
            conns.append(Trickler('pop3 CAPAs %d' % i, pop3, '127.0.0.3', greeting_only, b'CAPA\r\n', answer=err,
                                  chunk=6))
        conns.append(Trickler('imap LOGIN literal', imap, '127.0.0.4', imap_literal, b'x' * 40, answer=bye))
        conns.append(Trickler('imap line without end', imap, '127.0.0.4', greeting_only, b'a LOGIN carol ' + b'y' * 99,
                              answer=bye))
        # After login (POP3) and without one (LMTP): bytes trickled into a
        # line are no progress, the idle timeout (3 s) closes them.
        conns.append(Trickler('pop3 mid-command', pop3, '127.0.0.5', pop3_logged_in, b'STAT' + b' ' * 60,
                              answer=err))
        conns.append(Trickler('lmtp mid-DATA', lmtp, '127.0.0.6', lmtp_in_data, b'Subject: ' + b'z' * 99,
                              answer=b'421 4.4.2'))
        conns.append(Trickler('lmtp mid-command', lmtp, '127.0.0.6', lmtp_in_command,
                              b'MAIL FROM:<' + b'w' * 99, answer=b'421 4.4.2'))
        # An IMAP APPEND literal trickled in after login: the session stays
        # (the IMAP idle timeout is 30 minutes at least) and holds nothing up.
        slow_append = Trickler('imap mid-APPEND', imap, '127.0.0.7', imap_in_append, b'Subject: slow\r\n\r\n' +
                               b'q' * 1983, expect_close=False)
        conns.append(slow_append)
        deadline = time.monotonic() + 12
        while time.monotonic() < deadline and any(c.expect_close and c.closed_after is None for c in conns):
            for c in conns:
                c.tick()
            time.sleep(0.7)  # about one byte per connection every 0.7 s
        # Meanwhile dave's INBOX, which the slow APPEND targets, is usable.
        d = connect(loft, 'dave', DAVE_PW)
        d.ok('SELECT INBOX')
        d.ok('APPEND INBOX {}', message(9))
        d.logout()
    good.check('slow-loris')
    summary = ['%s: closed after %s s, %d bytes trickled' % (c.name, c.closed_after and round(c.closed_after, 1),
                                                            c.pos) for c in conns]
    print('\n'.join(summary))
    for c in conns:
        if not c.expect_close:
            continue
        assert c.closed_after is not None, 'still open after 12 s of trickling:\n' + '\n'.join(summary)
        assert 2.0 <= c.closed_after <= 9.0, '%s closed after %.1f s' % (c.name, c.closed_after)
        assert c.answer in bytes(c.received), '%s: no %r before the close: %r' % (c.name, c.answer,
                                                                                 bytes(c.received)[-200:])
    assert slow_append.closed_after is None, 'the slow APPEND was closed after %.1f s' % slow_append.closed_after
    # The slow client finishes its literal at once and the message is stored.
    rest = slow_append.trickle[slow_append.pos:]
    assert len(rest) + slow_append.pos == 2000
    slow_append.s.setblocking(True)
    slow_append.s.settimeout(10)
    slow_append.s.sendall(rest + b'\r\n')
    slow_append.received.clear()
    line = slow_append.expect(b'b ')
    assert line.startswith(b'b OK [APPENDUID'), line
    for c in conns:
        c.s.close()
    check_memory(loft, rss, 'slow-loris')


# ---- 3. password guessing ---------------------------------------------------------------------------


AUTH_FAILED = b'NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'


def login_attempt(loft, source, user, password):
    """One IMAP LOGIN on a new connection: (seconds from LOGIN to its answer,
    the answer without its tag)."""
    c = Imap('127.0.0.1', loft.port('imap'), timeout=40, source=source)
    try:
        t0 = time.monotonic()
        tagged, _ = c.command('LOGIN %s %s' % (quote(user), quote(password)))
        dt = time.monotonic() - t0
        return dt, tagged.raw.split(b' ', 1)[1]
    finally:
        c.close()


def test_password_guessing_is_throttled_per_address_and_per_user(loft):
    users = [('carol', GOOD_PW), ('alice', ALICE_PW)] + [('user%d' % i, 'pw-user-%d' % i) for i in range(4)]
    install(loft, users=users)
    loft.start('imap')
    results = {}

    def run(key, attempts):
        results[key] = [login_attempt(loft, *a) for a in attempts]

    with RssSampler(loft) as rss, GoodClient(loft) as good:
        # Per address: 7 guesses from 127.0.0.2, each at another (unknown) name.
        # Per user: 7 guesses at alice, each from another address.
        threads = [
            threading.Thread(target=run, args=('address', [('127.0.0.2', 'ghost%d' % i, 'guess%d' % i)
                                                          for i in range(7)])),
            threading.Thread(target=run, args=('user', [('127.0.0.%d' % (10 + i), 'alice', 'guess%d' % i)
                                                       for i in range(7)])),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Existing and unknown users, first attempts from fresh addresses (no
        # throttling yet): the same answer, in comparable time.
        known = [login_attempt(loft, '127.0.0.%d' % (30 + i), 'user%d' % i, 'wrong') for i in range(4)]
        unknown = [login_attempt(loft, '127.0.0.%d' % (40 + i), 'nobody%d' % i, 'wrong') for i in range(4)]
        # A parallel run: 8 connections from one address guessing at once.
        burst = []

        def guesser(i):
            burst.append(login_attempt(loft, '127.0.0.50', 'ghost-b%d' % i, 'x'))
        threads = [threading.Thread(target=guesser, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # The right password still gets alice in (after the delay her name has earned).
        t_alice, r_alice = login_attempt(loft, '127.0.0.60', 'alice', ALICE_PW)
    good.check('password guessing')
    by_address, by_user = results['address'], results['user']
    summary = ('per address: %s\nper user: %s\nknown: %s\nunknown: %s\nburst max %.2f s\nalice: %.2f s %r' % (
        [round(t, 2) for t, _ in by_address], [round(t, 2) for t, _ in by_user], [round(t, 3) for t, _ in known],
        [round(t, 3) for t, _ in unknown], max(t for t, _ in burst), t_alice, r_alice))
    print(summary)
    answers = set(r for _, r in by_address + by_user + known + unknown + burst)
    assert answers == {AUTH_FAILED}, summary + '\n%r' % answers
    # Three free failures, then 0.25 s doubling: attempts 5, 6, 7 wait
    # 0.25, 0.5 and 1 s more than the password check alone.
    for name, runs in (('address', by_address), ('user', by_user)):
        t = [x for x, _ in runs]
        free = max(t[:4])
        assert t[6] >= free + 0.5 and t[5] >= free + 0.2, '%s: no growing delay\n%s' % (name, summary)
        assert sum(t[4:]) >= sum(t[:3]) + 1.2, '%s: no growing delay\n%s' % (name, summary)
    # The unknown user costs a password check too (a dummy hash).
    med_known = sorted(t for t, _ in known)[len(known) // 2]
    med_unknown = sorted(t for t, _ in unknown)[len(unknown) // 2]
    if med_known > 0.02:
        assert 0.3 * med_known <= med_unknown <= 3 * med_known + 0.1, summary
    # Parallel guesses are counted too: the last answers of the burst waited
    # (0, 0, 0, 0.25, 0.5, 1, 2, 4 s).
    assert max(t for t, _ in burst) >= 1.5, summary
    assert r_alice.startswith(b'OK [CAPABILITY'), summary
    assert t_alice >= 1.0, 'a correct password skipped the per-user delay\n' + summary
    check_memory(loft, rss, 'password guessing')


def test_authenticate_answers_do_not_tell_users_apart(loft):
    install(loft, users=[('carol', GOOD_PW), ('alice', ALICE_PW)], messages=0)
    loft.start('imap')
    c = connect(loft)
    answers = []
    for user in ('alice', 'nosuchuser'):
        tagged, _ = c.command('AUTHENTICATE PLAIN ' + b64('\0%s\0wrong-password' % user))
        answers.append(tagged.raw.split(b' ', 1)[1])
    assert answers[0] == answers[1] == AUTH_FAILED, answers

    def scram_first(user):
        c.raw_send('S1 AUTHENTICATE SCRAM-SHA-256 %s\r\n' % b64('n,,n=%s,r=abcdefghijklmnop' % user))
        r = c.read_response()
        assert r.raw.startswith(b'+ '), r.raw
        server_first = base64.b64decode(r.raw[2:].strip()).decode()
        c.raw_send('*\r\n')
        tagged = c.read_response()
        assert tagged.raw.startswith(b'S1 BAD'), tagged.raw
        attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
        return attrs['s'], attrs['i']

    # SCRAM: an unknown user gets a salt and iteration count like a real
    # one, the same each time (a fresh random salt would give it away).
    s_known, i_known = scram_first('alice')
    s_unknown, i_unknown = scram_first('nosuchuser')
    assert i_known == i_unknown, (i_known, i_unknown)
    assert len(s_known) == len(s_unknown), (s_known, s_unknown)
    assert scram_first('nosuchuser') == (s_unknown, i_unknown)
    assert scram_first('alice') == (s_known, i_known)
    c.logout()


# ---- 4. pipelined floods -------------------------------------------------------------------------------


def test_pipelined_floods_without_reading_answers(loft):
    install(loft)
    loft.start('imap', 'pop3', 'lmtp')
    floods = []  # (name, socket, payload, marker, count)

    imap_pre = raw_connect(loft.port('imap'), source='127.0.0.2')
    assert first_line(imap_pre).startswith(b'* OK')
    floods.append(('IMAP CAPABILITY before login', imap_pre, b'a CAPABILITY\r\n', b'a OK ', 40000))

    imap_sel = raw_connect(loft.port('imap'), source='127.0.0.3')
    assert first_line(imap_sel).startswith(b'* OK')
    imap_sel.sendall(b'l LOGIN dave %s\r\n' % DAVE_PW.encode())
    data = b''
    while b'l OK' not in data:
        data += imap_sel.recv(4096)
    for i in range(3):
        assert loft.deliver('dave', message(i)).returncode == 0
    floods.append(('IMAP SELECT+FETCH after login', imap_sel,
                   b's SELECT INBOX\r\nf FETCH 1:* (UID FLAGS RFC822.SIZE)\r\nn NOOP\r\n', b'n OK ', 3000))

    pop = raw_connect(loft.port('pop3'), source='127.0.0.4')
    assert first_line(pop).startswith(b'+OK')
    pop.sendall(b'USER dave\r\nPASS %s\r\n' % DAVE_PW.encode())
    data = b''
    while data.count(b'\n') < 2:
        data += pop.recv(4096)
    floods.append(('POP3 LIST+UIDL', pop, b'LIST\r\nUIDL\r\nNOOP\r\n', b'+OK', 3 * 10000))

    lm = raw_connect(loft.port('lmtp'), source='127.0.0.5')
    assert first_line(lm).startswith(b'220')
    lm.sendall(b'LHLO flooder\r\n')
    data = b''
    while not re.search(rb'(^|\n)250 ', data):
        data += lm.recv(4096)
    floods.append(('LMTP RSET+NOOP', lm, b'RSET\r\nNOOP\r\n', b'250', 2 * 20000))

    # Floods too big to read back (24 MB of commands, hundreds of MB of
    # answers): the server must stop reading them, not buffer the answers.
    stalls = [Stall(loft, *a) for a in (('IMAP CAPABILITY', 'imap', '127.0.0.6', b'a CAPABILITY\r\n'),
                                        ('POP3 CAPA', 'pop3', '127.0.0.7', b'CAPA\r\n'),
                                        ('LMTP NOOP', 'lmtp', '127.0.0.8', b'NOOP\r\n'))]
    baseline = loft.rss_kb()
    senders = []
    for name, s, unit, _, count in floods:
        repeat = count // (unit.count(b'\n') if name.startswith('POP3') or name.startswith('LMTP') else 1)
        payload = unit * repeat
        s.settimeout(60)
        senders.append(threading.Thread(target=send_ignoring_close, args=(s, payload), daemon=True))
    with RssSampler(loft) as rss, GoodClient(loft) as good:
        for t in senders:
            t.start()
        for st in stalls:
            st.start()
        time.sleep(3)  # nobody reads: the server must stop, not buffer
        during = rss.peak()
        stalled = [(st.name, st.sent) for st in stalls]
        for st in stalls:
            st.stop()
        counters = [Counter(s, marker, count) for _, s, _, marker, count in floods]
        readers = [threading.Thread(target=c.run, args=(time.monotonic() + 40,)) for c in counters]
        for t in readers:
            t.start()
        for t in readers:
            t.join()
        for t in senders:
            t.join(10)
    good.check('pipelined floods')
    result = ['%s: %d/%d answers, %.1f MB' % (f[0], c.count, f[4], c.octets / 1e6) for f, c in zip(floods, counters)]
    result += ['%s: %.1f MB of 24 MB taken while nobody read' % (n, sent / 1e6) for n, sent in stalled]
    print('\n'.join(result) + '\nRSS while nobody read: %d kB before, peak %d kB' % (baseline, during))
    for f, c in zip(floods, counters):
        assert c.count == f[4], '\n'.join(result)
    for n, sent in stalled:
        assert sent < 16e6, 'the server kept reading the %s flood\n%s' % (n, '\n'.join(result))
    # The good client's logins (19 MiB argon2id each) are the biggest part of this.
    assert during - baseline < 64 * 1024 * MEMORY_SCALE, 'RSS grew by %d kB while nobody read' % (during - baseline)
    for _, s, _, _, _ in floods:
        s.close()
    check_memory(loft, rss, 'pipelined floods')


class Stall(object):
    """A connection that sends `unit` repeated to 24 MB in a thread without
    ever reading, counting what the server took."""

    def __init__(self, loft, name, listener, source, unit):
        self.name = name
        self.s = raw_connect(loft.port(listener), source=source)
        assert first_line(self.s), name
        self.chunk = unit * ((64 << 10) // len(unit))
        self.sent = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        self.s.settimeout(30)
        try:
            while self.sent < (24 << 20):
                self.s.sendall(self.chunk)
                self.sent += len(self.chunk)
        except OSError:
            pass

    def start(self):
        self.thread.start()

    def stop(self):
        self.s.shutdown(socket.SHUT_RDWR)
        self.s.close()
        self.thread.join(10)


# ---- 5. oversized lines and literals ------------------------------------------------------------------


def closed_now(client):
    """Whether the server closed the connection (waits 0.2 s)."""
    closed = client.is_closed(0.2)
    client.sock.settimeout(20)
    return closed


def imap_line(c, tag):
    """The tagged answer to `tag` (or a BYE), skipping untagged ones."""
    while True:
        r = c.read_response(timeout=20)
        if r.raw.startswith(tag + b' ') or r.raw.startswith(b'* BYE'):
            return r.raw


def test_oversized_lines_and_literals(loft):
    limit = 1 << 20
    install(loft, max_message_size=limit)
    loft.start('imap', 'pop3', 'lmtp')
    noop_lines = b'x NOOP\r\n' * 1000  # data that must never be taken for commands

    with RssSampler(loft) as rss, GoodClient(loft) as good:
        # IMAP before login.
        c = Imap('127.0.0.1', loft.port('imap'), source='127.0.0.2', timeout=20)
        c.raw_send(b'a1 LOGIN {999999999999}\r\n')
        r = imap_line(c, b'a1')
        assert r.startswith(b'a1 BAD') or r.startswith(b'a1 NO'), r
        c.ok('NOOP')
        c.raw_send(b'a2 LOGIN {99999999999999999999999}\r\n')
        r = imap_line(c, b'a2')
        assert r.startswith(b'a2 BAD') or r.startswith(b'* BYE'), r
        if r.startswith(b'* BYE'):
            c.close()
            c = Imap('127.0.0.1', loft.port('imap'), source='127.0.0.2', timeout=20)
        # A non-synchronising literal over the limit: refused, its data skipped.
        big = (noop_lines * (3 * limit // len(noop_lines) + 1))[:3 * limit]
        c.raw_send(b'a3 LOGIN {%d+}\r\n' % len(big) + big + b'\r\n')
        r = imap_line(c, b'a3')
        assert r.startswith(b'a3 BAD') or r.startswith(b'a3 NO'), r
        c.ok('NOOP')
        assert not [x for x in c.poll(0.5) if x.raw.startswith(b'x ')]
        # A 20 MB line: BAD (the rest skipped, never buffered), then on.
        c.sock.settimeout(30)
        c.raw_send(b'a4 ID ("k" "' + b'v' * (20 << 20) + b'")\r\n')
        r = imap_line(c, b'a4')
        assert r.startswith(b'a4 BAD') or r.startswith(b'* BAD'), r
        c.ok('NOOP')
        # A literal of 1 TB announced non-synchronising: it cannot be skipped: BYE.
        c.raw_send(b'a5 LOGIN {999999999999+}\r\n' + b'x' * 65536)
        r = imap_line(c, b'a5')
        assert r.startswith(b'* BYE') or r.startswith(b'a5 BAD'), r
        c.close()

        # IMAP after login: APPEND over APPENDLIMIT, synchronising and not.
        c = connect(loft, 'dave', DAVE_PW, source='127.0.0.3', timeout=20)
        c.raw_send(b'b1 APPEND INBOX {999999999999}\r\n')
        r = imap_line(c, b'b1')
        assert r.startswith(b'b1 NO [TOOBIG]') or r.startswith(b'b1 BAD'), r
        c.raw_send(b'b2 APPEND INBOX {%d}\r\n' % (limit + 1))
        r = imap_line(c, b'b2')
        assert r.startswith(b'b2 NO [TOOBIG]'), r
        c.raw_send(b'b3 APPEND INBOX {%d+}\r\n' % len(big) + big + b'\r\n')
        r = imap_line(c, b'b3')
        assert r.startswith(b'b3 NO') or r.startswith(b'b3 BAD') or r.startswith(b'* BYE'), r
        if r.startswith(b'* BYE'):
            c.close()
            c = connect(loft, 'dave', DAVE_PW, source='127.0.0.3', timeout=20)
        c.ok('SELECT INBOX')
        st, tagged, _ = c.status_of('FETCH 1:* ' + '(' * 5000 + 'FLAGS' + ')' * 5000)
        assert st == 'BAD', tagged.raw
        st, tagged, _ = c.status_of('SEARCH ' + 'OR ' * 20000 + 'ALL ' * 20001)
        assert st in ('BAD', 'NO'), tagged.raw
        c.logout()

        # POP3: over-long lines before and after login.
        p = Pop3Raw('127.0.0.1', loft.port('pop3'), source='127.0.0.4', timeout=20)
        for line in (b'USER ' + b'u' * (2 << 20), b'AUTH PLAIN ' + b'QUFB' * (1 << 19)):
            try:
                p.send(line + b'\r\n')
                r = p.readline()
            except (EOFError, OSError):
                r = b''
            assert r.startswith(b'-ERR') or r == b'', r[:100]
            if r == b'' or closed_now(p):
                p.close()
                p = Pop3Raw('127.0.0.1', loft.port('pop3'), source='127.0.0.4', timeout=20)
        p.login('dave', DAVE_PW)
        p.send(b'LIST ' + b'9' * (1 << 20) + b'\r\n')
        r = p.readline()
        assert r.startswith(b'-ERR'), r[:100]
        if not closed_now(p):
            assert p.cmd('STAT').startswith(b'+OK')
        p.close()

        # LMTP: an over-long command line, a SIZE over the limit, DATA over the limit.
        m = LmtpRaw('127.0.0.1', loft.port('lmtp'), source='127.0.0.5', timeout=20)
        assert m.cmd('LHLO attacker')[0] == 250
        code, _ = m.cmd('MAIL FROM:<' + 'a' * (1 << 20) + '@example.org>')
        assert 500 <= code < 600, code
        assert m.cmd('RSET')[0] == 250
        assert m.cmd('MAIL FROM:<a@example.org> SIZE=999999999999')[0] == 552
        assert m.cmd('MAIL FROM:<a@example.org>')[0] == 250
        assert m.cmd('RCPT TO:<dave@loft.test>')[0] == 250
        assert m.cmd('DATA')[0] == 354
        huge = b'Subject: huge\r\n\r\n' + b''.join(b'%07d ' % i + b'h' * 90 + b'\r\n' for i in range(50000))
        assert len(huge) > 4 * limit
        m.send(smtp_stuff(huge))
        code, text = m.reply()
        assert code == 552, (code, text)
        assert m.cmd('RSET')[0] == 250
        # 5 MB without a line end: refused or closed, never buffered.
        ok = send_ignoring_close(m.sock, b'z' * (5 << 20))
        out, closed = read_all(m.sock, quiet=3.0)
        assert closed or re.match(rb'^5\d\d ', out), (ok, closed, out[:200])
        m.close()
    good.check('oversized input')
    # Nothing refused was stored.
    c = connect(loft, 'dave', DAVE_PW)
    assert b'* 0 EXISTS' in b''.join(r.raw for r in c.ok('SELECT INBOX'))
    c.logout()
    check_memory(loft, rss, 'oversized input')


def test_many_uploads_at_once_share_a_bounded_memory(loft):
    """Messages being received are held in memory; limits.message_memory caps
    their sum over all sessions. Uploads beyond it are refused before their
    data (APPEND: NO [LIMIT]) or after it (LMTP: 452 4.3.1, retried later),
    and the room comes back when the uploads in progress are done."""
    size = 8_000_000
    install(loft, max_message_size='8M', message_memory='24M')
    loft.start('imap', 'lmtp')
    upload = b'Subject: big\r\n\r\n' + b''.join(b'%07d ' % i + b'u' * 90 + b'\r\n' for i in range(size // 100))
    upload = upload[:size - 2] + b'\r\n'
    assert len(upload) == size

    with RssSampler(loft) as rss, GoodClient(loft) as good:
        uploaders, refused = [], 0
        for i in range(10):
            c = connect(loft, 'dave', DAVE_PW, source='127.0.0.%d' % (10 + i), timeout=20)
            c.raw_send(b'u%d APPEND INBOX {%d}\r\n' % (i, size))
            r = c.read_response(timeout=20).raw
            if r.startswith(b'+'):
                c.raw_send(upload[:size // 2])  # half now, the rest later
                uploaders.append((i, c))
            else:
                assert r.startswith(b'u%d NO [LIMIT] ' % i), r
                refused += 1
                c.ok('NOOP')  # the session goes on
                c.logout()
        # 3 x 8 MB fit in 24 MiB, a fourth does not.
        assert len(uploaders) == 3 and refused == 7, (len(uploaders), refused)

        m = LmtpRaw('127.0.0.1', loft.port('lmtp'), source='127.0.0.30', timeout=20)
        assert m.cmd('LHLO mta')[0] == 250
        assert m.cmd('MAIL FROM:<a@example.org>')[0] == 250
        assert m.cmd('RCPT TO:<dave@loft.test>')[0] == 250
        assert m.cmd('DATA')[0] == 354
        small = message(99, size=2_000_000)
        m.send(smtp_stuff(small))
        code, text = m.reply()
        assert code == 452 and text[0].startswith('4.3.1 '), (code, text)

        for i, c in uploaders:
            c.raw_send(upload[size // 2:] + b'\r\n')
            r = imap_line(c, b'u%d' % i)
            assert r.startswith(b'u%d OK [APPENDUID ' % i), r
            c.logout()
        # The room is back: the refused delivery goes through on its retry.
        assert m.cmd('MAIL FROM:<a@example.org>')[0] == 250
        assert m.cmd('RCPT TO:<dave@loft.test>')[0] == 250
        assert m.cmd('DATA')[0] == 354
        m.send(smtp_stuff(small))
        code, text = m.reply()
        assert code == 250, (code, text)
        m.close()
    good.check('parallel uploads')
    c = connect(loft, 'dave', DAVE_PW)
    assert b'* 4 EXISTS' in b''.join(r.raw for r in c.ok('SELECT INBOX'))
    sizes = [r.raw for r in c.ok('FETCH 1:* RFC822.SIZE')]
    assert sum(b'RFC822.SIZE %d)' % size in x for x in sizes) == 3, sizes
    c.logout()
    check_memory(loft, rss, 'parallel uploads')


# ---- 6. garbage ------------------------------------------------------------------------------------------


NASTY = [b'\x00', b'\x00' * 17, b'\xff\xfe', b'\xc3\x28', b'\xc0\xaf', b'\xed\xa0\x80', b'\xf4\x90\x80\x80',
         b'\xe2\x82', b'\r', b'\r\n', b'\n', b'{', b'}', b'(', b')', b'"', b'\\', b'*', b'%', b'\x1b[2J', b' ']


def garbage(rnd, size):
    out = bytearray()
    while len(out) < size:
        k = rnd.random()
        if k < 0.4:
            out += rnd.randbytes(rnd.randint(1, 64))
        elif k < 0.9:
            out += rnd.choice(NASTY)
        else:
            out += bytes(rnd.randint(0x21, 0x7e) for _ in range(rnd.randint(1, 12)))
    return bytes(out[:size])


ALLOWED = {
    'imap': re.compile(rb'^(\* (BAD|BYE) |\+ |\S+ (BAD|NO) )'),
    'pop3': re.compile(rb'^-ERR'),
    'lmtp': re.compile(rb'^(5\d\d|421)[ -]'),
}
GREETING = {'imap': b'* OK', 'pop3': b'+OK', 'lmtp': b'220 '}


def test_garbage_bytes_on_every_protocol(loft):
    install(loft)
    loft.start('imap', 'pop3', 'lmtp', 'imaps', 'pop3s')
    results = []
    lock = threading.Lock()

    def attacker(proto, n, source):
        """At least n connections, and for at least 3 s."""
        t0 = time.monotonic()
        i = -1
        while i + 1 < n or time.monotonic() - t0 < 3.0:
            i += 1
            s = raw_connect(loft.port(proto), source=source)
            payload = garbage(random.Random('%s-%d' % (proto, i)), 48 * 1024)
            if proto in ('imaps', 'pop3s'):
                send_ignoring_close(s, payload)
                out, closed = read_all(s, quiet=3.0)
                with lock:
                    results.append((proto, i, out, closed))
                s.close()
                continue
            greeting = first_line(s)
            sender = threading.Thread(target=send_ignoring_close, args=(s, payload), daemon=True)
            sender.start()
            out, closed = read_all(s, quiet=2.0)
            sender.join(10)
            with lock:
                results.append((proto, i, greeting + out, closed))
            s.close()

    with RssSampler(loft) as rss, GoodClient(loft) as good:
        threads = [threading.Thread(target=attacker, args=(p, 8, '127.0.0.%d' % (2 + k)))
                   for k, p in enumerate(('imap', 'pop3', 'lmtp', 'imaps', 'pop3s'))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    good.check('garbage')
    assert len(results) >= 40, len(results)
    stats = {}
    for proto, i, out, closed in results:
        stats.setdefault(proto, [0, 0, 0])
        stats[proto][0] += 1
        stats[proto][1] += closed
        if proto in ('imaps', 'pop3s'):
            # Not a TLS handshake: closed, greeting_only in the clear.
            assert closed, (proto, i, out[:100])
            assert not out.startswith(b'* OK') and not out.startswith(b'+OK'), (proto, i, out[:100])
            continue
        lines = out.split(b'\r\n')
        assert lines[0].startswith(GREETING[proto]), (proto, i, lines[0])
        answers = [x for x in lines[1:] if x]
        stats[proto][2] += len(answers)
        bad = [x for x in answers if not ALLOWED[proto].match(x)]
        assert not bad, '%s #%d: unexpected answers to garbage: %r' % (proto, i, bad[:5])
        assert b'\x00' not in out, '%s #%d: a NUL in the answers' % (proto, i)
        # 48 KB of garbage is more than enough bad commands in a row to be
        # disconnected (IMAP 20, POP3 and LMTP 10, as Dovecot).
        # (The last answer, BYE / -ERR / 421, may be lost to the reset that
        # closing a socket with unread garbage in it causes.)
        assert answers and closed, '%s #%d: answered %d lines, closed: %s' % (proto, i, len(answers), closed)
    print('garbage: %s (connections, closed by the server, answer lines)' % stats)
    check_memory(loft, rss, 'garbage')


# ---- 7. TLS -----------------------------------------------------------------------------------------------


def tls_handshake(port, version, ciphers=None, starttls=False):
    """(negotiated version, cipher name) or (None, error text)."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.minimum_version = version
        ctx.maximum_version = version
        if ciphers:
            ctx.set_ciphers(ciphers)
    s = raw_connect(port)
    try:
        if starttls:
            assert first_line(s).startswith(b'* OK')
            s.sendall(b's STARTTLS\r\n')
            assert first_line(s).startswith(b's OK')
        ss = ctx.wrap_socket(s)
        v, c = ss.version(), ss.cipher()[0]
        ss.close()
        return v, c
    except (ssl.SSLError, ConnectionResetError) as e:
        return None, str(e)
    finally:
        s.close()


AEAD_TLS12 = {'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305',
              'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305'}
TLS13 = {'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'}
WEAK = ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA', 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE-ECDSA-AES256-SHA384',
        'AES128-GCM-SHA256', 'AES256-SHA', 'ECDHE-ECDSA-AES128-CCM8', 'ECDHE-ECDSA-CAMELLIA128-SHA256',
        'ECDHE-ECDSA-ARIA128-GCM-SHA256', 'ECDHE-ECDSA-NULL-SHA', 'DES-CBC3-SHA', 'ECDHE-ECDSA-RC4-SHA',
        'EXP-RC4-MD5', 'ADH-AES128-GCM-SHA256', 'AECDH-AES128-SHA']


def test_tls_only_1_2_and_up_with_aead_ciphers(loft):
    install(loft, messages=0)
    loft.start('imap', 'imaps', 'pop3s')
    V = ssl.TLSVersion
    tried = []
    for name, port, starttls in (('imaps', loft.port('imaps'), False), ('pop3s', loft.port('pop3s'), False),
                                 ('imap STARTTLS', loft.port('imap'), True)):
        for old in (V.TLSv1, V.TLSv1_1):
            v, err = tls_handshake(port, old, 'ALL:@SECLEVEL=0', starttls)
            assert v is None, '%s accepted %s (%s)' % (name, old, err)
            assert 'PROTOCOL_VERSION' in err or 'UNSUPPORTED_PROTOCOL' in err, (name, old, err)
        v, c = tls_handshake(port, V.TLSv1_2, starttls=starttls)
        assert v == 'TLSv1.2' and c in AEAD_TLS12, (name, v, c)
        v, c = tls_handshake(port, V.TLSv1_3, starttls=starttls)
        assert v == 'TLSv1.3' and c in TLS13, (name, v, c)
        for cipher in WEAK:
            try:
                v, err = tls_handshake(port, V.TLSv1_2, cipher + ':@SECLEVEL=0', starttls)
            except ssl.SSLError:
                continue  # this client's OpenSSL cannot offer it at all
            tried.append(cipher)
            assert v is None, '%s accepted the weak cipher %s' % (name, cipher)
    assert len(set(tried)) >= 8, tried
    # The server still serves normally afterwards.
    c = connect(loft, 'carol', GOOD_PW, listener='imaps')
    c.ok('SELECT INBOX')
    c.logout()
