"""kill -9 of the server at random moments during IMAP APPEND, COPY, MOVE,
STORE and EXPUNGE and POP3 DELE+QUIT, a couple of hundred times in one run.

One driver does the changes one command at a time and keeps a model of
what the server has acknowledged. A timer kills the server at a random
moment; the driver's command in flight then has an unknown outcome. After
the restart the driver reads back the whole state and checks that:
- every acknowledged change is there (no message lost, flags kept);
- the command in flight happened completely or not at all (a COPY or
  MOVE of a set, a STORE of a set, an EXPUNGE of a set, a POP3 QUIT);
- no message appears twice and no UID is ever given to a second message;
- UIDVALIDITY never changes;
- every message's bytes and RFC822.SIZE are those that were appended, and
  each mailbox directory holds exactly one file per message (the index
  agrees with the files).
Then the read-back state becomes the model and the changes go on.
"""

import imaplib
import warnings
import os
import math
import random
import re
import threading
import time

import pytest

from loftlib import LmtpRaw, Pop3Raw, pop3_unstuff, smtp_stuff

IMAP_USER, IMAP_PW = 'carol', 'carol-crash-pw'
POP_USER, POP_PW = 'dave', 'dave-crash-pw'
MAILBOXES = ('INBOX', 'Crashbox')
N_KILLS = int(os.environ.get('LOFT_CRASH_KILLS', '200'))
DEADLINE = 240.0  # seconds for the whole run
MAX_PER_MAILBOX = 40  # the driver expunges more when a mailbox grows past this
KEYWORDS = ('$Label1', 'Work', '$Junk')


class Interrupted(Exception):
    """The server went away in the middle of a command."""


def message_for(xid, rnd):
    body = b''.join(b'line %d of %s: %s\r\n' % (k, xid.encode(), b'x' * rnd.randrange(0, 70))
                    for k in range(rnd.randrange(1, 40)))
    return (b'X-Crash-Id: %s\r\nFrom: crash@example.org\r\nTo: carol@loft.test\r\n'
            b'Subject: crash %s\r\nMessage-ID: <%s@example.org>\r\n\r\n' % (
                xid.encode(), xid.encode(), xid.encode())) + body


# ---- IMAP -----------------------------------------------------------------------


def imap_connect(port):
    c = imaplib.IMAP4('127.0.0.1', port, timeout=20)
    c.login(IMAP_USER, IMAP_PW)
    return c


def checked(typ, data, what):
    assert typ == 'OK', '%s: %s %r' % (what, typ, data)
    return data


def imap_call(fn, *args):
    """Runs one imaplib call; a vanished server becomes Interrupted."""
    try:
        return fn(*args)
    except (imaplib.IMAP4.abort, OSError, EOFError) as e:
        raise Interrupted(repr(e))


def uidvalidity(c, mailbox):
    typ, data = c.status(mailbox, '(UIDVALIDITY)')
    checked(typ, data, 'STATUS ' + mailbox)
    return int(re.search(rb'UIDVALIDITY (\d+)', data[0]).group(1))


FETCH_RE = re.compile(rb'UID (\d+)|FLAGS \(([^)]*)\)|RFC822\.SIZE (\d+)')


def read_mailbox(c, mailbox, contents):
    """{uid: (xid, flags)} of the mailbox, checking each message's bytes."""
    checked(*c.select(mailbox), what='SELECT ' + mailbox)
    typ, data = c.uid('FETCH', '1:*', '(UID FLAGS RFC822.SIZE BODY.PEEK[])')
    checked(typ, data, 'FETCH ' + mailbox)
    out = {}
    problems = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        head, body = item
        uid = size = None
        flags = ()
        for m in FETCH_RE.finditer(head):
            if m.group(1):
                uid = int(m.group(1))
            elif m.group(3):
                size = int(m.group(3))
            else:
                flags = m.group(2).decode()
        m = re.match(rb'X-Crash-Id: (\S+)\r\n', body)
        if uid is None or m is None:
            problems.append('%s: unreadable FETCH item %r' % (mailbox, head[:200]))
            continue
        xid = m.group(1).decode()
        if body != contents.get(xid):
            problems.append('%s uid %d: bytes differ from %s as appended' % (mailbox, uid, xid))
        if size != len(body):
            problems.append('%s uid %d: RFC822.SIZE %s but %d octets' % (mailbox, uid, size, len(body)))
        out[uid] = (xid, frozenset(f for f in flags.split() if f != '\\Recent'))
    assert not problems, '\n'.join(problems[:20])
    return out


