#!/usr/bin/python3
"""A small stateful IMAP server that breaks on purpose, for the sync's
fault tests (test-imap-sync-faults.c).

usage: faulty-imap-server.py STATE [--fault F] [--caps CAPS] [--log FILE]

Serves two folders, INBOX and Archive, on 127.0.0.1, one connection after
another, and prints its port on the first line of standard output. The
password is "secret" (LOGIN only). STATE is a file the server rewrites
after every command that changes something, one message a line:
"FOLDER UID SHA256-OF-THE-BYTES FLAG FLAG ...", so a test can compare its
store to it.

The mail: 12 messages in INBOX (UIDs 1..12, a third \\Seen, a quarter
\\Flagged), 2 in Archive. Every change raises the folder's HIGHESTMODSEQ;
with CONDSTORE, FETCH ... (CHANGEDSINCE n) answers only what changed.

Faults (once: the connection where the fault fires; later ones behave):
  cut-login    close on receiving LOGIN
  cut-list     close on receiving LIST
  cut-select   close on receiving SELECT
  cut-fetch    half of a UID FETCH's answer (cut inside a literal), close
  cut-store    apply a UID STORE, close without answering
  cut-move     apply a UID MOVE, close without answering
  bye-fetch    "* BYE" in the middle of a UID FETCH's answer, close
  literal      a literal announced as 4294967296 bytes, then bytes forever
  garbage      bytes that are no IMAP in the middle of a UID FETCH answer
  exists-expunge  in the middle of a UID FETCH answer of 4 or more messages
               with their header or body,
               another client's work: a new message (* EXISTS), then one
               message already answered and one not yet answered expunged
               (* EXPUNGE, or * VANISHED once QRESYNC is enabled); the rest
               of the answer comes with the new sequence numbers and
               without the expunged one, and the command succeeds
Framing (every connection):
  split        every byte of every response in a packet of its own
  merge        answers held back until no command is waiting, then sent
               in one write
--caps: extra capabilities (default "CONDSTORE QRESYNC ENABLE UIDPLUS MOVE");
  with IDLE, IDLE waits for DONE (nothing changes meanwhile).
--log FILE: every command received, one a line (tags dropped).
The server exits when its standard input closes.
"""

import argparse
import hashlib
import os
import re
import select
import socket
import sys
import threading

HEADERS = ('From: Pengirim {i} <p{i}@example.org>\r\nTo: u@example.org\r\n'
           'Subject: Pesan {i}\r\nMessage-ID: <faulty-{i}@example.org>\r\n'
           'Date: Fri, 27 Nov 2026 10:{m:02d}:00 +0700\r\n')


def make_message(i):
    head = HEADERS.format(i=i, m=i % 60).encode()
    body = (f'Isi pesan nomor {i}.\r\n' * (3 + i % 5)).encode()
    return head + b'\r\n' + body


class Folder:
    def __init__(self, uidvalidity):
        self.uidvalidity = uidvalidity
        self.uidnext = 1
        self.modseq = 1
        self.messages = []   # dicts: uid, flags (set), data, modseq

    def add(self, data, flags=()):
        self.modseq += 1
        self.messages.append({'uid': self.uidnext, 'flags': set(flags), 'data': data,
                              'modseq': self.modseq})
        self.uidnext += 1
        return self.uidnext - 1


class State:
    def __init__(self, path):
        self.path = path
        self.folders = {'INBOX': Folder(1000), 'Archive': Folder(2000)}
        for i in range(1, 13):
            flags = (['\\Seen'] if i % 3 == 0 else []) + (['\\Flagged'] if i % 4 == 0 else [])
            self.folders['INBOX'].add(make_message(i), flags)
        for i in range(13, 15):
            self.folders['Archive'].add(make_message(i), ['\\Seen'])
        self.save()

    def save(self):
        with open(self.path + '.tmp', 'w') as f:
            for name, folder in sorted(self.folders.items()):
                for m in folder.messages:
                    f.write(' '.join([name, str(m['uid']), hashlib.sha256(m['data']).hexdigest()]
                                     + sorted(m['flags'])) + '\n')
        os.replace(self.path + '.tmp', self.path)


class Cut(Exception):
    """The fault fired: the connection ends."""


