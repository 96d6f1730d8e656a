"""Several IMAP sessions on one mailbox (RFC 3501 5.2 / 7.4.1, RFC 9051
7.5.1): when other sessions' changes may be reported, sequence numbers that
stay consistent, and IDLE (RFC 2177) pushing changes from every source
(LMTP, `loft deliver`, another IMAP session, POP3) at once."""

import poplib
import random
import re
import smtplib
import statistics
import threading
import time

import pytest

from imaptest import Tracked, connect, fetches, flags_set, search_numbers, untagged_numbers

ALICE_PW = 'alice-Conc-1'
LATENCY_LIMIT = 0.1  # seconds, median over the trials, on loopback
TRIALS = 5


def msg(n, extra=b''):
    return (b'From: sender@example.org\r\nTo: alice@loft.test\r\nSubject: message %d\r\n'
            b'Message-ID: <conc-%d-%f@example.org>\r\n' % (n, n, time.time()) + extra +
            b'\r\nbody of message %d\r\n' % n)


@pytest.fixture
def srv(loft):
    loft.add_user('alice', ALICE_PW)
    loft.start('imap', 'lmtp', 'pop3')
    return loft


def session(loft, name, mailbox='INBOX'):
    t = Tracked(connect(loft, 'alice'), name)
    if mailbox:
        t.select(mailbox)
    return t


def seed(loft, n):
    c = connect(loft, 'alice')
    for i in range(n):
        c.ok('APPEND INBOX {}', msg(i + 1))
    c.logout()


def check_against_server(t):
    """The model of `t` after a NOOP equals what the server says now.

    Other sessions may still be changing the mailbox: the UID SEARCH ALL may
    carry EXISTS, and (being a UID command) EXPUNGE, before or after its
    `* SEARCH` line. The result answers for the mailbox as the client knows it
    when that line arrives, so it is compared with the model at that point:
    every message, and only those, in order, with every known UID equal."""
    t.run('NOOP')
    t.sync_uids()
    command = 'UID SEARCH ALL'
    tagged, untagged = t.c.command(command)
    lines = [i for i, r in enumerate(untagged) if r.raw.upper().startswith(b'* SEARCH')]
    if len(lines) != 1:
        t.fail('%s answered with %d SEARCH responses' % (command, len(lines)))
    t.apply(untagged[:lines[0]], command)
    model = list(t.uids)
    t.apply(untagged[lines[0]:], command)
    if tagged.raw.split(b' ', 2)[1] != b'OK':
        t.fail('%s -> %r' % (command, tagged.raw))
    uids = search_numbers(untagged)
    if len(uids) != len(model) or any(m is not None and m != u for m, u in zip(model, uids)):
        t.fail('model %r but UID SEARCH ALL says %r' % (model, uids))


# ---- when changes are reported ------------------------------------------------------------


def test_two_sessions_updates_only_at_allowed_points(srv):
    seed(srv, 3)
    a = session(srv, 'A')
    b = session(srv, 'B')
    assert b.uids == [1, 2, 3]
    # a new message: B learns it at its next NOOP (EXISTS), and its UID by FETCH
    a.run('APPEND INBOX {}', msg(4))
    a.sync_uids()
    st, _, untagged = b.run('NOOP')
    assert untagged_numbers(untagged, 'EXISTS') == [4], untagged
    b.sync_uids()
    assert b.uids == [1, 2, 3, 4]
    # a flag change: an untagged FETCH with the new FLAGS at B's NOOP
    a.run('STORE 2 +FLAGS (\\Flagged)')
    st, _, untagged = b.run('NOOP')
    fm = {n: d for n, d in fetches(untagged)}
    assert 2 in fm and flags_set(fm[2]['FLAGS']) == {'\\Flagged'}, untagged
    # an expunge by A: B must not see it during FETCH, STORE or SEARCH
    a.run('STORE 1 +FLAGS (\\Deleted)')
    a.run('EXPUNGE')
    assert a.uids == [2, 3, 4]
    # RFC 3501 7.4.1: no EXPUNGE while no command is in progress
    idle_bytes = b.c.poll(0.3)
    assert not untagged_numbers(idle_bytes, 'EXPUNGE'), idle_bytes
    b.apply(idle_bytes, '')
    st, tagged, untagged = b.run('FETCH 1:4 (UID)', expect=('OK', 'NO'))
    seen = {n: int(d['UID']) for n, d in fetches(untagged) if 'UID' in d}
    for n, uid in seen.items():  # the old numbering still holds
        assert uid == [1, 2, 3, 4][n - 1], (n, uid, untagged)
    if st == 'OK':
        assert set(seen) >= {2, 3, 4}, untagged
    b.run('STORE 2 +FLAGS (\\Seen)', expect=('OK', 'NO'))
    st, tagged, untagged = b.run('SEARCH ALL')
    nums = search_numbers(untagged)
    assert nums and max(nums) <= 4 and set(nums) >= {2, 3, 4}, untagged
    assert b.count() == 4
    # the flag B stored went to UID 2, the message with sequence number 2 in B's view
    st, _, untagged = b.run('NOOP')
    assert untagged_numbers(untagged, 'EXPUNGE') == [1], untagged
    assert b.uids == [2, 3, 4]
    check_against_server(b)
    check_against_server(a)
    st, _, untagged = a.run('UID FETCH 2 (FLAGS)')
    assert flags_set(dict((n, d) for n, d in fetches(untagged))[1]['FLAGS']) == {'\\Flagged', '\\Seen'}, untagged
    for s in (a, b):
        s.c.logout()


