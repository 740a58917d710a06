# kurirtest.py: what the Python test programs share (TAP output, kurir-cli
# in isolated XDG folders, the real Dovecot through doveadm)
#
# Used by tests/integration/crash and tests/integration/faults, which run
# under tests/servers/with-servers (the KURIR_TEST_* variables) and get
# KURIR_CLI from meson.
#
# SPDX-License-Identifier: GPL-3.0-or-later

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

CLI_TIMEOUT = 60


class Failure(Exception):
    pass


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.stdout.write("Bail out! %s is not set: run the tests under "
                         "tests/servers/with-servers\n" % name)
        sys.exit(1)
    return value


def check(condition, what):
    if not condition:
        raise Failure(what)


def check_equal(got, expected, what):
    if got != expected:
        raise Failure("%s:\n  got      %r\n  expected %r" % (what, got, expected))


class Tap:
    """Runs named test functions and prints TAP (one line per test)."""

    def __init__(self):
        self.tests = []

    def add(self, name, func, *args):
        self.tests.append((name, func, args))

    def run(self):
        only = os.environ.get("KURIR_TEST_ONLY")
        tests = [t for t in self.tests if not only or only in t[0]]
        print("1..%d" % len(tests), flush=True)
        failed = 0
        for number, (name, func, args) in enumerate(tests, 1):
            started = time.monotonic()
            try:
                func(*args)
            except Exception as error:  # a failed check or a broken tool
                failed += 1
                print("not ok %d %s" % (number, name))
                text = "".join(traceback.format_exception_only(type(error), error))
                if not isinstance(error, Failure):
                    text = traceback.format_exc()
                for line in text.rstrip().splitlines():
                    print("# " + line)
            else:
                print("ok %d %s # %.1f s" % (number, name, time.monotonic() - started))
            sys.stdout.flush()
        return 1 if failed else 0


# --- the real Dovecot ---------------------------------------------------

def doveadm(*args, stdin=None):
    argv = shlex.split(env("KURIR_TEST_DOVEADM")) + list(args)
    result = subprocess.run(argv, input=stdin, capture_output=True, timeout=CLI_TIMEOUT)
    if result.returncode != 0:
        raise Failure("doveadm %s: %s" % (" ".join(args), result.stderr.decode(errors="replace")))
    return result.stdout


def server_reset(user):
    """Empties every folder of @user (the folders stay)."""
    doveadm("expunge", "-u", user, "mailbox", "*", "all")


def server_save(user, folder, message, flags=None):
    doveadm("save", "-u", user, "-m", folder, stdin=message)
    if flags:
        uid = max(int(m["uid"]) for m in server_fetch(user, ["uid"], folder))
        doveadm("flags", "add", "-u", user, flags, "mailbox", folder, "uid", str(uid))


def server_fetch(user, fields, folder=None):
    query = ["mailbox", folder] if folder else ["all"]
    out = doveadm("-f", "tab", "fetch", "-u", user, " ".join(fields), *query)
    lines = out.decode("utf-8", errors="replace").split("\n")
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


IMAP_FLAGS = {"\\Seen": "seen", "\\Flagged": "flagged", "\\Answered": "answered",
              "\\Draft": "draft"}


def server_state(user):
    """folder → sorted [(message-id, (flags…))] of every message on the server."""
    state = {}
    for m in server_fetch(user, ["mailbox", "flags", "hdr.message-id"]):
        flags = tuple(sorted(IMAP_FLAGS[f] for f in m["flags"].split() if f in IMAP_FLAGS))
        state.setdefault(m["mailbox"], []).append((m["hdr.message-id"].strip(), flags))
    return {folder: sorted(messages) for folder, messages in state.items()}


def imap_session(user):
    import imaplib
    import ssl

    context = ssl.create_default_context(cafile=env("KURIR_TEST_CA"))
    imap = imaplib.IMAP4_SSL(env("KURIR_TEST_HOST"), int(env("KURIR_TEST_IMAPS_PORT")),
                             ssl_context=context, timeout=CLI_TIMEOUT)
    imap.login(user, env("KURIR_TEST_PASSWORD_" + user.upper()))
    return imap


def close_session(imap):
    try:
        imap.logout()
    except (OSError, EOFError):
        pass


def server_bodies(user, folder="INBOX"):
    """Message-ID → the exact bytes the server holds, line ends as LF."""
    import email.parser

    imap = imap_session(user)
    bodies = {}
    try:
        imap.select(folder, readonly=True)
        status, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[])")
        check(status == "OK", "FETCH: " + status)
        for item in data:
            if isinstance(item, tuple):
                raw = item[1].replace(b"\r\n", b"\n")
                headers = email.parser.BytesHeaderParser().parsebytes(raw)
                bodies[headers["Message-ID"].strip()] = raw
    finally:
        close_session(imap)
    return bodies


# --- kurir-cli in a profile of its own ----------------------------------

