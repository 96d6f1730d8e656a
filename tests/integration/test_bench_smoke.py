"""Smoke tests of loft-bench (bench/loft-bench), the load generator: every
workload runs briefly against a real Loft and must finish with exit status
0, no violations and sensible numbers in its JSON report; and the checker
must catch a server that lies (a tiny fake IMAP server below).

loft-bench is looked for next to the loft binary (LOFT_BIN), or at
LOFT_BENCH.
"""

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import loftlib  # noqa: E402

BENCH = os.environ.get('LOFT_BENCH') or os.path.join(os.path.dirname(loftlib.LOFT_BIN), 'loft-bench')
USERS = ['bench1', 'bench2', 'bench3']
PASSWORD = 'bench-pw'


@pytest.fixture(scope='module')
def bench_bin():
    if not (os.path.isfile(BENCH) and os.access(BENCH, os.X_OK)):
        pytest.skip('loft-bench not built at %s (ninja loft-bench, or set LOFT_BENCH)' % BENCH)
    return BENCH


@pytest.fixture(scope='module')
def server(bench_bin, tls_cert):
    base = loftlib.make_base_dir('loft-it-bench-')
    srv = loftlib.Loft(base, *tls_cert)
    srv.set('limits', 'max_connections', 2000)
    srv.set('limits', 'max_connections_per_ip', 2000)
    srv.set('log', 'level', 'warn')
    for u in USERS + ['bigbox']:
        srv.add_user(u, PASSWORD)
    srv.start('imap', 'imaps', 'pop3', 'lmtp')
    yield srv
    srv.cleanup()
    if not os.environ.get('LOFT_KEEP_TMP'):
        loftlib.rmtree(base)


def run_bench(tmp_path, *args, expect_rc=0, timeout=60):
    out = os.path.join(str(tmp_path), 'result-%d.json' % len(os.listdir(str(tmp_path))))
    cmd = [BENCH] + [str(a) for a in args] + ['--json', out]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    text = 'command: %s\nexit %d\nstdout:\n%s\nstderr:\n%s' % (
        ' '.join(cmd), r.returncode, r.stdout.decode('utf-8', 'replace'), r.stderr.decode('utf-8', 'replace')[-4000:])
    assert r.returncode == expect_rc, text
    with open(out) as f:
        result = json.load(f)
    return result, text


def assert_clean(result, text):
    assert result['ok'] is True, text
    assert result['violations'] == 0, text


def test_lmtp_ingest_then_pop3_download(server, tmp_path):
    res, text = run_bench(tmp_path, 'lmtp-ingest', '--port', server.port('lmtp'), '--count', 200,
                          '--connections', 2, '--users', 3, '--server-pid', server.pid)
    assert_clean(res, text)
    assert res['errors'] == 0, text
    assert res['results']['delivered'] == 200, text
    assert res['results']['msgs_per_s'] > 0 and res['results']['bytes_per_s'] > 0, text
    assert 0 < res['results']['p50_ms'] <= res['results']['p99_ms'], text
    assert res['server']['cpu_s'] >= 0 and res['server']['rss_kb'] > 0, text
    # bench1 got messages 0, 3, 6, ... 198: 67 of them; POP3 must list and return them all.
    res, text = run_bench(tmp_path, 'pop3-download', '--port', server.port('pop3'), '--user', 'bench1',
                          '--password', PASSWORD)
    assert_clean(res, text)
    assert res['results']['messages'] == 67, text
    assert res['results']['bytes'] > 67 * 500, text
    assert res['results']['commands']['RETR']['count'] == 67, text


@pytest.mark.parametrize('mode', ['per-user', 'shared'])
def test_imap_mix(server, tmp_path, mode):
    extra = ['--shared'] if mode == 'shared' else ['--users', 3]
    res, text = run_bench(tmp_path, 'imap-mix', '--port', server.port('imap'), '--clients', 4, '--duration', 2,
                          '--warmup', 0.5, '--password', PASSWORD, '--server-pid', server.pid, *extra)
    assert_clean(res, text)
    r = res['results']
    assert r['connected'] == 4, text
    assert r['ops'] > 50 and r['ops_per_s'] > 10, text
    cmds = r['commands']
    for name in ('FETCH', 'STORE', 'SEARCH', 'APPEND', 'LIST', 'STATUS', 'NOOP'):
        assert cmds[name]['count'] > 0, (name, text)
        assert 0 <= cmds[name]['p50_ms'] <= cmds[name]['p99_ms'] <= cmds[name]['max_ms'], (name, text)
    assert r['store_checks'] > 0, text
    assert 1.5 < res['duration_s'] < 3, text
    assert res['server']['cpu_s'] > 0, text


def test_imap_mix_tls_idle_relogin(server, tmp_path):
    res, text = run_bench(tmp_path, 'imap-mix', '--port', server.port('imaps'), '--tls', '--clients', 3,
                          '--duration', 2, '--warmup', 0.2, '--users', 3, '--password', PASSWORD, '--idle',
                          '--relogin', '--cycle-ops', 5, '--auth', 'plain')
    assert_clean(res, text)
    assert res['results']['commands']['RELOGIN']['count'] > 0, text


def test_idle_fanout(server, tmp_path):
    res, text = run_bench(tmp_path, 'idle-fanout', '--port', server.port('imap'), '--lmtp-port', server.port('lmtp'),
                          '--sessions', 50, '--users', 3, '--password', PASSWORD, '--server-pid', server.pid,
                          '--wake-timeout', 10)
    assert_clean(res, text)
    r = res['results']
    assert r['sessions_idle'] == 50 and r['woken'] == 50 and r['never_woken'] == 0, text
    assert r['woken_within_1s'] == 50, text
    assert 0 <= r['wake_p50_ms'] <= r['wake_p99_ms'] <= r['wake_max_ms'] < 1000, text
    s = res['server']
    assert s['rss_kb_idle'] > 0 and s['pss_kb_idle'] > 0 and 'rss_kb_per_session' in s, text