def test_expunge_allowed_during_uid_commands_and_noop(srv):
    seed(srv, 4)
    a = session(srv, 'A')
    b = session(srv, 'B')
    a.run('STORE 2 +FLAGS (\\Deleted)')
    a.run('EXPUNGE')
    # UID FETCH may carry the EXPUNGE (RFC 3501 7.4.1); either way the model stays right
    st, _, untagged = b.run('UID FETCH 1:* (FLAGS)')
    b.run('NOOP')
    assert b.uids == [1, 3, 4], b.uids
    check_against_server(b)
    a.c.logout()
    b.c.logout()


def test_three_sessions_sequence_numbers(srv):
    seed(srv, 6)
    a, b, c = session(srv, 'A'), session(srv, 'B'), session(srv, 'C')
    # A appends two, B expunges 2 and 5, C only watches
    a.run('APPEND INBOX {}', msg(7))
    b.run('STORE 2,5 +FLAGS (\\Deleted)')
    a.run('APPEND INBOX {}', msg(8))
    b.run('EXPUNGE')
    st, _, untagged = c.run('NOOP')
    assert c.count() == 6, (c.uids, untagged)
    c.sync_uids()
    assert c.uids == [1, 3, 4, 6, 7, 8], c.uids
    # C deletes the first and the last; A and B follow at their NOOPs
    c.run('STORE 1,6 +FLAGS (\\Deleted)')
    c.run('EXPUNGE')
    for s in (a, b, c):
        s.run('NOOP')
        s.sync_uids()
        assert s.uids == [3, 4, 6, 7], (s.name, s.uids)
        check_against_server(s)
    for s in (a, b, c):
        s.c.logout()


def test_condstore_session_gets_modseq_with_others_changes(srv):
    seed(srv, 3)
    a = session(srv, 'A')
    b = Tracked(connect(srv, 'alice'), 'B')
    b.run('ENABLE CONDSTORE')
    b.select()
    a.run('STORE 3 +FLAGS (\\Answered)')
    st, _, untagged = b.run('NOOP')
    fm = {n: d for n, d in fetches(untagged)}
    # RFC 7162 3.2: with CONDSTORE enabled, unsolicited FETCH responses carry MODSEQ
    assert 3 in fm and 'MODSEQ' in fm[3] and flags_set(fm[3]['FLAGS']) == {'\\Answered'}, untagged
    a.c.logout()
    b.c.logout()


def test_qresync_session_gets_vanished_for_others_expunges(srv):
    seed(srv, 4)
    a = session(srv, 'A')
    b = connect(srv, 'alice')
    b.ok('ENABLE QRESYNC')
    b.ok('SELECT INBOX')
    a.run('STORE 2:3 +FLAGS (\\Deleted)')
    a.run('EXPUNGE')
    untagged = b.ok('NOOP')
    # RFC 7162 3.2.10: VANISHED with UIDs instead of EXPUNGE
    assert [u.raw for u in untagged if u.raw.startswith(b'* VANISHED')] == [b'* VANISHED 2:3\r\n'], untagged
    assert not untagged_numbers(untagged, 'EXPUNGE')
    a.c.logout()
    b.logout()


