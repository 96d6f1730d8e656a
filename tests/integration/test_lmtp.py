"""LMTP (RFC 2033) delivery into the store, checked through POP3 and the Maildir."""

import smtplib
import time

import pytest

from loftlib import LmtpRaw, fetch_all, pop3_login, smtp_stuff, strip_trace_before

PW = {'alice': 'alice-lmtp-pw', 'bob': 'bob-lmtp-pw'}


def message(tag, body=b'Hello there.\r\n', extra=b''):
    return (b'X-Test-Tag: ' + tag.encode() + b'\r\nFrom: Sender <sender@example.org>\r\n'
            b'To: alice@loft.test\r\nSubject: lmtp ' + tag.encode() + b'\r\n'
            b'Message-ID: <' + tag.encode() + b'@example.org>\r\n' + extra + b'\r\n' + body)


BODY_WITH_DOTS = (b'first line\r\n.leading dot\r\n..two dots\r\n.\r\n \xc3\xa4 utf-8 \xe2\x82\xac\r\n'
                  b'tab\there\r\nlast line\r\n')


@pytest.fixture
def lmtp(loft):
    for u, pw in PW.items():
        loft.add_user(u, pw)
    loft.start('lmtp', 'pop3')
    return loft


def lhlo(loft):
    c = smtplib.LMTP('127.0.0.1', loft.port('lmtp'), timeout=20)
    code, msg = c.ehlo()  # smtplib.LMTP sends LHLO for ehlo()
    assert code == 250, msg
    return c


def mailbox(loft, user):
    return [m for _, _, m in fetch_all(loft, user, PW[user])]


def only_message(loft, user):
    msgs = mailbox(loft, user)
    assert len(msgs) == 1, msgs
    return msgs[0]


def check_trace(stored, original_first_line, sender, recipient, shared=False):
    """Checks the prepended Return-Path, Delivered-To and Received fields and
    returns the original message. For a transaction with several recipients
    (shared=True) Delivered-To may be left out, as Dovecot's lmtp does
    (lmtp_hdr_delivery_address is "none" for multi-recipient mails), but it
    must never name another recipient."""
    fields, body = strip_trace_before(stored, original_first_line)
    names = [n for n, _ in fields]
    assert names and names[0] == 'return-path', 'Return-Path must come first: %r' % fields
    assert {'return-path', 'received'} <= set(names), fields
    assert dict(fields)['return-path'] == b'<' + sender.encode() + b'>', fields
    delivered_to = [v for n, v in fields if n == 'delivered-to']
    if not shared:
        assert len(delivered_to) == 1, fields
    for v in delivered_to:
        assert recipient.encode().lower() in v.lower(), fields
    return body


def test_lhlo_capabilities_and_helo_refused(lmtp):
    c = lhlo(lmtp)
    assert c.does_esmtp
    for ext in ('pipelining', 'size', 'enhancedstatuscodes', '8bitmime'):
        assert c.has_extn(ext), (ext, c.esmtp_features)
    assert c.esmtp_features['size'].strip() == str(64 * 1024 * 1024), c.esmtp_features
    c.quit()
    r = LmtpRaw('127.0.0.1', lmtp.port('lmtp'))
    assert r.greeting[0] == 220, r.greeting
    for cmd in ('EHLO client.example', 'HELO client.example'):
        code, text = r.cmd(cmd)
        assert 500 <= code < 600, (cmd, code, text)
    assert r.cmd('LHLO client.example')[0] == 250
    assert r.cmd('QUIT')[0] == 221


def test_single_recipient_byte_exact_with_trace_headers(lmtp):
    msg = message('single', BODY_WITH_DOTS)
    c = lhlo(lmtp)
    refused = c.sendmail('sender@example.org', ['alice@loft.test'], msg)
    assert refused == {}
    c.quit()
    stored = only_message(lmtp, 'alice')
    body = check_trace(stored, b'X-Test-Tag: single', 'sender@example.org', 'alice@loft.test')
    assert body == msg
    assert mailbox(lmtp, 'bob') == []


def test_null_sender_and_received_header(lmtp):
    r = LmtpRaw('127.0.0.1', lmtp.port('lmtp'))
    assert r.cmd('LHLO client.example')[0] == 250
    assert r.cmd('MAIL FROM:<>')[0] == 250
    assert r.cmd('RCPT TO:<alice@loft.test>')[0] == 250
    assert r.cmd('DATA')[0] == 354
    msg = message('bounce', b'a bounce\r\n')
    r.send(smtp_stuff(msg))
    code, text = r.reply()
    assert code == 250 and text[0].startswith('2.0.0'), (code, text)
    r.cmd('QUIT')
    stored = only_message(lmtp, 'alice')
    fields, body = strip_trace_before(stored, b'X-Test-Tag: bounce')
    assert body == msg
    assert dict(fields)['return-path'] == b'<>', fields
    received = dict(fields)['received']
    assert b'loft.test' in received and b';' in received, received  # by <hostname> ... ; date


