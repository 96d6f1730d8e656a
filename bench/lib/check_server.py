#!/usr/bin/env python3
"""Checks that a server under test serves what was provisioned: IMAP login
and the INBOX message count, POP3 login and STAT, and that LMTP knows the
user (RCPT accepted, transaction then reset: nothing is delivered).

    check_server.py --imap P --pop3 P --lmtp P --password PW USER=COUNT ...

Exits non-zero (with the reason on stderr) at the first mismatch; prints
one line per user on success. Python standard library only.
"""
import argparse
import imaplib
import poplib
import smtplib
import sys


def check(a, user, count):
    m = imaplib.IMAP4('127.0.0.1', a.imap, timeout=120)
    try:
        m.login(user, a.password)
        typ, data = m.status('INBOX', '(MESSAGES)')
        if typ != 'OK':
            raise AssertionError('IMAP STATUS failed: %r' % data)
        n = int(data[0].decode().split('MESSAGES')[1].strip(' )'))
    finally:
        try:
            m.logout()
        except Exception:
            pass
    if count >= 0 and n != count:
        raise AssertionError('IMAP: %s has %d messages in INBOX, expected %d' % (user, n, count))
    p = poplib.POP3('127.0.0.1', a.pop3, timeout=120)
    try:
        p.user(user)
        p.pass_(a.password)
        pn = p.stat()[0]
    finally:
        p.quit()
    if pn != n:
        raise AssertionError('POP3: %s has %d messages, IMAP said %d' % (user, pn, n))
    with smtplib.LMTP('127.0.0.1', a.lmtp, timeout=60) as s:
        s.ehlo('bench.check')
        code, msg = s.mail('check@example.com')
        if code != 250:
            raise AssertionError('LMTP MAIL FROM: %d %r' % (code, msg))
        code, msg = s.rcpt(a.rcpt_format % user)
        if code != 250:
            raise AssertionError('LMTP RCPT TO %s: %d %r' % (user, code, msg))
        s.rset()
    return n


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--imap', type=int, required=True)
    ap.add_argument('--pop3', type=int, required=True)
    ap.add_argument('--lmtp', type=int, required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--rcpt-format', default='%s')
    ap.add_argument('expect', nargs='+', help='USER=COUNT (COUNT -1: any)')
    a = ap.parse_args(argv)
    for e in a.expect:
        user, _, count = e.partition('=')
        try:
            n = check(a, user, int(count or -1))
        except Exception as ex:  # noqa: BLE001 -- every failure is reported the same way
            print('check_server.py: %s: %s' % (user, ex), file=sys.stderr)
            return 1
        print('%s: %d messages (IMAP, POP3), LMTP accepts it' % (user, n))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
