#!/usr/bin/python3
"""SMTP submission server for Kurir's tests (python3-aiosmtpd).

usage: smtp-server.py DIR [--port N] [--tls-port N]

Needs DIR/ca/server.{pem,key} (make-certs) and DIR/users/passwd (make-users).
Listens on 127.0.0.1 twice:
  --port      plain SMTP with STARTTLS; AUTH is offered only after STARTTLS
  --tls-port  SMTP over implicit TLS
Port 0 (the default) lets the kernel pick.  AUTH PLAIN and LOGIN check the
users and passwords of DIR/users/passwd (user name with or without
@localhost); MAIL FROM needs AUTH.  Recipients must be <user>@localhost (or
a bare <user>) of a known user, others get 550 at RCPT.  Each accepted
message goes into DIR/mail/<user>/Maildir/new/ of every recipient, with a
Return-Path and a Received header added; the bytes as received are also
kept as DIR/smtp/messages/NNNNNN.eml with the envelope in NNNNNN.json
(written after the .eml).

DIR/smtp/log is the wire transcript: every line received ("C:") and sent
("S:"), tagged "plain" or "tls" by whether it crossed the wire encrypted,
AUTH payloads included.  When both ports listen, DIR/smtp/ready is written
with KURIR_TEST_SMTP_PORT=N and KURIR_TEST_SMTPS_PORT=N lines.  SIGTERM or
SIGINT stops the server.  Started as root, it switches to the uid/gid of the
mail users in the passwd file so that Dovecot can read what it delivers.
"""

import argparse
import asyncio
import hmac
import itertools
import json
import logging
import os
import signal
import socket
import ssl
import sys
import time
import warnings
from email.utils import formatdate

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

IDENT = "Kurir test SMTP"


class Users:
    """The Dovecot passwd-file: user:{PLAIN}password:uid:gid::home."""

    def __init__(self, path):
        self.entries = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                fields = line.rstrip("\n").split(":")
                if len(fields) < 6 or not fields[1].startswith("{PLAIN}"):
                    continue
                self.entries[fields[0]] = {
                    "password": fields[1][len("{PLAIN}"):],
                    "uid": int(fields[2]),
                    "gid": int(fields[3]),
                    "maildir": os.path.join(fields[5], "Maildir"),
                }

    def local_user(self, address):
        """The user an address delivers to, or None."""
        address = address.strip().strip("<>").lower()
        local, at, domain = address.rpartition("@")
        if not at:
            local, domain = address, "localhost"
        if domain != "localhost" or local not in self.entries:
            return None
        return local

    def check(self, login, password):
        name = login.split("@", 1)[0]
        entry = self.entries.get(name)
        if entry is None:
            return None
        ok = hmac.compare_digest(entry["password"].encode(), password)
        return name if ok else None


class Transcript:
    """DIR/smtp/log: one line per line on the wire."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8", buffering=1)

    def write(self, conn, tls, direction, data):
        stamp = time.strftime("%H:%M:%S", time.localtime())
        text = data.decode("utf-8", "backslashreplace")
        self.file.write(f"{stamp} [{conn}] {'tls' if tls else 'plain'} {direction}: {text}\n")


class Handler:
    def __init__(self, users, spool, hostname):
        self.users = users
        self.spool = spool
        self.hostname = hostname
        self.counter = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.users.local_user(address) is None:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_options.extend(rcpt_options)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        queue_id = f"{n:06d}"
        raw = envelope.original_content
        base = os.path.join(self.spool, f"{n:06d}")
        write_file(base + ".eml", raw)
        meta = {
            "id": queue_id,
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "auth_user": session.auth_data,
            "tls": server.kurir_tls,
            "listener": server.kurir_listener,
            "helo": session.host_name,
        }
        write_file(base + ".json", json.dumps(meta, indent=1).encode() + b"\n")

        received = (
            f"Return-Path: <{envelope.mail_from}>\n"
            f"Received: from {session.host_name} (localhost [127.0.0.1])\n"
            f"\tby localhost ({IDENT}) with ESMTP{'S' if server.kurir_tls else ''}A"
            f" id {queue_id};\n\t{formatdate(localtime=True)}\n"
        ).encode("utf-8", "backslashreplace")
        body = received + raw.replace(b"\r\n", b"\n")
        for user in dict.fromkeys(self.users.local_user(a) for a in envelope.rcpt_tos):
            deliver(self.users.entries[user]["maildir"], body, self.hostname, queue_id)
        return f"250 2.0.0 OK: queued as {queue_id}"


def write_file(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, path)


def deliver(maildir, data, hostname, queue_id):
    """Maildir delivery: write to tmp/, fsync, rename into new/."""
    usec = time.time_ns() // 1000
    name = (f"{usec // 1000000}.M{usec % 1000000}P{os.getpid()}Q{queue_id}"
            f".{hostname},S={len(data)}")
    tmp = os.path.join(maildir, "tmp", name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, os.path.join(maildir, "new", name))


class TranscribedSMTP(SMTP):
    """aiosmtpd's SMTP session, logging the wire lines to the transcript."""

    connections = set()
    conn_ids = itertools.count(1)

    def __init__(self, *args, transcript, implicit_tls, listener, **kwargs):
        super().__init__(*args, **kwargs)
        self.kurir_transcript = transcript
        self.kurir_implicit_tls = implicit_tls
        self.kurir_listener = listener
        self.kurir_conn = next(self.conn_ids)
        self.kurir_buffer = b""

    @property
    def kurir_tls(self):
        return self.kurir_implicit_tls or self._original_transport is not None

    def connection_made(self, transport):
        if self._original_transport is None:  # not the STARTTLS upgrade
            self.connections.add(self)
            peer = transport.get_extra_info("peername")
            self.kurir_transcript.write(
                self.kurir_conn, self.kurir_tls, "*",
                f"connect from {peer[0]}:{peer[1]} to {self.kurir_listener}".encode())
        else:
            self.kurir_transcript.write(self.kurir_conn, True, "*", b"TLS handshake done")
        super().connection_made(transport)

    def connection_lost(self, exc):
        self.connections.discard(self)
        if self.kurir_buffer:
            self.kurir_transcript.write(self.kurir_conn, self.kurir_tls, "C",
                                        self.kurir_buffer)
            self.kurir_buffer = b""
        self.kurir_transcript.write(self.kurir_conn, self.kurir_tls, "*", b"disconnect")
        super().connection_lost(exc)

    def data_received(self, data):
        lines = (self.kurir_buffer + data).split(b"\n")
        self.kurir_buffer = lines.pop()
        for line in lines:
            self.kurir_transcript.write(self.kurir_conn, self.kurir_tls, "C",
                                        line.rstrip(b"\r"))
        super().data_received(data)

    async def push(self, status):
        data = status.encode("utf-8") if isinstance(status, str) else status
        self.kurir_transcript.write(self.kurir_conn, self.kurir_tls, "S", data)
        await super().push(status)


