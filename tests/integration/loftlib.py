"""Helpers shared by Loft's integration tests: running the `loft` binary,
its server, and small protocol clients (POP3, LMTP, SCRAM) that show the
exact bytes on the wire.

Python standard library only.
"""

import base64
import hashlib
import hmac
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
LOFT_BIN = os.environ.get('LOFT_BIN') or os.path.join(REPO_ROOT, 'build', 'loft')


def _sanitized(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
            return b'__asan_init' in data or b'__tsan_init' in data
    except OSError:
        return False


# Memory ceilings in the tests are for the real server. Under AddressSanitizer
# (`make sanitize`) freed memory sits in a quarantine and every allocation has
# redzones, and ThreadSanitizer (`make tsan`) keeps shadow memory and access
# histories, so RSS is several times higher; there the point is memory errors
# and races, not the footprint, and the ceilings are multiplied by this.
MEMORY_SCALE = 8 if _sanitized(LOFT_BIN) else 1
LOFT_SHARED = os.environ.get('LOFT_SHARED') or os.path.join(os.path.dirname(REPO_ROOT), 'shared')

EX_USAGE = 64
EX_NOUSER = 67
EX_TEMPFAIL = 75
EX_CONFIG = 78

# Signs of a crashed or sanitizer-flagged server in its log.
CRASH_MARKERS = ('AddressSanitizer', 'LeakSanitizer', 'ThreadSanitizer', 'runtime error:', 'terminate called',
                 'Segmentation fault', 'core dumped', 'stack smashing')


def is_root():
    return os.geteuid() == 0


def make_base_dir(prefix='loft-it-'):
    """A temporary directory that an unprivileged server (after dropping
    root) can still traverse: /tmp/pytest-of-root is 0700."""
    d = tempfile.mkdtemp(prefix=prefix, dir='/tmp')
    os.chmod(d, 0o755)
    return d


def free_ports(n, host='127.0.0.1'):
    """n distinct TCP ports that were free a moment ago."""
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    socks = []
    try:
        for _ in range(n):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port(host='127.0.0.1'):
    return free_ports(1, host)[0]


def make_cert(directory, cn='localhost', name='cert'):
    """A self-signed certificate for CN=localhost, IP:127.0.0.1 and ::1,
    made with the openssl CLI. Returns (cert path, key path)."""
    cert = os.path.join(directory, name + '.pem')
    key = os.path.join(directory, name + '-key.pem')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
                    '-nodes', '-keyout', key, '-out', cert, '-days', '3', '-subj', '/CN=' + cn,
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    os.chmod(cert, 0o644)
    os.chmod(key, 0o644)  # the server may re-read it (SIGHUP) after dropping root
    return cert, key


def cert_fingerprint_pem(path):
    with open(path) as f:
        der = ssl.PEM_cert_to_DER_cert(f.read())
    return hashlib.sha256(der).hexdigest()


def client_tls_context(cafile=None):
    """A client context that trusts exactly `cafile`, or nothing is checked."""
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.check_hostname = True
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def toml_value(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return '"' + v.replace('\\', '\\\\').replace('"', '\\"') + '"'
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(toml_value(x) for x in v) + ']'
    raise TypeError(v)


def render_toml(cfg):
    """Top-level scalars first, then one [table] per dict value."""
    out = []
    for k, v in cfg.items():
        if not isinstance(v, dict):
            out.append('%s = %s' % (k, toml_value(v)))
    for k, v in cfg.items():
        if isinstance(v, dict):
            out.append('')
            out.append('[%s]' % k)
            for k2, v2 in v.items():
                out.append('%s = %s' % (k2, toml_value(v2)))
    return '\n'.join(out) + '\n'


def first_line(s, wait=3.0):
    """The first line the server sends on socket s, or b'' when it closes first."""
    s.settimeout(wait)
    data = b''
    try:
        while b'\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    return data


def wait_accepting(host, port, proc, timeout=20.0, log=None):
    deadline = time.monotonic() + timeout
    family = socket.AF_INET6 if ':' in host else socket.AF_INET
    while True:
        if proc is not None and proc.poll() is not None:
            raise AssertionError('loft serve exited with %s before %s:%d accepted\n%s'
                                 % (proc.returncode, host, port, log() if log else ''))
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(1.0)
            s.connect((host, port))
            s.close()
            return
        except OSError:
            s.close()
        if time.monotonic() > deadline:
            raise AssertionError('%s:%d did not accept within %.0f s\n%s'
                                 % (host, port, timeout, log() if log else ''))
        time.sleep(0.05)


def owner_preexec(path):
    """For subprocesses run as the owner of `path` (the server's run_as user
    after its first start), like an MTA's pipe transport configured with
    that user would. None when no change is needed."""
    if not is_root():
        return None
    st = os.stat(path)
    if st.st_uid == 0:
        return None
    uid, gid = st.st_uid, st.st_gid

    def fn():
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    return fn


class Loft(object):
    """One Loft installation: a data directory, a configuration file, users,
    and at most one running `loft serve`."""

    def __init__(self, base, cert=None, key=None):
        self.base = base
        self.data = os.path.join(base, 'data')
        self.config_path = os.path.join(base, 'loft.toml')
        self.cert, self.key = cert, key
        self.cfg = {
            'data_dir': self.data,
            'hostname': 'loft.test',
            'auth': {'plaintext_on_loopback': True, 'plaintext_without_tls': False},
            'log': {'level': 'info'},
        }
        if cert:
            self.cfg['tls'] = {'cert': cert, 'key': key}
        self.proc = None
        self.ports = {}
        self.listen_host = '127.0.0.1'
        self.starts = 0
        self.log_paths = []
        self.passwords = {}
        self.write_config()

    # ---- configuration and CLI ----------------------------------------------

    def set(self, section, key, value):
        """set('limits', 'max_message_size', 100) or set(None, 'run_as', 'x')."""
        if section is None:
            self.cfg[key] = value
        else:
            self.cfg.setdefault(section, {})[key] = value
        self.write_config()

    def write_config(self):
        with open(self.config_path, 'w') as f:
            f.write(render_toml(self.cfg))
        os.chmod(self.config_path, 0o644)

    def cli(self, *args, input=None, timeout=60, use_config=True, as_owner=False):
        cmd = [LOFT_BIN] + list(args)
        if use_config:
            cmd += ['--config', self.config_path]
        preexec = owner_preexec(self.data) if (as_owner and os.path.isdir(self.data)) else None
        return subprocess.run(cmd, input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, preexec_fn=preexec)

    def add_user(self, name, password):
        r = self.cli('user', 'add', name, input=(password + '\n').encode())
        assert r.returncode == 0, 'loft user add %s: exit %d\n%s' % (name, r.returncode, r.stderr.decode(
            'utf-8', 'replace'))
        self.passwords[name] = password
        return r

    def deliver(self, user, message, mailbox=None, sender=None, timeout=120):
        """`loft deliver`, run as the data directory's owner. `message` is
        bytes or an open binary file."""
        args = ['deliver', '--user', user]
        if mailbox:
            args += ['--mailbox', mailbox]
        if sender is not None:
            args += ['--from', sender]
        cmd = [LOFT_BIN] + args + ['--config', self.config_path]
        preexec = owner_preexec(self.data) if os.path.isdir(self.data) else None
        if isinstance(message, (bytes, bytearray)):
            return subprocess.run(cmd, input=bytes(message), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  timeout=timeout, preexec_fn=preexec)
        return subprocess.run(cmd, stdin=message, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=timeout, preexec_fn=preexec)

    # ---- the server ----------------------------------------------------------

    def start(self, *listeners, host='127.0.0.1', extra_args=(), use_flags=True, ports=None):
        """Starts `loft serve` with exactly these listeners ('pop3', 'pop3s',
        'lmtp', 'imap', 'imaps') on fresh ports (or the ports of the previous
        start, for restarts), and waits until every one accepts."""
        assert self.proc is None, 'server already running'
        if ports is not None:
            self.ports = dict(ports)
        for name in listeners:
            if name not in self.ports:
                self.ports[name] = free_port(host)
        self.listen_host = host
        hp = ('[%s]' % host) if ':' in host else host
        cmd = [LOFT_BIN, 'serve', '--config', self.config_path]
        if use_flags:
            for name in listeners:
                cmd += ['--' + name, '%s:%d' % (hp, self.ports[name])]
        cmd += list(extra_args)
        self.starts += 1
        log_path = os.path.join(self.base, 'serve-%d.log' % self.starts)
        self.log_paths.append(log_path)
        self._log = open(log_path, 'wb')  # stderr, where the server logs
        self.stdout_path = os.path.join(self.base, 'serve-%d.stdout' % self.starts)
        self._stdout = open(self.stdout_path, 'wb')
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._stdout, stderr=self._log)
        self._stdout.close()
        self._log.close()
        for name in listeners:
            wait_accepting(host, self.ports[name], self.proc, log=self.log_text)
        return self

    @property
    def pid(self):
        return self.proc.pid

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stdout_text(self):
        try:
            with open(self.stdout_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except (OSError, AttributeError):
            return ''

    def log_text(self, tail=60):
        if not self.log_paths:
            return ''
        try:
            with open(self.log_paths[-1], 'rb') as f:
                lines = f.read().decode('utf-8', 'replace').splitlines()
        except OSError:
            return ''
        text = '--- loft serve stderr (%s) ---\n%s' % (self.log_paths[-1], '\n'.join(lines[-tail:]))
        out = self.stdout_text().splitlines()
        if out:
            text += '\n--- loft serve stdout ---\n' + '\n'.join(out[-tail:])
        return text

    def stop(self, timeout=20.0, check=True):
        """SIGTERM; the server must exit 0 without any sign of a crash."""
        if self.proc is None:
            return None
        proc, self.proc = self.proc, None
        died = proc.poll() is not None
        assert not died, 'loft serve had already exited (status %s) before SIGTERM\n%s' % (
            proc.returncode, self.log_text())
        proc.send_signal(signal.SIGTERM)
        try:
            rc = proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise AssertionError('loft serve did not stop within %.0f s of SIGTERM\n%s' % (timeout, self.log_text()))
        if check:
            assert rc == 0, 'loft serve exited with status %s after SIGTERM\n%s' % (rc, self.log_text())
            text = self.log_text(tail=100000)
            for marker in CRASH_MARKERS:
                assert marker not in text, 'crash marker %r in the server log\n%s' % (marker, self.log_text())
        return rc

    def kill9(self):
        proc, self.proc = self.proc, None
        proc.kill()
        proc.wait()

    def restart(self, *listeners):
        self.stop()
        return self.start(*listeners, ports=self.ports)

    def rss_kb(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
        return 0

    def port(self, name):
        return self.ports[name]

    # ---- the mail store on disk ------------------------------------------------

    def maildir(self, user, folder=None):
        p = os.path.join(self.data, 'mail', user, 'Maildir')
        if folder:
            p = os.path.join(p, '.' + folder)
        return p

    def drop_messages(self, user, messages, prefix='it'):
        """Puts message files into the user's Maildir/new/ the way an external
        delivery agent does (tmp/ then rename), names sorting in list order."""
        md = self.maildir(user)
        for sub in ('cur', 'new', 'tmp'):
            os.makedirs(os.path.join(md, sub), exist_ok=True)
        owner = os.stat(self.data)
        names = []
        stamp = int(time.time())
        for i, m in enumerate(messages):
            name = '%d.%s%06d.loft-it' % (stamp, prefix, i)
            tmp = os.path.join(md, 'tmp', name)
            with open(tmp, 'wb') as f:
                f.write(m)
            if is_root():
                os.chown(tmp, owner.st_uid, owner.st_gid)
            os.rename(tmp, os.path.join(md, 'new', name))
            names.append(name)
        return names

    def files_in(self, user, folder=None):
        md = self.maildir(user, folder)
        out = []
        for sub in ('new', 'cur'):
            d = os.path.join(md, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    def cleanup(self):
        if self.proc is not None:
            self.stop()


# ---- POP3 -------------------------------------------------------------------------


class LineClient(object):
    """A socket with a line reader; keeps the exact bytes."""

    def __init__(self, host, port, timeout=15.0, tls=None, source=None, server_hostname='localhost'):
        family = socket.AF_INET6 if ':' in host else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((host, port))
        if tls is not None:
            s = tls.wrap_socket(s, server_hostname=server_hostname)
        self.sock = s
        self.buf = bytearray()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def fill(self):
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise EOFError('connection closed by the server')
        self.buf += chunk

    def readline(self, limit=1 << 20):
        while True:
            i = self.buf.find(b'\n')
            if i >= 0:
                line = bytes(self.buf[:i + 1])
                del self.buf[:i + 1]
                return line
            if len(self.buf) > limit:
                raise AssertionError('server line longer than %d bytes' % limit)
            self.fill()

    def read_until(self, terminator):
        start = 0
        while True:
            i = self.buf.find(terminator, start)
            if i >= 0:
                end = i + len(terminator)
                data = bytes(self.buf[:end])
                del self.buf[:end]
                return data
            start = max(0, len(self.buf) - len(terminator))
            self.fill()

    def starttls(self, ctx, server_hostname='localhost'):
        assert not self.buf, 'bytes after the STLS answer before the handshake: %r' % self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)

    def is_closed(self, wait=2.0):
        """True when the server closed the connection (EOF or reset) within `wait`."""
        self.sock.settimeout(wait)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError, OSError):
            return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def pop3_unstuff(wire):
    """Multi-line POP3 data as sent (ending with CRLF.CRLF) -> the content."""
    assert wire.endswith(b'.\r\n'), wire[-20:]
    body = wire[:-3]
    if body.startswith(b'.'):
        body = body[1:]
    return body.replace(b'\r\n.', b'\r\n')


def pop3_stuff(message):
    """What a server must send for `message` (CRLF lines) before the final dot."""
    out = message.replace(b'\r\n.', b'\r\n..')
    if out.startswith(b'.'):
        out = b'.' + out
    if not out.endswith(b'\r\n'):
        out += b'\r\n'
    return out


class Pop3Raw(LineClient):
    """A POP3 client that exposes every byte."""

    def __init__(self, host, port, **kw):
        LineClient.__init__(self, host, port, **kw)
        self.greeting = self.readline()

    def cmd(self, line):
        self.send(line + '\r\n' if isinstance(line, str) else line + b'\r\n')
        return self.readline()

    def multi(self, line):
        """(first line, raw multi-line data incl. terminator or None)."""
        first = self.cmd(line)
        if not first.startswith(b'+OK'):
            return first, None
        return first, self.read_until_terminator()

    def read_until_terminator(self):
        """Reads multi-line data up to and including the line ".": the
        returned bytes end with ".\r\n" (just ".\r\n" when empty)."""
        start = 0
        while True:
            if self.buf.startswith(b'.\r\n'):
                del self.buf[:3]
                return b'.\r\n'
            i = self.buf.find(b'\r\n.\r\n', start)
            if i >= 0:
                data = bytes(self.buf[:i + 5])
                del self.buf[:i + 5]
                return data
            start = max(0, len(self.buf) - 4)
            self.fill()

    def login(self, user, password):
        r = self.cmd('USER ' + user)
        assert r.startswith(b'+OK'), r
        r = self.cmd('PASS ' + password)
        assert r.startswith(b'+OK'), r
        return r

    def retr(self, n):
        first, wire = self.multi('RETR %d' % n)
        assert first.startswith(b'+OK'), first
        return pop3_unstuff(wire)

    def quit(self):
        r = self.cmd('QUIT')
        self.close()
        return r


def pop3_login(loft, user, password=None, port=None, **kw):
    p = Pop3Raw('127.0.0.1', port or loft.port('pop3'), **kw)
    p.login(user, password if password is not None else loft.passwords[user])
    return p


def parse_listing(wire):
    """'1 120\\r\\n2 300\\r\\n.\\r\\n' -> {1: '120', 2: '300'}."""
    out = {}
    for line in wire.split(b'\r\n'):
        if line in (b'', b'.'):
            continue
        n, v = line.split(b' ', 1)
        out[int(n)] = v.decode()
    return out


def fetch_all(loft, user, password=None, delete=False):
    """Every message of a maildrop through POP3: list of (uidl, size, bytes)."""
    p = pop3_login(loft, user, password)
    try:
        first, wire = p.multi('UIDL')
        assert first.startswith(b'+OK'), first
        uidls = parse_listing(wire)
        first, wire = p.multi('LIST')
        assert first.startswith(b'+OK'), first
        sizes = {k: int(v) for k, v in parse_listing(wire).items()}
        out = []
        for n in sorted(sizes):
            out.append((uidls[n], sizes[n], p.retr(n)))
            if delete:
                assert p.cmd('DELE %d' % n).startswith(b'+OK')
        assert p.cmd('QUIT').startswith(b'+OK')
        return out
    finally:
        p.close()


# ---- SASL -------------------------------------------------------------------------


def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.b64encode(data).decode()


def scram_sha256_client(user, password, send_recv):
    """Runs the client side of SCRAM-SHA-256 (RFC 5802/7677).
    send_recv(client_message bytes) -> server challenge bytes.
    Returns the verified server signature check result (bool)."""
    nonce = b64(os.urandom(18))
    bare = 'n=%s,r=%s' % (user.replace('=', '=3D').replace(',', '=2C'), nonce)
    server_first = send_recv(('n,,' + bare).encode()).decode()
    attrs = dict(kv.split('=', 1) for kv in server_first.split(','))
    assert attrs['r'].startswith(nonce), server_first
    salt = base64.b64decode(attrs['s'])
    iterations = int(attrs['i'])
    salted = hashlib.pbkdf2_hmac('sha256', password.encode(), salt, iterations)
    client_key = hmac.new(salted, b'Client Key', hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    without_proof = 'c=biws,r=' + attrs['r']
    auth_message = ','.join([bare, server_first, without_proof]).encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_final = send_recv((without_proof + ',p=' + b64(proof)).encode())
    server_key = hmac.new(salted, b'Server Key', hashlib.sha256).digest()
    expected = b'v=' + base64.b64encode(hmac.new(server_key, auth_message, hashlib.sha256).digest())
    return server_final == expected, server_final


# ---- LMTP -------------------------------------------------------------------------


class LmtpRaw(LineClient):
    def __init__(self, host, port, **kw):
        LineClient.__init__(self, host, port, **kw)
        self.greeting = self.reply()

    def reply(self):
        """(code, [text lines]) of one possibly multi-line reply."""
        lines = []
        while True:
            line = self.readline()
            assert len(line) >= 4 and line[:3].isdigit(), 'bad reply line %r' % line
            lines.append(line[4:].rstrip(b'\r\n').decode('utf-8', 'replace'))
            if line[3:4] != b'-':
                return int(line[:3]), lines

    def cmd(self, line):
        self.send(line + '\r\n')
        return self.reply()


def smtp_stuff(message):
    """Message (CRLF lines) -> DATA payload including the final dot."""
    out = message.replace(b'\r\n.', b'\r\n..')
    if out.startswith(b'.'):
        out = b'.' + out
    if not out.endswith(b'\r\n'):
        out += b'\r\n'
    return out + b'.\r\n'


TRACE_FIELDS = ('return-path', 'delivered-to', 'received')


def split_trace(stored, original):
    """A stored message = prepended trace header fields + the original.
    Returns the prepended block (bytes); asserts the rest is byte-exact."""
    assert stored.endswith(original), 'stored message does not end with the original bytes ' \
        '(lengths %d / %d)' % (len(stored), len(original))
    return stored[:len(stored) - len(original)]


def trace_fields(block):
    """Parses a block of header fields -> list of (lower-case name, value)."""
    fields = []
    for line in block.split(b'\r\n'):
        if not line:
            continue
        if line[:1] in (b' ', b'\t'):
            assert fields, 'continuation line without a field: %r' % line
            name, value = fields[-1]
            fields[-1] = (name, value + b'\r\n' + line)
            continue
        assert b':' in line, 'not a header field: %r' % line
        name, value = line.split(b':', 1)
        fields.append((name.strip().lower().decode(), value.strip()))
    return fields


def strip_trace_before(stored, marker):
    """Removes the prepended trace fields in front of the original message,
    whose first line starts with `marker`; returns (fields, original)."""
    i = 0 if stored.startswith(marker) else stored.find(b'\r\n' + marker)
    assert i >= 0, 'marker %r not found in stored message' % marker
    if i > 0:
        i += 2
    block, original = stored[:i], stored[i:]
    fields = trace_fields(block)
    for name, _ in fields:
        assert name in TRACE_FIELDS, 'unexpected prepended field %r' % name
    return fields, original


def user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def rmtree(path):
    shutil.rmtree(path, ignore_errors=True)


def header_value(message, name):
    m = re.search(rb'(?im)^' + re.escape(name.encode()) + rb':[ \t]*(.*)\r\n', message)
    return m.group(1) if m else None


def make_big_message(path, size):
    """A message of about `size` bytes with 100-character lines (some with
    leading dots); returns its bytes."""
    parts = [b'From: big@example.org\r\nTo: alice@loft.test\r\nSubject: big\r\n'
             b'Message-ID: <big@example.org>\r\n\r\n']
    n = 0
    total = len(parts[0])
    rnd = os.urandom(75 * 4096)
    block = [base64.b64encode(rnd[i * 75:(i + 1) * 75]) for i in range(4096)]
    while total < size:
        line = block[n % 4096]
        if n % 997 == 0:
            line = b'.' + line[1:]
        if n % 4099 == 0:
            line = b'.'
        line = line + b'%08d\r\n' % n
        parts.append(line)
        total += len(line)
        n += 1
    data = b''.join(parts)
    with open(path, 'wb') as f:
        f.write(data)
    return data


class RssSampler(object):
    """Samples a running server's RSS every 20 ms in a thread, for
    memory-bound tests: `with RssSampler(loft) as rss: ...; rss.peak()`."""

    def __init__(self, loft):
        self.loft = loft
        self.samples = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            try:
                self.samples.append(self.loft.rss_kb())
            except OSError:
                return
            time.sleep(0.02)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        return False

    def peak(self):
        return max(self.samples) if self.samples else 0
