#!/usr/bin/env bash
# Generates real Postfix bounces for the parser's corpus (core/src/test/resources/bounces/postfix-*.eml):
# a private Postfix instance in DIR takes three messages by SMTP (with ENVID, ORCPT, NOTIFY=FAILURE, RET=HDRS)
# whose recipients fail after acceptance, and delivers the bounces it writes to the sender's Maildir.
#
#   interop/bounces/postfix-bounces.sh DIR OUT      (as root; Postfix installed: interop/postfix/install.sh)
#
#   unknown@users.test   a virtual mailbox domain without that user   -> 5.1.1 User unknown in virtual mailbox table
#   full@users.test      an mbox mailbox near its 64 KiB limit          -> 5.2.2 (File too large)
#   anyone@refused.test  relayed to a second smtpd that refuses to relay -> 554 5.7.1 Relay access denied
#   ghost@remote.test    relayed to a second smtpd that rejects the user -> 550 5.1.1 User unknown
# Ports 127.0.0.1:3625 (submission) and :3627 (the refusing server); nothing leaves the machine.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 DIR OUT" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "$0: must run as root" >&2; exit 1; }
mkdir -p "$1" "$2"
DIR=$(cd "$1" && pwd -P)
OUT=$(cd "$2" && pwd -P)
chmod 755 "$DIR"
mkdir -p "$DIR/queue" "$DIR/data" "$DIR/log" "$DIR/mail"
chown postfix:postfix "$DIR/data"
chown 65534:65534 "$DIR/mail"

cat > "$DIR/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $DIR
queue_directory = $DIR/queue
data_directory = $DIR/data
maillog_file = $DIR/log/maillog
maillog_file_prefixes = $DIR
syslog_name = postfix-bounces
myhostname = mta.sender.test
mydomain = sender.test
myorigin = sender.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
mydestination =
alias_maps =
alias_database =
local_recipient_maps =
smtp_dns_support_level = disabled
virtual_mailbox_domains = sender.test, users.test
virtual_mailbox_base = $DIR/mail
virtual_mailbox_maps = inline:{ {sender@sender.test = sender/}, {ok@users.test = ok/}, {full@users.test = full} }
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
virtual_mailbox_limit = 0
mailbox_size_limit = 0
transport_maps = inline:{ {full@users.test = virtfull:}, {refused.test = smtp:[127.0.0.1]:3627}, {remote.test = smtp:[127.0.0.1]:3627} }
default_transport = error:5.7.1 nothing leaves this machine
relay_transport = error:5.7.1 nothing leaves this machine
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_reject_unlisted_recipient = no
CONF
cat > "$DIR/master.cf" <<CONF
127.0.0.1:3625 inet n - n - - smtpd
127.0.0.1:3627 inet n - n - - smtpd
  -o syslog_name=postfix-bounces/refusing
  -o mynetworks=127.0.0.2/32
  -o { smtpd_relay_restrictions = check_recipient_access inline:{ {ghost@remote.test = 550 5.1.1 <ghost@remote.test>: Recipient address rejected: User unknown} }, reject_unauth_destination, permit }
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
virtfull  unix  - n n - - virtual
  -o virtual_mailbox_limit=65536
  -o message_size_limit=65536
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
CONF
# full@users.test: an mbox file 64000 bytes long under a 65536-byte limit, so a 3 KB message does not fit.
head -c 64000 /dev/zero | tr '\0' 'x' > "$DIR/mail/full"
chown 65534:65534 "$DIR/mail/full"
postfix -c "$DIR" status >/dev/null 2>&1 && postfix -c "$DIR" stop >/dev/null 2>&1 || true
postfix -c "$DIR" start
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/3625) 2>/dev/null && break; sleep 0.2; done

python3 - <<'PY'
import smtplib
body = ("From: Sender <sender@sender.test>\r\nTo: {rcpt}\r\nSubject: Newsletter {n}\r\n"
        "Message-ID: <newsletter-{n}@sender.test>\r\nDate: Sun, 06 Dec 2026 17:00:00 +0000\r\n\r\n"
        + "Hello, this is a newsletter.\r\n" * 60)
cases = ["unknown@users.test", "full@users.test", "anyone@refused.test", "ghost@remote.test"]
with smtplib.SMTP("127.0.0.1", 3625) as s:
    for n, rcpt in enumerate(cases, 1):
        s.ehlo("client.sender.test")
        s.sendmail("sender@sender.test", [rcpt], body.format(rcpt=rcpt, n=n).encode(),
                   mail_options=["ENVID=env-%d" % n, "RET=HDRS"],
                   rcpt_options=["NOTIFY=FAILURE", "ORCPT=rfc822;" + rcpt])
PY
for _ in $(seq 150); do
    [[ $(find "$DIR/mail/sender/new" -type f 2>/dev/null | wc -l) -ge 4 ]] && break
    sleep 0.2
done
n=0
for f in "$DIR"/mail/sender/new/*; do
    case $(grep -m1 '^Final-Recipient:' "$f") in
        *unknown@users.test*) name=unknown-user ;;
        *full@users.test*) name=mailbox-full ;;
        *anyone@refused.test*) name=relay-refused ;;
        *ghost@remote.test*) name=remote-unknown-user ;;
        *) continue ;;
    esac
    n=$((n + 1))
    cp "$f" "$OUT/postfix-$name.eml"
    chmod 644 "$OUT/postfix-$name.eml"
done
[[ ${KEEP_RUNNING:-} == 1 ]] || postfix -c "$DIR" stop
echo "$0: $n bounce(s) in $OUT"