class Profile:
    """Isolated XDG folders for kurir-cli, removed at the end."""

    def __init__(self, tag, data_home=None):
        # In memory when there is a tmpfs: a killed process leaves the page
        # cache as it was, so the crash tests lose nothing by it, and the
        # store's fsyncs cost nothing there.
        shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.root = tempfile.mkdtemp(prefix="kurir-%s." % tag, dir=shm)
        self.data_home = data_home or os.path.join(self.root, "data")
        self.env = dict(os.environ)
        for name, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_CACHE_HOME", "cache"),
                          ("XDG_STATE_HOME", "state")):
            self.env[name] = os.path.join(self.root, sub)
        self.env["XDG_DATA_HOME"] = self.data_home
        self.env["LC_ALL"] = "C.UTF-8"
        for name in ("XDG_DATA_DIRS", "XDG_CONFIG_DIRS", "KURIR_CRASH_AT", "KURIR_CHECKPOINT_LOG"):
            self.env.pop(name, None)

    def close(self):
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def run(self, *args, stdin=None, extra_env=None, timeout=CLI_TIMEOUT, preload=None):
        run_env = dict(self.env)
        run_env.update(extra_env or {})
        if preload:
            run_env["LD_PRELOAD"] = preload
        result = subprocess.run([env("KURIR_CLI")] + list(args), env=run_env,
                                input=stdin.encode() if isinstance(stdin, str) else stdin,
                                capture_output=True, timeout=timeout)
        result.out = result.stdout.decode(errors="replace")
        result.err = result.stderr.decode(errors="replace")
        return result

    def ok(self, *args, **kwargs):
        result = self.run(*args, **kwargs)
        if result.returncode != 0:
            raise Failure("kurir-cli %s exited with %d: %s%s" % (
                " ".join(args), result.returncode, result.out, result.err))
        return result

    def crash(self, checkpoint, *args, **kwargs):
        """Runs kurir-cli with KURIR_CRASH_AT=@checkpoint; it must die by SIGKILL there."""
        log = os.path.join(self.root, "checkpoints")
        result = self.run(*args, extra_env={"KURIR_CRASH_AT": checkpoint,
                                            "KURIR_CHECKPOINT_LOG": log}, **kwargs)
        if result.returncode != -signal.SIGKILL:
            passed = open(log).read().split() if os.path.exists(log) else []
            raise Failure("kurir-cli %s with KURIR_CRASH_AT=%s ended with %d, not SIGKILL "
                          "(checkpoints passed: %s): %s%s" % (
                              " ".join(args), checkpoint, result.returncode, " ".join(passed),
                              result.out, result.err))
        return result

    def add_account(self, name, user, protocol, *options, port=None):
        host = env("KURIR_TEST_HOST")
        if port is None:
            port = env("KURIR_TEST_IMAPS_PORT" if protocol == "imap" else "KURIR_TEST_POP3S_PORT")
        password = env("KURIR_TEST_PASSWORD_" + user.upper())
        self.ok("account", "add", name, "--email", user + "@localhost", "--user", user,
                "--protocol", protocol, "--host", host, "--port", str(port),
                "--security", "tls", "--ca-file", env("KURIR_TEST_CA"),
                "--smtp-host", host, "--smtp-port", env("KURIR_TEST_SMTPS_PORT"),
                "--smtp-security", "tls", *options, "--password-stdin",
                stdin=password + "\n")

    def messages(self, account, folder="INBOX"):
        return json.loads(self.ok("list", "--account", account, "--folder", folder, "--json").out)

    def folders(self, account, non_empty=False):
        """The account's folders (ACCOUNT\tFOLDER\tTOTAL\tUNREAD lines)."""
        out = self.ok("folders", account).out
        rows = [line.split("\t") for line in out.splitlines() if line]
        return [row[1] for row in rows if not non_empty or int(row[2]) > 0]

    def local_state(self, account):
        """folder → sorted [(message-id, (flags…))] of the local store."""
        state = {}
        for folder in self.folders(account, non_empty=True):
            messages = [("<%s>" % m["message_id"] if not m["message_id"].startswith("<")
                         else m["message_id"],
                         tuple(sorted(f for f in m["flags"] if f in IMAP_FLAGS.values())))
                        for m in self.messages(account, folder)]
            if messages:
                state[folder] = sorted(messages)
        return state

    def raw(self, message_id):
        return self.ok("show", "--raw", str(message_id)).stdout


def no_duplicates(state, what):
    for folder, messages in state.items():
        ids = [m[0] for m in messages]
        check(len(ids) == len(set(ids)), "%s: a message twice in %s: %r" % (what, folder, ids))


def make_message(tag, i, body_lines=3, to="nobody@localhost", sender=None):
    lines = "".join("Line %d of message %d, %s: quokka wombat numbat\r\n" % (n, i, tag)
                    for n in range(body_lines))
    sender = sender or "Sender %d <sender%d@example.org>" % (i, i)
    return ("From: %s\r\n"
            "To: %s\r\n"
            "Subject: %s number %d\r\n"
            "Message-ID: <%s-%d@example.org>\r\n"
            "Date: Fri, 27 Nov 2026 10:%02d:00 +0700\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n%s" % (sender, to, tag, i, tag, i, i % 60, lines)).encode()



MAILDIR_FLAGS = {"S": "\\Seen", "F": "\\Flagged", "R": "\\Answered", "D": "\\Draft"}


def server_fill(user, folders):
    """Replaces the server's mail of @user by @folders (folder → [(message,
    flags as letters: "FS" is flagged and seen)]), appended over one IMAP
    session: much faster than one doveadm save per message."""
    server_reset(user)
    imap = imap_session(user)
    try:
        for folder, messages in folders.items():
            for message, letters in messages:
                flags = "(%s)" % " ".join(MAILDIR_FLAGS[c] for c in letters or "")
                status, _ = imap.append(folder, flags, None, message)
                check(status == "OK", "APPEND to %s: %s" % (folder, status))
    finally:
        close_session(imap)
