"""The `loft` command line: users, deliver, configuration errors, and the
behaviour of `loft serve` as a process (listeners, certificates, signals,
privileges)."""

import os
import poplib
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings

import pytest

import loftlib
from loftlib import (EX_CONFIG, EX_NOUSER, EX_TEMPFAIL, EX_USAGE, LOFT_BIN, Pop3Raw, fetch_all, free_ports,
                     make_cert, pop3_login, strip_trace_before)

with warnings.catch_warnings():
    warnings.simplefilter('ignore', DeprecationWarning)
    import crypt


def users(loft, *via):
    r = subprocess.run([LOFT_BIN, 'user', 'list'] + (list(via) or ['--config', loft.config_path]),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.decode().splitlines()


def can_login(loft, user, password):
    p = Pop3Raw('127.0.0.1', loft.port('pop3'))
    try:
        if not p.cmd('USER ' + user).startswith(b'+OK'):
            return False
        ok = p.cmd('PASS ' + password).startswith(b'+OK')
        if ok:
            p.cmd('QUIT')
        return ok
    finally:
        p.close()


def run_owner():
    """The user `loft serve` runs as when started as root with no run_as."""
    return 'loft' if loftlib.user_exists('loft') else 'nobody'


# ---- users ---------------------------------------------------------------------------


def test_user_add_list_passwd_del(loft):
    loft.add_user('alice', 'alice pw with spaces')
    loft.add_user('bob', 'bob-pw')
    assert sorted(users(loft)) == ['alice', 'bob']
    r = loft.cli('user', 'add', 'alice', input=b'again\n')
    assert r.returncode != 0, 'adding an existing user must fail'
    assert r.stderr.strip(), 'no error message'
    for bad in ('.hidden', 'with space', 'a/b', '../x', '', 'x' * 65):
        r = loft.cli('user', 'add', bad, input=b'pw\n')
        assert r.returncode != 0, 'invalid name %r accepted' % bad
    assert sorted(users(loft)) == ['alice', 'bob']
    # --data works like --config.
    r = subprocess.run([LOFT_BIN, 'user', 'add', 'carol', '--data', loft.data], input=b'carol-pw\n',
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.stderr
    assert sorted(users(loft, '--data', loft.data)) == ['alice', 'bob', 'carol']

    loft.start('pop3')
    assert can_login(loft, 'alice', 'alice pw with spaces')
    assert can_login(loft, 'carol', 'carol-pw')
    # passwd while the server runs (as root, like an administrator).
    r = loft.cli('user', 'passwd', 'alice', input=b'new-alice-pw\n')
    assert r.returncode == 0, r.stderr
    assert can_login(loft, 'alice', 'new-alice-pw')
    assert not can_login(loft, 'alice', 'alice pw with spaces')
    r = loft.cli('user', 'passwd', 'nosuchuser', input=b'x\n')
    assert r.returncode != 0
    # del removes the user and their mail.
    p = pop3_login(loft, 'bob', 'bob-pw')
    p.quit()
    r = loft.cli('user', 'del', 'bob')
    assert r.returncode == 0, r.stderr
    assert sorted(users(loft)) == ['alice', 'carol']
    assert not can_login(loft, 'bob', 'bob-pw')
    assert not os.path.exists(os.path.join(loft.data, 'mail', 'bob')), 'mail of a deleted user left behind'
    r = loft.cli('user', 'del', 'bob')
    assert r.returncode != 0
    # The server still works after all that, also after a restart.
    loft.restart('pop3')
    assert can_login(loft, 'alice', 'new-alice-pw')


def test_user_add_while_serving_then_restart(loft):
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3')
    loft.add_user('dave', 'dave-pw')
    assert can_login(loft, 'dave', 'dave-pw')
    p = pop3_login(loft, 'dave', 'dave-pw')
    assert p.cmd('STAT') == b'+OK 0 0\r\n'
    p.quit()
    loft.restart('pop3')
    assert can_login(loft, 'dave', 'dave-pw')
    assert can_login(loft, 'alice', 'alice-pw')


def test_user_import_passwd_file(loft):
    loft.add_user('alice', 'old-alice-pw')
    sha512 = crypt.crypt('dave-sha512-pw', crypt.mksalt(crypt.METHOD_SHA512))
    assert sha512.startswith('$6$')
    blf = crypt.crypt('erin-blf-pw', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1 << 5))
    assert blf.startswith('$2')
    path = os.path.join(loft.base, 'passwd')
    with open(path, 'w') as f:
        f.write('# Dovecot passwd-file\n'
                '\n'
                'carol:{PLAIN}carol-plain-pw:1000:1000::/home/carol::\n'
                'dave:{SHA512-CRYPT}%s:1001:1001::/home/dave::userdb_quota_rule=*:storage=1G\n'
                'erin:{BLF-CRYPT}%s::::::\n'
                'alice:{PLAIN}new-alice-pw\n' % (sha512, blf))
    r = loft.cli('user', 'import', path)
    assert r.returncode == 0, r.stderr
    assert sorted(users(loft)) == ['alice', 'carol', 'dave', 'erin']

    bad = os.path.join(loft.base, 'passwd-bad')
    with open(bad, 'w') as f:
        f.write('frank:{PLAIN}frank-pw\nthis line is not a passwd entry\n')
    r = loft.cli('user', 'import', bad)
    assert r.returncode != 0, 'a malformed passwd-file was accepted'
    assert re.search(rb'\b2\b', r.stderr), 'the error should name line 2: %r' % r.stderr
    r = loft.cli('user', 'import', os.path.join(loft.base, 'no-such-file'))
    assert r.returncode != 0

    loft.start('pop3')
    assert can_login(loft, 'carol', 'carol-plain-pw')
    assert can_login(loft, 'dave', 'dave-sha512-pw')
    assert can_login(loft, 'erin', 'erin-blf-pw')
    assert can_login(loft, 'alice', 'new-alice-pw'), 'an existing user gets the imported hash'
    assert not can_login(loft, 'alice', 'old-alice-pw')
    assert not can_login(loft, 'dave', 'wrong')
    assert not can_login(loft, 'carol', '{PLAIN}carol-plain-pw')
    # AUTH PLAIN with an imported crypt hash too.
    p = Pop3Raw('127.0.0.1', loft.port('pop3'))
    r = p.cmd('AUTH PLAIN ' + loftlib.b64('\0dave\0dave-sha512-pw'))
    assert r.startswith(b'+OK'), r
    p.quit()


# ---- deliver ---------------------------------------------------------------------------


MSG = (b'From: Deliverer <d@example.org>\r\nTo: alice@loft.test\r\nSubject: via loft deliver\r\n'
       b'Message-ID: <deliver-1@example.org>\r\n\r\nbody line\r\n.dot line\r\n')


def test_deliver_exit_codes_and_result(loft):
    loft.add_user('alice', 'alice-pw')
    r = loft.deliver('alice', MSG, sender='d@example.org')
    assert r.returncode == 0, r.stderr
    r = loft.deliver('ghost', MSG)
    assert r.returncode == EX_NOUSER, (r.returncode, r.stderr)
    r = subprocess.run([LOFT_BIN, 'deliver', '--config', loft.config_path], input=MSG,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == EX_USAGE, 'deliver without --user: %d' % r.returncode
    r = subprocess.run([LOFT_BIN, 'deliver', '--user', 'alice', '--no-such-option', '--config', loft.config_path],
                       input=MSG, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert r.returncode == EX_USAGE, 'unknown option: %d' % r.returncode
    lf = MSG.replace(b'\r\n', b'\n').replace(b'deliver-1', b'deliver-2')
    r = loft.deliver('alice', lf, sender='')
    assert r.returncode == 0, r.stderr
    r = loft.deliver('alice', MSG.replace(b'deliver-1', b'deliver-3'), mailbox='Sent', sender='d@example.org')
    assert r.returncode == 0, r.stderr

    loft.start('pop3')
    msgs = [m for _, _, m in fetch_all(loft, 'alice', 'alice-pw')]
    assert len(msgs) == 2, msgs
    fields, body = strip_trace_before(msgs[0], b'From: Deliverer')
    assert body == MSG
    assert dict(fields).get('return-path') == b'<d@example.org>', fields
    fields, body = strip_trace_before(msgs[1], b'From: Deliverer')
    assert body == lf.replace(b'\n', b'\r\n'), 'bare LF input is stored with CRLF'
    sent = loft.files_in('alice', 'Sent')
    assert len(sent) == 1, sent
    with open(sent[0], 'rb') as f:
        assert f.read().endswith(MSG.replace(b'deliver-1', b'deliver-3'))
    # While the server runs: visible at the next login.
    r = loft.deliver('alice', MSG.replace(b'deliver-1', b'deliver-4'))
    assert r.returncode == 0, r.stderr
    msgs = [m for _, _, m in fetch_all(loft, 'alice', 'alice-pw')]
    assert len(msgs) == 3 and msgs[2].endswith(MSG.replace(b'deliver-1', b'deliver-4'))


def test_deliver_oversize_is_permanent(loft):
    loft.set('limits', 'max_message_size', 2048)
    loft.add_user('alice', 'alice-pw')
    r = loft.deliver('alice', MSG + (b'x' * 70 + b'\r\n') * 80)
    assert r.returncode not in (0, EX_TEMPFAIL), (r.returncode, r.stderr)


def test_deliver_temporary_failure_exit_75(loft):
    loft.add_user('alice', 'alice-pw')
    assert loft.deliver('alice', MSG).returncode == 0
    tmp = os.path.join(loft.maildir('alice'), 'tmp')
    shutil.rmtree(tmp)
    with open(tmp, 'w') as f:  # Maildir/tmp is now a file: every write fails (an I/O error)
        f.write('in the way\n')
    r = loft.deliver('alice', MSG.replace(b'deliver-1', b'deliver-9'))
    assert r.returncode == EX_TEMPFAIL, (r.returncode, r.stderr)
    os.unlink(tmp)
    os.mkdir(tmp)


# ---- configuration errors -----------------------------------------------------------------


def bad_configs(base, cert, key):
    data = os.path.join(base, 'data')
    ok = 'data_dir = "%s"\n' % data
    cases = [
        ('toml syntax', ok + '[listeners\npop3 = ["127.0.0.1:1"]\n'),
        ('wrong type', ok + '[limits]\nmax_message_size = "big"\n'),
        ('negative number', ok + '[limits]\nmax_connections = -5\n'),
        ('bad log level', ok + '[log]\nlevel = "loud"\n'),
        ('bool as string', ok + '[auth]\napop = "yes"\n'),
        ('hostname not a string', ok + 'hostname = 42\n'),
        ('bad listener address', ok + '[listeners]\npop3 = ["nonsense"]\n'),
        ('port out of range', ok + '[listeners]\npop3 = ["127.0.0.1:70000"]\n'),
        ('listener not a list', ok + '[listeners]\npop3 = 1110\n'),
        ('cert without key', ok + '[tls]\ncert = "%s"\n' % cert),
        ('missing certificate file', ok + '[tls]\ncert = "%s/none.pem"\nkey = "%s/none-key.pem"\n' % (base, base)),
    ]
    if loftlib.is_root():
        cases.append(('unknown run_as user', ok + 'run_as = "no-such-user-xyz"\n'))
    return cases


def test_bad_config_exits_78_with_one_line(loft):
    failures = []
    for name, text in bad_configs(loft.base, loft.cert, loft.key):
        path = os.path.join(loft.base, 'bad.toml')
        with open(path, 'w') as f:
            f.write(text)
        try:
            # Never the default ports: an explicit listener unless the case is about [listeners].
            flags = [] if '[listeners]' in text else ['--pop3', '127.0.0.1:%d' % free_ports(1)[0]]
            r = subprocess.run([LOFT_BIN, 'serve', '--config', path] + flags, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=15)
        except subprocess.TimeoutExpired:
            failures.append('%s: still running after 15 s' % name)
            continue
        lines = [l for l in r.stderr.decode('utf-8', 'replace').splitlines() if l.strip()]
        if r.returncode != EX_CONFIG or len(lines) != 1:
            failures.append('%s: exit %d, stderr %r, stdout %r' % (
                name, r.returncode, lines, r.stdout.decode('utf-8', 'replace').splitlines()))
    assert not failures, '\n'.join(failures)


def test_bad_config_for_other_commands(loft):
    path = os.path.join(loft.base, 'bad.toml')
    with open(path, 'w') as f:
        f.write('data_dir = "%s"\n[limits\n' % loft.data)
    for args, stdin in ((['user', 'list'], None), (['user', 'add', 'x'], b'pw\n'),
                        (['deliver', '--user', 'x'], MSG)):
        r = subprocess.run([LOFT_BIN] + args + ['--config', path], input=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=15)
        lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
        assert r.returncode == EX_CONFIG and len(lines) == 1, (args, r.returncode, lines)


def test_missing_config_file(loft):
    r = subprocess.run([LOFT_BIN, 'serve', '--config', os.path.join(loft.base, 'absent.toml')],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=15)
    lines = [l for l in r.stderr.decode().splitlines() if l.strip()]
    assert r.returncode == EX_CONFIG and len(lines) == 1, (r.returncode, lines)


# ---- serve -------------------------------------------------------------------------------


def test_sigterm_with_open_sessions_exits_0(loft):
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3', 'lmtp')
    p = pop3_login(loft, 'alice', 'alice-pw')
    idle = socket.create_connection(('127.0.0.1', loft.port('pop3')))
    l = loftlib.LmtpRaw('127.0.0.1', loft.port('lmtp'))
    l.cmd('LHLO x')
    l.cmd('MAIL FROM:<a@b>')
    l.cmd('RCPT TO:<alice@loft.test>')
    assert l.cmd('DATA')[0] == 354
    l.send(b'Subject: half\r\n\r\nhalf a messa')
    t0 = time.monotonic()
    loft.stop()
    assert time.monotonic() - t0 < 10
    assert p.is_closed(5)
    idle.close()
    l.close()


def test_serve_logs_to_stderr_not_stdout(loft):
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3')
    assert can_login(loft, 'alice', 'alice-pw')
    assert not can_login(loft, 'alice', 'wrong')
    time.sleep(0.2)
    with open(loft.log_paths[-1], 'rb') as f:
        stderr = f.read()
    assert stderr.strip(), 'nothing logged on stderr'
    assert loft.stdout_text() == '', 'loft serve wrote to stdout:\n' + loft.stdout_text()[:2000]


def test_listeners_from_config_and_flags_override(loft):
    loft.add_user('alice', 'alice-pw')
    pop3_port, lmtp_port, other = free_ports(3)
    loft.set('listeners', 'pop3', ['127.0.0.1:%d' % pop3_port])
    loft.set('listeners', 'lmtp', ['127.0.0.1:%d' % lmtp_port])
    loft.ports = {'pop3': pop3_port, 'lmtp': lmtp_port}
    loft.start('pop3', 'lmtp', use_flags=False)
    assert can_login(loft, 'alice', 'alice-pw')
    l = loftlib.LmtpRaw('127.0.0.1', lmtp_port)
    assert l.greeting[0] == 220
    l.close()
    loft.stop()
    # With a flag, exactly the flagged listeners run.
    loft.ports = {'pop3': other}
    loft.start('pop3')
    assert can_login(loft, 'alice', 'alice-pw')
    for port in (pop3_port, lmtp_port):
        with pytest.raises(OSError):
            socket.create_connection(('127.0.0.1', port), timeout=2).close()


def test_ipv6_listener(loft):
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(('::1', 0))
        s.close()
    except OSError:
        pytest.skip('no IPv6 loopback on this machine')
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3', host='::1')
    p = Pop3Raw('::1', loft.port('pop3'))
    p.login('alice', 'alice-pw')
    assert p.cmd('STAT') == b'+OK 0 0\r\n'
    p.quit()


def server_cert_der(port, host='127.0.0.1'):
    ctx = loftlib.client_tls_context(None)
    with socket.create_connection((host, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname='localhost') as t:
            return t.getpeercert(binary_form=True)


def pem_der(path):
    with open(path) as f:
        return ssl.PEM_cert_to_DER_cert(f.read())


def test_self_signed_certificate_made_on_first_start(loft_nocert):
    loft = loft_nocert
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3s', 'pop3')
    cert = os.path.join(loft.data, 'tls', 'cert.pem')
    key = os.path.join(loft.data, 'tls', 'key.pem')
    assert os.path.isfile(cert) and os.path.isfile(key)
    assert os.stat(key).st_mode & 0o077 == 0, 'private key readable by others: %o' % os.stat(key).st_mode
    der = pem_der(cert)
    assert server_cert_der(loft.port('pop3s')) == der
    m = poplib.POP3_SSL('127.0.0.1', loft.port('pop3s'), context=loftlib.client_tls_context(None), timeout=10)
    m.user('alice')
    m.pass_('alice-pw')
    m.quit()
    m = poplib.POP3('127.0.0.1', loft.port('pop3'), timeout=10)
    m.stls(context=loftlib.client_tls_context(None))
    m.quit()
    loft.restart('pop3s', 'pop3')
    assert pem_der(cert) == der, 'certificate regenerated on restart'
    assert server_cert_der(loft.port('pop3s')) == der


def test_sighup_reloads_certificate_and_configuration(loft):
    cert_a, key_a = make_cert(loft.base, name='a')
    cert_b, key_b = make_cert(loft.base, name='b')
    live_cert = os.path.join(loft.base, 'live.pem')
    live_key = os.path.join(loft.base, 'live-key.pem')
    shutil.copy(cert_a, live_cert)
    shutil.copy(key_a, live_key)
    loft.set('tls', 'cert', live_cert)
    loft.set('tls', 'key', live_key)
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3s', 'pop3')
    assert server_cert_der(loft.port('pop3s')) == pem_der(cert_a)
    held = pop3_login(loft, 'alice', 'alice-pw')

    shutil.copy(cert_b, live_cert)
    shutil.copy(key_b, live_key)
    loft.set('auth', 'plaintext_on_loopback', False)
    loft.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 5
    while server_cert_der(loft.port('pop3s')) != pem_der(cert_b):
        assert time.monotonic() < deadline, 'certificate not reloaded after SIGHUP\n' + loft.log_text()
        time.sleep(0.2)
    assert loft.running()
    p = Pop3Raw('127.0.0.1', loft.port('pop3'))
    u = p.cmd('USER alice')
    r = u if not u.startswith(b'+OK') else p.cmd('PASS alice-pw')
    assert r.startswith(b'-ERR [AUTH]'), 'plaintext_on_loopback=false not applied by SIGHUP: %r' % r
    p.close()
    # The session that was open meanwhile is unaffected.
    assert held.cmd('STAT') == b'+OK 0 0\r\n'
    held.quit()

    # A broken configuration on SIGHUP keeps the server running on the old one.
    with open(loft.config_path, 'a') as f:
        f.write('[limits\n')
    loft.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert loft.running(), 'a bad configuration on SIGHUP killed the server\n' + loft.log_text()
    assert server_cert_der(loft.port('pop3s')) == pem_der(cert_b)
    loft.write_config()


@pytest.mark.skipif(not loftlib.is_root(), reason='privilege drop needs root')
def test_drops_privileges_and_owns_data_dir(loft):
    loft.add_user('alice', 'alice-pw')
    assert loft.deliver('alice', MSG).returncode == 0  # files made by root before the start
    loft.start('pop3')
    owner = pwd.getpwnam(run_owner())
    with open('/proc/%d/status' % loft.pid) as f:
        status = f.read()
    uids = re.search(r'^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', status, re.M).groups()
    gids = re.search(r'^Gid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)', status, re.M).groups()
    assert set(int(u) for u in uids) == {owner.pw_uid}, uids
    assert set(int(g) for g in gids) == {owner.pw_gid}, gids
    groups = re.search(r'^Groups:\s*(.*)$', status, re.M).group(1).split()
    assert '0' not in groups, groups
    assert os.stat(loft.data).st_uid == owner.pw_uid
    for root, dirs, files in os.walk(loft.data):
        for n in dirs + files:
            p = os.path.join(root, n)
            if os.path.islink(p):
                continue
            assert os.stat(p).st_uid == owner.pw_uid, '%s not owned by %s' % (p, owner.pw_name)
    # The server can write there: a deletion works.
    p = pop3_login(loft, 'alice', 'alice-pw')
    assert p.cmd('DELE 1').startswith(b'+OK')
    p.quit()
    assert fetch_all(loft, 'alice', 'alice-pw') == []


@pytest.mark.skipif(not loftlib.is_root(), reason='needs root')
def test_binds_privileged_port_before_dropping_root(loft):
    port = next(p for p in range(700, 1000) if port_is_free(p))
    loft.add_user('alice', 'alice-pw')
    loft.ports = {'pop3': port}
    loft.start('pop3')
    assert can_login(loft, 'alice', 'alice-pw')
    with open('/proc/%d/status' % loft.pid) as f:
        assert int(re.search(r'^Uid:\s+(\d+)', f.read(), re.M).group(1)) != 0


def port_is_free(port):
    s = socket.socket()
    try:
        s.bind(('127.0.0.1', port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def test_run_as_configured_user(loft):
    if not loftlib.is_root():
        pytest.skip('needs root')
    target = 'daemon' if loftlib.user_exists('daemon') else None
    if not target:
        pytest.skip('no "daemon" user')
    loft.set(None, 'run_as', target)
    loft.add_user('alice', 'alice-pw')
    loft.start('pop3')
    with open('/proc/%d/status' % loft.pid) as f:
        uid = int(re.search(r'^Uid:\s+(\d+)', f.read(), re.M).group(1))
    assert uid == pwd.getpwnam(target).pw_uid
    assert can_login(loft, 'alice', 'alice-pw')
