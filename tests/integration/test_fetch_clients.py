"""Real POP3 clients against Loft: fetchmail and getmail6, plain, STLS and
POP3S; messages must arrive byte-exact (modulo the client's own line-end
conversion) and be deleted on the server unless kept."""

import os
import pwd
import shutil
import subprocess

import pytest

import loftlib
from loftlib import fetch_all

PW = 'fetch-Pass-7'


def messages():
    out = []
    for i in range(4):
        body = b''.join(b'line %d of message %d\r\n' % (j, i) for j in range(1, 6 + i * 3))
        if i == 1:
            body += b'.leading dot\r\n..two dots\r\n.\r\n'
        if i == 2:
            body += b'8-bit: \xc3\xa4\xc3\xb6\xc3\xbc \xe2\x82\xac\r\n'
        out.append(b'Return-Path: <sender%d@example.org>\r\nFrom: Sender %d <sender%d@example.org>\r\n'
                   b'To: alice@loft.test\r\nSubject: fetch test %d\r\nMessage-ID: <fetch-%d@example.org>\r\n'
                   b'\r\n' % (i, i, i, i, i) + body)
    return out


MSGS = messages()


@pytest.fixture
def served(loft):
    loft.add_user('alice', PW)
    loft.drop_messages('alice', MSGS)
    loft.start('pop3', 'pop3s')
    return loft


def remaining(loft):
    return [m for _, _, m in fetch_all(loft, 'alice', PW)]


# ---- fetchmail --------------------------------------------------------------------------

MDA = r'''import os, sys
d = sys.argv[1]
data = sys.stdin.buffer.read()
n = len([x for x in os.listdir(d) if x.endswith('.msg')])
with open(os.path.join(d, '%04d.msg' % n), 'wb') as f:
    f.write(data)
'''


def fetchmail(loft, workdir, poll_options, extra_args=()):
    os.makedirs(workdir, exist_ok=True)
    out = os.path.join(workdir, 'out')
    os.makedirs(out, exist_ok=True)
    mda = os.path.join(workdir, 'mda.py')
    with open(mda, 'w') as f:
        f.write(MDA)
    rc = os.path.join(workdir, 'fetchmailrc')
    with open(rc, 'w') as f:
        f.write('set no bouncemail\nset invisible\n' + poll_options + '\n')
    os.chmod(rc, 0o600)
    env = dict(os.environ, HOME=workdir, FETCHMAILHOME=workdir)
    cmd = ['fetchmail', '-f', rc, '--nosyslog', '--idfile', os.path.join(workdir, 'ids'),
           '--pidfile', os.path.join(workdir, 'pid'), '-v'] + list(extra_args)
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
    got = []
    for name in sorted(os.listdir(out)):
        with open(os.path.join(out, name), 'rb') as f:
            got.append(f.read())
    return r, got, '/usr/bin/python3 %s %s' % (mda, out)


def lf(m):
    return m.replace(b'\r\n', b'\n')


def test_fetchmail_pop3_stls_keep_then_delete(served, tls_cert):
    wd = os.path.join(served.base, 'fm1')
    mda_cmd = '/usr/bin/python3 %s %s' % (os.path.join(wd, 'mda.py'), os.path.join(wd, 'out'))
    poll = ('poll 127.0.0.1 with proto POP3 port %d\n'
            '  user "alice" there with password "%s" is "root" here\n'
            '  sslcertck sslcertfile "%s" sslcommonname "localhost"\n'
            '  keep\n'
            '  mda "%s"\n' % (served.port('pop3'), PW, tls_cert[0], mda_cmd))
    r, got, _ = fetchmail(served, wd, poll)
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert 'POP3> STLS' in out, 'fetchmail did not use STLS:\n' + out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == MSGS, 'kept messages must stay on the server'

    # Without keep (and with --all, since the UIDs are known now): fetched and deleted.
    shutil.rmtree(os.path.join(wd, 'out'))
    r, got, _ = fetchmail(served, wd, poll.replace('  keep\n', '  nokeep fetchall\n'))
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == [], out


