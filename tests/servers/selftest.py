#!/usr/bin/python3
"""Check the test servers from outside, like a client would.

usage: tests/servers/with-servers tests/servers/selftest.py
       (or, inside a with-servers shell: tests/servers/selftest.py)

Exits 0 when everything works; prints one line per check.
"""

import base64
import email
import glob
import hashlib
import hmac
import imaplib
import json
import os
import poplib
import shlex
import smtplib
import ssl
import subprocess
import sys
import time
import uuid

E = os.environ
HOST = E["KURIR_TEST_HOST"]
CA = E["KURIR_TEST_CA"]
USERS = E["KURIR_TEST_USERS"].split()
PW = {u: E[f"KURIR_TEST_PASSWORD_{u.upper()}"] for u in USERS}
PORT = {k: int(E[f"KURIR_TEST_{k}_PORT"]) for k in
        ("IMAP", "IMAPS", "POP3", "POP3S", "SMTP", "SMTPS")}
failures = []


def check(name, fn):
    t0 = time.monotonic()
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - report every failure
        failures.append(name)
        print(f"FAIL {name}: {type(e).__name__}: {e}")
    else:
        print(f"ok   {name} ({time.monotonic() - t0:.2f} s)")


def tls():
    return ssl.create_default_context(cafile=CA)


def expect_error(exc_types, fn, what):
    try:
        fn()
    except exc_types as e:
        return e
    raise AssertionError(f"{what} was accepted")


# --- TLS with openssl s_client ------------------------------------------------

def s_client(port, *extra, say=b"a LOGOUT\r\n"):
    cmd = ["openssl", "s_client", "-connect", f"{HOST}:{port}", "-CAfile", CA,
           "-verify_return_error", "-verify_ip", HOST, "-ign_eof", *extra]
    r = subprocess.run(cmd, input=say, capture_output=True, timeout=10)
    out = r.stdout.decode(errors="replace")
    assert r.returncode == 0, f"{' '.join(cmd)}: {r.stderr.decode(errors='replace')[-300:]}"
    assert "Verify return code: 0 (ok)" in out, out[-300:]
    return out


def t_s_client_imaps():
    assert "* OK" in s_client(PORT["IMAPS"])


def t_s_client_starttls():
    assert "a OK" in s_client(PORT["IMAP"], "-starttls", "imap")
    assert "+OK Logging out" in s_client(PORT["POP3"], "-starttls", "pop3", say=b"QUIT\r\n")
    assert "221 " in s_client(PORT["SMTP"], "-starttls", "smtp", say=b"QUIT\r\n")
    assert "+OK" in s_client(PORT["POP3S"], say=b"QUIT\r\n")
    assert "220 " in s_client(PORT["SMTPS"], say=b"QUIT\r\n")


