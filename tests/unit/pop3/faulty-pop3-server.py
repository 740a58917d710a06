#!/usr/bin/python3
"""A small POP3 server that breaks on purpose, for the sync's fault tests.

usage: faulty-pop3-server.py MAILDIR [--cut POINT] [--no-uidl] [--in-use] [--no-top] [--bare]

Serves the files of MAILDIR (sorted by name; each one message, LF or CRLF)
on 127.0.0.1, one connection after another, and prints its port on the
first line of standard output. Deletions are applied at QUIT, as RFC 1939
says. The password is "secret".

The first connection breaks at POINT, later ones behave:
  capa     close on receiving CAPA
  auth     close right after accepting the password
  retr:K   send half of the K-th RETR reply, then close
  dele     close right after the first DELE reply
  quit     close on receiving QUIT, without applying the deletions
--no-uidl: no UIDL capability (and -ERR to UIDL).
--in-use:  every login fails with -ERR [IN-USE].
"""

import argparse
import os
import socket
import sys


def load(maildir):
    messages = []
    for name in sorted(os.listdir(maildir)):
        with open(os.path.join(maildir, name), 'rb') as f:
            data = f.read().replace(b'\r\n', b'\n').replace(b'\n', b'\r\n')
        messages.append((name, data))
    return messages


def stuffed(data):
    lines = data.split(b'\r\n')
    if lines and lines[-1] == b'':
        lines.pop()
    out = b''.join((b'.' + l if l.startswith(b'.') else l) + b'\r\n' for l in lines)
    return out + b'.\r\n'


def serve(conn, args, cut):
    messages = load(args.maildir)
    deleted = set()
    retr_count = 0
    f = conn.makefile('rb')
    send = conn.sendall
    send(b'+OK faulty POP3 ready\r\n')
    while True:
        line = f.readline()
        if not line:
            return
        words = line.strip().split(b' ')
        cmd = words[0].upper()
        arg = int(words[1]) if len(words) > 1 and words[1].isdigit() else 0

        def valid(n):
            return 1 <= n <= len(messages) and n not in deleted

        if cmd == b'CAPA' and args.bare:
            send(b'-ERR no CAPA here\r\n')
        elif cmd == b'CAPA':
            if cut == 'capa':
                return
            capa = [b'USER', b'PIPELINING'] + ([] if args.no_top else [b'TOP'])
            if not args.no_uidl:
                capa.append(b'UIDL')
            send(b'+OK\r\n' + b''.join(c + b'\r\n' for c in capa) + b'.\r\n')
        elif cmd == b'USER':
            send(b'+OK\r\n')
        elif cmd == b'PASS':
            if args.in_use:
                send(b'-ERR [IN-USE] the mailbox is locked by another client\r\n')
            elif len(words) < 2 or words[1] != b'secret':
                send(b'-ERR [AUTH] invalid password\r\n')
            else:
                send(b'+OK logged in\r\n')
                if cut == 'auth':
                    return
        elif cmd == b'STAT':
            live = [m for i, m in enumerate(messages, 1) if i not in deleted]
            send(b'+OK %d %d\r\n' % (len(live), sum(len(d) for _, d in live)))
        elif cmd == b'LIST':
            body = b''.join(b'%d %d\r\n' % (i, len(d)) for i, (_, d) in enumerate(messages, 1)
                            if i not in deleted)
            send(b'+OK\r\n' + body + b'.\r\n')
        elif cmd == b'UIDL' and not args.no_uidl:
            body = b''.join(b'%d %s\r\n' % (i, n.encode()) for i, (n, _) in enumerate(messages, 1)
                            if i not in deleted)
            send(b'+OK\r\n' + body + b'.\r\n')
        elif cmd == b'TOP' and valid(arg) and not (args.no_top or args.bare):
            head = messages[arg - 1][1].split(b'\r\n\r\n', 1)[0] + b'\r\n\r\n'
            send(b'+OK\r\n' + stuffed(head))
        elif cmd == b'RETR' and valid(arg):
            retr_count += 1
            reply = b'+OK\r\n' + stuffed(messages[arg - 1][1])
            if cut == 'retr:%d' % retr_count:
                send(reply[:len(reply) // 2])
                return
            send(reply)
        elif cmd == b'DELE' and valid(arg):
            deleted.add(arg)
            send(b'+OK deleted\r\n')
            if cut == 'dele':
                return
        elif cmd == b'RSET':
            deleted.clear()
            send(b'+OK\r\n')
        elif cmd == b'NOOP':
            send(b'+OK\r\n')
        elif cmd == b'QUIT':
            if cut == 'quit':
                return
            for i in deleted:
                os.unlink(os.path.join(args.maildir, messages[i - 1][0]))
            send(b'+OK bye\r\n')
            return
        else:
            send(b'-ERR no\r\n')


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('maildir')
    parser.add_argument('--cut', default='')
    parser.add_argument('--no-uidl', action='store_true')
    parser.add_argument('--in-use', action='store_true')
    parser.add_argument('--no-top', action='store_true')  # no TOP in CAPA, -ERR to it
    parser.add_argument('--bare', action='store_true')    # -ERR to CAPA and TOP (RFC 1939 only)
    args = parser.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', 0))
    listener.listen(4)
    print(listener.getsockname()[1], flush=True)

    first = True
    while True:
        conn, _ = listener.accept()
        try:
            serve(conn, args, args.cut if first else '')
        except (ConnectionError, OSError):
            pass
        finally:
            first = False
            conn.close()


if __name__ == '__main__':
    sys.exit(main())