def authenticator(users):
    def check(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        name = users.check(auth_data.login.decode("utf-8", "replace"), auth_data.password)
        if name is None:
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=name)
    return check


def drop_privileges(users, paths):
    """As root, become the owner of the mail (all users share one uid)."""
    if os.getuid() != 0 or not users.entries:
        return
    entry = next(iter(users.entries.values()))
    if entry["uid"] == 0:
        return
    for path in paths:
        os.chown(path, entry["uid"], entry["gid"])
    os.setgroups([])
    os.setgid(entry["gid"])
    os.setuid(entry["uid"])


async def serve(args):
    base = os.path.abspath(args.dir)
    users = Users(os.path.join(base, "users", "passwd"))
    smtp_dir = os.path.join(base, "smtp")
    spool = os.path.join(smtp_dir, "messages")
    os.makedirs(spool, exist_ok=True)
    drop_privileges(users, [smtp_dir, spool])

    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(os.path.join(base, "ca", "server.pem"),
                        os.path.join(base, "ca", "server.key"))

    transcript = Transcript(os.path.join(smtp_dir, "log"))
    hostname = socket.gethostname().replace("/", "_").replace(":", "_")
    handler = Handler(users, spool, hostname)
    loop = asyncio.get_running_loop()
    common = dict(hostname="localhost", ident=IDENT, enable_SMTPUTF8=True,
                  auth_required=True, authenticator=authenticator(users),
                  transcript=transcript, loop=loop)

    def starttls_session():
        return TranscribedSMTP(handler, tls_context=tls, auth_require_tls=True,
                               implicit_tls=False, listener="submission+starttls",
                               **common)

    def implicit_tls_session():
        # The session cannot tell it runs inside TLS, so AUTH must not
        # demand STARTTLS here.
        return TranscribedSMTP(handler, auth_require_tls=False, implicit_tls=True,
                               listener="submissions", **common)

    plain = await loop.create_server(starttls_session, "127.0.0.1", args.port)
    implicit = await loop.create_server(implicit_tls_session, "127.0.0.1", args.tls_port,
                                        ssl=tls)
    ports = (plain.sockets[0].getsockname()[1], implicit.sockets[0].getsockname()[1])

    ready = os.path.join(smtp_dir, "ready")
    write_file(ready, f"KURIR_TEST_SMTP_PORT={ports[0]}\nKURIR_TEST_SMTPS_PORT={ports[1]}\n"
               .encode())
    print(f"smtp-server: SMTP {ports[0]} (STARTTLS), SMTPS {ports[1]} on 127.0.0.1;"
          f" log {transcript.file.name}", file=sys.stderr, flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()

    for server in (plain, implicit):
        server.close()
    for session in list(TranscribedSMTP.connections):
        if session.transport is not None:
            session.transport.close()
    try:
        os.unlink(ready)
    except OSError:
        pass
    await asyncio.sleep(0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dir")
    parser.add_argument("--port", type=int, default=0, help="STARTTLS port")
    parser.add_argument("--tls-port", type=int, default=0, help="implicit TLS port")
    args = parser.parse_args()
    warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
    logging.basicConfig(format="smtp-server: %(levelname)s %(message)s")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
