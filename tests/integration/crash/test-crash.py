#!/usr/bin/python3
# test-crash.py: SIGKILL at every checkpoint of the POP3 sync, the IMAP sync,
# the IMAP edit journal and the outbox, against the real Dovecot and SMTP
# server of tests/servers/with-servers.
#
# For each checkpoint (src/core/net/kurir-checkpoint.c; KURIR_CRASH_AT) in
# turn: a fresh profile, the same server contents, kurir-cli run with
# KURIR_CRASH_AT (it must die by SIGKILL), then run again without; the end
# state, on the server and in the local store, must equal that of one
# uninterrupted run, and a further sync must change nothing.
#
# Owns the mailboxes of ursula (POP3), wendy (IMAP) and xavier (outbox).
#
# SPDX-License-Identifier: GPL-3.0-or-later

import ctypes
import glob
import os
import select
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "common"))
from kurirtest import (Failure, Profile, Tap, check, check_equal, env, make_message,  # noqa: E402
                       no_duplicates, server_reset, server_save, server_state)

N_POP3 = 5
POP3_CHECKPOINTS = ["pop3-downloaded", "pop3-downloaded:3", "pop3-stored", "pop3-uidl-recorded",
                    "pop3-dele", "pop3-dele:3", "pop3-quit", "pop3-quit-done"]

IMAP_SYNC_CHECKPOINTS = ["imap-sent-UID-FETCH", "imap-sent-UID-FETCH:3", "imap-batch-stored",
                         "imap-batch-stored:2", "imap-bodies-stored", "imap-state-recorded",
                         "imap-state-recorded:2"]
# Each step of a journalled edit: the command's last byte written, the
# server's OK, the journal entry removed.
# name → (kurir-cli command, message, arguments, the commands it sends)
IMAP_EDITS = {
    "flag": ("flag", "inbox-1", ["+flagged"], ["imap-sent-UID-STORE"]),
    "move": ("move", "inbox-2", ["Archive"], ["imap-sent-UID-MOVE"]),
    "delete": ("delete", "inbox-3", [], ["imap-sent-UID-MOVE"]),     # to Trash
    "expunge": ("delete", "trash-0", [], ["imap-sent-UID-STORE", "imap-sent-UID-EXPUNGE"]),
}
JOURNAL_STEPS = ["journal-step-done", "journal-removed"]

# The outbox: before any byte (the message durable in the Outbox), once
# durably "sending", after the whole message data but before the durable
# mark of the final dot, after that mark but before the dot, after the
# final dot, after the server's reply, after filing in Sent. Then: whether
# the message must end "delivery uncertain", and whether the server got it
# (once) by the end.
#
# Killed before the mark, the server never had a complete message (it drops
# the data with the connection): the next sync sends it, exactly once, and
# it is not uncertain. Killed between the mark and the dot it was not
# delivered either, yet it ends uncertain: a file write and a socket write
# cannot be one atomic step, so the mark must come first, and this narrow
# window (one fsync long) is left to the user's decision, never to a silent
# second delivery. The test checks both, so a regression either way shows.
OUTBOX_CHECKPOINTS = [("outbox-stored", False, True), ("outbox-sending", False, True),
                      ("outbox-data-sent", False, True), ("outbox-dot-marked", True, False),
                      ("smtp-dot-sent", True, True), ("outbox-replied", True, True),
                      ("outbox-filed", False, True)]


# --- POP3 ------------------------------------------------------------------

def pop3_fill():
    server_reset("ursula")
    for i in range(N_POP3):
        server_save("ursula", "INBOX", make_message("pop3", i, body_lines=50 + i))


def pop3_profile():
    profile = Profile("crash-pop3")
    profile.add_account("crash-pop3", "ursula", "pop3", "--delete-from-server")
    return profile


def pop3_end_state(profile):
    local = profile.local_state("crash-pop3")
    no_duplicates(local, "local store")
    return local, server_state("ursula")


def pop3_baseline():
    pop3_fill()
    with pop3_profile() as profile:
        profile.ok("sync", "crash-pop3")
        local, server = pop3_end_state(profile)
    check_equal(len(local.get("INBOX", [])), N_POP3, "messages stored by one uninterrupted sync")
    check_equal(server.get("INBOX", []), [], "the server's INBOX after delete-from-server")
    return local, server


