#!/usr/bin/env bash
# The connection budget in MX mode (issue 22): `bulk --mx --concurrency C` of N recipients (one per message) against
# Postfix's smtp-sink on loopback with its default limit of 256 simultaneous sessions, every recipient domain's MX
# host name answered by a loopback DNS server (benchmarks/loopback-dns.py: MX of D is mx.D, every A is 127.0.0.1),
# so that each domain is a destination (a pool) of its own while all of them are one sink. Rows, RUNS times in turn:
#  - 1-domain:     N recipients at d0.test (the throughput the other rows are compared with, same run);
#  - D-domains:    N recipients over D domains, interleaved (user_i@d(i mod D).test: a domain comes back only after
#                  all the others, the hard case for connection reuse);
#  - D-grouped:    the same recipients sorted by domain (each domain's recipients one after the other).
# Each row: CLI msgs/s and connections opened (its --json summary), and the peak of connections open at once at the
# sink, sampled every 20 ms with `ss` (server side: sockets whose local port is the sink's). Medians of RUNS are
# printed as a Markdown table (OUT/mx-budget.md); every run's numbers go to OUT/mx-budget-raw.txt.
# Targets (issue 22): peak <= 100 connections; D-domains msgs/s >= 80 % of 1-domain.
#
#   benchmarks/run-mx-budget.sh                     # N=20000 D=1000 C=50, 3 runs
#   RUNS=1 N=5000 D=500 benchmarks/run-mx-budget.sh
#
# Environment: N, D, C, RUNS, PORT (sink, default 30260), DNS_PORT (default 30261), TIMEOUT (seconds per run,
# default 300), MX_OPTS (the CLI's TLS options for MX routing, default "--tls-level may --no-mta-sts": smtp-sink has
# no STARTTLS, and the loopback DNS has no TLSA or MTA-STS records to look up), JAVA_OPTS and CLI_JAVA_OPTS (tools.sh's
# cli_command: the CLI runs through bin/reactive-smtp, as users run it), CLI_JAR (default cli/target/reactive-smtp-cli.jar, built with Maven when missing), OUT
# (default benchmarks/results), SINK_OPTS (more smtp-sink options, e.g. "-m 2000" to lift its session limit for a
# client without a budget). Needs: java 17, python3, Postfix's smtp-sink, ss (iproute2), jq.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${N:-20000}"
D="${D:-1000}"
C="${C:-50}"
RUNS="${RUNS:-3}"
PORT="${PORT:-30260}"
DNS_PORT="${DNS_PORT:-30261}"
TIMEOUT="${TIMEOUT:-300}"
JAVA_OPTS="${JAVA_OPTS:-}"
SINK_OPTS="${SINK_OPTS:-}"
MX_OPTS="${MX_OPTS:---tls-level may --no-mta-sts}"
CLI_JAR="${CLI_JAR:-$root/cli/target/reactive-smtp-cli.jar}"
OUT="${OUT:-$root/benchmarks/results}"

. "$here/tools.sh"
need_tools sink
need_cli_jar
for t in python3 ss jq; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done
mkdir -p "$OUT" || exit 2

make_tmp_and_stop_sink_on_exit  # $tmp, removed on exit with the sink in $sink_pid (tools.sh)
dns_pid=""
sampler_pid=""
trap 'for p in $sampler_pid $dns_pid $sink_pid; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

user_opt=()
[ "$(id -u)" = 0 ] && user_opt=(-u nobody)
# Backlog 1000; simultaneous sessions: smtp-sink's default (256), the limit that stalled clients without a budget.
# shellcheck disable=SC2086
"$SINK" "${user_opt[@]}" $SINK_OPTS "127.0.0.1:$PORT" 1000 >"$tmp/sink.log" 2>&1 &
sink_pid=$!
python3 "$here/loopback-dns.py" "$DNS_PORT" 2>"$tmp/dns.log" &
dns_pid=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { echo "smtp-sink did not start: $(cat "$tmp/sink.log")" >&2; exit 1; }
kill -0 "$dns_pid" 2>/dev/null || { echo "loopback-dns.py did not start: $(cat "$tmp/dns.log")" >&2; exit 1; }

