#!/usr/bin/env bash
# End-to-end matrix: this project (Bench), Postfix's smtp-source and Angus Mail (AngusBench), each against a fresh
# Postfix smtp-sink per cell on loopback, C in {1,10,50} x (L,R) in {(1000,1),(1000,10),(100000,1)}; the median of
# RUNS runs per peer and cell (with 2 runs: the mean of the two). Prints a Markdown table, writes it with a TSV to
# OUT, and draws OUT/throughput.png (XChart, the Chart main of the benchmarks jar).
#
#   benchmarks/run-matrix.sh                    # N=20000, 2 runs, the full matrix
#   N=5000 RUNS=1 benchmarks/run-matrix.sh      # quicker
#   CS="1 50" CELLS="1000:1" PEERS="reactive-smtp angus-mail" benchmarks/run-matrix.sh
#   CELLS="" OUT=benchmarks/results/bulk benchmarks/run-matrix.sh   # only the CLI bulk row (issue 14)
#   BULK=0 benchmarks/run-matrix.sh             # only the matrix
#
# The CLI bulk row (BULK=1, the default): the shaded CLI (CLI_JAR, default cli/target/reactive-smtp-cli.jar, built
# with Maven if missing), run as users run it, through bin/reactive-smtp and the JVM options it chooses for `bulk`
# (CLI_JAVA_OPTS, when set, replaces them; CLI_JAVA_OPTS="" is plain `java -jar`), sends to BULK_N recipients read
# from a file, one per line, at --concurrency BULK_C with a --report file and --json (`REACTIVE_SMTP_JAR=CLI
# bin/reactive-smtp bulk --server 127.0.0.1:PORT --tls none --from sender@example.com --recipients FILE --body FILE
# --concurrency C --report FILE --json`; the body is BULK_L bytes after ~140 bytes of
# headers), against a fresh smtp-sink, beside `smtp-source -d -s BULK_C -m BULK_N -l BULK_L`; both timed as whole
# processes with GNU time (wall, user+sys CPU; the CLI's JVM start, JIT and file reading included), median of
# RUNS. A CLI run fails unless it exits 0 and its JSON summary says all BULK_N messages were delivered. The target
# (issue 14): the CLI's wall time at most smtp-source's. A second table in matrix.md, and OUT/bulk.tsv.
#
# Environment: N (measured messages per run, default 20000), RUNS (default 2), CS (connection counts, default
# "1 10 50"), CELLS (L:R pairs, default "1000:1 1000:10 100000:1"), PEERS (default "reactive-smtp smtp-source
# angus-mail reactive-smtp-session"; the last is Bench --api session: the same engine through core's SmtpSession
# API, without the reactor client, to show what the client around the engine costs), BULK, BULK_N (default 100000), BULK_C (default 50), BULK_L (default 1000), CLI_JAR (the bulk row), CLI_JAVA_OPTS (the bulk row's JVM options instead of the launcher's),
# TIMEOUT (seconds per run, default 300), PORT (first sink port, default 30225, below Linux's
# ephemeral ports; one port per cell), THREADS (Bench event-loop threads, default 1), JAVA_OPTS (both JVM peers; the
# CLI gets them through JDK_JAVA_OPTIONS, on top of its own),
# JAR (default benchmarks/target/benchmarks.jar, built with Maven if missing), OUT (results directory, default
# benchmarks/results: matrix.tsv, matrix.md, raw.txt, throughput.png), RAW (extra file for one line per run).
#
# CELLS="" (set and empty) runs no cell: no matrix.tsv, raw lines only for the bulk row, no chart.
#
# Needs: java 17, Postfix's smtp-sink and smtp-source, GNU time (/usr/bin/time), jq for the bulk row. When they are missing and the
# script runs as root on Debian/Ubuntu it installs them (apt-get install postfix time).
#
# Differences between the clients, so the numbers are read right:
#  - Bench and AngusBench warm up on their connections (min(N/10, 2000) uncounted messages) and time only the N
#    measured ones, connections already open; smtp-source's time is the whole process, connection setup included,
#    no warm-up (it is C and needs none).
#  - R: all send R distinct recipients per transaction. Bench and AngusBench send rcpt01@example.com ..
#    rcptRR@example.com and list them in To:; smtp-source -r R prepends a number to -t (1rcpt@example.com, ...)
#    and its To: header names only the -t address.
#  - L: Bench's and AngusBench's body is exactly L bytes on the wire (76-char lines + CRLF; the same bytes, the
#    message is parsed into a MimeMessage and written back unchanged) after ~300 bytes of headers; smtp-source -l L
#    sends L bytes of payload after its own (shorter) headers.
#  - Pipelining: Bench pipelines MAIL/RCPT/DATA as smtp-sink offers PIPELINING; smtp-source and Angus Mail speak
#    lock-step SMTP. Concurrency: Bench multiplexes C connections on THREADS event-loop threads; smtp-source on one
#    thread with non-blocking sockets; AngusBench runs C blocking threads.
#  - CPU: the JVM peers report process CPU over the measured period (JIT and GC threads included); smtp-source's
#    is user+sys of the whole process. The sink runs on the same machine and competes for the same cores; its
#    CPU is counted for nobody in the client columns.
#  - The sink's own CPU per message (its /proc stat around each run, divided by the messages of that run, the JVM
#    peers' warm-up included), for reactive-smtp and smtp-source, and the ceiling it sets: one core of sink at
#    reactive-smtp's cost per message, over smtp-source's msgs/s. smtp-sink is one thread: where smtp-source already
#    keeps it busy (its sink µs/msg x its msgs/s near 1,000,000), no client can beat smtp-source by more than the
#    ceiling, and a target above it is out of reach against this sink on this machine.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${N:-20000}"
RUNS="${RUNS:-2}"
CS="${CS:-1 10 50}"
CELLS="${CELLS-1000:1 1000:10 100000:1}"
BULK="${BULK:-1}"
BULK_N="${BULK_N:-100000}"
BULK_C="${BULK_C:-50}"
BULK_L="${BULK_L:-1000}"
PEERS="${PEERS:-reactive-smtp smtp-source angus-mail reactive-smtp-session}"
TIMEOUT="${TIMEOUT:-300}"
PORT="${PORT:-30225}"
THREADS="${THREADS:-1}"
JAVA_OPTS="${JAVA_OPTS:-}"
JAR="${JAR:-$root/benchmarks/target/benchmarks.jar}"
CLI_JAR="${CLI_JAR:-$root/cli/target/reactive-smtp-cli.jar}"
OUT="${OUT:-$root/benchmarks/results}"
RAW="${RAW:-}"

