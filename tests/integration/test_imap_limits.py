"""IMAP with big messages, through the real binary: a 100 MB body is
streamed to the client with bounded server memory. (That ENVELOPE and
BODYSTRUCTURE come from the index cache is a store unit test; the time is
printed here for information only.)"""

import os
import time

import pytest

from imaptest import Imap
from loftlib import MEMORY_SCALE, RssSampler, make_big_message, strip_trace_before

ALICE_PW = 'alice-Secret-1'


@pytest.mark.slow
def test_100mb_fetch_is_streamed_with_bounded_memory(loft):
    loft.set('limits', 'max_message_size', 200 * 1024 * 1024)
    loft.add_user('alice', ALICE_PW)
    path = os.path.join(loft.base, 'big.eml')
    original = make_big_message(path, 100 * 1024 * 1024)
    with open(path, 'rb') as f:
        r = loft.deliver('alice', f, sender='big@example.org')
    assert r.returncode == 0, r.stderr
    os.unlink(path)
    loft.start('imap')

    with RssSampler(loft) as rss:
        c = Imap('127.0.0.1', loft.port('imap'), timeout=120)
        c.ok('LOGIN alice %s' % ALICE_PW)
        c.ok('SELECT INBOX')
        # The structure of a 100 MB message comes from the index, at once.
        t0 = time.monotonic()
        untagged = c.ok('FETCH 1 (RFC822.SIZE ENVELOPE BODYSTRUCTURE)')
        structure_seconds = time.monotonic() - t0
        line = untagged[0].raw
        assert b'"big"' in line and b'("TEXT" "PLAIN"' in line.upper(), line[:300]
        size = int(line.split(b'RFC822.SIZE ')[1].split()[0])

        c.send(b'b FETCH 1 BODY.PEEK[]\r\n')
        head = c.readline(limit=1 << 16)
        assert head.startswith(b'* 1 FETCH (BODY[] {%d}' % size), head
        wire = bytearray(c.buf)
        c.buf = bytearray()
        paused = False
        while len(wire) < size:
            chunk = c.sock.recv(1 << 20)
            assert chunk, 'connection closed after %d bytes' % len(wire)
            wire += chunk
            if not paused and len(wire) > 20 << 20:
                time.sleep(1.5)  # a server that does not stream would now buffer the rest
                paused = True
        body, rest = bytes(wire[:size]), bytes(wire[size:])
        c.buf = bytearray(rest)
        assert c.readline() == b')\r\n'
        assert c.readline().startswith(b'b OK')
    fields, got = strip_trace_before(body, b'From: big@example.org')
    assert got == original
    peak = rss.peak()
    print('100 MB FETCH: %d RSS samples, peak %d kB; structure in %.3f s' % (len(rss.samples), peak, structure_seconds))
    assert peak < 64 * 1024 * MEMORY_SCALE, 'server RSS reached %d kB while sending 100 MB' % peak