# ---- POP3 -----------------------------------------------------------------------


def pop_lines(p, command):
    first, wire = p.multi(command)
    assert first.startswith(b'+OK'), '%s: %r' % (command, first)
    return pop3_unstuff(wire)


def pop_uidls(p):
    """{uidl: message number}"""
    return {line.split()[1]: int(line.split()[0]) for line in pop_lines(p, 'UIDL').decode().splitlines() if line}


def pop_read(port, contents):
    """{uidl: xid} of the maildrop, with each message checked whole."""
    p = Pop3Raw('127.0.0.1', port, timeout=20)
    try:
        p.login(POP_USER, POP_PW)
        out = {}
        for uidl, n in pop_uidls(p).items():
            data = p.retr(n)
            m = re.search(rb'X-Crash-Id: (\S+)\r\n', data)
            assert m, 'maildrop message %s has no X-Crash-Id: %r' % (uidl, data[:200])
            xid = m.group(1).decode()
            assert data.endswith(contents[xid]), 'maildrop message %s differs from %s' % (uidl, xid)
            out[uidl] = xid
        p.quit()
        return out
    finally:
        p.close()


# ---- the run ----------------------------------------------------------------------


class Run(object):
    def __init__(self, loft, rnd):
        self.loft, self.rnd = loft, rnd
        self.contents = {}  # xid -> bytes as appended
        self.model = {mb: {} for mb in MAILBOXES}  # acknowledged: uid -> (xid, flags)
        self.ever = {mb: {} for mb in MAILBOXES}  # every uid seen: uid -> xid
        self.validity = {}
        self.drop = {}  # POP_USER's maildrop: uidl -> xid
        self.drop_ever = {}
        self._in_flight = None  # (kind, where, [the command done whole]) of the command in progress
        self.kill_after = None  # a kill is armed when this many more commands have started
        self.victim = None
        self.timer = None
        self.drop_pending_xids = set()  # delivered to POP_USER (250) but not yet seen in the maildrop
        self.next_id = 0
        self.stats = {'cycles': 0, 'interrupted': {}, 'ops': {}}
        self.imap = None

    @property
    def in_flight(self):
        return self._in_flight

    @in_flight.setter
    def in_flight(self, value):
        """Set just before a command is sent: that is when an armed kill fires,
        a few milliseconds later, so that it lands inside the command."""
        self._in_flight = value
        if value is not None and self.kill_after is not None:
            self.kill_after -= 1
            if self.kill_after < 0:
                self.kill_after = None
                # Log-uniform from 20 us to 4 ms: a quick command (a POP3
                # QUIT answers in well under a millisecond) is cut off as
                # often as a slow one, rather than mostly after its answer.
                delay = math.exp(self.rnd.uniform(math.log(0.00002), math.log(0.004)))
                self.timer = threading.Timer(delay, self.victim.kill)
                self.timer.start()

    def new_xid(self, prefix):
        self.next_id += 1
        xid = '%s%06d' % (prefix, self.next_id)
        self.contents[xid] = message_for(xid, self.rnd)
        return xid

    # -- IMAP changes, each updating the model only once acknowledged --

    def op_append(self):
        mb = self.rnd.choice(MAILBOXES)
        xid = self.new_xid('a')
        flags = self.rnd.choice(['', '\\Seen', '\\Flagged $Label1'])
        before = self.model[mb]
        self.in_flight = ('APPEND', mb, [('append', mb, xid, flags)])
        typ, data = imap_call(self.imap.append, mb, '(%s)' % flags if flags else None, None, self.contents[xid])
        checked(typ, data, 'APPEND')
        uid = int(re.search(rb'APPENDUID \d+ (\d+)', data[0]).group(1))
        assert uid > max(self.ever[mb], default=0), 'APPEND to %s gave uid %d again' % (mb, uid)
        before[uid] = (xid, frozenset(flags.split()))
        self.ever[mb][uid] = xid

    def select(self, mb):
        checked(*imap_call(self.imap.select, mb), what='SELECT ' + mb)

    def some_uids(self, mb, k):
        uids = sorted(self.model[mb])
        return sorted(self.rnd.sample(uids, min(k, len(uids))))

    def op_store(self):
        mb = self.rnd.choice(MAILBOXES)
        uids = self.some_uids(mb, self.rnd.randint(1, 6))
        if not uids:
            return self.op_append()
        sign = self.rnd.choice('+-')
        flags = frozenset(self.rnd.sample(['\\Seen', '\\Flagged', '\\Answered', '\\Deleted'] + list(KEYWORDS),
                                          self.rnd.randint(1, 3)))
        self.select(mb)
        self.in_flight = ('STORE', mb, [('store', mb, uids, sign, flags)])
        typ, data = imap_call(self.imap._simple_command, 'UID', 'STORE', ','.join(map(str, uids)),
                              sign + 'FLAGS.SILENT', '(%s)' % ' '.join(sorted(flags)))
        checked(typ, data, 'STORE')
        apply_store(self.model, mb, uids, sign, flags)

    def op_copy_or_move(self, verb):
        src = self.rnd.choice(MAILBOXES)
        dst = [m for m in MAILBOXES if m != src][0]
        uids = self.some_uids(src, self.rnd.randint(1, 5))
        if not uids:
            return self.op_append()
        self.select(src)
        self.in_flight = (verb, src, [(verb.lower(), src, dst, uids)])
        self.imap.untagged_responses.pop('OK', None)
        typ, data = imap_call(self.imap._simple_command, 'UID', verb, ','.join(map(str, uids)), dst)
        checked(typ, data, verb)
        text = b' '.join(d for d in data if isinstance(d, bytes))
        if verb == 'MOVE':
            text += b' '.join(r for r in self.imap.untagged_responses.pop('OK', []) if isinstance(r, bytes))
        m = re.search(rb'COPYUID \d+ ([\d:,]+) ([\d:,]+)', text)
        assert m, '%s answered without COPYUID: %r' % (verb, data)
        new = expand(m.group(2))
        assert expand(m.group(1)) == uids and len(new) == len(uids), '%s COPYUID %r for %r' % (verb, m.group(0), uids)
        for old, uid in zip(uids, new):
            assert uid > max(self.ever[dst], default=0), '%s gave uid %d again' % (verb, uid)
            xid, flags = self.model[src][old]
            self.model[dst][uid] = (xid, flags)
            self.ever[dst][uid] = xid
            if verb == 'MOVE':
                del self.model[src][old]

    def op_expunge(self):
        mb = self.rnd.choice(MAILBOXES)
        many = len(self.model[mb]) > MAX_PER_MAILBOX
        uids = self.some_uids(mb, self.rnd.randint(5, 15) if many else self.rnd.randint(1, 4))
        if not uids:
            return self.op_append()
        self.select(mb)
        # Mark, then expunge just those: \Deleted is acknowledged first.
        self.in_flight = ('STORE', mb, [('store', mb, uids, '+', frozenset(['\\Deleted']))])
        typ, data = imap_call(self.imap._simple_command, 'UID', 'STORE', ','.join(map(str, uids)), '+FLAGS.SILENT',
                              '(\\Deleted)')
        checked(typ, data, 'STORE \\Deleted')
        apply_store(self.model, mb, uids, '+', frozenset(['\\Deleted']))
        self.in_flight = ('EXPUNGE', mb, [('expunge', mb, uids)])
        typ, data = imap_call(self.imap._simple_command, 'UID', 'EXPUNGE', ','.join(map(str, uids)))
        checked(typ, data, 'UID EXPUNGE')
        for uid in uids:
            del self.model[mb][uid]

    # -- POP3: delivery by LMTP, download-and-delete by DELE + QUIT --

    def op_lmtp(self):
        xid = self.new_xid('l')
        c = None
        try:
            c = LmtpRaw('127.0.0.1', self.loft.port('lmtp'), timeout=20)
            assert c.greeting[0] == 220 and c.cmd('LHLO crash')[0] == 250
            assert c.cmd('MAIL FROM:<crash@example.org>')[0] == 250
            assert c.cmd('RCPT TO:<%s@loft.test>' % POP_USER)[0] == 250
            assert c.cmd('DATA')[0] == 354
            self.in_flight = ('LMTP', POP_USER, [('deliver', xid)])
            c.send(smtp_stuff(self.contents[xid]))
            code, text = c.reply()
            assert code == 250, 'LMTP DATA: %d %s' % (code, text)
            self.drop_pending_xids.add(xid)
        except (OSError, EOFError) as e:
            raise Interrupted(repr(e))
        finally:
            if c is not None:
                c.close()

    def op_pop3_quit(self):
        if not self.drop and not self.drop_pending_xids:
            return self.op_lmtp()
        p = None
        try:
            p = Pop3Raw('127.0.0.1', self.loft.port('pop3'), timeout=20)
            p.login(POP_USER, POP_PW)
            numbers = pop_uidls(p)
            # Messages delivered since the last read-back are learnt here.
            self.learn_drop(p, numbers)
            dele = self.rnd.sample(sorted(numbers), min(len(numbers), self.rnd.randint(1, 4)))
            for uidl in dele:
                r = p.cmd('DELE %d' % numbers[uidl])
                assert r.startswith(b'+OK'), 'DELE: %r' % r
            self.in_flight = ('QUIT', POP_USER, [('pop_delete', dele)])
            r = p.cmd('QUIT')
            assert r.startswith(b'+OK'), 'QUIT: %r' % r
            for uidl in dele:
                del self.drop[uidl]
        except (OSError, EOFError) as e:
            raise Interrupted(repr(e))
        finally:
            if p is not None:
                p.close()

    def learn_drop(self, p, numbers):
        for uidl, n in numbers.items():
            if uidl in self.drop:
                continue
            head = pop_lines(p, 'TOP %d 0' % n)
            xid = re.search(rb'X-Crash-Id: (\S+)', head).group(1).decode()
            assert xid in self.drop_pending_xids, 'maildrop message %s (%s) was never acknowledged' % (uidl, xid)
            assert self.drop_ever.setdefault(uidl, xid) == xid, 'UIDL %s given to a second message' % uidl
            self.drop_pending_xids.discard(xid)
            self.drop[uidl] = xid

    # -- the loop --

    OPS = (('APPEND', 'op_append', 5), ('STORE', 'op_store', 5), ('COPY', None, 2), ('MOVE', None, 2),
           ('EXPUNGE', 'op_expunge', 3), ('LMTP', 'op_lmtp', 2), ('QUIT', 'op_pop3_quit', 2))

    def one_op(self):
        names = [n for n, _, _ in self.OPS]
        weights = [w for _, _, w in self.OPS]
        name = self.rnd.choices(names, weights)[0]
        self.in_flight = None
        if name in ('COPY', 'MOVE'):
            self.op_copy_or_move(name)
        else:
            getattr(self, dict((n, f) for n, f, _ in self.OPS)[name])()
        self.in_flight = None
        self.stats['ops'][name] = self.stats['ops'].get(name, 0) + 1

    def read_back(self):
        """Reads the whole state after a restart and checks it against the
        model and the command that was cut off; it becomes the model."""
        c = imap_connect(self.loft.port('imap'))
        try:
            actual = {}
            for mb in MAILBOXES:
                v = uidvalidity(c, mb)
                assert self.validity.setdefault(mb, v) == v, 'UIDVALIDITY of %s changed' % mb
                actual[mb] = read_mailbox(c, mb, self.contents)
            c.logout()
        finally:
            try:
                c.shutdown()
            except OSError:
                pass
        candidates = [self.model]
        if self.in_flight is not None:
            candidates += [after(self.model, alt) for alt in self.in_flight[2]]
        self.check_imap(actual, candidates)
        self.model = actual
        for mb in MAILBOXES:
            for uid, (xid, _) in actual[mb].items():
                assert self.ever[mb].setdefault(uid, xid) == xid, '%s uid %d given to a second message' % (mb, uid)
            # Files of cut-off changes may stay as invisible orphans until
            # they are old enough for the housekeeping (see the end).
            files = len(self.loft_files(mb))
            assert files >= len(actual[mb]), '%s: %d files for %d messages' % (mb, files, len(actual[mb]))
        self.check_drop()

    def loft_files(self, mb):
        cur = os.path.join(self.loft.maildir(IMAP_USER, None if mb == 'INBOX' else mb), 'cur')
        return [os.path.join(cur, n) for n in os.listdir(cur)]

    def check_imap(self, actual, candidates):
        fl = self.in_flight
        for want in candidates:
            if all(same_mailbox(actual[mb], want[mb], self.ever[mb]) for mb in MAILBOXES):
                return
        raise AssertionError('state after restart matches neither the acknowledged state nor the command '
                             'in flight (%r) done whole:\n%s' % (fl and fl[:2], describe_diff(actual, self.model)))

    def check_drop(self):
        actual = pop_read(self.loft.port('pop3'), self.contents)
        fl = self.in_flight
        pending = set(self.drop_pending_xids)
        if fl and fl[0] == 'LMTP':
            pending.add(fl[2][0][1])
        maybe_gone = set(fl[2][0][1]) if fl and fl[0] == 'QUIT' else set()
        for uidl, xid in self.drop.items():
            if uidl not in actual:
                assert uidl in maybe_gone, 'maildrop lost acknowledged message %s (%s)' % (uidl, xid)
            else:
                assert actual[uidl] == xid, 'UIDL %s now names %s, not %s' % (uidl, actual[uidl], xid)
        gone = maybe_gone - set(actual)
        assert not gone or gone == maybe_gone, 'QUIT half done: %r of %r deleted' % (sorted(gone), sorted(maybe_gone))
        missing = self.drop_pending_xids - set(actual.values())
        assert not missing, 'maildrop lost acknowledged deliveries %r' % sorted(missing)
        new = {u: x for u, x in actual.items() if u not in self.drop}
        for uidl, xid in new.items():
            assert xid in pending, 'maildrop holds %s (%s), never delivered' % (uidl, xid)
            assert self.drop_ever.setdefault(uidl, xid) == xid, 'UIDL %s given to a second message' % uidl
        assert len(set(actual.values())) == len(actual), 'a message is twice in the maildrop'
        self.drop = actual
        self.drop_pending_xids = set()