for p in $PEERS; do
    case "$p" in
        reactive-smtp|smtp-source|angus-mail|reactive-smtp-session) ;;
        *) echo "unknown peer $p in PEERS (reactive-smtp, smtp-source, angus-mail, reactive-smtp-session)" >&2; exit 2 ;;
    esac
done
has_peer() { [[ " $PEERS " == *" $1 "* ]]; }

. "$here/tools.sh"
need_tools sink source time
[ -n "$CELLS" ] && need_java_and_jar
if [ "$BULK" = 1 ]; then
    need_cli_jar
    command -v jq >/dev/null || { echo "missing jq (the bulk row reads the CLI's JSON summary)" >&2; exit 2; }
fi
mkdir -p "$OUT" || exit 2

make_tmp_and_stop_sink_on_exit  # $tmp, removed on exit with the sink in $sink_pid (tools.sh)

start_sink() { # port
    local user_opt=()
    [ "$(id -u)" = 0 ] && user_opt=(-u postfix)
    # Backlog 1000; -c off: no counters on stdout; -m (simultaneous sessions, default 256) above the largest C.
    "$SINK" "${user_opt[@]}" -m 1024 "127.0.0.1:$1" 1000 >"$tmp/sink.log" 2>&1 &
    sink_pid=$!
    for _ in $(seq 50); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        kill -0 "$sink_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "smtp-sink did not start on port $1: $(cat "$tmp/sink.log")" >&2
    return 1
}

clk_tck="$(getconf CLK_TCK 2>/dev/null || echo 100)"
# The CPU the sink has used so far, in clock ticks (user + sys: fields 14 and 15 of its /proc stat, counted after
# the command name in parentheses). smtp-sink is one process, one thread: it never uses more than one core.
sink_ticks() {
    awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$sink_pid/stat" 2>/dev/null || echo 0
}

# Messages the sink receives in one run of a peer: the JVM peers send an uncounted warm-up first (min(N/10, 2000)).
sink_messages() { # peer
    if [ "$1" = smtp-source ]; then echo "$N"; else echo $((N + (N / 10 < 2000 ? N / 10 : 2000))); fi
}

stop_sink() {
    [ -n "$sink_pid" ] && { kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; }
    sink_pid=""
}

median() { # values... (an even count: the mean of the two middle ones)
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'
}

