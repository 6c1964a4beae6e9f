#!/usr/bin/env bash
# Starts (or reloads) a private Postfix instance for the interop tests, entirely inside DIR.
#
#   interop/postfix/start.sh DIR        (as root; interop/postfix/install.sh installs the packages)
#
# DIR/main.cf, DIR/master.cf   the instance's configuration (postfix -c DIR ...)
# DIR/ports.env                 PLAIN_PORT, STARTTLS_PORT, SUBMISSION_PORT, IMPLICIT_PORT, NOPIPE_PORT,
#                               SMALL_SIZE_PORT, SIZE_LIMIT, SMALL_SIZE_LIMIT, SASL_USER, SASL_PASSWORD, SASL_REALM, CA_FILE, MAILDIR, MAILLOG (shell syntax)
# DIR/tls/ca.pem                the CA that signed the server certificate (CN/SAN localhost, IP 127.0.0.1)
# DIR/mail/catchall/            the Maildir every accepted recipient is delivered to
# DIR/log/maillog               Postfix's log
#
# Listeners (127.0.0.1 only; override a port with e.g. PLAIN_PORT=3525 in the environment):
#   PLAIN_PORT       2525  no TLS offered
#   STARTTLS_PORT    2526  STARTTLS offered (smtpd_tls_security_level=may), no AUTH
#   SUBMISSION_PORT  2587  STARTTLS required before anything, AUTH after TLS only, relaying only when authenticated
#   IMPLICIT_PORT    2465  TLS from the first byte (smtpd_tls_wrappermode), AUTH, relaying only when authenticated
#   NOPIPE_PORT      2527  no TLS, PIPELINING not advertised (Postfix still answers pipelined commands:
#                          whether the client pipelines anyway is for the test to observe)
#   SMALL_SIZE_PORT  2528  no TLS, SIZE 10240 (smtpd's message_size_limit): for the SIZE refusal test
# Every other port advertises SIZE 52428800 (message_size_limit; a 10 MB message fits).
# Every port is strict: a bare LF in DATA and improper pipelining end the session (smtpd_forbid_*).
# Recipients: reject@example.com -> 550 5.1.1, tempfail@example.com -> 450 4.2.1, any other -> the Maildir.
#
# Idempotent: when the instance already runs, the configuration is rewritten and reloaded. The CA, the
# server certificate and the sasldb are generated once and kept. Stop with interop/postfix/stop.sh DIR.
set -euo pipefail
# shellcheck source=../lib/test-ca.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/test-ca.sh"

