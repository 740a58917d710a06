# Shared helpers for the test-server scripts in tests/servers/.
# Sourced, not executed.  Callers use `set -euo pipefail`.
# shellcheck shell=bash disable=SC2034  # the variables are for the callers

# dovecot lives in /usr/sbin, often not in an ordinary user's PATH.
case :$PATH: in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin ;; esac
KURIR_SERVERS_DIR=${KURIR_SERVERS_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
PYTHON=${KURIR_TEST_PYTHON:-/usr/bin/python3}
START_TIMEOUT=${KURIR_TEST_START_TIMEOUT:-10}
MAIL_USER_NAME=kurirtest
# Dovecot's STARTTLS ports listen here, not on 127.0.0.1; see tcp-forward.py.
DOVECOT_PLAIN_ADDRESS=127.0.0.2

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# now_ms: milliseconds since the epoch.
now_ms() { local t=${EPOCHREALTIME/,/.}; echo $(( ${t%.*} * 1000 + 10#${t#*.} / 1000 )); }

# free_ports N: print N distinct free TCP ports on 127.0.0.1, one a line.
# The kernel picks them; all sockets are held open until every port is known.
free_ports() {
    "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# port_open PORT [ADDRESS]: true if ADDRESS (127.0.0.1) accepts a TCP
# connection on PORT.
port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }

# pid_alive PID: true if PID runs and is not a zombie; pid_gone: the reverse.
pid_alive() {
    local pa_stat
    { read -r pa_stat < "/proc/$1/stat"; } 2>/dev/null || return 1
    pa_stat=${pa_stat##*) }
    [[ ${pa_stat:0:1} != Z ]]
}
pid_gone() { ! pid_alive "$1"; }

# wait_until TIMEOUT_S PID CMD...: poll CMD until it succeeds.  Fails if the
# time runs out or if PID (when not empty) stops running first.
wait_until() {
    local wu_timeout=$1 wu_pid=$2; shift 2
    local wu_deadline=$(( $(now_ms) + wu_timeout * 1000 ))
    until "$@"; do
        if [[ -n $wu_pid ]] && ! pid_alive "$wu_pid"; then return 2; fi
        (( $(now_ms) < wu_deadline )) || return 1
        sleep 0.02
    done
}

# stop_pid PID [TIMEOUT_S]: SIGTERM the process group PID leads (when it was
# started with setsid: PID and its children) or else PID, wait for PID to
# go, SIGKILL after TIMEOUT_S; then SIGKILL what is left of the group, and
# reap PID if it is our child.  (Signalling Dovecot's whole group makes it
# stop at once, where its master alone takes a second; the price is a
# "Killed with signal 15" line per process at the end of its log.)
stop_pid() {
    local sp_pid=$1 sp_timeout=${2:-10}
    [[ -n $sp_pid ]] || return 0
    kill -TERM -- "-$sp_pid" 2>/dev/null || kill -TERM "$sp_pid" 2>/dev/null || true
    if ! wait_until "$sp_timeout" "" pid_gone "$sp_pid"; then
        log "pid $sp_pid did not stop after ${sp_timeout}s, killing it"
    fi
    kill -KILL -- "-$sp_pid" 2>/dev/null || kill -KILL "$sp_pid" 2>/dev/null || true
    wait "$sp_pid" 2>/dev/null || true
}

# mail_ids: set MAIL_USER MAIL_UID MAIL_GID MAIL_GROUP, the account that owns
# the mail and runs the unprivileged server processes.  As root this is the
# system user kurirtest (created when missing); otherwise the caller.
mail_ids() {
    if [[ $(id -u) == 0 ]]; then
        if ! getent passwd "$MAIL_USER_NAME" >/dev/null; then
            useradd --system --no-create-home --home-dir /nonexistent \
                --shell /usr/sbin/nologin "$MAIL_USER_NAME" 2>/dev/null ||
                getent passwd "$MAIL_USER_NAME" >/dev/null ||
                die "cannot create system user $MAIL_USER_NAME"
        fi
        MAIL_USER=$MAIL_USER_NAME
    else
        MAIL_USER=$(id -un)
    fi
    MAIL_UID=$(id -u "$MAIL_USER")
    MAIL_GID=$(id -g "$MAIL_USER")
    MAIL_GROUP=$(id -gn "$MAIL_USER")
}