write_body "$tmp/body.eml" 1000
awk -v n="$N" 'BEGIN {for (i = 0; i < n; i++) print "user" i "@d0.test"}' >"$tmp/1-domain.txt"
awk -v n="$N" -v d="$D" 'BEGIN {for (i = 0; i < n; i++) print "user" i "@d" (i % d) ".test"}' >"$tmp/D-domains.txt"
sort -t@ -k2,2 -s "$tmp/D-domains.txt" >"$tmp/D-grouped.txt"

# Peak of established connections at the sink's port until the file $1 disappears, written to $1.peak.
sample_peak() { # flagfile
    local peak=0 n
    while [ -e "$1" ]; do
        n="$(ss -Htn state established "( sport = :$PORT )" | wc -l)"
        [ "$n" -gt "$peak" ] && peak="$n"
        sleep 0.02
    done
    echo "$peak" >"$1.peak"
}

# One CLI run of a recipients file: prints "msgs_per_s connections peak", or fails.
run_bulk() { # row
    local row="$1" code delivered
    touch "$tmp/sampling"
    sample_peak "$tmp/sampling" &
    sampler_pid=$!
    cli_command
    # shellcheck disable=SC2086
    timeout "$TIMEOUT" "${cli[@]}" bulk --mx --dns-server "127.0.0.1:$DNS_PORT" \
        --mx-port "$PORT" $MX_OPTS --from sender@example.com --recipients "$tmp/$row.txt" \
        --body "$tmp/body.eml" --concurrency "$C" --json >"$tmp/bulk.json" 2>"$tmp/bulk.err"
    code=$?
    rm -f "$tmp/sampling"
    wait "$sampler_pid"
    sampler_pid=""
    delivered="$(jq -r '.messages.delivered' "$tmp/bulk.json" 2>/dev/null)"
    if [ "$code" != 0 ] || [ "$delivered" != "$N" ]; then
        echo "$row: bulk failed (exit $code, delivered ${delivered:-?} of $N): $(tail -3 "$tmp/bulk.err")" \
            "$(head -c 400 "$tmp/bulk.json")" >&2
        return 1
    fi
    echo "$(jq -r '.messagesPerSecond' "$tmp/bulk.json") $(jq -r '.connections' "$tmp/bulk.json") $(cat "$tmp/sampling.peak")"
}

median() { # values...
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else printf "%.1f\n", (v[NR/2]+v[NR/2+1])/2}'
}

rows=(1-domain D-domains D-grouped)
declare -A rates=() conns=() peaks=()
ok=1
for run in $(seq "$RUNS"); do
    for row in "${rows[@]}"; do
        if res="$(run_bulk "$row")"; then
            read -r rate conn peak <<<"$res"
            rates[$row]="${rates[$row]:-} $rate"; conns[$row]="${conns[$row]:-} $conn"; peaks[$row]="${peaks[$row]:-} $peak"
            echo "$(date -u +%FT%TZ) run=$run row=$row N=$N D=$D C=$C msgs_per_s=$rate connections=$conn peak_open=$peak" \
                | tee -a "$OUT/mx-budget-raw.txt"
        else
            ok=0
        fi
    done
done

one="$(median ${rates[1-domain]:-})"
{
    echo
    echo "bulk --mx $MX_OPTS --concurrency $C, $N recipients (one per message), smtp-sink ${SINK_OPTS:-(256 sessions)}, median of $RUNS run(s),"
    echo "CLI jar $CLI_JAR through bin/reactive-smtp, JVM options $(cli_java_opts),"
    echo "$(date -u +%F), $(nproc) cores; targets (issue 22): peak open <= 100, $D-domain msgs/s >= 80 % of 1-domain."
    echo
    echo "| row | msgs/s | vs 1-domain | connections opened | peak open at the sink |"
    echo "|---|---:|---:|---:|---:|"
    for row in "${rows[@]}"; do
        label="$row"; label="${label/D-domains/$D domains, interleaved}"; label="${label/D-grouped/$D domains, grouped}"
        label="${label/1-domain/1 domain}"
        r="$(median ${rates[$row]:-})"
        printf '| %s | %s | %s | %s | %s |\n' "$label" "$r" \
            "$(awk -v a="$r" -v b="$one" 'BEGIN {if (b > 0) printf "%.0f %%", 100 * a / b; else print "nan"}')" \
            "$(median ${conns[$row]:-})" "$(median ${peaks[$row]:-})"
    done
} | tee -a "$OUT/mx-budget.md"
[ "$ok" = 1 ]
