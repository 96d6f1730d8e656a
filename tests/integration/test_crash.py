"""kill -9 during LMTP delivery: an acknowledged message is never lost or
duplicated, nothing appears that was not acknowledged or in flight at a
kill, every stored message is byte-exact, and UIDLs stay unique."""

import collections
import random
import threading
import time

import pytest

from loftlib import LmtpRaw, fetch_all, smtp_stuff, strip_trace_before

N_MESSAGES = 3000
N_CLIENTS = 4
USERS = {'alice': 'alice-crash-pw', 'bob': 'bob-crash-pw'}
DELIVERY_DEADLINE = 150.0  # seconds for the delivery phase


def recipient_of(i):
    return 'alice' if i % 2 == 0 else 'bob'


def crash_message(i):
    rnd = random.Random(i)
    lines = []
    for j in range(rnd.randrange(3, 60)):
        n = rnd.randrange(0, 90)
        line = bytes(rnd.randrange(33, 127) for _ in range(n))
        if rnd.random() < 0.05:
            line = b'.' + line
        lines.append(line)
    return (b'X-Crash-Id: %06d\r\nFrom: crash@example.org\r\nTo: %s@loft.test\r\nSubject: crash test %d\r\n'
            b'Message-ID: <crash-%06d@example.org>\r\n\r\n' % (i, recipient_of(i).encode(), i, i)
            + b''.join(l + b'\r\n' for l in lines))


class Outcomes(object):
    def __init__(self):
        self.lock = threading.Lock()
        self.acked = set()
        self.in_flight = set()
        self.refused = {}
        self.temp_failures = 0
        self.reconnects = 0

    def done(self):
        with self.lock:
            return len(self.acked) + len(self.in_flight) + len(self.refused)


class Client(threading.Thread):
    def __init__(self, port, ids, outcomes, stop):
        threading.Thread.__init__(self, daemon=True)
        self.port, self.queue, self.out, self.stop = port, collections.deque(ids), outcomes, stop
        self.error = None

    def connect(self):
        c = LmtpRaw('127.0.0.1', self.port, timeout=20)
        if c.greeting[0] != 220 or c.cmd('LHLO crash.client')[0] != 250:
            c.close()
            raise OSError('no LMTP greeting')
        return c

    def run(self):
        conn = None
        try:
            while self.queue and not self.stop.is_set():
                if conn is None:
                    try:
                        conn = self.connect()
                    except (OSError, EOFError, AssertionError):
                        time.sleep(0.05)
                        continue
                i = self.queue[0]
                sending = False
                try:
                    code, text = conn.cmd('MAIL FROM:<crash@example.org>')
                    if code == 250:
                        code, text = conn.cmd('RCPT TO:<%s@loft.test>' % recipient_of(i))
                    if code == 250:
                        code, text = conn.cmd('DATA')
                    if code != 354:
                        with self.out.lock:
                            self.out.temp_failures += 1
                        assert code < 500, 'refused before data: %d %s' % (code, text)
                        conn.cmd('RSET')
                        time.sleep(0.05)
                        continue
                    sending = True  # from here on the outcome may be unknown
                    conn.send(smtp_stuff(crash_message(i)))
                    code, text = conn.reply()
                    sending = False
                    with self.out.lock:
                        if code == 250:
                            self.out.acked.add(i)
                            self.queue.popleft()
                        elif code >= 500:
                            self.out.refused[i] = (code, text)
                            self.queue.popleft()
                        else:
                            self.out.temp_failures += 1  # definite: not stored; send again
                except (OSError, EOFError) as e:
                    conn.close()
                    conn = None
                    with self.out.lock:
                        self.out.reconnects += 1
                        if sending:
                            self.out.in_flight.add(i)
                            self.queue.popleft()  # never resent: its outcome is unknown
        except BaseException as e:  # reported by the test
            self.error = e
        finally:
            if conn is not None:
                conn.close()