def expand(spec):
    out = []
    for part in spec.decode().split(','):
        a, _, b = part.partition(':')
        out += list(range(int(a), int(b or a) + 1)) if int(b or a) >= int(a) else list(range(int(b), int(a) + 1))
    return out


def apply_store(model, mb, uids, sign, flags):
    for uid in uids:
        xid, have = model[mb][uid]
        model[mb][uid] = (xid, have | flags if sign == '+' else have - flags)


def after(model, alt):
    """The model with the cut-off command done whole. New UIDs are unknown:
    new messages are keyed ('new', n) and matched by same_mailbox."""
    m = {mb: dict(v) for mb, v in model.items()}
    kind = alt[0]
    # ('new', n): n keeps two copies of one message (a COPY of a COPY) apart.
    if kind == 'append':
        _, mb, xid, flags = alt
        m[mb][('new', 0)] = (xid, frozenset(flags.split()))
    elif kind == 'store':
        apply_store(m, *alt[1:])
    elif kind in ('copy', 'move'):
        _, src, dst, uids = alt
        for n, uid in enumerate(uids):
            xid, flags = m[src][uid]
            m[dst][('new', n)] = (xid, flags)
            if kind == 'move':
                del m[src][uid]
    elif kind == 'expunge':
        for uid in alt[2]:
            del m[alt[1]][uid]
    return m


