#!/usr/bin/python3
"""Relay TCP connections from one loopback address to another, same port.

usage: tcp-forward.py [--ready FILE] LISTEN_ADDR TARGET_ADDR PORT [PORT...]

Why: Dovecot 2.3 treats a connection whose remote and local addresses are
equal as secure (hard-coded in login-common), so a client on 127.0.0.1
talking to Dovecot on 127.0.0.1 may LOGIN in plaintext without STARTTLS,
whatever `ssl = required` says.  dovecot-run therefore puts the STARTTLS
ports on 127.0.0.2, and with-servers relays 127.0.0.1:PORT to them with
this script; Dovecot then sees 127.0.0.1 -> 127.0.0.2 and demands STARTTLS.

Bytes are copied unchanged in both directions (STARTTLS works end to end),
half-closes are passed on, a reset on one side resets the other.  FILE is
written once every port listens.  SIGTERM or SIGINT stops it.
"""

import argparse
import asyncio
import os
import signal
import socket

CHUNK = 256 * 1024


async def pump(reader, writer):
    """Copy until EOF, then half-close.  Returns False on a connection error."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        return True
    except (ConnectionError, OSError):
        return False


async def relay(client_r, client_w, target, port):
    try:
        server_r, server_w = await asyncio.open_connection(target, port)
    except OSError:
        client_w.transport.abort()
        return
    for w in (client_w, server_w):
        w.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    up = asyncio.ensure_future(pump(client_r, server_w))
    down = asyncio.ensure_future(pump(server_r, client_w))
    for done in asyncio.as_completed((up, down)):
        if not await done:        # a reset: reset both sides at once
            client_w.transport.abort()
            server_w.transport.abort()
            break
    await asyncio.gather(up, down, return_exceptions=True)
    for w in (client_w, server_w):
        w.close()


async def main(args):
    servers = []
    for port in args.ports:
        def handler(r, w, port=port):
            return relay(r, w, args.target, port)
        servers.append(await asyncio.start_server(handler, args.listen, port))
    if args.ready:
        with open(args.ready + ".tmp", "w") as f:
            f.write("ready\n")
        os.rename(args.ready + ".tmp", args.ready)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for s in servers:
        s.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ready")
    parser.add_argument("listen")
    parser.add_argument("target")
    parser.add_argument("ports", nargs="+", type=int)
    asyncio.run(main(parser.parse_args()))