raw() { # line
    echo "$1" >>"$OUT/raw.txt"
    [ -n "$RAW" ] && echo "$1" >>"$RAW"
    return 0
}

# Prints "msgs_per_s cpu_us_per_msg" from a harness line, or fails.
run_jvm() { # peer main port c l r [options...]
    local peer="$1" main="$2" port="$3" c="$4" l="$5" r="$6" out
    shift 6
    # shellcheck disable=SC2086
    if ! out="$(timeout "$TIMEOUT" java $JAVA_OPTS -cp "$JAR" "io.reactivesmtp.benchmarks.$main" "$@" \
            127.0.0.1 "$port" "$c" "$N" "$l" "$r" 2>"$tmp/$peer.err")"; then
        echo "$peer failed (C=$c L=$l R=$r): $(tail -3 "$tmp/$peer.err")" >&2
        raw "peer=$peer C=$c N=$N L=$l R=$r FAILED"
        return 1
    fi
    raw "$out"
    echo "$out" | awk -v n="$N" '{for (i=1;i<=NF;i++) {split($i,kv,"="); f[kv[1]]=kv[2]}}
        END {printf "%s %.1f\n", f["msgs_per_s"], f["cpu_s"]*1e6/n}'
}

run_source() { # port c l r
    local line
    # GNU time: elapsed (10 ms steps; fine for N in the thousands), user and sys CPU of smtp-source.
    if ! /usr/bin/time -f '%e %U %S' -o "$tmp/time" timeout "$TIMEOUT" "$SOURCE" -d -s "$2" -m "$N" -l "$3" -r "$4" \
            -f sender@example.com -t rcpt@example.com "127.0.0.1:$1" >"$tmp/source.out" 2>"$tmp/source.err"; then
        echo "smtp-source failed (C=$2 L=$3 R=$4): $(tail -3 "$tmp/source.err")" >&2
        raw "peer=smtp-source C=$2 N=$N L=$3 R=$4 FAILED"
        return 1
    fi
    line="$(tail -1 "$tmp/time")"
    # The same shape as the harness lines: seconds = the whole process, cpu_s = user + sys.
    raw "$(echo "$line" | awk -v c="$2" -v n="$N" -v l="$3" -v r="$4" \
        '{t = $1 > 0 ? $1 : 0.005; printf "peer=smtp-source C=%s N=%s L=%s R=%s seconds=%.3f msgs_per_s=%.1f cpu_s=%.3f", c, n, l, r, t, n/t, $2+$3}')"
    echo "$line" | awk -v n="$N" '{t = $1 > 0 ? $1 : 0.005; printf "%.1f %.1f\n", n/t, ($2+$3)*1e6/n}'
}

run_peer() { # peer port c l r
    case "$1" in
        reactive-smtp) run_jvm reactive-smtp Bench "$2" "$3" "$4" "$5" --threads "$THREADS" ;;
        smtp-source) run_source "$2" "$3" "$4" "$5" ;;
        angus-mail) run_jvm angus-mail AngusBench "$2" "$3" "$4" "$5" ;;
        reactive-smtp-session) run_jvm reactive-smtp-session Bench "$2" "$3" "$4" "$5" --threads "$THREADS" --api session ;;
    esac
}

ratio() { # a b
    awk -v a="$1" -v b="$2" 'BEGIN {if (b+0>0 && a!="nan" && a+0>0) printf "%.2f", a/b; else print "n/a"}'
}

# The most a client whose traffic costs the sink S µs per message can reach, as a multiple of smtp-source's msgs/s
# in the same cell: one core of sink (1e6 / S msgs/s) over smtp-source's rate. Below a cell's target, no client
# can meet the target against this sink on this machine, however little CPU it uses itself.
ceiling() { # sink_us_per_msg source_rate
    awk -v s="$1" -v r="$2" 'BEGIN {if (s+0>0 && r+0>0 && s!="nan" && r!="nan") printf "%.2f", 1e6 / s / r; else print "n/a"}'
}

. "$here/bulk-row.sh"

