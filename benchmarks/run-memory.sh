#!/usr/bin/env bash
# Memory benchmarks, each printing one line:
#  1. IdleSessions: COUNT idle sessions (greeted, EHLO'd) against Postfix's smtp-sink: heap per session after GC.
#  2. IdleSessions --starttls jdk|openssl: TLS_COUNT idle STARTTLS sessions against SinkServer (a Netty sink with
#     STARTTLS in its own JVM; smtp-sink has no TLS), certificate and host name verified.
#  3. BigMessage: one BIG_MB message from a file (a Path) through SmtpClient with -Xmx64m against smtp-sink: time and
#     peak heap.
#  3b. BigAttachment: a message composed with ComposedMessage.builder() (text, HTML and one ATTACH_MB attachment from a
#     Path, base64-encoded as it streams) through SmtpClient with -Xmx64m against smtp-sink: time and peak heap.
#  4. With REACTOR=1: IdleSessions --client reactor, COUNT plain sessions as SmtpClient's pool holds them, against
#     smtp-sink -w 60 (it holds each message 60 s so the pool opens a connection per message), started at RAMP
#     (default 200) per second: about COUNT/RAMP + 70 seconds.
#
#   benchmarks/run-memory.sh                          # 10,000 sessions of each kind, 1 GB message
#   COUNT=2000 BIG_MB=256 benchmarks/run-memory.sh    # quicker
#   TLS="" BIG_MB=0 ATTACH_MB=0 benchmarks/run-memory.sh   # plain sessions only
#   COUNT=0 TLS="" BIG_MB=0 benchmarks/run-memory.sh  # the 1 GB attachment only
#
# Environment: COUNT (plain sessions, default 10000), REACTOR (default 0), RAMP (default 200), TLS_COUNT (STARTTLS sessions, default COUNT), TLS (providers,
# default "jdk openssl"; empty: none), BIG_MB (default 1024; 0 skips it), BIG_XMX (default 64m), BIG_FILE (default
# /tmp/reactive-smtp-big-BIG_MBmb.eml, written if missing, removed at the end unless KEEP_BIG=1), ATTACH_MB (default
# 1024; 0 skips it), ATTACH_FILE (default /tmp/reactive-smtp-attachment-ATTACH_MBmb.bin, same rules), CLIENT_XMX (heap
# limit of IdleSessions, default 2g: only the used heap is reported), SINK_XMX (SinkServer, default 2g), PORT
# (first port, default 30325: below Linux's ephemeral range, where the sockets of 10,000 sessions just closed may
# still hold the port; a port that cannot be bound is skipped), TIMEOUT (seconds per step, default 900), JAR (default
# benchmarks/target/benchmarks.jar, built with Maven if missing), OUT (default benchmarks/results: memory.txt).
#
# Needs: java 17, Postfix's smtp-sink (installed with apt-get when missing and run as root), and file descriptors:
# every session is a socket in the client and one in the server, so both need COUNT + a few hundred open files;
# the script raises `ulimit -n` to 65536 or the hard limit, whichever it can.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
COUNT="${COUNT:-10000}"
TLS_COUNT="${TLS_COUNT:-$COUNT}"
TLS="${TLS-jdk openssl}"
BIG_MB="${BIG_MB:-1024}"
BIG_XMX="${BIG_XMX:-64m}"
BIG_FILE="${BIG_FILE:-/tmp/reactive-smtp-big-${BIG_MB}mb.eml}"
ATTACH_MB="${ATTACH_MB:-1024}"
ATTACH_FILE="${ATTACH_FILE:-/tmp/reactive-smtp-attachment-${ATTACH_MB}mb.bin}"
KEEP_BIG="${KEEP_BIG:-0}"
CLIENT_XMX="${CLIENT_XMX:-2g}"
REACTOR="${REACTOR:-0}"
RAMP="${RAMP:-200}"
SINK_XMX="${SINK_XMX:-2g}"
PORT="${PORT:-30325}"
TIMEOUT="${TIMEOUT:-900}"
JAR="${JAR:-$root/benchmarks/target/benchmarks.jar}"
OUT="${OUT:-$root/benchmarks/results}"

. "$here/tools.sh"
need_tools sink
need_java_and_jar
mkdir -p "$OUT" || exit 2

# File descriptors: the sessions, plus the JVM's own jars and pipes.
need=$(( (COUNT > TLS_COUNT ? COUNT : TLS_COUNT) + 500 ))
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$need" ]; then
    echo "open files limit $(ulimit -n) is below the $need needed (ulimit -Hn: $(ulimit -Hn)); lower COUNT" >&2
    exit 2
fi

