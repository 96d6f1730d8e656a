#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/seeds/<name>/.

Protocol transcripts are written here by hand; header values for the
rfc2047_2231 target are taken from the shared corpus of real messages
(read-only). The mime target reads that corpus directly at run time
(see fuzz/run.sh), so no messages are copied. Re-running rewrites the seeds.

  fuzz/make_seeds.py [--corpus /work/shared/corpus/messages]
"""
import argparse
import email.parser
import hashlib
import os
import re
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def b(s):
    return s.encode("utf-8", "surrogateescape") if isinstance(s, str) else s


def crlf(s):
    return b(s).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


# ---- imap_command: cut byte, option bits, client bytes ----
IMAP = [
    "a CAPABILITY\r\nb LOGIN user pencil\r\nc SELECT INBOX\r\nd LOGOUT\r\n",
    "a FETCH 1:* (FLAGS UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM \"To\" SUBJECT)]<0.100>)\r\n",
    "a UID FETCH 1:3,5,*:7 (BODYSTRUCTURE ENVELOPE BINARY.PEEK[1.2]<5.10> BINARY.SIZE[1]) (CHANGEDSINCE 12 VANISHED)\r\n",
    "a FETCH 1 BODY[1.2.MIME]\r\nb FETCH 2 (BODY[TEXT] RFC822.HEADER MODSEQ)\r\nc FETCH $ ALL\r\n",
    "a STORE 1:2 +FLAGS.SILENT (\\Seen \\Deleted $Label)\r\nb UID STORE 4 (UNCHANGEDSINCE 9) -FLAGS \\Flagged\r\n",
    "a SEARCH RETURN (MIN MAX COUNT) CHARSET UTF-8 OR FROM alice (NOT SEEN) SINCE 1-Feb-2022 LARGER 100\r\n",
    "a UID SEARCH {5+}\r\nHELLO BODY \"x y\"\r\n",
    "a LIST \"\" *\r\nb LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" \"&AMk-t&AOk-/%\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\nc LSUB \"\" %\r\n",
    "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE APPENDLIMIT)\r\n",
    "a ENABLE QRESYNC CONDSTORE\r\nb SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541 (1:3 5:7)))\r\n",
    "a APPEND Drafts (\\Draft) \"14-Jul-2020 02:44:25 -0700\" {23}\r\nSubject: x\r\n\r\nbody\r\n\r\n",
    "a APPEND INBOX {5+}\r\nhello ~{3+}\r\nb\x00c\r\n",
    "a APPEND INBOX (\\Seen) {5}\r\nhello (\\Flagged) {5}\r\nworld\r\n",
    "a ID (\"name\" \"client\" \"version\" NIL)\r\nb ID NIL\r\n",
    "a COPY 1:5 \"Sent Items\"\r\nb UID MOVE 3 Trash\r\nc UID EXPUNGE 1:2\r\n",
    "a CREATE \"&ZeVnLIqe-\"\r\nb RENAME old/a new/b\r\nc DELETE {4+}\r\nabcd\r\n",
    "a NOOP ((((((((((deep))))))))))\r\n",
    "a FETCH 1 BODY[HEADER.FIELDS {4}\r\nFROM\r\n]\r\n",
    "* BAD\r\n\r\na\r\nb NOOP\r\n)\r\na SELECT \"unterminated\r\na SELECT {99999999999999999999}\r\n",
    "a APPEND INBOX {999999}\r\nb NOOP\r\n",
    "a SEARCH " + "x" * 700 + "\r\nb NOOP\r\n",
    "a IDLE\r\nDONE\r\nb AUTHENTICATE PLAIN AHVzZXIAcGVuY2ls\r\n",
]
IMAP_BITS = [0, 1, 2, 3, 4, 8, 9, 10, 15]


# ---- imap_search: option bits, a date line, SEARCH arguments ----
SEARCH = [
    ("1-Feb-2022", "ALL"),
    ("01-Feb-2022 10:00:00 +0100", "SEEN UNSEEN ANSWERED FLAGGED DELETED DRAFT RECENT NEW OLD"),
    ("Tue, 1 Feb 2022 10:00:00 +0100 (CET)", "OR FROM alice TO bob NOT (SUBJECT hello CC x BCC y)"),
    ("31-Feb-2020", "SINCE 1-Feb-2022 BEFORE 3-Feb-2022 ON 2-Feb-2022"),
    ("24:00:00", "SENTSINCE 1-Jan-2020 SENTBEFORE 1-Jan-2030 SENTON 1-Feb-2022"),
    ("1 Feb 22 10:00 EST", "LARGER 100 SMALLER 100000 UID 10:20,30 1:2 $"),
    ("", "HEADER X-Custom value BODY report TEXT caf\u00e9 KEYWORD work UNKEYWORD $label1"),
    ("", "RETURN (MIN MAX ALL COUNT SAVE) CHARSET US-ASCII (OR SEEN (NOT DELETED))"),
    ("", "MODSEQ \"/flags/\\\\seen\" all 5"),
    ("", "OLDER 3600 YOUNGER 86400000 UID $"),
    ("", "CHARSET KOI8-R TEXT x"),
    ("", "NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT NOT SEEN"),
    ("", "OR OR OR SEEN DRAFT FLAGGED (DELETED ANSWERED)"),
    ("", "SUBJECT {5+}\r\nw\u00f6rld"),
    ("", "TEXT \"\" BODY \"attached.\""),
    ("", "(((((((((((((ALL)))))))))))))"),
]


# ---- pop3_command: cut byte, TOP lines (0xff: RETR), argument line, message ----
POP3_MESSAGES = [
    "Subject: x\r\n\r\nline 1\r\n.line 2\r\n..\r\n.\r\nlast",
    "From: a@b\nSubject: bare LF\n\n.\n.\n\nend\n",
    "",
    ".\r\n",
    "Header: only\r\n",
    "Subject: y\r\n\r\n" + "".join(".%d\r\n" % i for i in range(20)),
]
POP3_ARGS = ["1", "2 10", "  3  ", "4294967296", "-1", "1 x", "12345678901234567890 5", "7 ", "", "1\x00", "9 abc"]


# ---- lmtp_command: cut byte, size limit, MAIL params, RCPT params, DATA stream ----
LMTP = [
    ("FROM:<alice@example.com> SIZE=100 BODY=8BITMIME", "TO:<bob@example.org>",
     "Subject: x\r\n\r\nhello\r\n..dot\r\n.\r\nMAIL FROM:<>\r\n"),
    ("FROM:<>", "TO:<\"al ice\"@[10.0.0.1]>", "a\nb\n.\n"),
    ("FROM:<@relay1,@relay2:user@host>", "TO:<postmaster>", ".\r\n"),
    ("FROM: <x@y> SIZE=99999999999999999999", "TO:bob", "no terminator\r\n.."),
    ("FROM:<a@b> BODY=7BIT FOO=bar", "TO:<bob+detail@example.org> NOTIFY=NEVER", "." * 30 + "\r\n.\r\n"),
    ("FROM:<a\\\"b@c>", "TO:<\"quoted\\\\local\"@x>", "line\r\n.\r\n"),
    ("from:<A@B>", "to:<>", "\r\n.\r\n"),
    ("FROM:<a@b", "TO:<@a:b@c", ".x\r\n..\r\n.\r"),
]


# ---- mime: small structural messages (the corpus is added at run time) ----
MIME = [
    "From: Alice <alice@example.com>\nTo: \"Bob, Jr.\" <bob@example.org>, undisclosed-recipients:;\n"
    "Subject: =?UTF-8?B?aGVsbG8=?=\nDate: Tue, 1 Feb 2022 10:00:00 +0100\nMessage-ID: <1@x>\n"
    "In-Reply-To: <0@x>\n\nbody\n",
    "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"b1\"\n\npreamble\n--b1\n"
    "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9=\n\n"
    "--b1\nContent-Type: multipart/alternative; boundary=b2\n\n--b2\nContent-Type: text/html\n\n<b>x</b>\n"
    "--b2--\n--b1\nContent-Type: message/rfc822\n\nSubject: inner\nFrom: x@y\n\ninner body\n--b1--\nepilogue\n",
    "MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: a\n\nA\n--d\n\nSubject: b\n\nB\n--d--\n",
    "Content-Type: application/octet-stream; name*0*=utf-8''%E2%82%AC; name*1=\".pdf\"\n"
    "Content-Disposition: attachment; filename*=iso-8859-1'en'%A3%20rates.txt\nContent-Language: en, de\n"
    "Content-Location: http://x/y\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\nContent-ID: <id@x>\n"
    "Content-Description: a file\nContent-Transfer-Encoding: base64\n\nAAECAwQF\n",
    "Content-Type: multipart/mixed; boundary=x\n\n--x\n--x\n--x--\n",
    "Content-Type: multipart/mixed\n\nno boundary\n",
    "Subject: no body",
    "",
    "\n\n",
    "Content-Type: message/rfc822\n\nContent-Type: message/rfc822\n\nContent-Type: multipart/mixed; boundary=q\n\n--q\n\nx\n--q--\n",
    "From: a\x00b@c\nSubject: nul\x00here\n\nbody\x00\n",
    "Content-Type: text/plain; charset=\"iso-2022-jp\"\nContent-Transfer-Encoding: 7bit\n\n\x1b$B$3$s$K$A$O\x1b(B\n",
    "From: Group: a@b, \"c\" <d@e>;, (comment) f@g (h)\nSender: <@route,@r2:x@y>\nReply-To: \"x\\\"y\" <z@w>\n\nb\n",
    "Content-Type: multipart/mixed; boundary=\"a\"\n\n--a\nContent-Type: multipart/mixed; boundary=\"a-b\"\n\n--a-b\n\nx\n--a\n\ny\n--a--\n",
    "Content-Type: message/global\n\nSubject: g\n\nG\n",
]


# ---- rfc2047_2231: header values ----
RFC2047 = [
    "=?UTF-8?B?w6lkaXRpb24=?= =?UTF-8?Q?_caf=C3=A9?=",
    "=?iso-8859-1?q?this=20is=20some=20text?=",
    "=?UTF-8?B?4oKs?==?UTF-8?B?4oKs?=",
    "=?utf-8*en?Q?x?= plain =?bogus?Q?y?= =?UTF-8?X?z?=",
    "=?UTF-8?B?4o?= =?UTF-8?B?gqw=?=",
    "=?Shift_JIS?B?g26DjYFbg4/BgVuDiw==?=",
    "application/pdf; name*0*=utf-8''%E2%82%AC; name*1=\"x y\"; name*2*=%41",
    "text/plain; charset=us-ascii (comment); format=flowed; delsp=yes",
    "attachment; filename*=iso-8859-1'en'%A3%20rates.txt; size=123",
    "x/y; a*1=b; a*0=c; a*=d; a=e; a*00=f; a*1*=%zz",
    "multipart/mixed; boundary=\"----=_Part_0_\\\"x\"",
    "a/b;;;=;b=\"unterminated",
    "=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=\r\n\tc",
]


# ---- mutf7: mailbox names ----
MUTF7 = [
    "INBOX", "&-", "&AMk-t&AOk-", "&ZeVnLIqe-", "&U,BTFw-&ZeVnLIqe-", "Sent Items", "a/b/c", "&AGE-",
    "&2D3eAQ-", "&2D0-", "&AAA-", "&Jjo-!", "&", "&-&-&-", "caf\u00e9", "\u65e5\u672c\u8a9e/\u30c6\u30b9\u30c8",
    "\U0001F600", "inbox/Sub", "\xff\xfe", "&ImIDkQ.", "~peter/mail/&U,BTFw-/&ZeVnLIqe-",
]


# ---- sasl: mechanism byte (0 PLAIN, 1 LOGIN, 2 SCRAM-SHA-256, 3 unknown), messages one per line ----
SASL = [
    (0, "\x00user\x00pencil"),
    (0, "user\x00user\x00pencil"),
    (0, "admin\x00user\x00wrong"),
    (0, "\x00\x00"),
    (0, ""),
    (1, "user\npencil"),
    (1, "\nuser\npencil"),
    (1, "User\nwrong"),
    (2, "n,,n=user,r=rOprNGfwEbeRWgbNEkqO\nc=biws,r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
    (2, "y,a=user,n=user,r=abc\nc=eSxhPXVzZXIs,r=%N,p=AAAA"),
    (2, "p=tls-unique,,n=user,r=x"),
    (2, "n,,n=us=2Cer=3D,r=abc,ext=1\nc=biws,r=%N,e=x,p="),
    (2, "n,,m=ext,n=user,r=abc"),
    (2, "n,,n=nobody,r=abc\nc=biws,r=%N,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="),
    (2, "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL\nc=biws,r=%N,p=%P"),
    (2, "n,a=user,n=user,r=abc\nc=bixhPXVzZXIs,r=%N,p=%P\n"),
    (2, "n,,n=User,r=abc\nc=biws,r=%N,p=%P"),
    (3, "AHVzZXIAcGVuY2ls"),
]


def config_seeds():
    out = [
        "",
        "data_dir = \"/tmp/loft-fuzz-data\"\nhostname = \"mail.example.com\"\n",
        "[listeners]\nimap = [\"127.0.0.1:143\", \"[::1]:143\"]\npop3 = []\nlmtp = \"0.0.0.0:24\"\n",
        "[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n",
        "max_message_size = \"10M\"\nmax_connections = 5\nworker_threads = 0\n",
        "max_message_size = \"1X\"\n",
        "max_message_size = -5\n",
        "[log]\nlevel = \"debug\"\n",
        "[log]\nlevel = \"loud\\nline2\"\n",
        "unknown = 1\n",
        "hostname = \"\"\n",
        "[timeouts]\nlogin = 10\nimap_idle = 3600\n",
        "fsync = \"yes\"\n",
        "a = { b = [1, 2, { c = 3 }] }\n",
        "[[x]]\n[[x]]\n",
        "key = \"\"\"\nmulti\nline\"\"\"\n",
        "d = 1979-05-27T07:32:00-08:00\n",
        "= broken",
    ]
    example = os.path.join(HERE, "..", "etc", "loft.toml.example")
    if os.path.exists(example):
        with open(example, "rb") as f:
            out.append(f.read())
    return out


def corpus_header_values(corpus, limit=24):
    """Content-Type / Content-Disposition values with parameters and encoded
    words, from real messages."""
    values = []
    seen = set()
    if not corpus or not os.path.isdir(corpus):
        return values
    parser = email.parser.BytesHeaderParser()
    for name in sorted(os.listdir(corpus)):
        with open(os.path.join(corpus, name), "rb") as f:
            head = f.read(16384)
        try:
            msg = parser.parsebytes(head)
        except Exception:
            continue
        for key in ("Content-Type", "Content-Disposition", "Subject", "From"):
            for v in msg.get_all(key, []) or []:
                v = str(v)
                interesting = "=?" in v or re.search(r"\*\d*\*?=", v) or "name=" in v
                kind = (key, "=?" in v, bool(re.search(r"\*\d*\*?=", v)))
                if interesting and v not in seen and len(v) < 400 and sum(k == kind for k in seen) < 6:
                    seen.add(v)
                    seen.add(kind)
                    values.append(v)
        if len(values) >= limit:
            break
    return values


def write(target, items):
    d = os.path.join(HERE, "seeds", target)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for i, data in enumerate(items):
        data = b(data)
        name = "%02d-%s" % (i, hashlib.sha1(data).hexdigest()[:10])
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/work/shared/corpus/messages")
    args = ap.parse_args()

    imap = []
    for i, t in enumerate(IMAP):
        imap.append(bytes([0, IMAP_BITS[i % len(IMAP_BITS)]]) + b(t))
        if i % 3 == 0:
            imap.append(bytes([7 + i, IMAP_BITS[(i + 4) % len(IMAP_BITS)]]) + b(t))
    write("imap_command", imap)
    write("imap_search", [bytes([i & 1]) + b(d) + b"\n" + b(s) for i, (d, s) in enumerate(SEARCH)])
    pop3 = []
    for i, m in enumerate(POP3_MESSAGES):
        for j in range(2):
            top = 0xFF if j == 0 else i
            pop3.append(bytes([3 + i, top]) + b(POP3_ARGS[(2 * i + j) % len(POP3_ARGS)]) + b"\n" + b(m))
    write("pop3_command", pop3)
    write("lmtp_command", [bytes([5 + i, 255 if i % 2 == 0 else 4]) + b(m) + b"\n" + b(r) + b"\n" + b(d)
                           for i, (m, r, d) in enumerate(LMTP)])
    write("mime", [crlf(m) if i % 2 == 0 else b(m) for i, m in enumerate(MIME)])
    write("rfc2047_2231", RFC2047 + corpus_header_values(args.corpus))
    write("mutf7", MUTF7)
    write("sasl", [bytes([m]) + b(t) for m, t in SASL])
    write("config", config_seeds())


if __name__ == "__main__":
    main()
