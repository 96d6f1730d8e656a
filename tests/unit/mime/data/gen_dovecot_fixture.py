#!/usr/bin/env python3
"""Regenerate the Dovecot answer fixtures used by tests/unit/mime/dovecot_corpus_test.cc.

Usage, with a private Dovecot 2.3 from /work/shared/tools/reference-dovecot.sh:
  reference-dovecot.sh start /tmp/refdc 31000
  cd tests/unit/mime/data
  ./gen_dovecot_fixture.py --port 31143 --corpus ../../../../../shared/corpus/messages \
      --out dovecot_corpus.txt --mailbox corpus --max-item 300000
  ./gen_dovecot_fixture.py --port 31143 --corpus crafted --out dovecot_crafted.txt --mailbox crafted
  reference-dovecot.sh stop /tmp/refdc
(use a new --mailbox name on each run against the same instance).

Messages are APPENDed as imapdiff.py does (line ends normalised to CRLF, a leading mbox
"From " line dropped), then fetched one by one. The answer of each item is stored
byte for byte as the server sent it (quoted strings and literals unchanged).

Output format, binary safe, one record per message:
  "== <file name>\n"
  then for each item: "<ITEM> <length>\n<length bytes>\n"
An item the server did not return is stored with length -1 and no data line.
A value longer than --max-item bytes is abbreviated: "<ITEM> ~<length>\n" followed by
its first and last 2000 bytes and "\n".
"""
import argparse
import os
import re
import socket
import sys

ITEMS = [
    (b'ENVELOPE', b'ENVELOPE'),
    (b'BODYSTRUCTURE', b'BODYSTRUCTURE'),
    (b'BODY', b'BODY'),
    (b'BODY.PEEK[HEADER.FIELDS (FROM SUBJECT DATE CONTENT-TYPE)]',
     b'BODY[HEADER.FIELDS (FROM SUBJECT DATE CONTENT-TYPE)]'),
    (b'BODY.PEEK[1.MIME]', b'BODY[1.MIME]'),
    (b'BODY.PEEK[2.MIME]', b'BODY[2.MIME]'),
    (b'BODY.PEEK[1.1.MIME]', b'BODY[1.1.MIME]'),
    (b'BODY.PEEK[TEXT]<0.40>', b'BODY[TEXT]<0>'),
    (b'BODY.PEEK[1]<0.40>', b'BODY[1]<0>'),
    (b'BODY.PEEK[2]<0.40>', b'BODY[2]<0>'),
    (b'BODY.PEEK[2.HEADER]<0.60>', b'BODY[2.HEADER]<0>'),
    (b'BODY.PEEK[2.TEXT]<0.40>', b'BODY[2.TEXT]<0>'),
]


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)
        self.buf = b''
        self.tagn = 0
        self.read_line()  # greeting

    def read_more(self):
        data = self.sock.recv(1 << 16)
        if not data:
            raise EOFError('server closed the connection')
        self.buf += data

    def read_line(self):
        while b'\r\n' not in self.buf:
            self.read_more()
        line, self.buf = self.buf.split(b'\r\n', 1)
        return line + b'\r\n'

    def read_exact(self, n):
        while len(self.buf) < n:
            self.read_more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def read_response(self):
        """One response line with its literals, raw."""
        out = b''
        while True:
            line = self.read_line()
            out += line
            m = re.search(rb'~?\{(\d+)\+?\}\r\n\Z', line)
            if not m:
                return out
            out += self.read_exact(int(m.group(1)))

    def command(self, *parts):
        """parts: bytes, or ('lit', bytes) for a synchronising literal."""
        self.tagn += 1
        tag = b'T%d' % self.tagn
        pending = tag + b' '
        for p in parts:
            if isinstance(p, tuple):
                data = p[1]
                prefix = b'~' if b'\0' in data else b''
                pending += prefix + b'{%d}\r\n' % len(data)
                self.sock.sendall(pending)
                pending = b''
                while True:
                    r = self.read_response()
                    if r.startswith(b'+'):
                        break
                    if r.startswith(tag + b' '):
                        return r, []
                pending = data
            else:
                pending += p
        self.sock.sendall(pending + b'\r\n')
        untagged = []
        while True:
            r = self.read_response()
            if r.startswith(tag + b' '):
                return r, untagged
            untagged.append(r)


