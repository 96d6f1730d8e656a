"""A small raw IMAP client for Loft's integration tests: tagged commands,
untagged responses kept as exact bytes (literals read by their announced
length), a parser for response data, and timeouts everywhere.

Python standard library only.
"""

import re
import socket
import ssl
import time

from loftlib import LineClient

LITERAL_AT_END = re.compile(rb'\{(\d+)(\+?)\}\r\n$')


class ImapError(AssertionError):
    pass


class Response(object):
    """One server response: `raw` is the exact bytes (CRLFs and literals
    included); `line` is raw with the literals cut out (their bytes are in
    `literals`, in order)."""

    def __init__(self, raw, literals):
        self.raw = raw
        self.literals = literals

    @property
    def text(self):
        return self.raw.decode('utf-8', 'replace')

    def __repr__(self):
        return 'Response(%r)' % self.raw

    def tokens(self):
        return parse(self.raw)


class Imap(LineClient):
    """A raw IMAP connection."""

    def __init__(self, host, port, timeout=15.0, tls=None, **kw):
        self.counter = 0
        self.log = []  # (direction, bytes) for failure reports
        LineClient.__init__(self, host, port, timeout=timeout, tls=tls, **kw)
        self.greeting = self.read_response()

    # ---- reading -------------------------------------------------------------

    def read_response(self, timeout=None):
        """One complete response (a line plus any literals it announces)."""
        if timeout is not None:
            self.sock.settimeout(timeout)
        try:
            raw = bytearray()
            literals = []
            while True:
                line = self.readline(limit=1 << 24)
                raw += line
                m = LITERAL_AT_END.search(line)
                if not m:
                    break
                n = int(m.group(1))
                while len(self.buf) < n:
                    self.fill()
                lit = bytes(self.buf[:n])
                del self.buf[:n]
                raw += lit
                literals.append(lit)
            r = Response(bytes(raw), literals)
            self.log.append(('S', r.raw))
            return r
        finally:
            if timeout is not None:
                self.sock.settimeout(15.0)

    def poll(self, wait=0.3):
        """Untagged responses that arrive within `wait` seconds."""
        out = []
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0 and not self.buf:
                return out
            try:
                out.append(self.read_response(timeout=max(left, 0.001)))
            except socket.timeout:
                return out

    # ---- writing -------------------------------------------------------------

    def next_tag(self):
        self.counter += 1
        return 'T%03d' % self.counter

    def raw_send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.log.append(('C', data))
        self.send(data)

    def command(self, cmd, *literals, tag=None, sync=True):
        """Sends `tag cmd`; every `{}` placeholder in cmd (bytes or str) is
        replaced by a literal from `literals` (synchronizing unless sync is
        False, then LITERAL+). Returns (tagged Response, [untagged Response]).
        Continuation requests for literals are consumed here."""
        tag = tag or self.next_tag()
        if isinstance(cmd, str):
            cmd = cmd.encode()
        parts = cmd.split(b'{}')
        assert len(parts) == len(literals) + 1, 'placeholders and literals differ'
        untagged = []
        out = tag.encode() + b' ' + parts[0]
        for lit, rest in zip(literals, parts[1:]):
            if isinstance(lit, str):
                lit = lit.encode()
            if sync:
                self.raw_send(out + b'{%d}\r\n' % len(lit))
                while True:
                    r = self.read_response()
                    if r.raw.startswith(b'+'):
                        break
                    if r.raw.startswith(tag.encode() + b' '):
                        return r, untagged
                    untagged.append(r)
                out = lit + rest
            else:
                out += b'{%d+}\r\n' % len(lit) + lit + rest
        self.raw_send(out + b'\r\n')
        return self.finish(tag, untagged)

    def finish(self, tag, untagged=None):
        untagged = [] if untagged is None else untagged
        t = tag.encode() + b' '
        while True:
            r = self.read_response()
            if r.raw.startswith(t):
                return r, untagged
            untagged.append(r)

    def ok(self, cmd, *literals, **kw):
        """command() that must end in OK; returns the untagged responses."""
        tagged, untagged = self.command(cmd, *literals, **kw)
        status = tagged.raw.split(b' ', 2)[1:2]
        if status != [b'OK']:
            raise ImapError('%s -> %r\nuntagged: %r' % (cmd, tagged.raw, [u.raw for u in untagged]))
        self.last_tagged = tagged
        return untagged

    def status_of(self, cmd, *literals, **kw):
        """('OK'|'NO'|'BAD', tagged Response, untagged)."""
        tagged, untagged = self.command(cmd, *literals, **kw)
        return tagged.raw.split(b' ', 2)[1].decode(), tagged, untagged

    def login(self, user, password):
        return self.ok('LOGIN %s %s' % (quote(user), quote(password)))

    def logout(self):
        try:
            self.command('LOGOUT')
        finally:
            self.close()

    def transcript(self, last=40):
        out = []
        for d, b in self.log[-last:]:
            out.append('%s: %s' % (d, b.decode('utf-8', 'replace').rstrip('\r\n')))
        return '\n'.join(out)