def test_big_mailbox(server, shared_dir, tmp_path):
    maildir = os.path.join(str(tmp_path), 'gen')
    subprocess.run([sys.executable, os.path.join(shared_dir, 'corpus', 'gen-mailbox.py'), '--count', '300',
                    '--seed', '1', '--format', 'maildir', '--out', maildir], check=True, timeout=60)
    res, text = run_bench(tmp_path, 'lmtp-ingest', '--port', server.port('lmtp'), '--count', 300,
                          '--connections', 2, '--user-format', 'bigbox', '--messages', maildir)
    assert_clean(res, text)
    assert res['results']['delivered'] == 300, text
    res, text = run_bench(tmp_path, 'big-mailbox', '--port', server.port('imap'), '--user', 'bigbox',
                          '--password', PASSWORD, '--expect-count', 300, '--repeat', 2)
    assert_clean(res, text)
    r = res['results']
    assert r['exists'] == 300 and r['fetch_all_count'] == 300, text
    assert r['search_body_7_count'] == 300 // 7 and r['search_body_997_count'] == 0, text
    assert r['search_subject_count'] >= 1, text  # n=150 ends with [batch-3]
    for key in ('select_ms', 'fetch_all_ms', 'search_body_7_ms'):
        assert 0 < r[key]['min'] <= r[key]['median'] and r[key]['first'] > 0, (key, text)
    # A wrong expectation is reported as a violation, exit status 1.
    res, text = run_bench(tmp_path, 'big-mailbox', '--port', server.port('imap'), '--user', 'bigbox',
                          '--password', PASSWORD, '--expect-count', 301, '--repeat', 1, expect_rc=1)
    assert res['violations'] >= 1 and res['ok'] is False, text


def test_connection_refused_is_exit_2(bench_bin, tmp_path):
    port = loftlib.free_port()
    r = subprocess.run([bench_bin, 'imap-mix', '--port', str(port), '--clients', '1', '--duration', '1'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 2, r.stderr


# ---- the checker against a lying server ------------------------------------------------------------


class FakeImap(object):
    """An IMAP server with 3 messages that misbehaves after SELECT:
    'expunge' answers NOOP with an EXPUNGE beyond the message count;
    'size' answers each FETCH with a different RFC822.SIZE for UID 1."""

    def __init__(self, mode):
        self.mode = mode
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.fetches = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(c,), daemon=True).start()

    def session(self, c):
        f = c.makefile('rb')
        c.sendall(b'* OK fake IMAP ready\r\n')
        try:
            for raw in f:
                parts = raw.decode().rstrip('\r\n').split(' ', 2)
                tag, cmd = parts[0], parts[1].upper() if len(parts) > 1 else ''
                out = []
                if cmd == 'CAPABILITY':
                    out.append('* CAPABILITY IMAP4rev1')
                elif cmd == 'LIST':
                    out.append('* LIST () "/" INBOX')
                elif cmd == 'SELECT':
                    out += ['* 3 EXISTS', '* OK [UIDVALIDITY 7] ok', '* OK [UIDNEXT 4] ok']
                elif cmd == 'FETCH' and 'ENVELOPE' not in parts[2]:
                    out += ['* %d FETCH (UID %d FLAGS ())' % (i, i) for i in (1, 2, 3)]
                elif cmd == 'FETCH':
                    self.fetches += 1
                    for i in (1, 2, 3):
                        size = 1000 + i + (self.fetches if (self.mode == 'size' and i == 1) else 0)
                        out.append('* %d FETCH (UID %d FLAGS () RFC822.SIZE %d ENVELOPE (NIL "s%d" NIL NIL NIL NIL '
                                   'NIL NIL NIL "<m%d@x>"))' % (i, i, size, i, i))
                elif cmd == 'NOOP' and self.mode == 'expunge':
                    out.append('* 7 EXPUNGE')
                elif cmd == 'LOGOUT':
                    c.sendall(('* BYE bye\r\n%s OK done\r\n' % tag).encode())
                    return
                out.append('%s OK done' % tag)
                c.sendall(''.join(line + '\r\n' for line in out).encode())
        except OSError:
            pass
        finally:
            c.close()

    def close(self):
        self.sock.close()


@pytest.mark.parametrize('mode,mix', [('expunge', 'NOOP=1'), ('size', 'FETCH=1')])
def test_checker_catches_a_lying_server(bench_bin, tmp_path, mode, mix):
    fake = FakeImap(mode)
    try:
        zero = ','.join('%s=0' % n for n in ('FETCH', 'FETCH_BODY', 'FETCH_PART', 'STORE', 'SEARCH', 'APPEND',
                                              'EXPUNGE', 'STATUS', 'LIST', 'NOOP') if n != mix.split('=')[0])
        res, text = run_bench(tmp_path, 'imap-mix', '--port', fake.port, '--clients', 1, '--duration', 0.5,
                              '--warmup', 0, '--users', 1, '--password', 'x', '--mix', zero + ',' + mix,
                              expect_rc=1)
        assert res['ok'] is False and res['violations'] > 0, text
        want = 'EXPUNGE beyond' if mode == 'expunge' else 'size 100'
        assert any(want in v for v in res['results']['violation_samples']), text
    finally:
        fake.close()
