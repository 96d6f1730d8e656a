"""What reaches the disk before an answer, seen in the server's system calls
(strace attached to the running server):
- APPEND: the message file, its directory and the index commit are
  fsync'ed before the OK, in that order;
- STORE (flags and keywords only): the index commit is not waited for on
  the disk (Dovecot's mail_fsync=optimized does the same). Such a change is
  in the operating system when the OK is sent, so it survives a kill -9 of
  the server, which this test also checks; a crash of the machine may lose
  the last ones (docs/ARCHITECTURE.md, "Crash safety").
"""

import re
import shutil
import signal
import subprocess
import time

import pytest

from imaptest import connect

USER, PW = 'erin', 'erin-Fsync-pw1'
SYNC_CALLS = re.compile(r'\b(fsync|fdatasync|sync_file_range|syncfs)\(\d+<([^>]*)>')


class Syscalls(object):
    """strace on every thread of the server, counting the calls that wait for
    the disk, between __enter__ and __exit__."""

    def __init__(self, pid, out):
        self.pid, self.out = pid, out
        self.paths = None  # the path of every call's file, in order

    def __enter__(self):
        self.proc = subprocess.Popen(['strace', '-f', '-y', '-p', str(self.pid), '-e',
                                      'trace=fsync,fdatasync,sync_file_range,syncfs', '-o', self.out],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Attached once strace says so for the main thread (stderr).
        deadline = time.monotonic() + 10
        line = b''
        while time.monotonic() < deadline and b'attached' not in line:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                break
        if self.proc.poll() is not None:
            pytest.skip('strace cannot attach here: %r' % line)
        time.sleep(0.3)  # the other threads
        return self

    def __exit__(self, *exc):
        time.sleep(0.2)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)
        with open(self.out) as f:
            self.paths = [m.group(2) for m in map(SYNC_CALLS.search, f) if m]
        return False

    def count(self, pattern=''):
        return sum(1 for p in self.paths if re.search(pattern, p))


def message(i):
    return ('From: a@example.org\r\nSubject: fsync %d\r\n\r\nbody %d\r\n' % (i, i)).encode()


@pytest.mark.skipif(shutil.which('strace') is None, reason='strace not installed')
def test_append_waits_for_the_disk_and_store_does_not(loft, tmp_path):
    loft.add_user(USER, PW)
    for i in range(20):
        assert loft.deliver(USER, message(i)).returncode == 0
    loft.start('imap')
    c = connect(loft, USER, PW)
    c.ok('SELECT INBOX')
    c.ok('UID STORE 1 +FLAGS (\\Seen)')  # the first use of anything happens before counting
    time.sleep(1.0)  # the background indexer takes the delivered messages in

    with Syscalls(loft.pid, str(tmp_path / 'store.trace')) as stores:
        for i in range(60):
            uid = 1 + i % 20
            flag = ('\\Flagged', '\\Answered', '$Work')[i % 3]
            c.ok('UID STORE %d %sFLAGS (%s)' % (uid, '+-'[i // 20 % 2], flag))
    with Syscalls(loft.pid, str(tmp_path / 'append.trace')) as appends:
        for i in range(10):
            data = message(100 + i)
            c.ok('APPEND INBOX (\\Seen) {}', data, sync=False)
    print('sync calls: 60 STOREs %s, 10 APPENDs %s' % (stores.paths, appends.paths))
    # Each APPEND, in this order: the file (already renamed into cur/: an
    # orphan there until the index row commits), cur/ itself, the index's
    # WAL. A WAL checkpoint may add a second WAL sync right after a commit.
    def kind(path):
        for name, pattern in (('file', r'/Maildir/cur/[^/]+$'), ('dir', r'/Maildir/cur$'),
                              ('wal', r'index\.sqlite-wal$')):
            if re.search(pattern, path):
                return name
        return None
    kinds = [k for k in map(kind, appends.paths) if k]
    kinds = [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]
    assert kinds == ['file', 'dir', 'wal'] * 10, appends.paths
    # STORE: never the index. The background search indexer (search.sqlite
    # and, when it makes a file, the user's directory) may sync meanwhile.
    assert stores.count(r'index\.sqlite') == 0, stores.paths
    assert stores.count(r'search\.sqlite') + stores.count(r'/erin$') == len(stores.paths), stores.paths

    flags_before = [r.raw for r in c.ok('UID FETCH 1:* (UID FLAGS)')]
    loft.kill9()
    loft.start('imap')
    c = connect(loft, USER, PW)
    c.ok('SELECT INBOX')
    flags_after = [r.raw for r in c.ok('UID FETCH 1:* (UID FLAGS)')]
    assert flags_after == flags_before
    assert len(flags_after) == 30
    c.logout()
