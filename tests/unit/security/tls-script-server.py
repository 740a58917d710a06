#!/usr/bin/python3
"""tls-script-server.py: a scripted IMAP/POP3/SMTP server for the STARTTLS
and TLS attack catalogue (test-starttls-catalogue.c), with a transcript of
every byte the client sent.

  tls-script-server.py certs DIR
      makes DIR/{ca,server,selfsigned,expired,notyet,wronghost,otherca}.pem
      (+ .key) with openssl: the test CA, a good localhost/127.0.0.1
      certificate from it, and one certificate per way to be wrong.

  tls-script-server.py serve PROTO CASE CERTDIR TRANSCRIPT
      listens on 127.0.0.1, prints the port, serves one connection as CASE
      says, writes every byte received to TRANSCRIPT.plain (before TLS) and
      TRANSCRIPT.tls (decrypted, after the handshake), and exits when the
      client closes (or after 20 s).

After the scripted part the server is a pushover: it accepts any login with
any password, as an attacker would, so a client that goes on sends its
credentials and the transcript shows it.
"""

import os
import socket
import ssl
import subprocess
import sys
import tempfile


def make_certs(directory):
    os.makedirs(directory, exist_ok=True)
    os.chdir(directory)
    cnf = f"""[ca]
default_ca = test_ca
[test_ca]
dir = {directory}
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
[policy_any]
commonName = supplied
[req]
distinguished_name = req_dn
prompt = no
[req_dn]
CN = unused
[ext_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ext_local]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[ext_selfsigned]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
[ext_wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
"""
    with open("openssl.cnf", "w") as f:
        f.write(cnf)
    open("index.txt", "w").close()

    def run(*args):
        subprocess.run(("openssl",) + args, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def when(days):
        out = subprocess.run(["date", "-u", "-d", f"{days} days",
                              "+%Y%m%d%H%M%SZ"], check=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def cert(name, cn, ext, start, end, signer=None):
        run("genpkey", "-algorithm", "EC", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-out", f"{name}.key")
        run("req", "-config", "openssl.cnf", "-new", "-key", f"{name}.key",
            "-subj", f"/O=Kurir test/CN={cn}", "-out", f"{name}.csr")
        sign = (["-selfsign", "-keyfile", f"{name}.key"] if signer is None
                else ["-cert", f"{signer}.pem", "-keyfile", f"{signer}.key"])
        run("ca", "-config", "openssl.cnf", "-batch", "-notext",
            "-rand_serial", *sign, "-startdate", when(start),
            "-enddate", when(end), "-extensions", ext,
            "-in", f"{name}.csr", "-out", f"{name}.pem")
        os.unlink(f"{name}.csr")

    cert("ca", "Kurir Catalogue CA", "ext_ca", -1, 30)
    cert("otherca-root", "Unknown CA", "ext_ca", -1, 30)
    cert("server", "localhost", "ext_local", -1, 30, "ca")
    cert("selfsigned", "localhost", "ext_selfsigned", -1, 30)
    cert("expired", "localhost", "ext_local", -30, -1, "ca")
    cert("notyet", "localhost", "ext_local", 2, 30, "ca")
    cert("wronghost", "wrong.example", "ext_wronghost", -1, 30, "ca")
    cert("otherca", "localhost", "ext_local", -1, 30, "otherca-root")


class Session:
    def __init__(self, sock, transcript, certdir):
        self.sock = sock
        self.transcript = transcript
        self.certdir = certdir
        self.tls = False
        self.buffer = b""

    def log(self, data):
        out = self.transcript[1 if self.tls else 0]
        out.write(data)
        out.flush()

    def send(self, text):
        self.sock.sendall(text.encode() if isinstance(text, str) else text)

    def readline(self):
        while b"\n" not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError
            self.log(data)
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def starttls(self, cert="server", max_version=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        if max_version is not None:
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = max_version
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.load_cert_chain(os.path.join(self.certdir, cert + ".pem"),
                                os.path.join(self.certdir, cert + ".key"))
        self.tls = True
        try:
            self.sock = context.wrap_socket(self.sock, server_side=True)
        except (ssl.SSLError, OSError):
            raise EOFError
        self.buffer = b""


# The pushovers: any command succeeds, any login is welcome.

def lenient_imap(s, caps="IMAP4rev1 AUTH=PLAIN AUTH=LOGIN"):
    while True:
        line = s.readline()
        parts = line.split(" ")
        tag = parts[0]
        command = parts[1].upper() if len(parts) > 1 else ""
        if command == "CAPABILITY":
            s.send(f"* CAPABILITY {caps}\r\n{tag} OK done\r\n")
        elif command == "AUTHENTICATE":
            if len(parts) < 4:
                s.send("+ \r\n")
                s.readline()
            s.send(f"{tag} OK welcome\r\n")
        elif command == "LOGOUT":
            s.send(f"* BYE\r\n{tag} OK bye\r\n")
            return
        else:
            s.send(f"{tag} OK done\r\n")


def lenient_pop3(s, capa="USER\r\nSASL PLAIN LOGIN\r\nUIDL\r\n"):
    while True:
        parts = s.readline().split(" ")
        command = parts[0].upper()
        if command == "CAPA":
            s.send(f"+OK\r\n{capa}.\r\n")
        elif command == "AUTH":
            if len(parts) < 3:
                s.send("+ \r\n")
                s.readline()
            s.send("+OK welcome\r\n")
        elif command == "QUIT":
            s.send("+OK bye\r\n")
            return
        else:
            s.send("+OK\r\n")


def lenient_smtp(s, ehlo="250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"):
    while True:
        line = s.readline()
        parts = line.split(" ")
        command = parts[0].upper()
        if command in ("EHLO", "HELO"):
            s.send("250-mail.example\r\n" + ehlo)
        elif command == "AUTH":
            if len(parts) < 3:
                s.send("334 \r\n")
                s.readline()
            s.send("235 2.7.0 welcome\r\n")
        elif command == "QUIT":
            s.send("221 bye\r\n")
            return
        else:
            s.send("250 ok\r\n")


LENIENT = {"imap": lenient_imap, "pop3": lenient_pop3, "smtp": lenient_smtp}
GREETING = {
    "imap": "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\r\n",
    "pop3": "+OK ready\r\n",
    "smtp": "220 mail.example ESMTP ready\r\n",
}


def until_starttls(s, proto, caps_imap="IMAP4rev1 STARTTLS LOGINDISABLED",
                   capa_pop3="STLS\r\nUIDL\r\n",
                   ehlo_smtp="250-STARTTLS\r\n250 8BITMIME\r\n"):
    """Answers until the client asks for STARTTLS; returns its tag."""
    while True:
        line = s.readline()
        parts = line.split(" ")
        if proto == "imap":
            tag, command = parts[0], (parts[1].upper() if len(parts) > 1 else "")
            if command == "STARTTLS":
                return tag
            if command == "CAPABILITY":
                s.send(f"* CAPABILITY {caps_imap}\r\n{tag} OK done\r\n")
            else:
                s.send(f"{tag} BAD first STARTTLS\r\n")
        elif proto == "pop3":
            command = parts[0].upper()
            if command == "STLS":
                return None
            if command == "CAPA":
                s.send(f"+OK\r\n{capa_pop3}.\r\n")
            else:
                s.send("-ERR first STLS\r\n")
        else:
            command = parts[0].upper()
            if command == "STARTTLS":
                return None
            if command in ("EHLO", "HELO"):
                s.send("250-mail.example\r\n" + ehlo_smtp)
            else:
                s.send("530 5.7.0 first STARTTLS\r\n")


GO_AHEAD = {"imap": "{tag} OK begin TLS now\r\n", "pop3": "+OK begin TLS\r\n",
            "smtp": "220 2.0.0 go ahead\r\n"}
REFUSE = {"imap": "{tag} BAD not now\r\n", "pop3": "-ERR not now\r\n",
          "smtp": "454 4.7.0 TLS not available\r\n"}


def run_case(s, proto, case):
    lenient = LENIENT[proto]

    def go_ahead(tag):
        return GO_AHEAD[proto].format(tag=tag)

    if case == "missing-capability":
        s.send(GREETING[proto].replace(" STARTTLS", ""))
        if proto == "imap":
            lenient(s)
        elif proto == "pop3":
            lenient(s, capa="USER\r\nSASL PLAIN\r\n")
        else:
            lenient(s, ehlo="250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n")
    elif case == "starttls-refused":
        s.send(GREETING[proto])
        tag = until_starttls(s, proto)
        s.send(REFUSE[proto].format(tag=tag))
        lenient(s)
    elif case == "starttls-garbage":
        s.send(GREETING[proto])
        until_starttls(s, proto)
        s.send("HTTP/1.1 400 Bad Request\r\n\r\n")
        lenient(s)
    elif case == "starttls-injected":
        # The go-ahead and a forged reply in one packet (CVE-2011-0411 style).
        s.send(GREETING[proto])
        tag = until_starttls(s, proto)
        forged = {"imap": "* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n",
                  "pop3": "+OK forged\r\n",
                  "smtp": "250-mail.example\r\n250 AUTH PLAIN\r\n"}[proto]
        s.send(go_ahead(tag) + forged)
        s.starttls()
        lenient(s)
    elif case == "before-starttls":
        # What the server said in plaintext must not outlive the upgrade.
        if proto == "imap":
            s.send(GREETING[proto])
            tag = until_starttls(s, proto)
            s.send("* CAPABILITY IMAP4rev1 AUTH=PLAIN X-INJECTED\r\n"
                   "* OK [ALERT] injected alert\r\n" + go_ahead(tag))
            s.starttls()
            lenient(s)
        elif proto == "pop3":
            s.send(GREETING[proto])
            until_starttls(s, proto, capa_pop3="STLS\r\nX-INJECTED\r\nSASL PLAIN\r\n")
            s.send(go_ahead(None))
            s.starttls()
            lenient(s)
        else:
            s.send(GREETING[proto])
            until_starttls(s, proto, ehlo_smtp="250-STARTTLS\r\n250-X-INJECTED\r\n250 AUTH PLAIN\r\n")
            s.send(go_ahead(None))
            s.starttls()
            lenient(s)
    elif case == "preauth":
        s.send("* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in already\r\n")
        lenient(s)
    elif case == "alert-greeting":
        s.send("* OK [ALERT] Your mailbox is full: confirm your password at "
               "http://evil.example/\r\n")
        tag = until_starttls(s, proto)
        s.send(go_ahead(tag))
        s.starttls()
        lenient(s)
    elif case == "invalid-greeting":
        s.send({"imap": "HELLO I am your server\r\n",
                "pop3": "HELLO I am your server\r\n",
                "smtp": "HELLO I am your server\r\n"}[proto])
        lenient(s)
    elif case == "plaintext-on-tls-port":
        s.send(GREETING[proto].replace(" STARTTLS LOGINDISABLED", " AUTH=PLAIN"))
        lenient(s)
    elif case.startswith("cert-") or case == "tls-1.1":
        # Implicit TLS ("tls-…") or STARTTLS ("starttls-…"), decided by the
        # client; the case name says which certificate or version.
        cert = case[len("cert-"):] if case.startswith("cert-") else "server"
        max_version = ssl.TLSVersion.TLSv1_1 if case == "tls-1.1" else None
        implicit = os.environ.get("KURIR_CATALOGUE_IMPLICIT") == "1"
        if not implicit:
            s.send(GREETING[proto])
            tag = until_starttls(s, proto)
            s.send(go_ahead(tag))
        s.starttls(cert, max_version)
        if implicit:
            s.send(GREETING[proto].replace(" STARTTLS LOGINDISABLED", " AUTH=PLAIN"))
        lenient(s)
    else:
        raise SystemExit(f"unknown case {case}")


def serve(proto, case, certdir, transcript_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    print(listener.getsockname()[1], flush=True)
    connection, _ = listener.accept()
    connection.settimeout(20)
    with open(transcript_path + ".plain", "wb") as plain, \
         open(transcript_path + ".tls", "wb") as tls:
        s = Session(connection, (plain, tls), certdir)
        try:
            run_case(s, proto, case)
            # Whatever the client still says goes into the transcript.
            while True:
                s.readline()
        except (EOFError, OSError, ssl.SSLError):
            pass
    try:
        s.sock.close()
    except OSError:
        pass


if __name__ == "__main__":
    if sys.argv[1] == "certs":
        make_certs(os.path.abspath(sys.argv[2]))
    else:
        serve(*sys.argv[2:6])
