#!/usr/bin/env bash
# End-to-end matrix: this project's Bench vs Postfix's smtp-source, both against a fresh Postfix smtp-sink
# per cell on loopback, C in {1,10,50} x (L,R) in {(1000,1),(1000,10),(100000,1)}; median of RUNS runs.
#
#   benchmarks/run-matrix.sh                    # N=20000, 2 runs, the full matrix
#   N=5000 RUNS=1 benchmarks/run-matrix.sh      # quicker
#   CS="1 50" CELLS="1000:1" benchmarks/run-matrix.sh
#
# Environment: N (messages per run, default 20000), RUNS (default 2), CS (connection counts, default "1 10 50"),
# CELLS (L:R pairs, default "1000:1 1000:10 100000:1"), TIMEOUT (seconds per run, default 300), PORT (first sink
# port, default 40225; one port per cell), THREADS (Bench event-loop threads, default 1), JAVA_OPTS,
# JAR (default benchmarks/target/benchmarks.jar, built with Maven if missing), RAW (file for one line per run).
#
# Needs: java 17, postfix's smtp-sink and smtp-source (apt-get install postfix), GNU time (/usr/bin/time).
#
# Differences between the two clients, so the numbers are read right:
#  - Bench warms up on its connections (min(N/10, 2000) uncounted messages) and times only the N measured ones,
#    connections already open; smtp-source's time is the whole process, connection setup included.
#  - R: both send R distinct recipients per transaction. Bench sends rcpt01@example.com..rcptRR@example.com and
#    lists them in To:; smtp-source -r R prepends a number to -t (1rcpt@example.com, 2rcpt@example.com, ...)
#    and its To: header names only the -t address.
#  - L: Bench's body is exactly L bytes on the wire (76-char lines + CRLF) after ~300 bytes of headers;
#    smtp-source -l L sends L bytes of payload after its own (shorter) headers.
#  - smtp-source speaks lock-step SMTP (no PIPELINING); Bench pipelines MAIL/RCPT/DATA as smtp-sink offers it.
#  - CPU: Bench's is process CPU over the measured period (JIT and GC threads included); smtp-source's is
#    user+sys of the whole process. The sink runs on the same machine and competes for the same cores.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${N:-20000}"
RUNS="${RUNS:-2}"
CS="${CS:-1 10 50}"
CELLS="${CELLS:-1000:1 1000:10 100000:1}"
TIMEOUT="${TIMEOUT:-300}"
PORT="${PORT:-40225}"
THREADS="${THREADS:-1}"
JAVA_OPTS="${JAVA_OPTS:-}"
JAR="${JAR:-$root/benchmarks/target/benchmarks.jar}"
RAW="${RAW:-}"
SINK="$(command -v smtp-sink || echo /usr/sbin/smtp-sink)"
SOURCE="$(command -v smtp-source || echo /usr/sbin/smtp-source)"

for tool in "$SINK" "$SOURCE" /usr/bin/time; do
    [ -x "$tool" ] || { echo "missing $tool (apt-get install postfix time)" >&2; exit 2; }
done
if [ ! -f "$JAR" ]; then
    echo "building $JAR ..." >&2
    (cd "$root" && mvn -B -q -pl benchmarks -am package -DskipTests) >&2 || { echo "build failed" >&2; exit 2; }
fi

tmp="$(mktemp -d)"
sink_pid=""
cleanup() {
    if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_sink() { # port
    local user_opt=()
    [ "$(id -u)" = 0 ] && user_opt=(-u postfix)
    # Backlog 1000; -c off: no counters on stdout.
    "$SINK" "${user_opt[@]}" "127.0.0.1:$1" 1000 >"$tmp/sink.log" 2>&1 &
    sink_pid=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$sink_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "smtp-sink did not start on port $1: $(cat "$tmp/sink.log")" >&2
    return 1
}

stop_sink() {
    [ -n "$sink_pid" ] && { kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }
    sink_pid=""
}

median() { # values...
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}

# Prints "msgs_per_s cpu_us_per_msg" or fails.
run_ours() { # port c l r
    local out
    # shellcheck disable=SC2086
    if ! out="$(timeout "$TIMEOUT" java $JAVA_OPTS -cp "$JAR" io.reactivesmtp.benchmarks.Bench --threads "$THREADS" \
            127.0.0.1 "$1" "$2" "$N" "$3" "$4" 2>"$tmp/ours.err")"; then
        echo "reactive-smtp failed (C=$2 L=$3 R=$4): $(tail -3 "$tmp/ours.err")" >&2
        return 1
    fi
    [ -n "$RAW" ] && echo "$out" >>"$RAW"
    echo "$out" | awk -v n="$N" '{for (i=1;i<=NF;i++) {split($i,kv,"="); f[kv[1]]=kv[2]}}
        END {printf "%s %.1f\n", f["msgs_per_s"], f["cpu_s"]*1e6/n}'
}

run_source() { # port c l r
    if ! /usr/bin/time -f '%e %U %S' -o "$tmp/time" timeout "$TIMEOUT" "$SOURCE" -d -s "$2" -m "$N" -l "$3" -r "$4" \
            -f sender@example.com -t rcpt@example.com "127.0.0.1:$1" >"$tmp/source.out" 2>"$tmp/source.err"; then
        echo "smtp-source failed (C=$2 L=$3 R=$4): $(tail -3 "$tmp/source.err")" >&2
        return 1
    fi
    local line
    line="$(tail -1 "$tmp/time")"
    [ -n "$RAW" ] && echo "peer=smtp-source C=$2 N=$N L=$3 R=$4 time='$line'" >>"$RAW"
    echo "$line" | awk -v n="$N" '{printf "%.1f %.1f\n", n/$1, ($2+$3)*1e6/n}'
}

echo "N=$N runs=$RUNS threads=$THREADS cores=$(nproc) java=$(java -version 2>&1 | head -1 | tr -d '"')"
printf '%-24s %14s %14s %7s %12s %12s\n' "cell" "reactive msg/s" "source msg/s" "ratio" "ours µs/msg" "source µs/msg"
port="$PORT"
status=0
for lr in $CELLS; do
    l="${lr%%:*}"; r="${lr##*:}"
    for c in $CS; do
        ours_rate=(); ours_cpu=(); src_rate=(); src_cpu=()
        ok=1
        if start_sink "$port"; then
            for _ in $(seq "$RUNS"); do
                if res="$(run_ours "$port" "$c" "$l" "$r")"; then
                    ours_rate+=("${res% *}"); ours_cpu+=("${res#* }")
                else ok=0; fi
                if res="$(run_source "$port" "$c" "$l" "$r")"; then
                    src_rate+=("${res% *}"); src_cpu+=("${res#* }")
                else ok=0; fi
            done
        else
            ok=0
        fi
        stop_sink
        port=$((port + 1))
        [ "$ok" = 1 ] || status=1
        o="$(median "${ours_rate[@]+"${ours_rate[@]}"}")"; s="$(median "${src_rate[@]+"${src_rate[@]}"}")"
        oc="$(median "${ours_cpu[@]+"${ours_cpu[@]}"}")"; sc="$(median "${src_cpu[@]+"${src_cpu[@]}"}")"
        ratio="$(awk -v a="$o" -v b="$s" 'BEGIN {if (b+0>0 && a!="nan") printf "%.2f", a/b; else print "n/a"}')"
        printf '%-24s %14s %14s %7s %12s %12s\n' "C=$c L=$l R=$r" "$o" "$s" "$ratio" "$oc" "$sc"
    done
done
exit "$status"