# ---- IDLE --------------------------------------------------------------------------------------


class Idler(object):
    def __init__(self, tracked):
        self.t = tracked
        self.tag = None

    def start(self):
        self.tag = self.t.c.next_tag()
        self.t.c.raw_send('%s IDLE\r\n' % self.tag)
        pending = []
        while True:
            r = self.t.c.read_response(timeout=5)
            if r.raw.startswith(b'+'):
                break
            pending.append(r)
        self.t.apply(pending, 'IDLE')
        return pending

    def wait_for(self, pattern, timeout=5.0):
        """Reads until a response matches; (its arrival time, all responses read)."""
        got = []
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('%s: no %r in IDLE within %.1f s; got %r' % (self.t.name, pattern, timeout, got))
            try:
                r = self.t.c.read_response(timeout=left)
            except OSError:
                continue
            arrived = time.monotonic()
            got.append(r)
            self.t.apply([r], 'IDLE')
            if re.match(pattern, r.raw):
                return arrived, got

    def done(self):
        self.t.c.raw_send('DONE\r\n')
        tagged, untagged = self.t.c.finish(self.tag)
        self.t.apply(untagged, 'IDLE')
        assert tagged.raw.startswith(self.tag.encode() + b' OK'), tagged.raw
        return untagged


def measure(idler, trigger, pattern):
    """Median latency from the moment `trigger()` returns (the change is
    acknowledged) to the matching untagged response in IDLE."""
    lat = []
    for i in range(TRIALS):
        idler.start()
        time.sleep(0.02)
        trigger(i)
        acked = time.monotonic()
        arrived, _ = idler.wait_for(pattern)
        lat.append(max(0.0, arrived - acked))
        idler.done()
    print('IDLE latency: median %.4f s, trials %s' % (statistics.median(lat), ' '.join('%.4f' % x for x in lat)))
    return statistics.median(lat), lat


def test_idle_exists_from_lmtp(srv):
    b = session(srv, 'B')
    idler = Idler(b)
    lmtp = smtplib.LMTP('127.0.0.1', srv.port('lmtp'), timeout=20)

    def trigger(i):
        assert lmtp.sendmail('sender@example.org', ['alice@loft.test'], msg(100 + i)) == {}
    med, lat = measure(idler, trigger, rb'\* \d+ EXISTS')
    lmtp.quit()
    assert b.count() == TRIALS
    b.sync_uids()
    assert med < LATENCY_LIMIT, 'IDLE push after LMTP: median %.3f s (%r)' % (med, lat)
    b.c.logout()


def test_idle_exists_from_loft_deliver(srv):
    b = session(srv, 'B')
    idler = Idler(b)

    def trigger(i):
        r = srv.deliver('alice', msg(200 + i))
        assert r.returncode == 0, r.stderr
    med, lat = measure(idler, trigger, rb'\* \d+ EXISTS')
    assert b.count() == TRIALS
    b.sync_uids()
    assert med < LATENCY_LIMIT, 'IDLE push after loft deliver: median %.3f s (%r)' % (med, lat)
    b.c.logout()


def test_idle_exists_from_mail_dropped_into_new_by_another_program(srv):
    """procmail, maildrop or Postfix writing into Maildir/new/ themselves
    (tmp/ then rename) send Loft no notice: the server watches new/."""
    b = session(srv, 'B')
    idler = Idler(b)

    def trigger(i):
        srv.drop_messages('alice', [msg(400 + i)], prefix='mda%d-' % i)
    med, lat = measure(idler, trigger, rb'\* \d+ EXISTS')
    assert b.count() == TRIALS
    b.sync_uids()
    assert b.uids == list(range(1, TRIALS + 1))
    assert med < LATENCY_LIMIT, 'IDLE push after a drop into new/: median %.3f s (%r)' % (med, lat)
    b.c.logout()


