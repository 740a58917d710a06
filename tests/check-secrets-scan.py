#!/usr/bin/python3
"""check-secrets-scan.py: looks for the test passwords in files, for
tests/check-secrets.

  check-secrets-scan.py watch ROOT REPORT
      Until SIGTERM: every file written under ROOT (closed after writing or
      renamed into place, in any folder made later) is read at once and
      scanned, so files the tests remove before they end are seen too.
      Prints "ready" when the watch is in place.
  check-secrets-scan.py scan REPORT PATH...
      Scans files and folders (recursively) now.

Secrets: the values of every KURIR_TEST_PASSWORD_* variable, as they are
and in base64 at each of the three alignments (so also inside a SASL PLAIN
or LOGIN message). A hit appends "PATH: what" to REPORT. Files that hold the
passwords on purpose are skipped: the servers' passwd file, the
with-servers environment file, and the environment meson copies into its
test log; of the SMTP server's wire log only the lines received in
plaintext are read (it logs the AUTH exchange it got over TLS). Core dumps
hold a process's memory, password included, so hits there go to
REPORT.cores, a list, not a failure.
"""

import base64
import ctypes
import json
import os
import re
import select
import signal
import struct
import sys

MAX_BYTES = 256 * 1024 * 1024


def secrets():
    found = {}
    for name, value in os.environ.items():
        if not name.startswith("KURIR_TEST_PASSWORD_") or len(value) < 6:
            continue
        raw = value.encode()
        found[raw] = f"{name} as it is"
        for k in range(3):
            encoded = base64.b64encode(b"\0" * k + raw)
            skip = (k + 2) // 3 * 4
            core = encoded[skip:len(encoded) - 4]
            if len(core) >= 8:
                found[core] = f"{name} in base64"
    if not found:
        sys.exit("check-secrets-scan: no KURIR_TEST_PASSWORD_* in the environment "
                 "(run inside tests/servers/with-servers)")
    return found


SECRETS = None
SKIP = set()
SCANNED = [0, 0]  # files, bytes


def skipped(path):
    return os.path.realpath(path) in SKIP


def scan_bytes(data, path, report):
    for needle, what in SECRETS.items():
        if needle in data:
            with open(report, "a") as out:
                out.write(f"{path}: {what}\n")


def scan_file(path, report):
    if skipped(path) or os.path.islink(path) or not os.path.isfile(path):
        return
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES)
    except OSError:
        return  # gone already, or a socket/fifo
    SCANNED[0] += 1
    SCANNED[1] += len(data)
    name = os.path.basename(path)
    if name.endswith("testlog.txt"):
        # meson records the environment the harness gave it (with-servers
        # puts the passwords there for the tests): that line is not ours.
        data = b"\n".join(line for line in data.split(b"\n")
                          if not line.startswith(b"Inherited environment:"))
    elif name.endswith("testlog.json"):
        records = []
        for line in data.split(b"\n"):
            if line.strip():
                record = json.loads(line)
                record.pop("env", None)
                records.append(json.dumps(record).encode())
        data = b"\n".join(records)
    elif name == "core" or name.startswith("core."):
        # A process's memory holds what it was given: the environment and
        # the password it logged in with. Listed, not counted as a leak.
        for needle, what in SECRETS.items():
            if needle in data:
                with open(report + ".cores", "a") as out:
                    out.write(f"{path}: {what}\n")
        return
    if name == "log" and os.path.basename(os.path.dirname(path)) == "smtp":
        # smtp-server.py's transcript: "HH:MM:SS [N] plain|tls C|S: …" lines.
        data = b"\n".join(line for line in data.split(b"\n")
                          if not re.match(rb"^\S+ \[[^\]]*\] tls ", line))
    scan_bytes(data, path, report)


def scan_tree(path, report):
    if os.path.isdir(path) and not os.path.islink(path):
        for root, _dirs, files in os.walk(path):
            for name in files:
                scan_file(os.path.join(root, name), report)
    else:
        scan_file(path, report)


# inotify through libc
IN_CLOSE_WRITE = 0x00000008
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_ISDIR = 0x40000000
IN_Q_OVERFLOW = 0x00004000
MASK = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE


def watch(root, report):
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC)
    if fd < 0:
        sys.exit("inotify_init1 failed")
    watches = {}

    def add(directory):
        wd = libc.inotify_add_watch(fd, directory.encode(), MASK)
        if wd >= 0:
            watches[wd] = directory
        # What appeared before the watch: scan it, watch its folders.
        try:
            entries = list(os.scandir(directory))
        except OSError:
            return
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                add(entry.path)
            else:
                scan_file(entry.path, report)

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    add(root)
    print("ready", flush=True)
    while not stop:
        try:
            ready, _, _ = select.select([fd], [], [], 1.0)
        except InterruptedError:
            continue
        if not ready:
            continue
        data = os.read(fd, 1 << 20)
        offset = 0
        while offset < len(data):
            wd, mask, _cookie, length = struct.unpack_from("iIII", data, offset)
            name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode("utf-8", "replace")
            offset += 16 + length
            if mask & IN_Q_OVERFLOW:
                with open(report, "a") as out:
                    out.write(f"{root}: inotify queue overflow, some files were not seen\n")
                continue
            directory = watches.get(wd)
            if directory is None:
                continue
            path = os.path.join(directory, name)
            if mask & IN_ISDIR:
                if mask & (IN_CREATE | IN_MOVED_TO):
                    add(path)
            elif mask & (IN_CLOSE_WRITE | IN_MOVED_TO):
                scan_file(path, report)
    # What is still there at the end.
    scan_tree(root, report)


def main():
    global SECRETS
    SECRETS = secrets()
    for variable in ("KURIR_TEST_ENV",):
        if os.environ.get(variable):
            SKIP.add(os.path.realpath(os.environ[variable]))
    if os.environ.get("KURIR_TEST_DIR"):
        SKIP.add(os.path.realpath(os.path.join(os.environ["KURIR_TEST_DIR"], "users", "passwd")))
    if sys.argv[1] == "watch":
        watch(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "scan":
        for path in sys.argv[3:]:
            scan_tree(path, sys.argv[2])
    else:
        sys.exit(__doc__)
    print(f"check-secrets-scan: {sys.argv[1]}: {SCANNED[0]} files, "
          f"{SCANNED[1] / 1e6:.1f} MB read", file=sys.stderr)


if __name__ == "__main__":
    main()
