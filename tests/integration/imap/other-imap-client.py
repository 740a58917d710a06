#!/usr/bin/python3
"""The other device for test-imap-sync.c: Python's imaplib, not our client.

usage: other-imap-client.py USER [--fill N] [--rounds N]

Logs in to the test Dovecot over IMAPS (KURIR_TEST_HOST,
KURIR_TEST_IMAPS_PORT, KURIR_TEST_CA, KURIR_TEST_PASSWORD_<USER>), appends
N more messages to INBOX, selects it and prints "ready". Then, round after
round, until a line "stop" comes on standard input (or after --rounds
rounds, then waiting for it), it changes INBOX the way another device
does: toggles \\Flagged and \\Seen of one message, expunges one (UID STORE
\\Deleted + UID EXPUNGE), moves one to Archive (UID MOVE) and appends one;
it prints "round R" after each. On "stop" it logs out and prints
"stopped R". The messages it picks are spread over the mailbox by round
number, so the same rounds change the same messages.
"""

import argparse
import imaplib
import os
import select
import ssl
import sys


def message(tag, i):
    return (f'From: Other {i} <other{i}@example.org>\r\nTo: u@localhost\r\n'
            f'Subject: {tag} {i}\r\nMessage-ID: <{tag}-{i}@other.example.org>\r\n'
            f'Date: Sat, 28 Nov 2026 09:{i % 60:02d}:00 +0700\r\n'
            'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'
            f'Body of {tag} {i}: wombat{i}.\r\n' + 'Some more text.\r\n' * (i % 7)).encode()


def check(result):
    typ, data = result
    if typ != 'OK':
        sys.exit(f'other-imap-client: {typ} {data!r}')
    return data


def stop_requested(block):
    ready, _, _ = select.select([sys.stdin], [], [], None if block else 0)
    if ready:
        line = sys.stdin.readline()
        return line == '' or line.strip() == 'stop'
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('user')
    parser.add_argument('--fill', type=int, default=0)
    parser.add_argument('--rounds', type=int, default=100)
    args = parser.parse_args()

    context = ssl.create_default_context(cafile=os.environ['KURIR_TEST_CA'])
    imap = imaplib.IMAP4_SSL(os.environ['KURIR_TEST_HOST'],
                             int(os.environ['KURIR_TEST_IMAPS_PORT']), ssl_context=context)
    check(imap.login(args.user, os.environ['KURIR_TEST_PASSWORD_' + args.user.upper()]))
    for i in range(args.fill):
        check(imap.append('INBOX', '(\\Seen)' if i % 2 else None, None, message('filled', i)))
    check(imap.select('INBOX'))
    print('ready', flush=True)

    done = 0
    while not stop_requested(block=done >= args.rounds):
        if done >= args.rounds:
            continue
        r = done + 1
        uids = check(imap.uid('SEARCH', None, 'ALL'))[0].split()
        if len(uids) < 3:
            sys.exit('other-imap-client: INBOX ran out of messages')
        flag = uids[(r * 7) % len(uids)].decode()
        op = '+FLAGS' if r % 2 else '-FLAGS'
        check(imap.uid('STORE', flag, op, '(\\Flagged \\Seen)'))
        gone = uids[(r * 13 + 5) % len(uids)].decode()
        if gone == flag:
            gone = uids[(r * 13 + 6) % len(uids)].decode()
        check(imap.uid('STORE', gone, '+FLAGS', '(\\Deleted)'))
        check(imap.uid('EXPUNGE', gone))
        uids = check(imap.uid('SEARCH', None, 'ALL'))[0].split()
        moved = uids[(r * 17 + 3) % len(uids)].decode()
        check(imap.uid('MOVE', moved, 'Archive'))
        check(imap.append('INBOX', None, None, message('round', r)))
        done = r
        print(f'round {r}', flush=True)
    imap.logout()
    print(f'stopped {done}', flush=True)


if __name__ == '__main__':
    sys.exit(main())
