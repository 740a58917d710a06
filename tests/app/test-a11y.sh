#!/bin/bash
# What a screen reader sees of the real kurir binary, read through AT-SPI
# (python3-pyatspi) under X and the private D-Bus session of with-servers:
# the sidebar, the message list and its rows, the reader, and a name on
# every button (icon-only ones included).
#
#   test-a11y.sh KURIR KURIR_CLI
set -euo pipefail

kurir=$1
cli=$2
home=$(mktemp -d)
pid=
cleanup () {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$home"
}
trap cleanup EXIT

[ -n "${DISPLAY:-}" ] || { echo "no DISPLAY: run under tests/servers/with-servers"; exit 1; }
[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "no D-Bus session: run under tests/servers/with-servers"; exit 1; }

export XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data XDG_CACHE_HOME=$home/cache
# Accessibility on: the other app tests turn it off.
unset GTK_A11Y NO_AT_BRIDGE

# GTK and the reader talk over the accessibility bus, which the session
# bus starts on demand (org.a11y.Bus, at-spi-bus-launcher), and through its
# registry daemon. Start both here and wait until the registry answers, so
# neither the app nor the reader races their start-up, and a missing
# at-spi2-core fails with a clear message rather than an empty tree.
# (tests/servers/with-servers gives the bus its own runtime folder, where
# the launcher puts its socket: ~/.cache/at-spi/bus would be shared by
# every session on the machine.)
reply=$(gdbus call --session --timeout 30 --dest org.a11y.Bus --object-path /org/a11y/bus \
          --method org.a11y.Bus.GetAddress) ||
  { echo "no AT-SPI bus (org.a11y.Bus): is at-spi2-core installed?"; exit 1; }
a11y_address=$(sed -n "s/^('\(.*\)',)$/\1/p" <<<"$reply")
[ -n "$a11y_address" ] || { echo "unexpected AT-SPI bus address: $reply"; exit 1; }
gdbus call --address "$a11y_address" --timeout 30 --dest org.a11y.atspi.Registry \
  --object-path /org/a11y/atspi/registry --method org.freedesktop.DBus.Peer.Ping >/dev/null ||
  { echo "the AT-SPI registry (at-spi2-registryd) does not answer on $a11y_address"; exit 1; }
echo "# AT-SPI bus $a11y_address, registry up"

# A local account with three messages, one with an attachment.
"$cli" account add Archive --email me@example.test --protocol local >/dev/null
cat >"$home/in.mbox" <<'MBOX'
From alice@example.test Mon Nov 23 09:00:00 2026
From: Alice Example <alice@example.test>
To: me@example.test
Subject: Minutes of the garden meeting
Date: Mon, 23 Nov 2026 09:00:00 +0000
Message-ID: <a11y-1@example.test>

The hedge stays; the shed goes.

From bob@example.test Tue Nov 24 10:00:00 2026
From: Bob Example <bob@example.test>
To: me@example.test
Subject: Photos from Sunday
Date: Tue, 24 Nov 2026 10:00:00 +0000
Message-ID: <a11y-2@example.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain

Two photos attached.
--b
Content-Type: image/png; name="one.png"
Content-Disposition: attachment; filename="one.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--b--

From carol@example.test Wed Nov 25 11:00:00 2026
From: Carol Example <carol@example.test>
To: me@example.test
Subject: Choir practice moves to Thursday
Date: Wed, 25 Nov 2026 11:00:00 +0000
Message-ID: <a11y-3@example.test>

Same time, same hall.
MBOX
"$cli" import --account Archive "$home/in.mbox" >/dev/null

"$kurir" &
pid=$!
window=$(timeout 30 xdotool search --sync --onlyvisible --name '^Kurir$' | head -n 1)
[ -n "$window" ] || { echo "no window titled Kurir"; exit 1; }

status=0
/usr/bin/python3 "$(dirname "$0")/test-a11y.py" "$pid" || status=$?

gdbus call --session --dest io.github.kurir.Kurir --object-path /io/github/kurir/Kurir \
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null || true
timeout 30 tail --pid="$pid" -f /dev/null || true
pid=
exit $status