def test_multi_recipient_one_reply_each(lmtp):
    msg = message('multi', BODY_WITH_DOTS)
    c = lhlo(lmtp)
    assert c.mail('sender@example.org')[0] == 250
    assert c.rcpt('alice@loft.test')[0] == 250
    code, text = c.rcpt('ghost@loft.test')
    assert code == 550 and text.startswith(b'5.1.1'), (code, text)
    assert c.rcpt('Bob@loft.test')[0] == 250, 'user names are case-insensitive'
    code, text = c.data(msg)
    assert code == 250, (code, text)
    code2, text2 = c.getreply()  # LMTP: a second reply for the second accepted recipient
    assert code2 == 250, (code2, text2)
    # The connection goes on normally.
    assert c.noop()[0] == 250
    assert c.rset()[0] == 250
    assert c.sendmail('sender@example.org', ['bob@loft.test'], message('second')) == {}
    c.quit()
    a = only_message(lmtp, 'alice')
    assert check_trace(a, b'X-Test-Tag: multi', 'sender@example.org', 'alice@loft.test', shared=True) == msg
    bobs = mailbox(lmtp, 'bob')
    assert len(bobs) == 2
    assert check_trace(bobs[0], b'X-Test-Tag: multi', 'sender@example.org', 'bob@loft.test', shared=True) == msg
    assert check_trace(bobs[1], b'X-Test-Tag: second', 'sender@example.org', 'bob@loft.test') == message('second')


def test_unknown_user_only(lmtp):
    r = LmtpRaw('127.0.0.1', lmtp.port('lmtp'))
    r.cmd('LHLO client.example')
    assert r.cmd('MAIL FROM:<s@example.org>')[0] == 250
    code, text = r.cmd('RCPT TO:<nobody-here@loft.test>')
    assert code == 550 and text[0].startswith('5.1.1'), (code, text)
    code, text = r.cmd('DATA')
    assert 500 <= code < 600, 'DATA without an accepted recipient: %d %s' % (code, text)
    assert r.cmd('RSET')[0] == 250
    r.cmd('QUIT')


def test_detail_routes_to_existing_folder(lmtp):
    c = lhlo(lmtp)
    assert c.sendmail('s@example.org', ['alice+Sent@loft.test'], message('to-sent')) == {}
    assert c.sendmail('s@example.org', ['alice+Trash@loft.test'], message('to-trash')) == {}
    assert c.sendmail('s@example.org', ['alice+nosuchfolder@loft.test'], message('to-inbox')) == {}
    c.quit()
    inbox = mailbox(lmtp, 'alice')
    assert len(inbox) == 1 and b'X-Test-Tag: to-inbox' in inbox[0], inbox
    for folder, tag in (('Sent', b'to-sent'), ('Trash', b'to-trash')):
        files = lmtp.files_in('alice', folder)
        assert len(files) == 1, (folder, files)
        with open(files[0], 'rb') as f:
            data = f.read()
        _, body = strip_trace_before(data, b'X-Test-Tag: ' + tag)
        assert body == message(tag.decode())


def test_size_limit_552(loft):
    loft.set('limits', 'max_message_size', 50000)
    for u, pw in PW.items():
        loft.add_user(u, pw)
    loft.start('lmtp', 'pop3')
    r = LmtpRaw('127.0.0.1', loft.port('lmtp'))
    code, lines = r.cmd('LHLO client.example')
    assert code == 250 and 'SIZE 50000' in [l.upper() for l in lines], lines
    code, text = r.cmd('MAIL FROM:<s@example.org> SIZE=60000')
    assert code == 552, (code, text)
    assert r.cmd('MAIL FROM:<s@example.org> SIZE=1000')[0] == 250
    assert r.cmd('RCPT TO:<alice@loft.test>')[0] == 250
    assert r.cmd('RCPT TO:<bob@loft.test>')[0] == 250
    assert r.cmd('DATA')[0] == 354
    big = message('too-big', b''.join(b'%07d ' % i + b'y' * 90 + b'\r\n' for i in range(700)))
    assert len(big) > 60000
    r.send(smtp_stuff(big))
    replies = [r.reply(), r.reply()]
    assert [c for c, _ in replies] == [552, 552], replies
    # Still usable afterwards.
    assert r.cmd('MAIL FROM:<s@example.org>')[0] == 250
    assert r.cmd('RCPT TO:<alice@loft.test>')[0] == 250
    assert r.cmd('DATA')[0] == 354
    small = message('small-after-big')
    r.send(smtp_stuff(small))
    assert r.reply()[0] == 250
    r.cmd('QUIT')
    msgs = [m for _, _, m in fetch_all(loft, 'alice', PW['alice'])]
    assert len(msgs) == 1 and b'small-after-big' in msgs[0]
    assert fetch_all(loft, 'bob', PW['bob']) == []


