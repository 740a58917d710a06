# faultproxy.py: a TCP fault proxy for the tests, between Kurir and a real
# server, that delays, splits, merges or cuts the byte stream.
#
# It ends TLS on both sides (the test CA's server certificate towards
# Kurir, the CA checked towards the server), so the faults fall on the
# protocol's own bytes: a 1-byte write reaches Kurir's parser as one byte,
# a cut after N bytes falls after the Nth byte of the IMAP or POP3
# transcript, not somewhere in a TLS record.
#
# Modes (FaultProxy.mode, read at each new connection):
#   "pass"     forward as read
#   "split"    each byte in a write (and a TLS record) of its own
#   "delay"    each chunk after a pause of 0–20 ms
#   "merge"    whatever arrives within 20 ms forwarded as one write
#   ("cut", N) forward N bytes of the transcript (both directions counted
#              in the order they pass), then drop both connections without
#              a TLS close_notify
#
# SPDX-License-Identifier: GPL-3.0-or-later

import random
import select
import socket
import ssl
import threading
import time


class FaultProxy:
    def __init__(self, target_port, cert, key, ca, host="127.0.0.1"):
        self.target = (host, target_port)
        self.server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server_context.load_cert_chain(cert, key)
        self.client_context = ssl.create_default_context(cafile=ca)
        self.mode = "pass"
        self.transcript = 0          # bytes forwarded on the last connection
        self.connections = 0
        self.random = random.Random(10)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.stopping = False
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def close(self):
        self.stopping = True
        self.listener.close()
        for thread in self.threads:
            thread.join(10)

    def _accept(self):
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(conn, self.mode), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn, mode):
        self.connections += 1
        client = upstream = None
        try:
            conn.settimeout(20)
            client = self.server_context.wrap_socket(conn, server_side=True)
            raw = socket.create_connection(self.target, timeout=20)
            upstream = self.client_context.wrap_socket(raw, server_hostname=self.target[0])
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._pump(client, upstream, mode)
        except (OSError, ssl.SSLError):
            pass
        finally:
            for s in (client, upstream, conn):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def _pump(self, client, upstream, mode):
        budget = mode[1] if isinstance(mode, tuple) and mode[0] == "cut" else None
        forwarded = 0
        peer = {client: upstream, upstream: client}
        while True:
            ready = [s for s in peer if s.pending()]
            if not ready:
                ready, _, _ = select.select(list(peer), [], [], 20)
                if not ready:
                    return
            for source in ready:
                try:
                    data = source.recv(65536)
                except ssl.SSLWantReadError:
                    continue
                if not data:
                    return
                if mode == "merge":
                    data += self._gather(source, 0.02)
                if budget is not None and forwarded + len(data) >= budget:
                    data = data[:budget - forwarded]
                    if data:
                        peer[source].sendall(data)
                    self.transcript = budget
                    return      # the cut: both sockets closed, no close_notify
                forwarded += len(data)
                self.transcript = forwarded
                if mode == "split":
                    for i in range(len(data)):
                        peer[source].sendall(data[i:i + 1])
                elif mode == "delay":
                    time.sleep(self.random.uniform(0, 0.02))
                    peer[source].sendall(data)
                else:
                    peer[source].sendall(data)

    @staticmethod
    def _gather(source, seconds):
        more = b""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return more
            if not source.pending():
                ready, _, _ = select.select([source], [], [], left)
                if not ready:
                    return more
            try:
                chunk = source.recv(65536)
            except ssl.SSLWantReadError:
                continue
            if not chunk:
                return more
            more += chunk