def quote(s):
    return '"' + s.replace('\\', '\\\\').replace('"', '\\"') + '"'


def connect(loft, user=None, password=None, listener='imap', **kw):
    tls = None
    if listener == 'imaps':
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        tls = ctx
    c = Imap('127.0.0.1', loft.port(listener), tls=tls, **kw)
    if user:
        c.login(user, password if password is not None else loft.passwords[user])
    return c


# ---- parsing ------------------------------------------------------------------------

ATOM_END = set(b' ()\r\n')


class Atom(str):
    pass


def parse(raw):
    """Response bytes -> list of tokens: Atom (str) for atoms (a `[...]`
    section inside an atom, spaces and all, is part of it), bytes for quoted
    strings and literals, None for NIL, lists for parenthesized lists."""
    pos = 0
    stack = [[]]
    n = len(raw)
    while pos < n:
        c = raw[pos]
        if c in (0x20, 0x0d, 0x0a):
            pos += 1
        elif c == 0x28:  # (
            stack.append([])
            pos += 1
        elif c == 0x29:  # )
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif c == 0x22:  # "
            pos += 1
            out = bytearray()
            while raw[pos] != 0x22:
                if raw[pos] == 0x5c:
                    pos += 1
                out.append(raw[pos])
                pos += 1
            pos += 1
            stack[-1].append(bytes(out))
        elif c == 0x7b:  # {n}\r\n literal
            m = re.compile(rb'\{(\d+)\+?\}\r\n').match(raw, pos)
            assert m, raw[pos:pos + 20]
            ln = int(m.group(1))
            start = m.end()
            stack[-1].append(raw[start:start + ln])
            pos = start + ln
        elif c == 0x7e and raw[pos + 1:pos + 2] == b'{':  # ~{n} literal8
            pos += 1
        else:
            start = pos
            depth = 0
            while pos < n:
                ch = raw[pos]
                if ch == 0x5b:
                    depth += 1
                elif ch == 0x5d:
                    depth -= 1
                elif depth == 0 and ch in ATOM_END:
                    break
                pos += 1
            a = raw[start:pos].decode('utf-8', 'replace')
            stack[-1].append(None if a.upper() == 'NIL' else Atom(a))
    assert len(stack) == 1, 'unbalanced parentheses in %r' % raw
    return stack[0]


def pairs(lst):
    """(K1 v1 K2 v2) -> {K1.upper(): v1, ...}."""
    return {str(lst[i]).upper(): lst[i + 1] for i in range(0, len(lst), 2)}


def fetches(responses):
    """Untagged FETCH responses -> list of (seq, {ITEM: value})."""
    out = []
    for r in responses:
        t = r.tokens()
        if len(t) >= 4 and t[0] == '*' and str(t[2]).upper() == 'FETCH':
            out.append((int(t[1]), pairs(t[3])))
    return out


def fetch_map(responses):
    """{seq: {ITEM: value}}, items of several FETCH responses for one seq merged."""
    out = {}
    for seq, items in fetches(responses):
        out.setdefault(seq, {}).update(items)
    return out


def untagged_numbers(responses, word):
    """Numbers n of `* n WORD` responses, in order (EXISTS, EXPUNGE, RECENT)."""
    out = []
    for r in responses:
        m = re.match(rb'\* (\d+) ' + word.encode() + rb'\r\n', r.raw, re.I)
        if m:
            out.append(int(m.group(1)))
    return out


def find(responses, prefix):
    """Untagged responses whose raw bytes start with `prefix` (case-insensitive)."""
    p = prefix.encode().lower() if isinstance(prefix, str) else prefix.lower()
    return [r for r in responses if r.raw[:len(p)].lower() == p]


def resp_code(response, name):
    """The argument of a [NAME args] response code in a response, or None."""
    m = re.search(rb'\[' + name.encode() + rb'(?: ([^\]]*))?\]', response.raw, re.I)
    if not m:
        return None
    return (m.group(1) or b'').decode()


def search_numbers(responses):
    out = []
    for r in find(responses, '* SEARCH'):
        # RFC 7162 3.1.5: "* SEARCH 2 5 (MODSEQ 917)" - the numbers before the parenthesis
        out += [int(x) for x in r.raw[len(b'* SEARCH'):].split(b'(')[0].split()]
    return out


