#!/usr/bin/python3
# test-faults.py: faults on the wire between kurir-cli and the real Dovecot
# (tests/common/faultproxy.py): 1-byte writes, delays, merged writes, and
# the connection cut after N bytes of the POP3 and IMAP transcript for N
# sampled across the whole transcript. A sync through a fault ends with a
# clear error or completes; the next sync straight to the server completes,
# and the local store then equals the server: no message lost, none twice.
#
# A full disk (tests/common/kurir-enospc-preload.c: writes under the
# profile's data folder fail with ENOSPC after N bytes): the POP3 sync (with
# delete-from-server) and the IMAP sync stop with an error that names the
# disk, nothing is deleted on the server, every stored message equals the
# server's bytes, and once there is room again the next sync completes.
#
# Owns the mailboxes of yvonne (wire) and zora (disk).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from faultproxy import FaultProxy  # noqa: E402
from kurirtest import (Profile, Tap, check, check_equal, env, make_message,  # noqa: E402
                       no_duplicates, server_bodies, server_fill, server_state)

USER = "yvonne"
N_CUTS = int(os.environ.get("KURIR_TEST_FAULT_CUTS", "20"))

FLAGS = ["FS", "", "S", "RS", "", "S", ""]


def fill(protocol):
    inbox = [(make_message("%s-inbox" % protocol, i, body_lines=10 + 7 * i), FLAGS[i % len(FLAGS)])
             for i in range(7)]
    folders = {"INBOX": inbox}
    if protocol == "imap":
        folders["Archive"] = [(make_message("imap-archive", i), "S") for i in range(2)]
    server_fill(USER, folders)
    return sorted("<%s-inbox-%d@example.org>" % (protocol, i) for i in range(7))


def real_port(protocol):
    return env("KURIR_TEST_IMAPS_PORT" if protocol == "imap" else "KURIR_TEST_POP3S_PORT")


def new_profile(protocol, port):
    profile = Profile("faults-" + protocol)
    options = ["--delete-from-server"] if protocol == "pop3" else []
    profile.add_account("fault-" + protocol, USER, protocol, *options, port=port)
    return profile


def check_clear_error(result, account, what):
    if result.returncode == 0:
        return
    lines = [line for line in result.err.splitlines() if line.strip()]
    check(len(lines) >= 1, "%s: failed without a word" % what)
    check(any(account in line for line in lines),
          "%s: the error does not name the account: %r" % (what, result.err))
    for bad in ("CRITICAL", "assert", "WARNING", "Segmentation", "(null)"):
        check(bad not in result.err, "%s: %s in the error output: %r" % (what, bad, result.err))


def check_equal_to_server(profile, protocol, expected_ids, what):
    account = "fault-" + protocol
    if protocol == "pop3":
        local = profile.local_state(account)
        no_duplicates(local, what)
        check_equal(sorted(m[0] for m in local.get("INBOX", [])), expected_ids,
                    "%s: the messages stored" % what)
        check_equal(server_state(USER).get("INBOX", []), [],
                    "%s: the server's INBOX after delete-from-server" % what)
    else:
        local = profile.local_state(account)
        server = {f: m for f, m in server_state(USER).items() if m}
        no_duplicates(local, what)
        check_equal(local, server, "%s: the local store and the server" % what)


def through_fault(proxy, protocol, mode, what):
    """A sync through the proxy in @mode, then one straight to the server."""
    expected = fill(protocol)
    account = "fault-" + protocol
    proxy.mode = mode
    with new_profile(protocol, proxy.port) as profile:
        result = profile.run("sync", account)
        check_clear_error(result, account, what)
        profile.ok("account", "set", account, "--port", real_port(protocol))
        profile.ok("sync", account)
        check_equal_to_server(profile, protocol, expected, what)
        return result


def test_mode(proxy, protocol, mode):
    result = through_fault(proxy, protocol, mode, "%s %s" % (protocol, mode))
    check_equal(result.returncode, 0, "a sync through %s writes: %s" % (mode, result.err))


def measure(proxy, protocol, state):
    result = through_fault(proxy, protocol, "pass", protocol + " pass")
    check_equal(result.returncode, 0, "a sync through the proxy: " + result.err)
    state[protocol] = proxy.transcript
    check(proxy.transcript > 500, "a transcript of %d bytes" % proxy.transcript)
    print("# %s transcript: %d bytes" % (protocol, proxy.transcript))


def cuts(total, count, seed):
    """@count cut points over the whole transcript: the first bytes, then
    one at random in each of count-3 equal slices."""
    rng = random.Random(seed)
    points = [0, 1, 7]
    slices = count - len(points)
    for i in range(slices):
        low, high = total * i // slices, total * (i + 1) // slices
        points.append(rng.randrange(max(low, 8), max(high, 9)))
    return sorted(set(points))


def test_cuts(proxy, protocol, state):
    total = state[protocol]
    seed = int(os.environ.get("KURIR_TEST_FAULT_SEED", "2026"))
    failed_runs = 0
    points = cuts(total, N_CUTS, seed)
    print("# %s: cuts at %s (seed %d)" % (protocol, points, seed))
    for n in points:
        result = through_fault(proxy, protocol, ("cut", n), "%s cut after %d of %d bytes" % (
            protocol, n, total))
        failed_runs += result.returncode != 0
    # Nearly every cut falls before the end: the sync must have said so.
    check(failed_runs >= len(points) - 3,
          "only %d of %d cut syncs failed" % (failed_runs, len(points)))


# --- a full disk -------------------------------------------------------------