def test_idle_exists_from_append_in_other_session(srv):
    a = session(srv, 'A')
    b = session(srv, 'B')
    idler = Idler(b)

    def trigger(i):
        a.run('APPEND INBOX {}', msg(300 + i))
    med, lat = measure(idler, trigger, rb'\* \d+ EXISTS')
    assert b.count() == TRIALS
    b.sync_uids()
    assert b.uids == list(range(1, TRIALS + 1))
    assert med < LATENCY_LIMIT, 'IDLE push after APPEND: median %.3f s (%r)' % (med, lat)
    a.c.logout()
    b.c.logout()


def test_idle_flag_change_from_other_session(srv):
    seed(srv, TRIALS)
    a = session(srv, 'A')
    b = session(srv, 'B')
    idler = Idler(b)

    def trigger(i):
        a.run('STORE %d +FLAGS (\\Flagged $Seen%d)' % (i + 1, i))
    med, lat = measure(idler, trigger, rb'\* \d+ FETCH \(.*FLAGS')
    for i in range(TRIALS):
        assert {'\\Flagged', '$Seen%d' % i} <= b.flags[i + 1], b.flags
    assert med < LATENCY_LIMIT, 'IDLE push of a flag change: median %.3f s (%r)' % (med, lat)
    a.c.logout()
    b.c.logout()


def test_idle_expunge_from_pop3(srv):
    seed(srv, TRIALS + 2)
    b = session(srv, 'B')
    idler = Idler(b)

    def trigger(i):
        p = poplib.POP3('127.0.0.1', srv.port('pop3'), timeout=20)
        p.user('alice')
        p.pass_(ALICE_PW)
        assert p.dele(1).startswith(b'+OK')
        assert p.quit().startswith(b'+OK')
    med, lat = measure(idler, trigger, rb'\* \d+ EXPUNGE')
    assert b.uids == list(range(TRIALS + 1, TRIALS + 3)), b.uids
    check_against_server(b)
    assert med < LATENCY_LIMIT, 'IDLE push after POP3 DELE+QUIT: median %.3f s (%r)' % (med, lat)
    b.c.logout()


def test_idle_expunge_from_other_imap_session(srv):
    seed(srv, 3)
    a = session(srv, 'A')
    b = session(srv, 'B')
    idler = Idler(b)
    idler.start()
    a.run('STORE 2 +FLAGS (\\Deleted)')
    a.run('EXPUNGE')
    idler.wait_for(rb'\* 2 EXPUNGE')
    idler.done()
    assert b.uids == [1, 3]
    check_against_server(b)
    a.c.logout()
    b.c.logout()


def test_idle_in_several_sessions_and_done_without_changes(srv):
    sessions = [session(srv, 'S%d' % i) for i in range(3)]
    idlers = [Idler(s) for s in sessions]
    for i in idlers:
        i.start()
    r = srv.deliver('alice', msg(1))
    assert r.returncode == 0
    for i in idlers:
        i.wait_for(rb'\* 1 EXISTS')
    for i in idlers:
        i.done()
    # DONE right after IDLE, nothing in between
    idlers[0].start()
    assert idlers[0].done() == []
    for s in sessions:
        s.sync_uids()
        assert s.uids == [1]
        s.c.logout()


def test_many_sessions_in_idle_all_notified(srv):
    n = 40
    sessions = [session(srv, 'S%d' % i) for i in range(n)]
    idlers = [Idler(s) for s in sessions]
    for rounds in range(3):
        for i in idlers:
            i.start()
        lmtp = smtplib.LMTP('127.0.0.1', srv.port('lmtp'), timeout=20)
        assert lmtp.sendmail('sender@example.org', ['alice@loft.test'], msg(500 + rounds)) == {}
        acked = time.monotonic()
        lmtp.quit()
        lat = []
        for i in idlers:
            arrived, _ = i.wait_for(rb'\* %d EXISTS' % (rounds + 1))
            lat.append(max(0.0, arrived - acked))
        for i in idlers:
            i.done()
        # read one after the other: the last ones include the time to read the first ones
        assert statistics.median(lat) < LATENCY_LIMIT, 'median %.3f s over %d sessions' % (
            statistics.median(lat), n)
    for s in sessions:
        s.sync_uids()
        assert s.uids == [1, 2, 3], (s.name, s.uids)
        s.c.logout()