def test_pipelining_in_one_write(lmtp):
    r = LmtpRaw('127.0.0.1', lmtp.port('lmtp'))
    assert r.cmd('LHLO client.example')[0] == 250
    r.send('MAIL FROM:<p@example.org>\r\nRCPT TO:<alice@loft.test>\r\nRCPT TO:<ghost@loft.test>\r\n'
           'RCPT TO:<bob@loft.test>\r\nDATA\r\n')
    codes = [r.reply()[0] for _ in range(5)]
    assert codes == [250, 250, 550, 250, 354], codes
    msg = message('pipelined', BODY_WITH_DOTS)
    r.send(smtp_stuff(msg))
    assert [r.reply()[0], r.reply()[0]] == [250, 250]
    # A whole second transaction, data included, in one write is fine once
    # the client knows the server (the 354 is then read from the buffer).
    msg2 = message('pipelined-2')
    r.send(b'MAIL FROM:<p@example.org>\r\nRCPT TO:<bob@loft.test>\r\nDATA\r\n')
    assert [r.reply()[0] for _ in range(3)] == [250, 250, 354]
    r.send(smtp_stuff(msg2) + b'RSET\r\nNOOP\r\nQUIT\r\n')
    assert [r.reply()[0] for _ in range(4)] == [250, 250, 250, 221]
    assert r.is_closed()
    a = only_message(lmtp, 'alice')
    assert check_trace(a, b'X-Test-Tag: pipelined', 'p@example.org', 'alice@loft.test', shared=True) == msg
    bobs = mailbox(lmtp, 'bob')
    assert len(bobs) == 2
    assert check_trace(bobs[0], b'X-Test-Tag: pipelined', 'p@example.org', 'bob@loft.test', shared=True) == msg
    assert check_trace(bobs[1], b'X-Test-Tag: pipelined', 'p@example.org', 'bob@loft.test') == msg2


def test_command_sequencing_and_bad_input(lmtp):
    r = LmtpRaw('127.0.0.1', lmtp.port('lmtp'))
    code, _ = r.cmd('MAIL FROM:<s@example.org>')
    assert code == 503, 'MAIL before LHLO: %d' % code
    assert r.cmd('LHLO client.example')[0] == 250
    assert r.cmd('RCPT TO:<alice@loft.test>')[0] == 503
    assert r.cmd('DATA')[0] == 503
    assert r.cmd('MAIL FROM alice')[0] == 501
    assert r.cmd('BOGUS')[0] == 500
    code, _ = r.cmd('X' * 100000)
    assert 500 <= code < 600
    assert r.cmd('MAIL FROM:<s@example.org>')[0] == 250
    assert r.cmd('MAIL FROM:<s@example.org>')[0] == 503
    assert r.cmd('RCPT TO:<not an address>')[0] in (501, 550, 553)
    assert r.cmd('RCPT TO:<alice@loft.test>')[0] == 250
    assert r.cmd('RSET')[0] == 250
    assert r.cmd('DATA')[0] == 503
    assert r.cmd('NOOP')[0] == 250
    assert r.cmd('QUIT')[0] == 221
    assert fetch_all(lmtp, 'alice', PW['alice']) == []


def test_delivery_while_pop3_session_holds_the_lock(lmtp):
    p = pop3_login(lmtp, 'alice', PW['alice'])
    assert p.cmd('STAT') == b'+OK 0 0\r\n'
    c = lhlo(lmtp)
    assert c.sendmail('s@example.org', ['alice@loft.test'], message('during-pop3')) == {}
    c.quit()
    assert p.cmd('STAT') == b'+OK 0 0\r\n', 'the POP3 session view must not change'
    p.quit()
    assert b'during-pop3' in only_message(lmtp, 'alice')


def test_many_messages_one_connection(lmtp):
    c = lhlo(lmtp)
    sent = []
    for i in range(50):
        m = message('bulk-%03d' % i, (b'line %d\r\n' % i) * (i + 1))
        assert c.sendmail('s@example.org', ['alice@loft.test'], m) == {}
        sent.append(m)
    c.quit()
    got = mailbox(lmtp, 'alice')
    assert [strip_trace_before(g, b'X-Test-Tag: ')[1] for g in got] == sent
    t0 = time.monotonic()
    uidls = [u for u, _, _ in fetch_all(lmtp, 'alice', PW['alice'])]
    assert len(set(uidls)) == 50
    assert time.monotonic() - t0 < 10