def test_pop3(checkpoint, baseline):
    pop3_fill()
    with pop3_profile() as profile:
        profile.crash(checkpoint, "sync", "crash-pop3")
        profile.ok("sync", "crash-pop3")
        check_equal(pop3_end_state(profile), baseline, "end state after a kill at " + checkpoint)
        again = profile.ok("sync", "crash-pop3")
        check("0 downloaded, 0 deleted on the server" in again.out,
              "a further sync changed something: " + again.out)
        check_equal(pop3_end_state(profile), baseline, "end state after a further sync")


# --- IMAP --------------------------------------------------------------------

def imap_fill():
    server_reset("wendy")
    for i in range(6):
        flags = ["\\Seen \\Flagged", "", "\\Seen", "\\Answered", "", "\\Seen"][i]
        server_save("wendy", "INBOX", make_message("inbox", i, body_lines=20 + i), flags or None)
    for i in range(2):
        server_save("wendy", "Archive", make_message("archive", i), "\\Seen")
    server_save("wendy", "Trash", make_message("trash", 0), "\\Seen")


def imap_profile():
    profile = Profile("crash-imap")
    profile.add_account("crash-imap", "wendy", "imap", "--keep-offline", "all")
    return profile


def imap_end_state(profile):
    local = profile.local_state("crash-imap")
    server = {folder: messages for folder, messages in server_state("wendy").items() if messages}
    no_duplicates(local, "local store")
    no_duplicates(server, "server")
    check_equal(local, server, "the local store and the server")
    return local


def local_id(profile, message_id):
    for folder in profile.folders("crash-imap"):
        for m in profile.messages("crash-imap", folder):
            if message_id in m["message_id"]:
                return str(m["id"])
    raise Failure("no local message " + message_id)


def edit(profile, name, checkpoint=None):
    command, tag, args, _ = IMAP_EDITS[name]
    command = [command, local_id(profile, tag + "@")] + args
    if checkpoint:
        profile.crash(checkpoint, *command)
    else:
        profile.ok(*command)


def imap_baseline(name=None):
    imap_fill()
    with imap_profile() as profile:
        profile.ok("sync", "crash-imap")
        if name:
            edit(profile, name)
            profile.ok("sync", "crash-imap")
        return imap_end_state(profile)


def imap_settled(profile, baseline, what):
    check_equal(imap_end_state(profile), baseline, "end state after a kill at " + what)
    again = profile.ok("sync", "crash-imap")
    check("crash-imap: 0 new, 0 changed, 0 removed, 0 edits sent" in again.out,
          "a further sync reported changes: " + again.out)
    check_equal(imap_end_state(profile), baseline, "end state after a further sync")


def test_imap_sync(checkpoint, baseline):
    imap_fill()
    with imap_profile() as profile:
        profile.crash(checkpoint, "sync", "crash-imap")
        profile.ok("sync", "crash-imap")
        imap_settled(profile, baseline, checkpoint)


def test_imap_edit(name, checkpoint, baseline):
    imap_fill()
    with imap_profile() as profile:
        profile.ok("sync", "crash-imap")
        edit(profile, name, checkpoint)
        profile.ok("sync", "crash-imap")
        imap_settled(profile, baseline, "%s during %s" % (checkpoint, name))


# --- the outbox --------------------------------------------------------------

def spool_count(message_id):
    count = 0
    for path in glob.glob(os.path.join(env("KURIR_TEST_SMTP_SPOOL"), "*.eml")):
        with open(path, "rb") as f:
            if message_id.encode() in f.read():
                count += 1
    return count


_IN_CLOSE_WRITE, _IN_MOVED_TO, _IN_CREATE = 0x8, 0x80, 0x100