: >"$OUT/raw.txt"
cells_info="N=$N, Bench threads=$THREADS"
[ -n "$CELLS" ] || cells_info="the bulk row only"
info="$cells_info, median of $RUNS run(s), $(nproc) cores, $(java -version 2>&1 | head -1 | tr -d '"'), $(date -u +%Y-%m-%dT%H:%MZ)"
echo "$info; load average at start: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" | tee "$OUT/matrix.md"
port="$PORT"
status=0
if [ -n "$CELLS" ]; then
    printf 'C\tL\tR\tpeer\tmsgs_per_s\tcpu_us_per_msg\truns\tsink_cpu_us_per_msg\n' >"$OUT/matrix.tsv"
    {
        echo
        echo "| cell | reactive-smtp msg/s | smtp-source msg/s | angus-mail msg/s | reactive/source | reactive/angus | reactive-smtp CPU µs/msg | smtp-source CPU µs/msg | angus-mail CPU µs/msg | session API msg/s | session API CPU µs/msg | sink CPU µs/msg: reactive-smtp / smtp-source | sink ceiling (reactive/source) |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    } | tee -a "$OUT/matrix.md"
    for lr in $CELLS; do
        l="${lr%%:*}"; r="${lr##*:}"
        for c in $CS; do
            declare -A rates=() cpus=() sinks=() med_rate=() med_cpu=() med_sink=()
            ok=1
            if start_sink "$port"; then
                for _ in $(seq "$RUNS"); do
                    for p in $PEERS; do
                        t0="$(sink_ticks)"
                        if res="$(run_peer "$p" "$port" "$c" "$l" "$r")"; then
                            rates[$p]="${rates[$p]:-} ${res% *}"; cpus[$p]="${cpus[$p]:-} ${res#* }"
                            sent="$(sink_messages "$p")"
                            us="$(awk -v t="$(( $(sink_ticks) - t0 ))" -v hz="$clk_tck" -v n="$sent" \
                                'BEGIN {printf "%.1f", t * 1e6 / hz / n}')"
                            sinks[$p]="${sinks[$p]:-} $us"
                            raw "sink peer=$p C=$c N=$N L=$l R=$r messages=$sent sink_cpu_us_per_msg=$us"
                        else ok=0; fi
                    done
                done
            else
                ok=0
            fi
            stop_sink
            port=$((port + 1))
            [ "$ok" = 1 ] || status=1
            for p in reactive-smtp smtp-source angus-mail reactive-smtp-session; do
                if has_peer "$p"; then
                    # shellcheck disable=SC2086
                    med_rate[$p]="$(median ${rates[$p]:-})"; med_cpu[$p]="$(median ${cpus[$p]:-})"
                    # shellcheck disable=SC2086
                    med_sink[$p]="$(median ${sinks[$p]:-})"
                    n_ok="$(echo ${rates[$p]:-} | wc -w)"
                    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$c" "$l" "$r" "$p" "${med_rate[$p]}" "${med_cpu[$p]}" "$n_ok" \
                        "${med_sink[$p]}" >>"$OUT/matrix.tsv"
                else
                    med_rate[$p]="-"; med_cpu[$p]="-"; med_sink[$p]="-"
                fi
            done
            printf '| C=%s L=%s R=%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |\n' "$c" "$l" "$r" \
                "${med_rate[reactive-smtp]}" "${med_rate[smtp-source]}" "${med_rate[angus-mail]}" \
                "$(ratio "${med_rate[reactive-smtp]}" "${med_rate[smtp-source]}")" \
                "$(ratio "${med_rate[reactive-smtp]}" "${med_rate[angus-mail]}")" \
                "${med_cpu[reactive-smtp]}" "${med_cpu[smtp-source]}" "${med_cpu[angus-mail]}" \
                "${med_rate[reactive-smtp-session]}" "${med_cpu[reactive-smtp-session]}" \
                "${med_sink[reactive-smtp]}" "${med_sink[smtp-source]}" \
                "$(ceiling "${med_sink[reactive-smtp]}" "${med_rate[smtp-source]}")" | tee -a "$OUT/matrix.md"
            unset rates cpus sinks med_rate med_cpu med_sink
        done
    done
fi
if [ "$BULK" = 1 ]; then
    bulk_row "$port" || status=1
fi
if [ -n "$CELLS" ]; then
    if java -Djava.awt.headless=true -cp "$JAR" io.reactivesmtp.benchmarks.Chart "$OUT/matrix.tsv" "$OUT/throughput.png" \
            "N=$N, median of $RUNS, $(nproc) cores" >"$tmp/chart.out" 2>&1; then
        echo
        echo "results: $OUT/matrix.md, $OUT/matrix.tsv, $OUT/raw.txt; chart: $OUT/throughput.png"
    else
        echo "chart failed: $(tail -3 "$tmp/chart.out")" >&2
        status=1
    fi
fi
exit "$status"
