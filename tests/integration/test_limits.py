"""The [limits] section: timeouts and connection limits."""

import socket
import time

from loftlib import LmtpRaw, Pop3Raw, first_line, pop3_login

PW = 'limits-pw'


def greeting_or_close(port, source=None, wait=5.0):
    """The first line the server sends, or b'' when it closes first."""
    s = socket.socket()
    s.settimeout(wait)
    if source:
        s.bind((source, 0))
    s.connect(('127.0.0.1', port))
    return s, first_line(s, wait)


def closed_within(conn, seconds):
    t0 = time.monotonic()
    closed = conn.is_closed(seconds)
    return closed, time.monotonic() - t0


def test_login_and_idle_timeouts(loft):
    loft.set('limits', 'login_timeout', 2)
    loft.set('limits', 'pop3_idle_timeout', 3)
    loft.set('limits', 'lmtp_idle_timeout', 2)
    loft.add_user('alice', PW)
    loft.start('pop3', 'lmtp')
    # Not logged in: closed after login_timeout, even while sending commands.
    p = Pop3Raw('127.0.0.1', loft.port('pop3'))
    t0 = time.monotonic()
    p.cmd('CAPA')
    p.read_until_terminator()
    closed, _ = closed_within(p, 6)
    waited = time.monotonic() - t0
    assert closed and 1.5 <= waited <= 5, 'login timeout 2 s: closed=%s after %.1f s' % (closed, waited)
    # Logged in: the idle timeout applies and is re-armed by every command.
    p = pop3_login(loft, 'alice', PW)
    for _ in range(3):
        time.sleep(1.5)
        assert p.cmd('NOOP').startswith(b'+OK'), 'closed before the idle timeout'
    closed, waited = closed_within(p, 8)
    assert closed and 2.5 <= waited <= 6, 'idle timeout 3 s: closed=%s after %.1f s' % (closed, waited)
    # The lock of the timed-out session is gone.
    q = pop3_login(loft, 'alice', PW)
    q.quit()
    # LMTP idle timeout.
    l = LmtpRaw('127.0.0.1', loft.port('lmtp'))
    assert l.cmd('LHLO x')[0] == 250
    closed, waited = closed_within(l, 6)
    assert closed and 1.5 <= waited <= 5, 'lmtp idle timeout 2 s: closed=%s after %.1f s' % (closed, waited)


def test_max_connections_per_ip(loft):
    loft.set('limits', 'max_connections_per_ip', 3)
    loft.add_user('alice', PW)
    loft.start('pop3')
    port = loft.port('pop3')
    held = [greeting_or_close(port, source='127.0.0.2') for _ in range(3)]
    assert all(g.startswith(b'+OK') for _, g in held), [g for _, g in held]
    extra, g = greeting_or_close(port, source='127.0.0.2')
    assert not g.startswith(b'+OK'), 'fourth connection from one address was served: %r' % g
    extra.close()
    # Another address is not affected.
    other, g = greeting_or_close(port, source='127.0.0.3')
    assert g.startswith(b'+OK'), g
    other.close()
    # A freed slot can be used again.
    held[0][0].close()
    deadline = time.monotonic() + 3
    while True:
        s, g = greeting_or_close(port, source='127.0.0.2')
        s.close()
        if g.startswith(b'+OK') or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert g.startswith(b'+OK'), g
    for s, _ in held[1:]:
        s.close()


def test_max_connections(loft):
    loft.set('limits', 'max_connections', 4)
    loft.add_user('alice', PW)
    loft.start('pop3', 'lmtp')
    time.sleep(0.5)  # the start-up probe connections must be gone from the count
    held = [greeting_or_close(loft.port('pop3'), source='127.0.0.%d' % (i + 2)) for i in range(4)]
    assert all(g.startswith(b'+OK') for _, g in held), [g for _, g in held]
    extra, g = greeting_or_close(loft.port('pop3'), source='127.0.0.9')
    assert not g.startswith(b'+OK'), 'connection above max_connections was served: %r' % g
    extra.close()
    for s, _ in held:
        s.close()
    deadline = time.monotonic() + 3
    while True:
        s, g = greeting_or_close(loft.port('lmtp'))
        s.close()
        if g.startswith(b'220') or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert g.startswith(b'220'), g