usage() { echo "usage: $0 DIR" >&2; exit 2; }
[[ $# -eq 1 && -n $1 ]] || usage
[[ $(id -u) -eq 0 ]] || { echo "start.sh: must run as root (Postfix's master runs as root)" >&2; exit 1; }
command -v postfix >/dev/null || { echo "start.sh: postfix is not installed: run interop/postfix/install.sh" >&2; exit 1; }
command -v saslpasswd2 >/dev/null || { echo "start.sh: saslpasswd2 missing: run interop/postfix/install.sh" >&2; exit 1; }

mkdir -p "$1"
DIR=$(cd "$1" && pwd -P)
case $DIR in
    *[[:space:]]*|*,*|*=*|*'$'*) echo "start.sh: DIR must not contain blanks, ',', '=' or '$': $DIR" >&2; exit 2 ;;
esac

PLAIN_PORT=${PLAIN_PORT:-2525}
STARTTLS_PORT=${STARTTLS_PORT:-2526}
SUBMISSION_PORT=${SUBMISSION_PORT:-2587}
IMPLICIT_PORT=${IMPLICIT_PORT:-2465}
NOPIPE_PORT=${NOPIPE_PORT:-2527}
SMALL_SIZE_PORT=${SMALL_SIZE_PORT:-2528}
SIZE_LIMIT=52428800
SMALL_SIZE_LIMIT=10240
SASL_USER=alice
SASL_PASSWORD=secret-pw
SASL_REALM=interop.test
MYHOSTNAME=postfix.interop.test
WAIT_SECONDS=${WAIT_SECONDS:-30}
for p in "$PLAIN_PORT" "$STARTTLS_PORT" "$SUBMISSION_PORT" "$IMPLICIT_PORT" "$NOPIPE_PORT" "$SMALL_SIZE_PORT"; do
    [[ $p =~ ^[0-9]+$ ]] && ((p >= 1024 && p <= 65535)) || { echo "start.sh: invalid port $p (1024-65535)" >&2; exit 2; }
done
[[ $(printf "%s\n" "$PLAIN_PORT" "$STARTTLS_PORT" "$SUBMISSION_PORT" "$IMPLICIT_PORT" "$NOPIPE_PORT" "$SMALL_SIZE_PORT" \
    | sort -u | wc -l) -eq 6 ]] || { echo "start.sh: the six ports must differ" >&2; exit 2; }

# Postfix's own lookups run as the postfix user: every directory above DIR must be traversable.
chmod 755 "$DIR"
mkdir -p "$DIR/queue" "$DIR/data" "$DIR/log" "$DIR/tls" "$DIR/sasl" "$DIR/mail"
chown postfix:postfix "$DIR/data"
chown 65534:65534 "$DIR/mail"
chmod 755 "$DIR/queue" "$DIR/log" "$DIR/sasl" "$DIR/mail"

running() { postfix -c "$DIR" status >/dev/null 2>&1; }

# ---------------------------------------------------------------- TLS: a CA and a server certificate
make_test_certificates "$DIR/tls" "Reactive SMTP interop test CA"
chown root:root "$DIR/tls"/*
chmod 644 "$DIR/tls/ca.pem" "$DIR/tls/server.pem"
chown root:postfix "$DIR/tls/server.key"
chmod 640 "$DIR/tls/server.key"
chmod 600 "$DIR/tls/ca.key"
chmod 755 "$DIR/tls"

# ---------------------------------------------------------------- SASL: Cyrus sasldb
cat > "$DIR/sasl/smtpd.conf" <<CONF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN CRAM-MD5
sasldb_path: $DIR/sasldb2
CONF
chmod 644 "$DIR/sasl/smtpd.conf"
if [[ ! -s $DIR/sasldb2 ]] || ! sasldblistusers2 -f "$DIR/sasldb2" 2>/dev/null | grep -q "^$SASL_USER@$SASL_REALM:"; then
    printf '%s' "$SASL_PASSWORD" | saslpasswd2 -p -c -f "$DIR/sasldb2" -u "$SASL_REALM" "$SASL_USER"
fi
chown root:postfix "$DIR/sasldb2"
chmod 640 "$DIR/sasldb2"

# ---------------------------------------------------------------- main.cf
cat > "$DIR/main.cf" <<CONF
# Generated by interop/postfix/start.sh: a private instance for the interop tests. Do not edit.
compatibility_level = 3.6
config_directory = $DIR
queue_directory = $DIR/queue
data_directory = $DIR/data
maillog_file = $DIR/log/maillog
maillog_file_prefixes = $DIR
syslog_name = postfix-interop

myhostname = $MYHOSTNAME
mydomain = interop.test
myorigin = \$mydomain
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
relayhost =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# Nothing ever leaves this machine.
default_transport = error:5.7.1 the interop instance delivers nothing off this machine
relay_transport = error:5.7.1 the interop instance delivers nothing off this machine

# Catch-all: every recipient in every domain goes to DIR/mail/catchall/ (Maildir: trailing slash).
virtual_mailbox_domains = static:all
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = static:catchall/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100

smtputf8_enable = yes
# SIZE 52428800: a 10 MB message fits (the default, 10240000, is below 10 MiB). The mailbox limits must not be
# smaller (Postfix refuses to deliver otherwise); the SMALL_SIZE_PORT listener overrides it for smtpd only.
message_size_limit = $SIZE_LIMIT
virtual_mailbox_limit = 0
mailbox_size_limit = 0
# Strict server: a bare LF in DATA (SMTP smuggling) and improper pipelining end the session, loopback included.
smtpd_forbid_bare_newline = reject
smtpd_forbid_bare_newline_exclusions =
smtpd_forbid_unauth_pipelining = yes

# Chosen verdicts, without postmap.
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access inline:{ {reject@example.com = 550 5.1.1 no such user}, {tempfail@example.com = 450 4.2.1 try later} }, permit

# TLS: offered only where master.cf says so.
smtpd_tls_security_level = none
smtpd_tls_chain_files = $DIR/tls/server.key, $DIR/tls/server.pem
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes

# SASL: Cyrus with DIR/sasl/smtpd.conf and DIR/sasldb2; enabled only where master.cf says so.
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $DIR/sasl
smtpd_sasl_local_domain = $SASL_REALM
smtpd_sasl_auth_enable = no
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
broken_sasl_auth_clients = no
CONF

# ---------------------------------------------------------------- master.cf (no chroot anywhere)
cat > "$DIR/master.cf" <<CONF
# Generated by interop/postfix/start.sh. Listeners on 127.0.0.1 only; chroot off (column 5 = n).
127.0.0.1:$PLAIN_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/plain
127.0.0.1:$STARTTLS_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/starttls
  -o smtpd_tls_security_level=may
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$IMPLICIT_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/implicit
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
127.0.0.1:$NOPIPE_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/nopipe
  -o smtpd_discard_ehlo_keywords=pipelining
127.0.0.1:$SMALL_SIZE_PORT inet n - n - - smtpd
  -o syslog_name=postfix-interop/smallsize
  -o message_size_limit=$SMALL_SIZE_LIMIT
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
chmod 644 "$DIR/main.cf" "$DIR/master.cf"

# ---------------------------------------------------------------- ports.env
cat > "$DIR/ports.env" <<ENV
# Written by interop/postfix/start.sh; shell syntax, also read by the interop tests.
POSTFIX_DIR=$DIR
PLAIN_PORT=$PLAIN_PORT
STARTTLS_PORT=$STARTTLS_PORT
SUBMISSION_PORT=$SUBMISSION_PORT
IMPLICIT_PORT=$IMPLICIT_PORT
NOPIPE_PORT=$NOPIPE_PORT
SMALL_SIZE_PORT=$SMALL_SIZE_PORT
SIZE_LIMIT=$SIZE_LIMIT
SMALL_SIZE_LIMIT=$SMALL_SIZE_LIMIT
SASL_USER=$SASL_USER
SASL_PASSWORD=$SASL_PASSWORD
SASL_REALM=$SASL_REALM
CA_FILE=$DIR/tls/ca.pem
SERVER_NAME=localhost
MAILDIR=$DIR/mail/catchall
MAILLOG=$DIR/log/maillog
ENV
chmod 644 "$DIR/ports.env"

# ---------------------------------------------------------------- start and wait
diagnose() {
    echo "start.sh: ---- postfix -c $DIR check ----" >&2
    # Postfix prints nothing on failure without a TTY: script(1) gives it one.
    # Its warnings about queue/, mail/ and data/ (below the config directory here, owned by postfix or nobody)
    # are expected and left out, so that the real error stands out.
    script -qec "postfix -c '$DIR' check" /dev/null 2>&1 | tr -d '\r' \
        | grep -Ev "warning: (not owned by root|group or other writable): $DIR/\./(queue|mail|data)" >&2 || true
    echo "start.sh: ---- $DIR/log/maillog (last 60 lines) ----" >&2
    if [[ -f $DIR/log/maillog ]]; then
        grep -Ev "warning: (not owned by root|group or other writable): $DIR/\./(queue|mail|data)" "$DIR/log/maillog" \
            | tail -n 60 >&2 || true
    else
        echo "(no maillog)" >&2
    fi
}

# One line from a plaintext port: "220 ..." once smtpd answers.
banner() {
    local port=$1 line=
    { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null || return 1
    IFS= read -r -t 5 line <&3 || true
    printf 'QUIT\r\n' >&3 2>/dev/null || true
    exec 3<&- 3>&-
    [[ $line == 220[\ -]* ]]
}

# The implicit-TLS port: the handshake must verify against our CA for "localhost", then a 220.
tls_banner() {
    local port=$1
    { sleep 1; printf 'QUIT\r\n'; } | timeout 10 openssl s_client -quiet -verify_return_error \
        -CAfile "$DIR/tls/ca.pem" -verify_hostname localhost -connect "127.0.0.1:$port" 2>/dev/null \
        | grep -q '^220[ -]'
}

port_in_use() {
    { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null || return 1
    exec 3<&- 3>&-
}

if running; then
    echo "start.sh: the instance in $DIR already runs: reloading its configuration"
    postfix -c "$DIR" reload >/dev/null 2>&1 || { diagnose; exit 1; }
else
    for p in "$PLAIN_PORT" "$STARTTLS_PORT" "$SUBMISSION_PORT" "$IMPLICIT_PORT" "$NOPIPE_PORT" "$SMALL_SIZE_PORT"; do
        if port_in_use "$p"; then
            echo "start.sh: 127.0.0.1:$p is already in use by another program; stop it or choose other ports" >&2
            exit 1
        fi
    done
    # Creates the queue directories with the right owners, then starts master(8).
    if ! postfix -c "$DIR" start >/dev/null 2>&1; then
        echo "start.sh: postfix -c $DIR start failed" >&2
        diagnose
        exit 1
    fi
fi

deadline=$((SECONDS + WAIT_SECONDS))
for p in "$PLAIN_PORT" "$STARTTLS_PORT" "$SUBMISSION_PORT" "$NOPIPE_PORT" "$SMALL_SIZE_PORT" "tls:$IMPLICIT_PORT"; do
    until { [[ $p == tls:* ]] && tls_banner "${p#tls:}"; } || { [[ $p != tls:* ]] && banner "$p"; }; do
        if ((SECONDS >= deadline)); then
            echo "start.sh: no 220 banner on 127.0.0.1:${p#tls:} within ${WAIT_SECONDS}s" >&2
            diagnose
            exit 1
        fi
        sleep 0.2
    done
done
echo "start.sh: Postfix $(postconf -c "$DIR" -h mail_version) runs in $DIR:" \
    "plain $PLAIN_PORT, starttls $STARTTLS_PORT, submission $SUBMISSION_PORT, implicit TLS $IMPLICIT_PORT, no-pipelining $NOPIPE_PORT, SIZE $SMALL_SIZE_LIMIT $SMALL_SIZE_PORT"