def skip_value(data, i):
    """Index just past the IMAP value (atom, quoted, literal, list) at data[i]."""
    c = data[i:i + 1]
    if c == b'(':
        i += 1
        while True:
            while data[i:i + 1] == b' ':
                i += 1
            if data[i:i + 1] == b')':
                return i + 1
            i = skip_value(data, i)
    if c == b'"':
        i += 1
        while data[i:i + 1] != b'"':
            i += 2 if data[i:i + 1] == b'\\' else 1
        return i + 1
    m = re.match(rb'~?\{(\d+)\}\r\n', data[i:i + 30])
    if m:
        return i + m.end() + int(m.group(1))
    m = re.match(rb'[^ ()\r\n\[]+(\[[^\]]*\])?(<\d+>)?', data[i:])
    return i + m.end()


def fetch_items(resp, names):
    """Map item name -> raw value bytes from one '* n FETCH (...)' response."""
    start = resp.index(b'FETCH (') + len(b'FETCH (')
    i = start
    out = {}
    while resp[i:i + 1] not in (b')', b''):
        while resp[i:i + 1] == b' ':
            i += 1
        j = skip_value(resp, i)
        name = resp[i:j].upper()
        while resp[j:j + 1] == b' ':
            j += 1
        k = skip_value(resp, j)
        out[name] = resp[j:k]
        i = k
    return out


def normalise(data):
    if data.startswith(b'From '):
        data = data.split(b'\n', 1)[1] if b'\n' in data else b''
    data = re.sub(rb'\r?\n', b'\r\n', data)
    return data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--host', default='127.0.0.1')
    ap.add_argument('--port', type=int, default=31143)
    ap.add_argument('--user', default='alice')
    ap.add_argument('--password', default='alice-pass')
    ap.add_argument('--corpus', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--mailbox', default='mimefixture')
    ap.add_argument('--max-item', type=int, default=65536)
    args = ap.parse_args()

    c = Conn(args.host, args.port)
    r, _ = c.command(b'LOGIN ', args.user.encode(), b' ', args.password.encode())
    assert b' OK' in r, r
    c.command(b'DELETE ', args.mailbox.encode())
    r, _ = c.command(b'CREATE ', args.mailbox.encode())
    assert b' OK' in r, r
    names = sorted(os.listdir(args.corpus))
    uids = {}
    for n in names:
        with open(os.path.join(args.corpus, n), 'rb') as f:
            data = normalise(f.read())
        r, _ = c.command(b'APPEND ', args.mailbox.encode(), b' ', ('lit', data))
        m = re.search(rb'APPENDUID \d+ (\d+)', r)
        if m:
            uids[n] = int(m.group(1))
        else:
            print('APPEND failed for %s: %r' % (n, r), file=sys.stderr)
    r, _ = c.command(b'SELECT ', args.mailbox.encode())
    assert b' OK' in r, r
    with open(args.out, 'wb') as out:
        for n in names:
            out.write(b'== ' + n.encode() + b'\n')
            if n not in uids:
                continue
            req = b' '.join(i[0] for i in ITEMS)
            r, untagged = c.command(b'UID FETCH %d (' % uids[n], req, b')')
            got = {}
            for u in untagged:
                if b' FETCH (' in u:
                    got.update(fetch_items(u, None))
            for _, key in ITEMS:
                v = got.get(key)
                if v is None:
                    out.write(key + b' -1\n')
                elif len(v) > args.max_item:
                    out.write(key + b' ~%d\n' % len(v) + v[:2000] + v[-2000:] + b'\n')
                else:
                    out.write(key + b' %d\n' % len(v) + v + b'\n')
    c.command(b'LOGOUT')


if __name__ == '__main__':
    main()