def same_mailbox(actual, want, ever):
    """actual {uid: (xid, flags)} equals want, where want's ('new', n) keys
    stand for messages with any UID above every UID the mailbox ever had."""
    fixed = {k: v for k, v in want.items() if not isinstance(k, tuple)}
    new = sorted(v for k, v in want.items() if isinstance(k, tuple))
    for uid, v in fixed.items():
        if actual.get(uid) != v:
            return False
    top = max(ever, default=0)
    rest = sorted(v for uid, v in actual.items() if uid not in fixed and uid > top)
    extra = [uid for uid in actual if uid not in fixed and uid <= top]
    return not extra and rest == new


def describe_diff(actual, model):
    lines = []
    for mb in MAILBOXES:
        a, m = actual[mb], model[mb]
        for uid in sorted(set(a) | set(m)):
            if a.get(uid) != m.get(uid):
                lines.append('  %s uid %d: acknowledged %r, found %r' % (mb, uid, m.get(uid), a.get(uid)))
    return '\n'.join(lines[:30]) or '  (no per-UID difference)'


def add_users_with_cheap_hashes(loft):
    """Hundreds of logins: SHA512-CRYPT at its lowest cost instead of argon2."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)
        import crypt
        lines = ['%s:{SHA512-CRYPT}%s\n' % (u, crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA512, rounds=1000)))
                 for u, pw in ((IMAP_USER, IMAP_PW), (POP_USER, POP_PW))]
    path = os.path.join(loft.base, 'crash-passwd')
    with open(path, 'w') as f:
        f.writelines(lines)
    r = loft.cli('user', 'import', path)
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_kill9_during_imap_and_pop3_changes(loft):
    add_users_with_cheap_hashes(loft)
    loft.start('imap', 'pop3', 'lmtp')
    c = imap_connect(loft.port('imap'))
    checked(*c.create('Crashbox'), what='CREATE Archive')
    c.logout()

    seed = random.randrange(1 << 30)
    rnd = random.Random(seed)
    run = Run(loft, rnd)
    run.read_back()
    t0 = time.monotonic()
    kills = 0
    while kills < N_KILLS:
        assert time.monotonic() - t0 < DEADLINE, 'only %d kills in %.0f s (seed %d)' % (kills, DEADLINE, seed)
        # Mostly a kill within a few milliseconds of sending one of the next
        # commands; sometimes at any moment.
        run.victim = loft.proc
        run.imap = imap_connect(loft.port('imap'))
        if rnd.random() < 0.15:
            run.timer = threading.Timer(rnd.uniform(0.0, 0.15), run.victim.kill)
            run.timer.start()
        else:
            run.kill_after = rnd.randint(0, 5)
        try:
            while True:
                run.one_op()
                assert time.monotonic() - t0 < DEADLINE, 'the server was not killed (seed %d)' % seed
        except Interrupted:
            kind = run.in_flight[0] if run.in_flight else 'between commands'
            run.stats['interrupted'][kind] = run.stats['interrupted'].get(kind, 0) + 1
        except Exception as e:
            raise AssertionError('seed %d: %s\n%s' % (seed, e, loft.log_text())) from e
        finally:
            run.timer.join()
            run.timer = run.kill_after = None
            try:
                run.imap.shutdown()
            except OSError:
                pass
        run.victim.wait()
        loft.proc = None
        kills += 1
        loft.start('imap', 'pop3', 'lmtp', ports=loft.ports)
        try:
            run.read_back()
        except AssertionError as e:
            raise AssertionError('seed %d, after kill %d: %s' % (seed, kills, e)) from e
        run.in_flight = None
    elapsed = time.monotonic() - t0
    print('seed %d: %d kills in %.1f s; commands acknowledged %r; cut off %r; %d + %d messages, maildrop %d' % (
        seed, kills, elapsed, run.stats['ops'], run.stats['interrupted'], len(run.model['INBOX']),
        len(run.model['Crashbox']), len(run.drop)))
    # Commands of every kind were acknowledged, and (in a long enough run)
    # cut off by a kill.
    for kind in ('APPEND', 'STORE', 'COPY', 'MOVE', 'EXPUNGE', 'LMTP', 'QUIT'):
        assert run.stats['ops'].get(kind, 0) > 0, 'no %s acknowledged: %r' % (kind, run.stats)
        if N_KILLS >= 100:
            assert run.stats['interrupted'].get(kind, 0) > 0, 'no %s cut off: %r' % (kind, run.stats)
    assert sum(run.stats['interrupted'].values()) == kills
    # A clean stop and start changes nothing; and once the orphans are old
    # enough, the housekeeping on open removes exactly them: one file per
    # message is left.
    loft.stop()
    old = time.time() - 3600
    orphans = 0
    for mb in MAILBOXES:
        orphans += len(run.loft_files(mb)) - len(run.model[mb])
        for path in run.loft_files(mb):
            os.utime(path, (old, old))
    loft.start('imap', 'pop3', 'lmtp', ports=loft.ports)
    before = run.model
    run.read_back()
    assert run.model == before
    for mb in MAILBOXES:
        assert len(run.loft_files(mb)) == len(run.model[mb]), '%s: orphans left' % mb
    print('orphan files removed by the housekeeping: %d' % orphans)