def t_bad_certs():
    d = os.path.dirname(CA)
    for name, host, err in (("selfsigned", "localhost", "self-signed"),
                            ("expired", "localhost", "expired"),
                            ("wronghost", "localhost", "mismatch")):
        r = subprocess.run(["openssl", "verify", "-CAfile", CA, "-verify_hostname", host,
                            f"{d}/{name}.pem"], capture_output=True, text=True)
        assert r.returncode != 0 and err in (r.stdout + r.stderr), (name, r.stdout, r.stderr)
    r = subprocess.run(["openssl", "verify", "-CAfile", CA, "-verify_hostname", "localhost",
                        "-verify_ip", "127.0.0.1", f"{d}/server.pem"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


# --- IMAP ---------------------------------------------------------------------

def t_imaps_login():
    with imaplib.IMAP4_SSL(HOST, PORT["IMAPS"], ssl_context=tls()) as m:
        m.login("alice", PW["alice"])
        caps = set(m.capability()[1][0].decode().upper().split())
        for c in ("IDLE", "CONDSTORE", "QRESYNC", "UIDPLUS", "MOVE", "SPECIAL-USE",
                  "ENABLE", "LITERAL+", "NAMESPACE"):
            assert c in caps, f"{c} missing from {sorted(caps)}"
        typ, data = m.list()
        listing = b"\n".join(data).decode()
        for flag in ("\\Sent", "\\Drafts", "\\Trash", "\\Junk", "\\Archive"):
            assert flag in listing, f"{flag} missing: {listing}"
        m.logout()


def t_imap_wrong_password():
    with imaplib.IMAP4_SSL(HOST, PORT["IMAPS"], ssl_context=tls()) as m:
        expect_error(imaplib.IMAP4.error, lambda: m.login("alice", "wrong"), "bad password")


def t_imap_plaintext_refused():
    m = imaplib.IMAP4(HOST, PORT["IMAP"])
    assert "LOGINDISABLED" in m.capabilities, m.capabilities
    expect_error(imaplib.IMAP4.error, lambda: m.login("alice", PW["alice"]),
                 "LOGIN before STARTTLS")
    m.starttls(ssl_context=tls())
    m.login("alice", PW["alice"])
    m.logout()


def scram(mech, user, password):
    """An authobject for imaplib.authenticate doing SCRAM-SHA-1/256."""
    hname = {"SCRAM-SHA-1": "sha1", "SCRAM-SHA-256": "sha256"}[mech]
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={cnonce}"
    state = {"step": 0}

    def h(data):
        return hashlib.new(hname, data).digest()

    def step(challenge):
        state["step"] += 1
        if state["step"] == 1:
            return ("n,," + first_bare).encode()
        if state["step"] == 2:
            server_first = challenge.decode()
            attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
            assert attrs["r"].startswith(cnonce)
            salted = hashlib.pbkdf2_hmac(hname, password.encode(),
                                         base64.b64decode(attrs["s"]), int(attrs["i"]))
            final_bare = f"c=biws,r={attrs['r']}"
            auth_msg = f"{first_bare},{server_first},{final_bare}".encode()
            client_key = hmac.new(salted, b"Client Key", hname).digest()
            sig = hmac.new(h(client_key), auth_msg, hname).digest()
            proof = bytes(a ^ b for a, b in zip(client_key, sig))
            server_key = hmac.new(salted, b"Server Key", hname).digest()
            state["verifier"] = base64.b64encode(
                hmac.new(server_key, auth_msg, hname).digest()).decode()
            return f"{final_bare},p={base64.b64encode(proof).decode()}".encode()
        assert challenge.decode() == "v=" + state["verifier"], "bad server signature"
        return b""
    return step


def t_imap_scram():
    for mech in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        with imaplib.IMAP4_SSL(HOST, PORT["IMAPS"], ssl_context=tls()) as m:
            assert f"AUTH={mech}" in m.capabilities, m.capabilities
            typ, _ = m.authenticate(mech, scram(mech, "carol", PW["carol"]))
            assert typ == "OK"
            m.logout()


# --- POP3 ---------------------------------------------------------------------

def t_pop3_plaintext_refused():
    p = poplib.POP3(HOST, PORT["POP3"])
    expect_error(poplib.error_proto, lambda: (p.user("alice"), p.pass_(PW["alice"])),
                 "USER/PASS before STLS")
    p.quit()
    p = poplib.POP3(HOST, PORT["POP3"])
    p.stls(context=tls())
    p.user("alice")
    p.pass_(PW["alice"])
    p.quit()


# --- SMTP and delivery ----------------------------------------------------------

sent = {}


def t_smtp_rules():
    with smtplib.SMTP(HOST, PORT["SMTP"]) as s:
        s.ehlo("selftest")
        assert not s.has_extn("auth"), "AUTH offered before STARTTLS"
        assert s.has_extn("starttls")
        code, _ = s.docmd("AUTH", "PLAIN " + base64.b64encode(
            f"\0alice\0{PW['alice']}".encode()).decode())
        assert code == 538, code
        code, _ = s.docmd("MAIL", "FROM:<alice@localhost>")
        assert code == 530, code
        s.starttls(context=tls())
        s.ehlo("selftest")
        assert "PLAIN" in s.esmtp_features["auth"] and "LOGIN" in s.esmtp_features["auth"]
        expect_error(smtplib.SMTPAuthenticationError, lambda: s.login("alice", "wrong"),
                     "bad SMTP password")
        s.login("alice", PW["alice"])
        s.mail("alice@localhost")
        code, _ = s.rcpt("nobody@localhost")
        assert code == 550, code
        code, _ = s.rcpt("bob@example.com")
        assert code == 550, code
        s.rset()


def message(frm, to, tag):
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: selftest {tag}\r\n"
            f"Message-ID: <{tag}@selftest>\r\n\r\nHello, body {tag}.\r\n.leading dot\r\n")


def t_smtp_send_starttls():
    tag = uuid.uuid4().hex
    with smtplib.SMTP(HOST, PORT["SMTP"]) as s:
        s.starttls(context=tls())
        s.login("alice", PW["alice"])
        refused = s.sendmail("alice@localhost", ["bob@localhost"],
                             message("alice@localhost", "bob@localhost", tag))
        assert not refused
    sent["starttls"] = tag


def t_smtp_send_implicit():
    tag = uuid.uuid4().hex
    with smtplib.SMTP_SSL(HOST, PORT["SMTPS"], context=tls()) as s:
        s.ehlo("selftest")
        s.esmtp_features["auth"] = "LOGIN"   # exercise AUTH LOGIN here
        s.login("carol@localhost", PW["carol"])
        s.sendmail("carol@localhost", ["bob@localhost", "alice"],
                   message("carol@localhost", "bob@localhost, alice@localhost", tag))
    sent["implicit"] = tag


def t_imap_fetch():
    with imaplib.IMAP4_SSL(HOST, PORT["IMAPS"], ssl_context=tls()) as m:
        m.login("bob", PW["bob"])
        m.select("INBOX")
        for tag in sent.values():
            typ, data = m.search(None, "HEADER", "Message-ID", f"<{tag}@selftest>")
            nums = data[0].split()
            assert len(nums) == 1, f"{tag}: {data}"
            typ, data = m.fetch(nums[0], "(BODY.PEEK[])")
            msg = email.message_from_bytes(data[0][1])
            assert msg.get_payload().startswith(f"Hello, body {tag}."), msg.get_payload()
            assert ".leading dot" in msg.get_payload()
            assert msg["Return-Path"] and msg["Received"]
        m.logout()


def t_pop3s_fetch():
    p = poplib.POP3_SSL(HOST, PORT["POP3S"], context=tls())
    p.user("bob")
    p.pass_(PW["bob"])
    count, _ = p.stat()
    assert count >= len(sent), count
    bodies = b"\n".join(b"\n".join(p.retr(i + 1)[1]) for i in range(count))
    for tag in sent.values():
        assert f"Hello, body {tag}.".encode() in bodies
    uidl = p.uidl()[1][0].split()[1]
    assert len(uidl) == 16 and int(uidl, 16) >= 0, uidl   # %08Xu%08Xv
    p.quit()


def t_maildir_and_spool():
    new = glob.glob(os.path.join(E["KURIR_TEST_MAILDIR_ALICE"], "*", "*"))
    assert any(sent["implicit"] in open(f, errors="replace").read()
               for f in new if os.path.isfile(f)), "not in alice's Maildir"
    metas = [json.load(open(f)) for f in sorted(glob.glob(
        os.path.join(E["KURIR_TEST_SMTP_SPOOL"], "*.json")))]
    assert [m["rcpt_tos"] for m in metas][-2:] == [["bob@localhost"],
                                                   ["bob@localhost", "alice"]], metas
    assert metas[-1]["auth_user"] == "carol" and metas[-1]["tls"], metas[-1]


def t_smtp_log():
    log = open(E["KURIR_TEST_SMTP_LOG"], encoding="utf-8").read().splitlines()
    auth = [line for line in log if " C: AUTH" in line]
    assert any(" tls C: AUTH PLAIN " in line for line in auth), auth
    # the plaintext AUTH attempt from t_smtp_rules is there, in the clear
    assert any(" plain C: AUTH PLAIN " in line for line in log), "no plain AUTH attempt"
    pw64 = base64.b64encode(PW["carol"].encode()).decode()
    assert any(" tls C: " + pw64 in line for line in log), "AUTH LOGIN payload not logged"


# --- doveadm, keyring, display -----------------------------------------------------

def t_doveadm():
    out = subprocess.run(shlex.split(E["KURIR_TEST_DOVEADM"]) +
                         ["mailbox", "status", "-u", "bob", "messages", "INBOX"],
                         capture_output=True, text=True, check=True).stdout
    assert int(out.split("=")[1]) >= len(sent), out


def t_keyring():
    run = lambda *a, **k: subprocess.run(["secret-tool", *a], capture_output=True,  # noqa: E731
                                         text=True, timeout=10, check=True, **k)
    run("store", "--label=selftest", "kurir-selftest", "1", input="s3cret")
    assert run("lookup", "kurir-selftest", "1").stdout == "s3cret"
    run("clear", "kurir-selftest", "1")


def t_display():
    out = subprocess.run(["xdpyinfo"], capture_output=True, text=True, check=True,
                         timeout=10).stdout
    assert "1280x800" in out, out[:300]


check("openssl s_client IMAPS verifies against the CA", t_s_client_imaps)
check("openssl s_client STARTTLS imap/pop3/smtp, POP3S, SMTPS", t_s_client_starttls)
check("selfsigned/expired/wronghost certs fail verification", t_bad_certs)
check("IMAPS LOGIN, capabilities, special-use folders", t_imaps_login)
check("IMAPS wrong password refused", t_imap_wrong_password)
check("IMAP LOGIN refused before STARTTLS, works after", t_imap_plaintext_refused)
check("IMAPS AUTHENTICATE SCRAM-SHA-256 and SCRAM-SHA-1", t_imap_scram)
check("POP3 USER/PASS refused before STLS, works after", t_pop3_plaintext_refused)
check("SMTP: no AUTH before STARTTLS, AUTH needed, 550 unknown", t_smtp_rules)
check("SMTP STARTTLS + AUTH PLAIN: alice -> bob", t_smtp_send_starttls)
check("SMTPS + AUTH LOGIN: carol -> bob, alice", t_smtp_send_implicit)
check("IMAPS: bob's INBOX has both messages", t_imap_fetch)
check("POP3S: bob's messages, UIDL format", t_pop3s_fetch)
check("Maildir delivery and SMTP spool", t_maildir_and_spool)
check("SMTP wire log tags AUTH lines plain/tls", t_smtp_log)
check("doveadm with KURIR_TEST_DOVEADM", t_doveadm)
check("secret-tool store/lookup/clear", t_keyring)
if E.get("DISPLAY"):
    check("X display (xdpyinfo)", t_display)

print(f"{len(failures)} failed" if failures else "all ok")
sys.exit(1 if failures else 0)
