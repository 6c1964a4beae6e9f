#!/usr/bin/env bash
# Starts (or reloads) a private Exim daemon for the interop tests, entirely inside DIR.
#
#   interop/exim/start.sh DIR        (as root; interop/exim/install.sh unpacks Exim into EXIM_HOME first)
#
# DIR/exim.conf          the configuration (exim4 -C DIR/exim.conf -bd); the daemon is started as root, binds its
#                        ports and drops to the Debian-exim user for everything else (deliver_drop_privilege)
# DIR/ports.env          EXIM_DIR, PLAIN_PORT, SMALL_SIZE_PORT, SIZE_LIMIT, SMALL_SIZE_LIMIT, CA_FILE, SERVER_NAME,
#                        MAILDIR, MAINLOG, PANICLOG, EXIM_BIN, EXIM_CONF (shell syntax, also read by the tests)
# DIR/tls/ca.pem         the CA that signed the server certificate (CN/SAN localhost, IP 127.0.0.1)
# DIR/mail/catchall/     the Maildir every accepted recipient is delivered to (one file per recipient copy)
# DIR/log/mainlog        Exim's log (log_selector = +all; MAIL and RCPT commands are logged verbatim as
#                        "interop: MAIL FROM:<...> ..." so that tests can see the parameters Exim received);
#                        DIR/log/paniclog, DIR/log/rejectlog
#
# Listeners (127.0.0.1 only; override with e.g. PLAIN_PORT=3625 in the environment):
#   PLAIN_PORT       2625  SIZE 52428800, 8BITMIME, PIPELINING, PIPECONNECT, CHUNKING, DSN, PRDR, SMTPUTF8, STARTTLS
#   SMALL_SIZE_PORT  2626  the same with SIZE 10240 (message_size_limit 10K): for the SIZE refusal test
# Recipients: reject@example.com -> 550 no such user, tempfail@example.com -> 451 try later, any other -> the Maildir.
#
# Idempotent: when the daemon already runs, the configuration is rewritten and the daemon re-reads it (SIGHUP).
# The CA and the server certificate are generated once and kept. Stop with interop/exim/stop.sh DIR.
# On failure the configuration check (exim -bV), the panic log and the main log are printed; EXIM_DEBUG=1 starts the
# daemon with -d (debug output to DIR/log/debug.log, the daemon then stays in the foreground, in the background).
set -euo pipefail

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[[ $# -eq 1 && -n $1 ]] || usage
[[ $(id -u) -eq 0 ]] || { echo "start.sh: must run as root (Exim binds its ports as root, then drops to Debian-exim)" >&2; exit 1; }

EXIM_HOME=${EXIM_HOME:-/opt/reactive-smtp-exim}
EXIM=$EXIM_HOME/usr/sbin/exim4
[[ -x $EXIM ]] || { echo "start.sh: $EXIM is missing: run interop/exim/install.sh" >&2; exit 1; }
getent passwd Debian-exim >/dev/null || { echo "start.sh: no Debian-exim user: run interop/exim/install.sh" >&2; exit 1; }
command -v openssl >/dev/null || { echo "start.sh: openssl is missing" >&2; exit 1; }

mkdir -p "$1"
DIR=$(cd "$1" && pwd -P)
case $DIR in
    *[[:space:]]*|*:*|*\;*|*'$'*|*'{'*|*'}'*|*\\*) echo "start.sh: DIR must not contain blanks, ':', ';', '\$', braces or '\\': $DIR" >&2; exit 2 ;;
esac

PLAIN_PORT=${PLAIN_PORT:-2625}
SMALL_SIZE_PORT=${SMALL_SIZE_PORT:-2626}
SIZE_LIMIT=52428800
SMALL_SIZE_LIMIT=10240
MYHOSTNAME=exim.interop.test
WAIT_SECONDS=${WAIT_SECONDS:-30}
for p in "$PLAIN_PORT" "$SMALL_SIZE_PORT"; do
    [[ $p =~ ^[0-9]+$ ]] && ((p >= 1024 && p <= 65535)) || { echo "start.sh: invalid port $p (1024-65535)" >&2; exit 2; }
done
[[ $PLAIN_PORT != "$SMALL_SIZE_PORT" ]] || { echo "start.sh: the two ports must differ" >&2; exit 2; }

# The daemon's children run as Debian-exim: every directory above DIR must be traversable, the spool, log and
# Maildir writable by it.
chmod 755 "$DIR"
mkdir -p "$DIR/spool" "$DIR/log" "$DIR/tls" "$DIR/mail"
chown Debian-exim:Debian-exim "$DIR/spool" "$DIR/log" "$DIR/mail"
chmod 750 "$DIR/spool"
chmod 755 "$DIR/log" "$DIR/mail"
# A parent of DIR that Debian-exim cannot traverse (say, under /root) would only show at the first delivery.
if command -v runuser >/dev/null && ! runuser -u Debian-exim -- test -w "$DIR/mail" -a -w "$DIR/spool" -a -w "$DIR/log" 2>/dev/null; then
    echo "start.sh: the Debian-exim user cannot reach $DIR (a parent directory is not traversable): choose another DIR" >&2
    exit 1
fi
PIDFILE=$DIR/exim.pid
CONF=$DIR/exim.conf

# ---------------------------------------------------------------- TLS: a CA and a server certificate
if [[ ! -s $DIR/tls/ca.pem || ! -s $DIR/tls/server.pem || ! -s $DIR/tls/server.key ]]; then
    echo "start.sh: generating a test CA and a server certificate for localhost / 127.0.0.1"
    (
        cd "$DIR/tls"
        umask 077
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
            -keyout ca.key -out ca.pem -subj "/CN=Reactive SMTP interop test CA (Exim)" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -sha256 \
            -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' \
            "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" \
            "subjectAltName=DNS:localhost,IP:127.0.0.1" > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 825 -sha256 -extfile server.ext -out server.pem 2>/dev/null
        rm -f server.csr server.ext ca.srl
    )
fi
chown root:root "$DIR/tls"/*
chmod 644 "$DIR/tls/ca.pem" "$DIR/tls/server.pem"
# TLS is set up in the connection's process, after the drop to Debian-exim.
chown root:Debian-exim "$DIR/tls/server.key"
chmod 640 "$DIR/tls/server.key"
chmod 600 "$DIR/tls/ca.key"
chmod 755 "$DIR/tls"

# ---------------------------------------------------------------- exim.conf
cat > "$CONF" <<CONF
# Generated by interop/exim/start.sh: a private Exim for the interop tests. Do not edit.
exim_path = $EXIM
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
# Started as root to bind the ports; everything else (reception, delivery) runs as Debian-exim. Exim re-executes
# itself for deliveries with -C, which as Debian-exim gives up root anyway: the transport runs as Debian-exim.
deliver_drop_privilege = true
keep_environment =

primary_hostname = $MYHOSTNAME
qualify_domain = interop.test
spool_directory = $DIR/spool
log_file_path = $DIR/log/%slog
pid_file_path = $PIDFILE
log_selector = +all
local_interfaces = <; 127.0.0.1.$PLAIN_PORT ; 127.0.0.1.$SMALL_SIZE_PORT
host_lookup =
rfc1413_hosts =
rfc1413_query_timeout = 0s
# Nothing waits for DNS: every address is accepted by one router, no lookups.

# Extensions: every one Exim has, on both ports; SIZE differs per port.
message_size_limit = \${if =={\$received_port}{$SMALL_SIZE_PORT}{$SMALL_SIZE_LIMIT}{$SIZE_LIMIT}}
accept_8bitmime = true
pipelining_advertise_hosts = *
pipelining_connect_advertise_hosts = *
chunking_advertise_hosts = *
smtputf8_advertise_hosts = *
dsn_advertise_hosts = *
prdr_enable = true
tls_advertise_hosts = *
tls_certificate = $DIR/tls/server.pem
tls_privatekey = $DIR/tls/server.key
auth_advertise_hosts =

acl_smtp_mail = acl_check_mail
acl_smtp_rcpt = acl_check_rcpt

begin acl

acl_check_mail:
  warn    logwrite = interop: \$smtp_command
  accept

acl_check_rcpt:
  warn    logwrite = interop: \$smtp_command
  deny    condition = \${if eqi{\$local_part@\$domain}{reject@example.com}}
          message = no such user
  defer   condition = \${if eqi{\$local_part@\$domain}{tempfail@example.com}}
          message = try later
  accept

begin routers

catchall:
  driver = accept
  transport = catchall_maildir

begin transports

catchall_maildir:
  driver = appendfile
  directory = $DIR/mail/catchall
  maildir_format
  create_directory
  directory_mode = 0755
  mode = 0644
  user = Debian-exim
  group = Debian-exim
  return_path_add
  envelope_to_add
  delivery_date_add

begin retry

*   *   F,1h,1m
CONF
chmod 644 "$CONF"

# ---------------------------------------------------------------- ports.env
cat > "$DIR/ports.env" <<ENV
# Written by interop/exim/start.sh; shell syntax, also read by the interop tests.
EXIM_DIR=$DIR
PLAIN_PORT=$PLAIN_PORT
SMALL_SIZE_PORT=$SMALL_SIZE_PORT
SIZE_LIMIT=$SIZE_LIMIT
SMALL_SIZE_LIMIT=$SMALL_SIZE_LIMIT
CA_FILE=$DIR/tls/ca.pem
SERVER_NAME=localhost
MAILDIR=$DIR/mail/catchall
MAINLOG=$DIR/log/mainlog
PANICLOG=$DIR/log/paniclog
EXIM_BIN=$EXIM
EXIM_CONF=$CONF
ENV
chmod 644 "$DIR/ports.env"

# ---------------------------------------------------------------- start and wait
diagnose() {
    echo "start.sh: ---- $EXIM -C $CONF -bV (configuration check) ----" >&2
    local out
    if out=$("$EXIM" -C "$CONF" -bV 2>&1); then
        echo "(the configuration is valid)" >&2
    else
        grep -Ev '^(Exim version|Copyright|\(c\)|Berkeley DB|Support for|Lookups|Authenticators|Routers|Transports|Fixed never_users|Configure owner|Size of off_t)' \
            <<<"$out" >&2 || true
    fi
    for f in paniclog mainlog debug.log; do
        echo "start.sh: ---- $DIR/log/$f (last 40 lines) ----" >&2
        if [[ -s $DIR/log/$f ]]; then tail -n 40 "$DIR/log/$f" >&2; else echo "(empty or missing)" >&2; fi
    done
}

daemon_pid() {
    local pid
    [[ -s $PIDFILE ]] || return 1
    pid=$(tr -dc '0-9' < "$PIDFILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && grep -q exim "/proc/$pid/cmdline" 2>/dev/null || return 1
    echo "$pid"
}

banner() {
    local port=$1 line=
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
    IFS= read -r -t 5 line <&3 || true
    printf 'QUIT\r\n' >&3 2>/dev/null || true
    exec 3<&- 3>&-
    [[ $line == 220[\ -]* ]]
}

port_in_use() {
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    exec 3<&- 3>&-
}

if ! "$EXIM" -C "$CONF" -bV >/dev/null 2>&1; then
    echo "start.sh: the configuration $CONF is invalid" >&2
    diagnose
    exit 1
fi

if pid=$(daemon_pid); then
    echo "start.sh: the Exim daemon in $DIR (pid $pid) already runs: re-reading its configuration"
    kill -HUP "$pid"
    sleep 1
else
    rm -f "$PIDFILE"
    for p in "$PLAIN_PORT" "$SMALL_SIZE_PORT"; do
        if port_in_use "$p"; then
            echo "start.sh: 127.0.0.1:$p is already in use by another program; stop it or choose other ports" >&2
            exit 1
        fi
    done
    if [[ ${EXIM_DEBUG:-} == 1 ]]; then
        # -d keeps the daemon in the foreground: background it, its debug output in DIR/log/debug.log.
        setsid "$EXIM" -C "$CONF" -bd -d+all > "$DIR/log/debug.log" 2>&1 < /dev/null &
    elif ! "$EXIM" -C "$CONF" -bd > "$DIR/log/start.out" 2>&1 < /dev/null; then
        echo "start.sh: $EXIM -C $CONF -bd failed:" >&2
        grep -v 'purging the environment\|keep_environment' "$DIR/log/start.out" >&2 || true
        diagnose
        exit 1
    fi
fi

deadline=$((SECONDS + WAIT_SECONDS))
for p in "$PLAIN_PORT" "$SMALL_SIZE_PORT"; do
    until banner "$p"; do
        if ((SECONDS >= deadline)); then
            echo "start.sh: no 220 banner on 127.0.0.1:$p within ${WAIT_SECONDS}s" >&2
            diagnose
            exit 1
        fi
        sleep 0.2
    done
done
echo "start.sh: $("$EXIM" -C "$CONF" -bV 2>/dev/null | head -1 | sed 's/ #.*//') runs in $DIR (pid $(daemon_pid || echo '?')):" \
    "port $PLAIN_PORT (SIZE $SIZE_LIMIT), port $SMALL_SIZE_PORT (SIZE $SMALL_SIZE_LIMIT)"
