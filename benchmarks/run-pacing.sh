#!/usr/bin/env bash
# Adaptive pacing against servers that defend themselves (issue 22), all on loopback, each run against a fresh
# ThrottlingServer (benchmarks jar) in its own JVM, the packaged CLI (`bulk`) as the client:
#
#  (a) connections: a server that allows MAX_CONN connections per client (421 4.7.0 at the greeting beyond);
#      `bulk --concurrency C` of N recipients with pacing on (the default) and a fresh --pacing-state file (a first
#      run: it probes), again with the file that run wrote (it starts where the first left off), then --no-pacing.
#      Target: >= 99 % delivered in one run, <= 5 % of the connection attempts refused.
#  (b) rate: a server that answers 421 4.7.0 to MAIL beyond MAX_RATE messages per second (and closes);
#      the same bulk with pacing on and no --rate (a first run, then one given its --pacing-state, as in (a)), then
#      --no-pacing with a hand-set --rate MAX_RATE (the exact
#      limit, the best a hand can do) and --rate 2*MAX_RATE (a guess twice too high).
#
# Per run it prints: delivered (the CLI's JSON summary), connection attempts and refused attempts (the server's
# counts: refused greetings + refused MAILs), wall seconds of the CLI process and delivered messages per second; on
# stderr, the server's counts and when each refusal came (ms from the first connection: a burst at first contact, or
# one per probe later).
#
#   benchmarks/run-pacing.sh
#   N=2000 C=50 MAX_CONN=5 MAX_RATE=500 benchmarks/run-pacing.sh
#
# Environment: ROWS (default "a b"), CLI_ARGS (more bulk options for every run, e.g. "--max-per-connection 1000"), N (recipients, default 5000), C (--concurrency, default 50), MAX_CONN (default 5), MAX_RATE (default
# 500), PORT (default 30325), TIMEOUT (seconds per run, default 300), CLI_JAR (default cli/target/reactive-smtp-cli.jar),
# JAR (default benchmarks/target/benchmarks.jar); both are built with Maven when missing
# (`mvn -B -pl cli -am package -DskipTests`, `mvn -B -pl benchmarks -am package -DskipTests`); the CLI runs through
# bin/reactive-smtp as users run it (tools.sh's cli_command: CLI_JAVA_OPTS, JAVA_OPTS). Needs java 17, jq.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
N="${N:-5000}"
C="${C:-50}"
MAX_CONN="${MAX_CONN:-5}"
MAX_RATE="${MAX_RATE:-500}"
ROWS="${ROWS:-a b}"
PORT="${PORT:-30325}"
TIMEOUT="${TIMEOUT:-300}"
CLI_JAR="${CLI_JAR:-$root/cli/target/reactive-smtp-cli.jar}"
JAR="${JAR:-$root/benchmarks/target/benchmarks.jar}"
# shellcheck source=tools.sh
. "$here/tools.sh"
command -v jq >/dev/null || { echo "missing jq" >&2; exit 2; }
need_java_and_jar
need_cli_jar
make_tmp_and_stop_sink_on_exit

awk -v n="$N" 'BEGIN {for (i = 1; i <= n; i++) print "rcpt" i "@example.com"}' >"$tmp/rcpts.txt"
write_body "$tmp/body.eml" 1000

# run LABEL SERVER_ARGS -- CLI_ARGS...: one CLI bulk against a fresh server; prints one table row.
run() {
    local label="$1" server_args="$2" start end code delivered counts attempts refused wall
    shift 3
    # shellcheck disable=SC2086
    java -cp "$JAR" io.reactivesmtp.benchmarks.ThrottlingServer "$PORT" $server_args >"$tmp/server.out" 2>&1 &
    sink_pid=$!
    for _ in $(seq 100); do grep -q '^listening' "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
    grep -q '^listening' "$tmp/server.out" || { echo "server did not start: $(cat "$tmp/server.out")" >&2; exit 1; }
    start="$(date +%s.%N)"
    # shellcheck disable=SC2086
    cli_command
    timeout "$TIMEOUT" "${cli[@]}" bulk --server "127.0.0.1:$PORT" --tls none --from sender@example.com \
        --recipients "$tmp/rcpts.txt" --body "$tmp/body.eml" --concurrency "$C" --json ${CLI_ARGS:-} "$@" \
        >"$tmp/bulk.json" 2>"$tmp/bulk.err"
    code=$?
    end="$(date +%s.%N)"
    kill -TERM "$sink_pid"; wait "$sink_pid" 2>/dev/null; sink_pid=""
    delivered="$(jq -r '.messages.delivered' "$tmp/bulk.json" 2>/dev/null)"
    counts="$(grep '^connections=' "$tmp/server.out")"
    attempts="$(sed -n 's/.*connections=\([0-9]*\).*/\1/p' <<<"$counts")"
    refused="$(awk '{for (i = 1; i <= NF; i++) {split($i, kv, "="); if (kv[1] ~ /^refused_/) r += kv[2]}} END {print r + 0}' <<<"$counts")"
    wall="$(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}')"
    printf '| %s | %s | %s/%s (%s %%) | %s | %s (%s %%) | %s | %s |\n' "$label" "$code" "${delivered:-?}" "$N" \
        "$(awk -v d="${delivered:-0}" -v n="$N" 'BEGIN {printf "%.1f", 100 * d / n}')" "$attempts" "$refused" \
        "$(awk -v r="$refused" -v a="$attempts" 'BEGIN {printf "%.1f", a ? 100 * r / a : 0}')" "$wall" \
        "$(awk -v d="${delivered:-0}" -v w="$wall" 'BEGIN {printf "%.0f", d / w}')"
    echo "    server: $counts; cli exit $code; $(grep '^refusal_times_ms=' "$tmp/server.out")" >&2
}

echo "N=$N C=$C MAX_CONN=$MAX_CONN MAX_RATE=$MAX_RATE"
echo
echo "| run | exit | delivered | connection attempts | refused attempts | wall s | delivered msg/s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
case " $ROWS " in *" a "*)
    run "(a) max $MAX_CONN connections, pacing (default), first run" "--max-connections $MAX_CONN" -- \
        --pacing-state "$tmp/state-a.json"
    run "(a) max $MAX_CONN connections, pacing, --pacing-state of the run before" "--max-connections $MAX_CONN" -- \
        --pacing-state "$tmp/state-a.json"
    run "(a) max $MAX_CONN connections, --no-pacing" "--max-connections $MAX_CONN" -- --no-pacing ;;
esac
case " $ROWS " in *" b "*)
    run "(b) max $MAX_RATE msg/s, pacing (default), no --rate, first run" "--max-rate $MAX_RATE" -- \
        --pacing-state "$tmp/state-b.json"
    run "(b) max $MAX_RATE msg/s, pacing, --pacing-state of the run before" "--max-rate $MAX_RATE" -- \
        --pacing-state "$tmp/state-b.json"
    run "(b) max $MAX_RATE msg/s, --no-pacing --rate $MAX_RATE" "--max-rate $MAX_RATE" -- --no-pacing --rate "$MAX_RATE"
    run "(b) max $MAX_RATE msg/s, --no-pacing --rate $((2 * MAX_RATE))" "--max-rate $MAX_RATE" -- --no-pacing \
        --rate "$((2 * MAX_RATE))" ;;
esac