DISK_USER = "zora"


def disk_fill(protocol):
    inbox = [(make_message("disk-%s" % protocol, i, body_lines=40 + 30 * i), FLAGS[i % len(FLAGS)])
             for i in range(8)]
    server_fill(DISK_USER, {"INBOX": inbox})
    return server_bodies(DISK_USER)


def disk_profile(protocol):
    profile = Profile("disk-" + protocol)
    options = ["--delete-from-server"] if protocol == "pop3" else ["--keep-offline", "all"]
    profile.add_account("disk-" + protocol, DISK_USER, protocol, *options)
    return profile


def full_disk_env(profile, after):
    report = os.path.join(profile.root, "written")
    return {"KURIR_ENOSPC_PREFIX": profile.data_home, "KURIR_ENOSPC_AFTER": str(after),
            "KURIR_ENOSPC_REPORT": report}, report


def stored_equal_server(profile, account, bodies, what):
    """Every stored message equals the server's bytes; returns their IDs."""
    found = []
    for m in profile.messages(account):
        message_id = m["message_id"] if m["message_id"].startswith("<") else "<%s>" % m["message_id"]
        check(message_id in bodies, "%s: a stored message the server never had: %s" % (what, message_id))
        raw = profile.raw(m["id"]).replace(b"\r\n", b"\n")
        check_equal(raw, bodies[message_id], "%s: the stored bytes of %s" % (what, message_id))
        found.append(message_id)
    check_equal(len(found), len(set(found)), "%s: messages stored once" % what)
    return found


def measure_disk(protocol, state):
    """The bytes one sync writes into an empty profile."""
    disk_fill(protocol)
    with disk_profile(protocol) as profile:
        extra, report = full_disk_env(profile, 1 << 40)
        profile.ok("sync", "disk-" + protocol, extra_env=extra, preload=env("KURIR_ENOSPC_PRELOAD"))
        with open(report) as f:
            state["disk-" + protocol] = int(f.read().split()[0])
    print("# %s: one sync writes %d bytes" % (protocol, state["disk-" + protocol]))


def message_ids(state):
    return sorted(m[0] for messages in state.values() for m in messages)


def test_full_disk(protocol, fraction, state):
    account = "disk-" + protocol
    bodies = disk_fill(protocol)
    before = server_state(DISK_USER)
    with disk_profile(protocol) as profile:
        after = int(state[account] * fraction)
        extra, report = full_disk_env(profile, after)
        result = profile.run("sync", account, extra_env=extra, preload=env("KURIR_ENOSPC_PRELOAD"))
        with open(report) as f:
            _, full, *refused = f.read().split()
        what = "%s with the disk full after %d bytes" % (protocol, after)
        print("# %s: exit %d, %s" % (what, result.returncode,
                                     " | ".join((result.err or result.out).strip().splitlines())))
        check_equal(full, "full", what + ": the disk filled up")
        if result.returncode == 0:
            # Only the copy of the write-ahead log into the database file
            # may fail unnoticed: SQLite keeps the log and copies it later.
            check(refused and refused[0].endswith("/index.sqlite"),
                  "%s: the sync succeeded although a write to %s failed" % (what, refused))
        else:
            check("disk is full" in result.err or "No space left on device" in result.err,
                  "%s: the error does not name the disk: %r" % (what, result.err))
            # POP3 marks what it sent \Seen; nothing may be gone.
            check_equal(message_ids(server_state(DISK_USER)), message_ids(before),
                        what + ": the server's messages")
        stored_equal_server(profile, account, bodies, what)
        # Room again: the next sync completes.
        profile.ok("sync", account)
        stored = stored_equal_server(profile, account, bodies, what + ", then a sync")
        check_equal(sorted(stored), sorted(bodies), what + ", then a sync: the messages stored")
        if protocol == "pop3":
            check_equal(server_state(DISK_USER).get("INBOX", []), [],
                        what + ", then a sync: the server after delete-from-server")
        else:
            check_equal(profile.local_state(account), {f: m for f, m in before.items() if m},
                        what + ", then a sync: the store and the server")


def main(groups):
    env("KURIR_TEST_ENV")
    ca_dir = os.path.join(env("KURIR_TEST_DIR"), "ca")
    proxies = {protocol: FaultProxy(int(real_port(protocol)),
                                    os.path.join(ca_dir, "server.pem"),
                                    os.path.join(ca_dir, "server.key"),
                                    env("KURIR_TEST_CA"))
               for protocol in ("pop3", "imap")}
    state = {}
    tap = Tap()
    for protocol in ("pop3", "imap") if "wire" in groups else ():
        proxy = proxies[protocol]
        tap.add("%s/pass" % protocol, measure, proxy, protocol, state)
        for mode in ("split", "delay", "merge"):
            tap.add("%s/%s" % (protocol, mode), test_mode, proxy, protocol, mode)
        tap.add("%s/cut" % protocol, test_cuts, proxy, protocol, state)
    for protocol in ("pop3", "imap") if "disk" in groups else ():
        tap.add("disk/%s/measure" % protocol, measure_disk, protocol, state)
        for fraction in (0.05, 0.3, 0.6, 0.9):
            tap.add("disk/%s/full-after-%d%%" % (protocol, fraction * 100), test_full_disk,
                    protocol, fraction, state)
    try:
        return tap.run()
    finally:
        for proxy in proxies.values():
            proxy.close()


if __name__ == "__main__":
    # "wire", "disk" or both (the default)
    sys.exit(main(sys.argv[1:] or ["wire", "disk"]))