def flags_set(value):
    return set(str(f) for f in value)


# ---- a session that tracks sequence numbers -------------------------------------------------

NO_EXPUNGE_DURING = ('FETCH', 'STORE', 'SEARCH')  # RFC 3501 7.4.1 (not their UID forms)


class ModelError(AssertionError):
    pass


class Tracked(object):
    """An Imap connection with a mailbox model: `uids[seq-1]` is the UID of
    message seq (None until learnt), `flags` maps UID -> set. Every untagged
    response is checked against the model as it arrives:
    - `* n EXPUNGE` needs 1 <= n <= count and is never sent during FETCH,
      STORE or SEARCH (only their UID forms);
    - `* n EXISTS` never shrinks the mailbox;
    - `* n FETCH` needs n <= count, and a UID that agrees with what is known
      for n, and UIDs rise with sequence numbers; a new UID is above every
      UID seen before."""

    def __init__(self, conn, name='session'):
        self.c = conn
        self.name = name
        self.uids = []
        self.flags = {}
        self.max_uid = 0
        self.gone = set()
        self.events = []  # (monotonic time, raw) for reports

    def fail(self, msg):
        raise ModelError('%s: %s\n--- transcript ---\n%s' % (self.name, msg, self.c.transcript(60)))

    def count(self):
        return len(self.uids)

    def apply(self, responses, command=''):
        verb = command.split(' ', 1)[0].upper()
        for r in responses:
            self.events.append((time.monotonic(), r.raw))
            m = re.match(rb'\* (\d+) (EXISTS|EXPUNGE|FETCH|RECENT)\b', r.raw, re.I)
            if m:
                n, what = int(m.group(1)), m.group(2).upper()
                if what == b'EXISTS':
                    if n < self.count():
                        self.fail('EXISTS %d below the known count %d' % (n, self.count()))
                    self.uids += [None] * (n - self.count())
                elif what == b'EXPUNGE':
                    if verb in NO_EXPUNGE_DURING:
                        self.fail('EXPUNGE sent during %s' % command)
                    if not 1 <= n <= self.count():
                        self.fail('EXPUNGE %d with %d messages' % (n, self.count()))
                    uid = self.uids.pop(n - 1)
                    self.flags.pop(uid, None)
                    self.gone.add(uid)
                elif what == b'FETCH':
                    self.apply_fetch(n, r)
                continue
            if r.raw.upper().startswith(b'* VANISHED'):
                self.fail('VANISHED without QRESYNC: %r' % r.raw)

    def apply_fetch(self, n, r):
        if not 1 <= n <= self.count():
            self.fail('FETCH for %d with %d messages: %r' % (n, self.count(), r.raw))
        d = pairs(r.tokens()[3])
        if 'UID' in d:
            uid = int(d['UID'])
            known = self.uids[n - 1]
            if known is None:
                if uid in self.gone:
                    self.fail('UID %d reused after its message was expunged' % uid)
                self.uids[n - 1] = uid
            elif known != uid:
                self.fail('FETCH %d says UID %d, the model says %d' % (n, uid, known))
            before = [u for u in self.uids[:n - 1] if u is not None]
            after = [u for u in self.uids[n:] if u is not None]
            if (before and before[-1] >= uid) or (after and after[0] <= uid):
                self.fail('UIDs not rising at %d: %r' % (n, self.uids))
            self.max_uid = max(self.max_uid, uid)
        uid = self.uids[n - 1]
        if 'FLAGS' in d and uid is not None:
            self.flags[uid] = flags_set(d['FLAGS'])

    def run(self, command, *literals, expect=('OK',)):
        tagged, untagged = self.c.command(command, *literals)
        self.apply(untagged, command)
        st = tagged.raw.split(b' ', 2)[1].decode()
        if st not in expect:
            self.fail('%s -> %r' % (command, tagged.raw))
        return st, tagged, untagged

    def select(self, mailbox='INBOX'):
        self.uids = []
        self.flags = {}
        self.run('SELECT ' + mailbox)
        self.sync_uids()

    def sync_uids(self):
        """FETCH 1:* (UID FLAGS), then every sequence number must be known."""
        count = self.count()
        if count == 0:
            return []
        st, tagged, untagged = self.run('FETCH 1:* (UID FLAGS)')
        seen = sorted(set(n for n, _ in fetches(untagged)))
        if seen[:count] != list(range(1, count + 1)):
            self.fail('FETCH 1:* with %d messages answered for %r' % (count, seen))
        return untagged