def test_fetchmail_plain_pop3_with_mda_option(served):
    wd = os.path.join(served.base, 'fm2')
    poll = ('poll 127.0.0.1 with proto POP3 port %d\n'
            '  user "alice" there with password "%s" is "root" here\n'
            "  sslproto ''\n" % (served.port('pop3'), PW))
    mda_cmd = '/usr/bin/python3 %s %s' % (os.path.join(wd, 'mda.py'), os.path.join(wd, 'out'))
    r, got, _ = fetchmail(served, wd, poll, extra_args=['--mda', mda_cmd, '--nokeep'])
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert 'POP3> STLS' not in out, 'sslproto "" must keep fetchmail from STLS:\n' + out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == []
    # A second run finds nothing: fetchmail exits 1 ("no mail").
    shutil.rmtree(os.path.join(wd, 'out'))
    r, got, _ = fetchmail(served, wd, poll, extra_args=['--mda', mda_cmd, '--nokeep'])
    assert r.returncode == 1, r.stdout.decode('utf-8', 'replace')
    assert got == []


def test_fetchmail_pop3s_to_mbox(served):
    wd = os.path.join(served.base, 'fm3')
    mbox = os.path.join(wd, 'mbox')
    os.makedirs(wd, exist_ok=True)
    # An mbox through the MDA fetchmail is configured with (a From_ line and
    # >From quoting are the MDA's business: here a plain append with a separator).
    poll = ('poll 127.0.0.1 with proto POP3 port %d\n'
            '  user "alice" there with password "%s" is "root" here\n'
            '  ssl sslproto "TLS1.2+" no sslcertck\n'
            '  keep\n'
            '  mda "/bin/sh -c \'{ echo From fetchmail@localhost; cat; echo; } >> %s\'"\n'
            % (served.port('pop3s'), PW, mbox))
    r, _, _ = fetchmail(served, wd, poll)
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    with open(mbox, 'rb') as f:
        data = f.read()
    expected = b''.join(b'From fetchmail@localhost\n' + lf(m) + b'\n' for m in MSGS)
    assert data == expected, out
    assert remaining(served) == MSGS


# ---- getmail6 ---------------------------------------------------------------------------


def getmail(loft, workdir, retriever, port, delete, extra=''):
    gmdir = os.path.join(workdir, 'getmail')
    maildir = os.path.join(workdir, 'Maildir')
    for sub in ('cur', 'new', 'tmp'):
        os.makedirs(os.path.join(maildir, sub), exist_ok=True)
    os.makedirs(gmdir, exist_ok=True)
    dest_user = ''
    if loftlib.is_root():
        # getmail refuses to deliver as root; it switches to this user.
        nobody = pwd.getpwnam('nobody')
        for root, dirs, files in os.walk(maildir):
            os.chown(root, nobody.pw_uid, nobody.pw_gid)
        dest_user = 'user = nobody\n'
    with open(os.path.join(gmdir, 'getmailrc'), 'w') as f:
        f.write('[retriever]\ntype = %s\nserver = 127.0.0.1\nport = %d\nusername = alice\npassword = %s\n%s\n'
                '[destination]\ntype = Maildir\npath = %s/\n%s\n'
                '[options]\nread_all = true\ndelete = %s\nreceived = false\ndelivered_to = false\n'
                'verbose = 2\nmessage_log_syslog = false\n'
                % (retriever, port, PW, extra, maildir, dest_user, 'true' if delete else 'false'))
    r = subprocess.run(['getmail', '--getmaildir', gmdir, '--rcfile', 'getmailrc'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=120)
    got = []
    for name in os.listdir(os.path.join(maildir, 'new')):
        with open(os.path.join(maildir, 'new', name), 'rb') as f:
            got.append(f.read())
    shutil.rmtree(maildir)
    return r, sorted(got, key=lambda m: m[m.find(b'Subject:'):])


def test_getmail_pop3_keep_then_delete(served):
    wd = os.path.join(served.base, 'gm1')
    r, got = getmail(served, wd, 'SimplePOP3Retriever', served.port('pop3'), delete=False)
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == MSGS
    r, got = getmail(served, wd, 'SimplePOP3Retriever', served.port('pop3'), delete=True)
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == []


def test_getmail_pop3_ssl(served, tls_cert):
    wd = os.path.join(served.base, 'gm2')
    r, got = getmail(served, wd, 'SimplePOP3SSLRetriever', served.port('pop3s'), delete=True,
                     extra='ca_certs = %s\nssl_cert_hostname = localhost\n' % tls_cert[0])
    out = r.stdout.decode('utf-8', 'replace')
    assert r.returncode == 0, out
    assert got == [lf(m) for m in MSGS], out
    assert remaining(served) == []
