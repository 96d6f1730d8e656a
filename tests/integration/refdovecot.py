"""The reference Dovecot for differential tests: a fixture that starts a
private one, and the files of explained differences."""

import json
import os
import random
import shutil
import socket
import subprocess
import tempfile

import pytest


def ports_free(*ports):
    for p in ports:
        s = socket.socket()
        try:
            s.bind(('127.0.0.1', p))
        except OSError:
            return False
        finally:
            s.close()
    return True


@pytest.fixture
def dovecot(shared_dir):
    """A private reference Dovecot (../shared/tools/reference-dovecot.sh) on
    random free ports: {'imap': port, 'pop3': port, 'dir': its directory}."""
    script = os.path.join(shared_dir, 'tools', 'reference-dovecot.sh')
    if not (os.path.exists('/usr/sbin/dovecot') and os.path.exists('/usr/lib/dovecot/pop3') and os.path.exists('/usr/lib/dovecot/imap')):
        pytest.fail('Dovecot is not installed (needed for the reference comparison): '
                    'apt-get install dovecot-imapd dovecot-pop3d dovecot-lmtpd')
    d = tempfile.mkdtemp(prefix='rd', dir='/tmp')  # short: Dovecot's unix socket paths
    os.chmod(d, 0o755)
    errors = []
    for _ in range(10):
        base = random.randrange(20000, 60000, 100)
        if not ports_free(base + 110, base + 143):
            continue
        r = subprocess.run([script, 'start', d, str(base)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if r.returncode == 0:
            break
        errors.append(r.stdout.decode('utf-8', 'replace'))
    else:
        shutil.rmtree(d, ignore_errors=True)
        pytest.fail('reference Dovecot did not start:\n' + '\n'.join(errors))
    yield {'imap': base + 143, 'pop3': base + 110, 'dir': d}
    subprocess.run([script, 'stop', d], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
    shutil.rmtree(d, ignore_errors=True)


def load_known(path):
    """The explained differences of a *_dovecot_known_differences.json file."""
    with open(path) as f:
        known = json.load(f)
    for k in known:
        assert k.get('where') and k.get('item') and k.get('reason'), 'incomplete entry in %s: %r' % (path, k)
    return known


def is_known(diff, known):
    """An entry matches on where and item, and on the differing values when
    it gives them (so that a new difference in the same place still fails)."""
    for k in known:
        if (k['where'], k['item']) != (diff['where'], diff['item']):
            continue
        if 'a' in k and k['a'] != diff['a']:
            continue
        if 'b' in k and k['b'] != diff['b']:
            continue
        return True
    return False