def tokens(line):
    """The words of a command: atoms, "quoted", (lists) kept as text."""
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c == ' ':
            i += 1
        elif c == '"':
            j = i + 1
            s = ''
            while line[j] != '"':
                if line[j] == '\\':
                    j += 1
                s += line[j]
                j += 1
            out.append(s)
            i = j + 1
        elif c == '(':
            depth, j = 0, i
            while True:
                if line[j] == '(':
                    depth += 1
                elif line[j] == ')':
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            out.append(line[i:j + 1])
            i = j + 1
        else:
            j = line.find(' ', i)
            j = len(line) if j < 0 else j
            out.append(line[i:j])
            i = j
    return out


def in_set(uid, spec, largest):
    for part in spec.split(','):
        a, _, b = part.partition(':')
        a = largest if a == '*' else int(a)
        b = a if not b else (largest if b == '*' else int(b))
        lo, hi = min(a, b), max(a, b)
        if lo <= uid <= hi:
            return True
    return False


def select_uids(folder, spec):
    largest = folder.messages[-1]['uid'] if folder.messages else 0
    return [(n + 1, m) for n, m in enumerate(folder.messages) if in_set(m['uid'], spec, largest)]


class Session:
    def __init__(self, conn, state, args, fault):
        self.conn = conn
        self.state = state
        self.args = args
        self.fault = fault
        self.fired = False      # the fault has begun on this connection
        self.out = bytearray()
        self.folder = None
        self.enabled = set()
        self.caps = 'IMAP4rev1 ' + args.caps
        self.inbuf = bytearray()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.out += data
        if self.args.framing != 'merge':
            self.flush()

    def flush(self):
        if not self.out:
            return
        if self.args.framing == 'split':
            for b in bytes(self.out):
                self.conn.sendall(bytes([b]))
        else:
            self.conn.sendall(bytes(self.out))
        self.out.clear()

    def _fill(self):
        data = self.conn.recv(65536)
        if not data:
            return False
        self.inbuf += data
        return True

    def readline(self):
        while b'\n' not in self.inbuf:
            if not self._fill():
                return b''
        end = self.inbuf.index(b'\n') + 1
        line = bytes(self.inbuf[:end])
        del self.inbuf[:end]
        return line

    def read(self, n):
        while len(self.inbuf) < n:
            if not self._fill():
                break
        data = bytes(self.inbuf[:n])
        del self.inbuf[:n]
        return data

    def read_command(self):
        if self.args.framing == 'merge' and b'\n' not in self.inbuf:
            # Answer only once no further command is waiting.
            ready, _, _ = select.select([self.conn], [], [], 0.05)
            if not ready:
                self.flush()
        line = self.readline()
        if not line:
            return None
        line = line.rstrip(b'\r\n')
        # A literal from the client (APPEND): {n} or {n+}.
        while True:
            m = re.search(rb'\{(\d+)(\+?)\}$', line)
            if not m:
                break
            if not m.group(2):
                self.send('+ go on\r\n')
                self.flush()
            self.literal = self.read(int(m.group(1)))
            rest = self.readline().rstrip(b'\r\n')
            line = line[:m.start()] + b'{LITERAL}' + rest
        return line.decode('utf-8', 'replace')

    def log(self, text):
        if self.args.log:
            with open(self.args.log, 'a') as f:
                f.write(text + '\n')

    def fetch_item(self, seq, m, items, with_modseq):
        parts = [f'UID {m["uid"]}']
        literals = []
        up = items.upper()
        if 'FLAGS' in up:
            parts.append('FLAGS (' + ' '.join(sorted(m['flags'])) + ')')
        if 'INTERNALDATE' in up:
            parts.append('INTERNALDATE "27-Nov-2026 10:00:00 +0700"')
        if 'RFC822.SIZE' in up:
            parts.append(f'RFC822.SIZE {len(m["data"])}')
        if with_modseq:
            parts.append(f'MODSEQ ({m["modseq"]})')
        fields = re.search(r'BODY\.PEEK\[HEADER\.FIELDS \(([^)]*)\)\]', up)
        if fields:
            wanted = fields.group(1).split()
            head = m['data'][:m['data'].index(b'\r\n\r\n') + 2]
            lines = [line + b'\r\n' for line in head.split(b'\r\n')
                     if line.split(b':')[0].decode().upper() in wanted]
            literals.append((f'BODY[HEADER.FIELDS ({fields.group(1)})]',
                             b''.join(lines) + b'\r\n'))
        elif 'BODY.PEEK[HEADER]' in up:
            head = m['data'][:m['data'].index(b'\r\n\r\n') + 4]
            literals.append(('BODY[HEADER]', head))
        elif 'BODY.PEEK[]' in up:
            literals.append(('BODY[]', m['data']))
        text = f'* {seq} FETCH (' + ' '.join(parts)
        out = text.encode()
        for name, data in literals:
            out += f' {name} {{{len(data)}}}\r\n'.encode() + data
        return out + b')\r\n'

    def fetch_with_changes(self, tag, folder, chosen, items, with_modseq):
        """The exists-expunge fault: another client acts mid-answer."""
        self.fired = True
        half = len(chosen) // 2
        for s, m in chosen[:half]:
            self.send(self.fetch_item(s, m, items, with_modseq))
        folder.add(make_message(99), ['\\Seen'])
        self.send(f'* {len(folder.messages)} EXISTS\r\n')
        gone = [chosen[0][1], chosen[half][1]]
        seqs = sorted((folder.messages.index(m) + 1 for m in gone), reverse=True)
        folder.messages = [m for m in folder.messages if m not in gone]
        folder.modseq += 1
        self.state.save()
        if 'QRESYNC' in self.enabled:
            self.send('* VANISHED ' + ','.join(str(m['uid']) for m in gone) + '\r\n')
        else:
            for seq in seqs:
                self.send(f'* {seq} EXPUNGE\r\n')
        for _, m in chosen[half:]:
            if m in folder.messages:
                seq = folder.messages.index(m) + 1
                self.send(self.fetch_item(seq, m, items, with_modseq))
        self.send(f'{tag} OK UID FETCH done\r\n')

    def do_fetch(self, tag, words):
        folder = self.state.folders[self.folder]
        spec, items = words[0], words[1]
        changedsince = None
        if len(words) > 2:
            m = re.search(r'CHANGEDSINCE (\d+)', words[2].upper())
            if m:
                changedsince = int(m.group(1))
        with_modseq = bool(self.enabled & {'CONDSTORE', 'QRESYNC'}) or changedsince is not None
        chosen = [(s, m) for s, m in select_uids(folder, spec)
                  if changedsince is None or m['modseq'] > changedsince]
        if self.fault == 'exists-expunge' and not self.fired and len(chosen) >= 4 and \
                'BODY' in items.upper():
            self.fetch_with_changes(tag, folder, chosen, items, with_modseq)
            return
        answers = [self.fetch_item(s, m, items, with_modseq) for s, m in chosen]
        if self.fault in ('cut-fetch', 'bye-fetch', 'garbage', 'literal') and answers:
            self.fired = True
            half = len(answers) // 2
            for a in answers[:half]:
                self.send(a)
            if self.fault == 'cut-fetch':
                self.send(answers[half][:len(answers[half]) - 20])
            elif self.fault == 'bye-fetch':
                self.send('* BYE going down now\r\n')
            elif self.fault == 'garbage':
                self.send(b'* 3 FETCH (UID ))) \x00\xff\xfe "unterminated\r\n'
                          b'\x01\x02 nonsense ((((\r\n')
                self.send(f'{tag} OK done\r\n')
                self.flush()
                # Keep the connection until the client leaves it (a reset
                # counts as leaving: the fault has fired either way).
                try:
                    while self.readline():
                        pass
                except OSError:
                    pass
            elif self.fault == 'literal':
                self.send('* 1 FETCH (UID 1 BODY[HEADER] {4294967296}\r\n')
                self.flush()
                chunk = b'x' * 65536
                try:
                    while True:
                        self.conn.sendall(chunk)
                except OSError:
                    pass
            self.flush()
            raise Cut()
        for a in answers:
            self.send(a)
        self.send(f'{tag} OK UID FETCH done\r\n')

    def do_store(self, tag, words):
        folder = self.state.folders[self.folder]
        spec = words[0]
        rest = words[1:]
        if rest and rest[0].upper().startswith('(UNCHANGEDSINCE'):
            rest = rest[1:]
        action = rest[0].upper()
        flags = set(f for f in rest[1].strip('()').split() if f)
        for _, m in select_uids(folder, spec):
            old = set(m['flags'])
            if action.startswith('+'):
                m['flags'] |= flags
            elif action.startswith('-'):
                m['flags'] -= flags
            else:
                m['flags'] = set(flags)
            if m['flags'] != old:
                folder.modseq += 1
                m['modseq'] = folder.modseq
        self.state.save()
        if self.fault == 'cut-store':
            self.fired = True
            raise Cut()
        self.send(f'{tag} OK UID STORE done\r\n')

    def do_move(self, tag, words):
        folder = self.state.folders[self.folder]
        dest = self.state.folders.get(words[1])
        if dest is None:
            self.send(f'{tag} NO [TRYCREATE] no such folder\r\n')
            return
        moved = select_uids(folder, words[0])
        pairs = []
        for seq, m in moved:
            new_uid = dest.add(m['data'], m['flags'])
            pairs.append((m['uid'], new_uid))
        folder.messages = [m for m in folder.messages
                           if m['uid'] not in {u for u, _ in pairs}]
        folder.modseq += 1
        self.state.save()
        if self.fault == 'cut-move':
            self.fired = True
            raise Cut()
        if pairs:
            src = ','.join(str(a) for a, _ in pairs)
            dst = ','.join(str(b) for _, b in pairs)
            self.send(f'* OK [COPYUID {dest.uidvalidity} {src} {dst}] moved\r\n')
        for seq, _ in sorted(moved, reverse=True):
            self.send(f'* {seq} EXPUNGE\r\n')
        self.send(f'{tag} OK UID MOVE done\r\n')

    def do_expunge(self, tag, words):
        folder = self.state.folders[self.folder]
        gone = [(s, m) for s, m in select_uids(folder, words[0]) if '\\Deleted' in m['flags']]
        folder.messages = [m for m in folder.messages if m not in [g for _, g in gone]]
        folder.modseq += 1
        self.state.save()
        for seq, _ in sorted(gone, key=lambda x: x[0], reverse=True):
            self.send(f'* {seq} EXPUNGE\r\n')
        self.send(f'{tag} OK UID EXPUNGE done\r\n')

    def do_select(self, tag, command, words):
        name = words[0]
        if name.upper() == 'INBOX':
            name = 'INBOX'
        folder = self.state.folders.get(name)
        if folder is None:
            self.send(f'{tag} NO [NONEXISTENT] no such folder\r\n')
            return
        self.folder = name
        if len(words) > 1 and 'CONDSTORE' in words[1].upper():
            self.enabled.add('CONDSTORE')
        self.send(f'* {len(folder.messages)} EXISTS\r\n* 0 RECENT\r\n'
                  '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n'
                  '* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] ok\r\n'
                  f'* OK [UIDVALIDITY {folder.uidvalidity}] ok\r\n'
                  f'* OK [UIDNEXT {folder.uidnext}] ok\r\n')
        if 'CONDSTORE' in self.args.caps:
            self.send(f'* OK [HIGHESTMODSEQ {folder.modseq}] ok\r\n')
        m = re.search(r'QRESYNC \((\d+) (\d+)', ' '.join(words[1:]).upper())
        if m and 'QRESYNC' in self.enabled and int(m.group(1)) == folder.uidvalidity:
            since = int(m.group(2))
            # No expunge memory: report every UID not here below UIDNEXT.
            present = {x['uid'] for x in folder.messages}
            gone = [str(u) for u in range(1, folder.uidnext) if u not in present]
            if gone:
                self.send('* VANISHED (EARLIER) ' + ','.join(gone) + '\r\n')
            for n, msg in enumerate(folder.messages):
                if msg['modseq'] > since:
                    self.send(f'* {n + 1} FETCH (UID {msg["uid"]} FLAGS ('
                              + ' '.join(sorted(msg['flags'])) + f') MODSEQ ({msg["modseq"]}))\r\n')
        self.send(f'{tag} OK [READ-WRITE] {command} done\r\n')

    def run(self):
        self.send(f'* OK [CAPABILITY {self.caps}] faulty IMAP ready\r\n')
        while True:
            line = self.read_command()
            if line is None:
                return
            tag, _, rest = line.partition(' ')
            words = tokens(rest)
            if not words:
                self.send(f'{tag} BAD empty\r\n')
                continue
            command = words[0].upper()
            args = words[1:]
            if command == 'UID' and args:
                command = 'UID ' + args[0].upper()
                args = args[1:]
            self.log(rest if command != 'LOGIN' else 'LOGIN ***')
            if self.fault == 'cut-' + command.split()[-1].lower() and \
                    command in ('LOGIN', 'LIST', 'SELECT'):
                raise Cut()
            if command == 'CAPABILITY':
                self.send(f'* CAPABILITY {self.caps}\r\n{tag} OK done\r\n')
            elif command == 'LOGIN':
                if len(args) == 2 and args[1] == 'secret':
                    self.send(f'{tag} OK [CAPABILITY {self.caps}] logged in\r\n')
                else:
                    self.send(f'{tag} NO [AUTHENTICATIONFAILED] wrong\r\n')
            elif command == 'ENABLE':
                ok = [a.upper() for a in args if a.upper() in self.args.caps.upper().split()]
                self.enabled |= set(ok)
                if 'QRESYNC' in ok:
                    self.enabled.add('CONDSTORE')
                self.send(f'* ENABLED {" ".join(ok)}\r\n{tag} OK enabled\r\n')
            elif command == 'LIST':
                self.send('* LIST (\\HasNoChildren) "/" INBOX\r\n'
                          '* LIST (\\HasNoChildren) "/" Archive\r\n'
                          f'{tag} OK LIST done\r\n')
            elif command in ('SELECT', 'EXAMINE'):
                self.do_select(tag, command, args)
            elif command == 'UID FETCH' and self.folder:
                self.do_fetch(tag, args)
            elif command == 'UID STORE' and self.folder:
                self.do_store(tag, args)
            elif command == 'UID MOVE' and self.folder:
                self.do_move(tag, args)
            elif command == 'UID EXPUNGE' and self.folder:
                self.do_expunge(tag, args)
            elif command == 'IDLE' and 'IDLE' in self.args.caps.split():
                # Nothing happens while idling here: wait for DONE.
                self.send('+ idling\r\n')
                self.flush()
                while True:
                    done = self.readline()
                    if not done or done.strip().upper() == b'DONE':
                        break
                if not done:
                    return
                self.send(f'{tag} OK IDLE done\r\n')
            elif command in ('NOOP', 'CHECK'):
                self.send(f'{tag} OK done\r\n')
            elif command == 'STATUS':
                folder = self.state.folders.get(args[0])
                if folder is None:
                    self.send(f'{tag} NO no such folder\r\n')
                else:
                    self.send(f'* STATUS {args[0]} (MESSAGES {len(folder.messages)} '
                              f'UIDNEXT {folder.uidnext} UIDVALIDITY {folder.uidvalidity})\r\n'
                              f'{tag} OK done\r\n')
            elif command == 'LOGOUT':
                self.send(f'* BYE bye\r\n{tag} OK done\r\n')
                self.flush()
                return
            else:
                self.send(f'{tag} BAD not here: {command}\r\n')


def watch_stdin():
    """Ends the server when the test that started it is gone."""
    while sys.stdin.buffer.read(4096):
        pass
    os._exit(0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('state')
    parser.add_argument('--fault', default=None)
    parser.add_argument('--framing', default=None, choices=['split', 'merge'])
    parser.add_argument('--caps', default='CONDSTORE QRESYNC ENABLE UIDPLUS MOVE')
    parser.add_argument('--log', default=None)
    args = parser.parse_args()

    state = State(args.state)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(('127.0.0.1', 0))
    server.listen(4)
    print(server.getsockname()[1], flush=True)
    threading.Thread(target=watch_stdin, daemon=True).start()
    fault = args.fault
    while True:
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = Session(conn, state, args, fault)
        try:
            session.run()
        except Cut:
            fault = None
        except (OSError, ValueError, IndexError):
            # A connection that broke after the fault fired still used it up.
            if session.fired:
                fault = None
        finally:
            if session.fired:
                fault = None
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()
            state.save()


if __name__ == '__main__':
    sys.exit(main())