def wait_for_spool(message_id, count):
    # The server takes the final dot, then spools: a kill right after the
    # dot may leave it a moment behind the client. Woken by inotify on the
    # spool folder (files written or renamed into it), at most 10 s.
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_CLOEXEC | os.O_NONBLOCK)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        if libc.inotify_add_watch(fd, env("KURIR_TEST_SMTP_SPOOL").encode(),
                                  _IN_CLOSE_WRITE | _IN_MOVED_TO | _IN_CREATE) < 0:
            raise OSError(ctypes.get_errno(), "inotify_add_watch")
        deadline = time.monotonic() + 10
        while spool_count(message_id) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            if select.select([fd], [], [], left)[0]:
                try:
                    os.read(fd, 65536)
                except BlockingIOError:
                    pass
        return spool_count(message_id)
    finally:
        os.close(fd)


def sent_copies(message_id):
    return [m for m in server_state("xavier").get("Sent", []) if m[0] == message_id]


def test_outbox(checkpoint, uncertain, delivered=True):
    tag = "send-%s" % (checkpoint or "uninterrupted").replace(":", "-")
    message_id = "<%s-0@example.org>" % tag
    server_reset("xavier")
    with Profile("crash-send") as profile:
        profile.add_account("crash-send", "xavier", "imap")
        profile.ok("sync", "crash-send")
        path = os.path.join(profile.root, "message.eml")
        with open(path, "wb") as f:
            # From the account's own address: the only identity it has.
            f.write(make_message(tag, 0, to="xavier@localhost", sender="xavier@localhost"))
        if checkpoint:
            profile.crash(checkpoint, "send", "--account", "crash-send", path)
        else:
            profile.ok("send", "--account", "crash-send", path)
        recovered = profile.ok("sync", "crash-send")
        if delivered:
            check_equal(wait_for_spool(message_id, 1), 1, "deliveries of " + message_id)
        else:
            check_equal(spool_count(message_id), 0, "deliveries of " + message_id)
        outbox = [m["message_id"] for m in profile.messages("crash-send", "Outbox")] \
            if "Outbox" in profile.folders("crash-send") else []
        if uncertain:
            check("1 delivery uncertain" in recovered.out,
                  "not marked delivery uncertain: " + recovered.out)
            check_equal(len(outbox), 1, "messages kept in the Outbox")
            check_equal(sent_copies(message_id), [], "copies in the server's Sent")
        else:
            check("uncertain" not in recovered.out or "0 delivery uncertain" in recovered.out,
                  "marked uncertain although its final dot was never sent: " + recovered.out)
            check_equal(outbox, [], "messages left in the Outbox")
            check_equal(len(sent_copies(message_id)), 1, "copies in the server's Sent")
        # Nothing more goes out, however often it syncs.
        profile.ok("sync", "crash-send")
        profile.ok("sync", "crash-send")
        check_equal(spool_count(message_id), 1 if delivered else 0,
                    "deliveries after two more syncs")
        check_equal(len(sent_copies(message_id)), 0 if uncertain else 1,
                    "copies in Sent after two more syncs")


def main():
    env("KURIR_TEST_ENV")
    tap = Tap()
    state = {}

    def baseline(key, func, *args):
        def run():
            state[key] = func(*args)
        return run

    tap.add("pop3/uninterrupted", baseline("pop3", pop3_baseline))
    for checkpoint in POP3_CHECKPOINTS:
        tap.add("pop3/" + checkpoint, lambda c=checkpoint: test_pop3(c, state["pop3"]))

    tap.add("imap/sync/uninterrupted", baseline("imap", imap_baseline))
    for checkpoint in IMAP_SYNC_CHECKPOINTS:
        tap.add("imap/sync/" + checkpoint, lambda c=checkpoint: test_imap_sync(c, state["imap"]))
    for name, (_, _, _, sent) in IMAP_EDITS.items():
        tap.add("imap/%s/uninterrupted" % name, baseline(name, imap_baseline, name))
        for checkpoint in sent + JOURNAL_STEPS:
            tap.add("imap/%s/%s" % (name, checkpoint),
                    lambda n=name, c=checkpoint: test_imap_edit(n, c, state[n]))

    tap.add("outbox/uninterrupted", test_outbox, None, False)
    for checkpoint, uncertain, delivered in OUTBOX_CHECKPOINTS:
        tap.add("outbox/" + checkpoint, test_outbox, checkpoint, uncertain, delivered)
    return tap.run()


if __name__ == "__main__":
    sys.exit(main())