@pytest.mark.slow
def test_kill9_during_lmtp_delivery(loft):
    for u, pw in USERS.items():
        loft.add_user(u, pw)
    loft.start('lmtp', 'pop3')
    rnd = random.Random()
    seed = rnd.randrange(1 << 30)
    rnd.seed(seed)
    n_kills = rnd.randint(10, 20)
    # Kill at random moments spread over the run: when the number of settled
    # messages passes each of these marks (plus a random delay).
    marks = sorted(rnd.sample(range(100, N_MESSAGES - 100), n_kills))

    outcomes = Outcomes()
    stop = threading.Event()
    ids = list(range(N_MESSAGES))
    clients = [Client(loft.port('lmtp'), ids[k::N_CLIENTS], outcomes, stop) for k in range(N_CLIENTS)]
    kills = []
    killer_error = []

    def killer():
        try:
            for mark in marks:
                while outcomes.done() < mark:
                    if stop.is_set() or not any(c.is_alive() for c in clients):
                        return
                    time.sleep(0.005)
                time.sleep(rnd.uniform(0, 0.05))
                kills.append((outcomes.done(), loft.pid))
                loft.kill9()
                time.sleep(rnd.uniform(0, 0.2))
                loft.start('lmtp', 'pop3', ports=loft.ports)
        except BaseException as e:
            killer_error.append(e)
            stop.set()

    t0 = time.monotonic()
    for c in clients:
        c.start()
    kt = threading.Thread(target=killer, daemon=True)
    kt.start()
    for c in clients:
        c.join(max(0.1, DELIVERY_DEADLINE - (time.monotonic() - t0)))
    stop.set()
    kt.join(30)
    for c in clients:
        c.join(5)
    elapsed = time.monotonic() - t0
    stats = ('seed %d, %d kills at %r, %.1f s, acked %d, in flight %d, refused %d, temporary failures %d, '
             'reconnects %d' % (seed, len(kills), [k for k, _ in kills], elapsed, len(outcomes.acked),
                                len(outcomes.in_flight), len(outcomes.refused), outcomes.temp_failures,
                                outcomes.reconnects))
    print(stats)
    assert not killer_error, 'restart failed: %s\n%s' % (killer_error[0], stats)
    assert not [c.error for c in clients if c.error], [c.error for c in clients if c.error]
    assert not any(c.is_alive() for c in clients), 'delivery did not finish in %.0f s: %s' % (
        DELIVERY_DEADLINE, stats)
    assert outcomes.done() == N_MESSAGES, stats
    assert not outcomes.refused, 'messages refused permanently: %r' % list(outcomes.refused.items())[:5]
    assert len(kills) >= 10, stats
    # Each kill can interrupt at most one transfer per client connection.
    assert len(outcomes.in_flight) <= len(kills) * N_CLIENTS, stats

    if not loft.running():
        loft.start('lmtp', 'pop3', ports=loft.ports)
    seen = collections.Counter()
    uidls_by_user = {}
    problems = []
    for user, pw in USERS.items():
        stored = fetch_all(loft, user, pw)
        uidls = [u for u, _, _ in stored]
        uidls_by_user[user] = uidls
        if len(set(uidls)) != len(uidls):
            problems.append('%s: duplicate UIDLs: %r' % (user, [u for u, n in collections.Counter(uidls).items()
                                                                if n > 1][:10]))
        for uidl, size, data in stored:
            if len(data) != size:
                problems.append('%s %s: LIST size %d but RETR gave %d octets' % (user, uidl, size, len(data)))
            try:
                fields, body = strip_trace_before(data, b'X-Crash-Id: ')
            except AssertionError as e:
                problems.append('%s %s: %s: %r' % (user, uidl, e, data[:200]))
                continue
            i = int(body[12:18])
            seen[i] += 1
            if recipient_of(i) != user:
                problems.append('message %d in the wrong maildrop (%s)' % (i, user))
            if body != crash_message(i):
                problems.append('message %d differs from what was sent (%d / %d octets)' % (
                    i, len(body), len(crash_message(i))))
    lost = sorted(i for i in outcomes.acked if seen[i] == 0)
    duplicated = sorted(i for i, n in seen.items() if n > 1)
    unexpected = sorted(i for i in seen if i not in outcomes.acked and i not in outcomes.in_flight)
    in_flight_stored = sum(1 for i in outcomes.in_flight if seen[i])
    print('in-flight messages found stored: %d of %d' % (in_flight_stored, len(outcomes.in_flight)))
    assert not lost, 'acknowledged messages lost: %d, e.g. %r\n%s' % (len(lost), lost[:20], stats)
    assert not duplicated, 'messages stored more than once: %r\n%s' % (duplicated[:20], stats)
    assert not unexpected, 'messages neither acknowledged nor in flight: %r\n%s' % (unexpected[:20], stats)
    assert not problems, '\n'.join(problems[:30]) + '\n' + stats

    # After a clean restart the maildrops and their UIDLs are unchanged.
    loft.restart('lmtp', 'pop3')
    for user, pw in USERS.items():
        assert [u for u, _, _ in fetch_all(loft, user, pw)] == uidls_by_user[user]