tmp="$(mktemp -d)"
server_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; fi
    server_pid=""
}
cleanup() {
    stop_server
    rm -rf "$tmp"
    if [ "$KEEP_BIG" != 1 ] && [ -n "${big_written:-}" ]; then rm -f "$BIG_FILE"; fi
    if [ "$KEEP_BIG" != 1 ] && [ -n "${attach_written:-}" ]; then rm -f "$ATTACH_FILE"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_port() { # port what
    for _ in $(seq 300); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$server_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$2 did not start on port $1: $(tail -5 "$tmp/server.log")" >&2
    return 1
}

start_sink_on() { # port max-sessions [more smtp-sink options]
    local user_opt=() port="$1" max="$2"
    shift 2
    [ "$(id -u)" = 0 ] && user_opt=(-u postfix)
    # -m: simultaneous sessions (default 256); -t: command timeout (default 100 s) well above the run's length.
    "$SINK" "${user_opt[@]}" -m "$max" -t 3600 "$@" "127.0.0.1:$port" 4096 >"$tmp/server.log" 2>&1 &
    server_pid=$!
    wait_port "$port" smtp-sink
}

start_sink_server_on() { # port
    java -Xmx"$SINK_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.SinkServer "$1" "$tmp/ca.pem" >"$tmp/server.log" 2>&1 &
    server_pid=$!
    wait_port "$1" SinkServer || return 1
    for _ in $(seq 100); do
        grep -q '^listening' "$tmp/server.log" && return 0
        sleep 0.1
    done
    echo "SinkServer did not report ready: $(tail -5 "$tmp/server.log")" >&2
    return 1
}

# Starts a server on $port, or on one of the next 4 ports when that one cannot be bound; $port is where it listens.
start_server() { # start_function [args...]
    for _ in 1 2 3 4 5; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            port=$((port + 1)) # somebody listens there already
            continue
        fi
        "$@" "$port" && return 0
        stop_server
        port=$((port + 1))
    done
    return 1
}
sink_max=256
sink_with_max() { start_sink_on "$1" "$sink_max"; }
sink_holding() { start_sink_on "$1" "$sink_max" -w 60; }

status=0
result() { # line
    echo "$1" | tee -a "$OUT/memory.txt"
}

run() { # what command...
    local what="$1" out
    shift
    if out="$(timeout "$TIMEOUT" "$@" 2>"$tmp/err")"; then
        result "$out"
    else
        echo "$what failed: $(echo "$out" | tail -2) $(tail -5 "$tmp/err")" >&2
        result "$what FAILED"
        status=1
    fi
}

: >"$OUT/memory.txt"
result "# $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(java -version 2>&1 | head -1 | tr -d '"'), ulimit -n $(ulimit -n)"
port="$PORT"

# 1. Plain idle sessions against smtp-sink.
if [ "$COUNT" -gt 0 ]; then
    sink_max=$((COUNT + 300))
    if start_server sink_with_max; then
        run "IdleSessions plain" java -Xmx"$CLIENT_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.IdleSessions \
            127.0.0.1 "$port" "$COUNT"
    else status=1; fi
    stop_server
    port=$((port + 1))
fi

# 2. STARTTLS idle sessions against SinkServer, one fresh server per provider.
for provider in $TLS; do
    if start_server start_sink_server_on; then
        run "IdleSessions STARTTLS $provider" java -Xmx"$CLIENT_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.IdleSessions \
            127.0.0.1 "$port" "$TLS_COUNT" --starttls "$provider" --ca "$tmp/ca.pem"
    else status=1; fi
    stop_server
    port=$((port + 1))
done

# 3. One big message from a Path with a small heap.
if [ "$BIG_MB" -gt 0 ]; then
    [ -f "$BIG_FILE" ] || big_written=1
    sink_max=16
    if start_server sink_with_max; then
        run "BigMessage" java -Xmx"$BIG_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.BigMessage \
            127.0.0.1 "$port" "$BIG_MB" "$BIG_FILE"
    else status=1; fi
    stop_server
fi
# 3b. A composed message with one big attachment from a Path, with the same small heap.
if [ "$ATTACH_MB" -gt 0 ]; then
    [ -f "$ATTACH_FILE" ] || attach_written=1
    port=$((port + 1))
    sink_max=16
    if start_server sink_with_max; then
        run "BigAttachment" java -Xmx"$BIG_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.BigAttachment \
            127.0.0.1 "$port" "$ATTACH_MB" "$ATTACH_FILE"
    else status=1; fi
    stop_server
fi
# 4. Idle sessions in SmtpClient's pool (opt-in: a few minutes).
if [ "$REACTOR" = 1 ] && [ "$COUNT" -gt 0 ]; then
    port=$((port + 1))
    sink_max=$((COUNT + 300))
    if start_server sink_holding; then
        run "IdleSessions reactor" java -Xmx"$CLIENT_XMX" -cp "$JAR" io.reactivesmtp.benchmarks.IdleSessions \
            127.0.0.1 "$port" "$COUNT" --client reactor --ramp "$RAMP"
    else status=1; fi
    stop_server
fi
exit "$status"
