#!/usr/bin/env bash
# Generates real Exim bounces for the parser's corpus (core/src/test/resources/bounces/exim-*.eml): a private Exim
# (unpacked by interop/exim/install.sh) takes messages over SMTP on its standard input (exim -bs, with ENVID, ORCPT
# and NOTIFY=FAILURE), delivers at once (-odi), and the bounces it writes land in the sender's Maildir.
#
#   interop/bounces/exim-bounces.sh DIR OUT      (as root; needs a server refusing RCPT on 127.0.0.1:3627, which
#                                                 interop/bounces/generate.sh starts with Postfix)
#
#   unknown@users.test   a local domain without that user    -> Unrouteable address
#   full@users.test      an mbox over its 2K quota (no retry) -> mailbox is full
#   anyone@refused.test  routed to 127.0.0.1:3627: 554 5.7.1 Relay access denied
#   ghost@remote.test    routed to 127.0.0.1:3627: 550 5.1.1 User unknown
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 DIR OUT" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "$0: must run as root" >&2; exit 1; }
EXIM=${EXIM_HOME:-/opt/reactive-smtp-exim}/usr/sbin/exim4
[[ -x $EXIM ]] || { echo "$0: $EXIM is missing: run interop/exim/install.sh" >&2; exit 1; }
mkdir -p "$1" "$2"
DIR=$(cd "$1" && pwd -P)
OUT=$(cd "$2" && pwd -P)
chmod 755 "$DIR"
mkdir -p "$DIR/spool" "$DIR/log" "$DIR/mail"
chown Debian-exim:Debian-exim "$DIR/spool" "$DIR/log" "$DIR/mail"
CONF=$DIR/exim.conf
cat > "$CONF" <<CONF
exim_path = $EXIM
exim_user = Debian-exim
exim_group = Debian-exim
never_users = root
deliver_drop_privilege = true
keep_environment =
primary_hostname = mx.exim.test
qualify_domain = sender.test
spool_directory = $DIR/spool
log_file_path = $DIR/log/%slog
host_lookup =
rfc1413_hosts =
dsn_advertise_hosts = *
# Accept every recipient at RCPT: the failures come at delivery, as bounces.
acl_smtp_rcpt = accept
domainlist local_domains = sender.test : users.test

begin routers
remote:
  driver = manualroute
  domains = refused.test : remote.test
  route_list = * 127.0.0.1
  self = send
  transport = remote_smtp
full:
  driver = accept
  domains = users.test
  local_parts = full
  transport = full_mbox
local:
  driver = accept
  domains = +local_domains
  local_parts = sender
  transport = maildir

begin transports
remote_smtp:
  driver = smtp
  port = 3627
  allow_localhost
full_mbox:
  driver = appendfile
  file = $DIR/mail/full
  quota = 2K
  user = Debian-exim
  group = Debian-exim
maildir:
  driver = appendfile
  directory = $DIR/mail/sender
  maildir_format
  create_directory
  user = Debian-exim
  group = Debian-exim
  return_path_add
  envelope_to_add
  delivery_date_add
  mode = 0644

begin retry
*   quota
*   *   F,1h,1m
CONF
chmod 644 "$CONF"
n=0
for rcpt in unknown@users.test full@users.test anyone@refused.test ghost@remote.test; do
    n=$((n + 1))
    printf '%s\r\n' "EHLO client.sender.test" "MAIL FROM:<sender@sender.test> ENVID=exim-env-$n RET=HDRS" \
        "RCPT TO:<$rcpt> NOTIFY=FAILURE ORCPT=rfc822;$rcpt" "DATA" \
        "From: Sender <sender@sender.test>" "To: $rcpt" "Subject: Newsletter $n" \
        "Message-ID: <exim-newsletter-$n@sender.test>" "Date: Sun, 06 Dec 2026 17:00:00 +0000" "" \
        "Hello, this is a newsletter." "$(head -c 3000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed 's/$/\r/')" "." "QUIT" \
        | "$EXIM" -C "$CONF" -odi -bs >/dev/null
done
for _ in $(seq 100); do
    [[ $(find "$DIR/mail/sender/new" -type f 2>/dev/null | wc -l) -ge 4 ]] && break
    sleep 0.2
done
n=0
for f in "$DIR"/mail/sender/new/*; do
    case $(grep -m1 -i '^X-Failed-Recipients:' "$f") in
        *unknown@users.test*) name=unknown-user ;;
        *full@users.test*) name=mailbox-full ;;
        *anyone@refused.test*) name=relay-refused ;;
        *ghost@remote.test*) name=remote-unknown-user ;;
        *) continue ;;
    esac
    n=$((n + 1))
    cp "$f" "$OUT/exim-$name.eml"
    chmod 644 "$OUT/exim-$name.eml"
done
echo "$0: $n bounce(s) in $OUT"
