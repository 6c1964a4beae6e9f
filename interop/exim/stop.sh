#!/usr/bin/env bash
# Stops the private Exim daemon that interop/exim/start.sh DIR started (its pid is in DIR/exim.pid). Idempotent:
# succeeds when nothing runs or DIR does not exist. DIR (mail, logs, certificates) is kept for inspection.
set -euo pipefail

[[ $# -eq 1 && -n $1 ]] || { echo "usage: $0 DIR" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "stop.sh: must run as root" >&2; exit 1; }
if [[ ! -s $1/exim.pid ]]; then
    echo "stop.sh: no Exim daemon in $1"
    exit 0
fi
DIR=$(cd "$1" && pwd -P)
pid=$(tr -dc '0-9' < "$DIR/exim.pid")
# Only that pid, and only while it is an exim process (pids are reused).
if [[ -z $pid ]] || ! kill -0 "$pid" 2>/dev/null || ! grep -q exim "/proc/$pid/cmdline" 2>/dev/null; then
    echo "stop.sh: the Exim daemon in $DIR is not running"
    rm -f "$DIR/exim.pid"
    exit 0
fi
kill -TERM "$pid" 2>/dev/null || true
# Bounded wait; a daemon that does not go within 10 s is killed.
for _ in $(seq 1 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$DIR/exim.pid"
        echo "stop.sh: stopped the Exim daemon in $DIR"
        exit 0
    fi
    sleep 0.1
done
kill -KILL "$pid" 2>/dev/null || true
rm -f "$DIR/exim.pid"
echo "stop.sh: the Exim daemon in $DIR had to be killed" >&2
exit 0
