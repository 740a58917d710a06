#!/bin/bash
# The real kurir binary under X: its window appears, titled Kurir; a second
# launch hands over to the running instance; app.quit, activated over D-Bus
# as GNOME Shell would, quits it.
set -euo pipefail

kurir=$1
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

"$kurir" &
pid=$!

# xdotool --sync waits until such a window exists.
window=$(timeout 30 xdotool search --sync --onlyvisible --name '^Kurir$' | head -n 1)
[ -n "$window" ] || { echo "no window titled Kurir"; exit 1; }
echo "window $window appeared"
[ "$(xdotool getwindowpid "$window")" = "$pid" ] || { echo "the window is not our process's"; exit 1; }

# Single instance: the second launch activates the first and exits.
timeout 30 "$kurir"
count=$(xdotool search --onlyvisible --name '^Kurir$' | wc -l)
[ "$count" -eq 1 ] || { echo "expected one Kurir window, found $count"; exit 1; }
kill -0 "$pid" || { echo "the first instance died"; exit 1; }
echo "second launch handed over to the first instance"

gdbus call --session --dest io.github.kurir.Kurir --object-path /io/github/kurir/Kurir \
  --method org.gtk.Actions.Activate quit '[]' '{}' >/dev/null
timeout 30 tail --pid="$pid" -f /dev/null || { echo "app.quit did not quit"; exit 1; }
wait "$pid" || { echo "kurir exited with status $?"; exit 1; }
pid=
echo "app.quit quit the app"
