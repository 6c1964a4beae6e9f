#!/usr/bin/env bash
# Stops the private Postfix instance that interop/postfix/start.sh DIR started. Idempotent: succeeds when
# nothing runs or DIR does not exist. DIR (mail, log, certificates) is kept for inspection; delete it yourself.
set -euo pipefail

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "stop.sh: must run as root" >&2; exit 1; }
if [[ ! -f $1/main.cf ]] || ! command -v postfix >/dev/null; then
    echo "stop.sh: no Postfix instance in $1"
    exit 0
fi
DIR=$(cd "$1" && pwd -P)

if ! postfix -c "$DIR" status >/dev/null 2>&1; then
    echo "stop.sh: the instance in $DIR is not running"
    exit 0
fi
postfix -c "$DIR" stop >/dev/null 2>&1 || true
# Bounded wait for master(8) to go: its pid file is removed when it exits.
pidfile=$DIR/queue/pid/master.pid
for _ in $(seq 1 100); do
    postfix -c "$DIR" status >/dev/null 2>&1 || { echo "stop.sh: stopped the instance in $DIR"; exit 0; }
    sleep 0.1
done
# Still there after 10 s: postfix abort, then kill the master by its pid file (this instance's only).
postfix -c "$DIR" abort >/dev/null 2>&1 || true
if [[ -s $pidfile ]]; then
    pid=$(tr -dc '0-9' < "$pidfile")
    [[ -n $pid ]] && kill -9 "$pid" 2>/dev/null || true
fi
echo "stop.sh: the instance in $DIR had to be aborted" >&2
exit 0