# ---- stress ---------------------------------------------------------------------------------


def test_stress_random_changes_consistent_sequence_numbers(srv):
    seed(srv, 20)
    duration = 10.0
    errors = []
    stats = {'append': 0, 'store': 0, 'expunge': 0, 'observer_fetches': 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def worker(k):
        rnd = random.Random(1000 + k)
        t = None
        try:
            t = session(srv, 'W%d' % k)
            while time.monotonic() < stop_at:
                op = rnd.random()
                if op < 0.3 or t.count() < 5:
                    t.run('APPEND INBOX (\\Seen) {}', msg(rnd.randrange(1 << 30)))
                    key = 'append'
                elif op < 0.65:
                    seq = rnd.randint(1, t.count())
                    flag = rnd.choice(['\\Flagged', '\\Answered', '$Kw%d' % k, '\\Draft'])
                    sign = rnd.choice('+-')
                    # the message may be gone already (expunged by another session, not yet reported)
                    t.run('STORE %d %sFLAGS (%s)' % (seq, sign, flag), expect=('OK', 'NO'))
                    key = 'store'
                elif op < 0.8:
                    known = [u for u in t.uids if u is not None]
                    if known:
                        t.run('UID STORE %d +FLAGS (\\Seen)' % rnd.choice(known), expect=('OK', 'NO'))
                    key = 'store'
                elif op < 0.92:
                    seq = rnd.randint(1, t.count())
                    t.run('STORE %d +FLAGS.SILENT (\\Deleted)' % seq, expect=('OK', 'NO'))
                    t.run('EXPUNGE')
                    key = 'expunge'
                else:
                    t.run('NOOP')
                    t.sync_uids()
                    key = 'store'
                with lock:
                    stats[key] += 1
            t.run('NOOP')
            t.sync_uids()
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append('W%d: %s' % (k, e))
        finally:
            if t is not None:
                t.c.close()

    def observer():
        t = None
        try:
            t = session(srv, 'O')
            while time.monotonic() < stop_at:
                t.run('NOOP')
                count = t.count()
                st, tagged, untagged = t.run('FETCH 1:* (UID FLAGS)') if count else ('OK', None, [])
                nums = sorted(set(n for n, _ in fetches(untagged)))
                if count and nums[:count] != list(range(1, count + 1)):
                    t.fail('FETCH 1:* with %d known messages answered for %r' % (count, nums))
                if None in t.uids[:count]:  # EXISTS during the FETCH may announce later ones
                    t.fail('unknown UIDs after FETCH 1:*: %r' % t.uids)
                before = t.count()
                st, tagged, untagged = t.run('SEARCH ALL')
                found = search_numbers(untagged)
                # EXISTS may come with it, EXPUNGE may not; a message expunged by another session and
                # not yet announced may be left out (RFC 2180 4.3), but nothing may shift
                if found != sorted(set(found)) or (found and not 1 <= found[0] <= found[-1] <= t.count()):
                    t.fail('SEARCH ALL ...%r with %d..%d messages' % (found[-5:], before, t.count()))
                known = [(i + 1, u) for i, u in enumerate(t.uids) if u is not None]
                if known:
                    seq, uid = known[-1]
                    st, tagged, untagged = t.run('SEARCH UID %d' % uid)
                    if search_numbers(untagged) not in ([seq], []):
                        t.fail('SEARCH UID %d gave %r, the model has it as %d'
                               % (uid, search_numbers(untagged), seq))
                with lock:
                    stats['observer_fetches'] += 1
            check_against_server(t)
        except Exception as e:  # noqa: BLE001
            errors.append('O: %s' % e)
        finally:
            if t is not None:
                t.c.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    threads.append(threading.Thread(target=observer))
    for th in threads:
        th.start()
    for th in threads:
        th.join(duration + 60)
    assert not any(th.is_alive() for th in threads), 'a session hung'
    assert not errors, '\n\n'.join(errors)
    print('stress: %r' % stats)
    assert stats['append'] > 10 and stats['expunge'] > 5 and stats['observer_fetches'] > 10, stats
    # the final state is the same for a fresh session
    final = session(srv, 'F')
    check_against_server(final)
    final.c.logout()
