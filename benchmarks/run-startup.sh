#!/usr/bin/env bash
# Start-up (issue 14): time to the first message, each in a fresh process, against a fresh Postfix smtp-sink on
# loopback, RUNS times in turn, medians printed as a Markdown table (OUT/startup.md) and a TSV (OUT/startup.tsv):
#  - cli-send: the shaded CLI as users run it, `REACTIVE_SMTP_JAR=CLI bin/reactive-smtp send --server 127.0.0.1:PORT
#    --tls none --from ... --to ... --body FILE --json` (one ~1 KB message; the JVM options the launcher chooses for
#    `send`, or CLI_JAVA_OPTS when set: CLI_JAVA_OPTS="" is plain `java -jar`), whole-process wall and CPU (GNU
#    time); the run fails unless it says DELIVERED.
#  - cli-send-appcds (APPCDS=1, the default): the same with REACTIVE_SMTP_APPCDS=1, the launcher's dynamic AppCDS
#    archive, made first by one `send` (-XX:ArchiveClassesAtExit, Java 13+) beside a link to the jar in a temporary
#    directory.
#  - startup-bench: StartupBench in the benchmarks jar (SmtpClient.create + the first send, then exit), whole-process
#    wall and CPU, plus its own line: JVM uptime at main, create_ms, first_send_ms, JVM uptime at the first report.
#  - java-version: `java -version`, the bare JVM's start and exit, the floor for both JVM rows.
#  - smtp-source: Postfix's C client, one message (`smtp-source -s 1 -m 1 -l 1000`), the peer of the ratios.
# The machine's load moves these numbers (on 2 shared cores, by tens of percent): compare rows of one run, not runs.
#
#   benchmarks/run-startup.sh                 # 10 runs
#   RUNS=3 APPCDS=0 benchmarks/run-startup.sh
#
# Environment: RUNS (default 10), APPCDS (1/0, default 1), PORT (sink port, default 30240), TIMEOUT (seconds per
# run, default 60), JAVA_OPTS (every JVM row; the CLI gets them through JDK_JAVA_OPTIONS, on top of its own),
# CLI_JAVA_OPTS (the CLI rows' JVM options instead of the launcher's), JAR (benchmarks jar), CLI_JAR (default
# cli/target/reactive-smtp-cli.jar),
# both built with Maven when missing, OUT (default benchmarks/results).
# Needs: java 17, Postfix's smtp-sink and smtp-source, GNU time (/usr/bin/time), jq; run as root on Debian/Ubuntu
# it installs postfix and time when they are missing.
set -u -o pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
RUNS="${RUNS:-10}"
APPCDS="${APPCDS:-1}"
PORT="${PORT:-30240}"
TIMEOUT="${TIMEOUT:-60}"
JAVA_OPTS="${JAVA_OPTS:-}"
JAR="${JAR:-$root/benchmarks/target/benchmarks.jar}"
CLI_JAR="${CLI_JAR:-$root/cli/target/reactive-smtp-cli.jar}"
OUT="${OUT:-$root/benchmarks/results}"

. "$here/tools.sh"
need_tools sink source time
need_java_and_jar
need_cli_jar
command -v jq >/dev/null || { echo "missing jq (reads the CLI's JSON output)" >&2; exit 2; }
mkdir -p "$OUT" || exit 2

make_tmp_and_stop_sink_on_exit  # $tmp, removed on exit with the sink in $sink_pid (tools.sh)

user_opt=()
[ "$(id -u)" = 0 ] && user_opt=(-u postfix)
"$SINK" "${user_opt[@]}" "127.0.0.1:$PORT" 1000 >"$tmp/sink.log" 2>&1 &
sink_pid=$!
for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { echo "smtp-sink did not start: $(cat "$tmp/sink.log")" >&2; exit 1; }

write_body "$tmp/body.eml" 1000

# timed NAME CMD...: runs CMD under GNU time; sets wall_ms and cpu_ms, or fails naming NAME.
timed() {
    local name="$1"
    shift
    if ! /usr/bin/time -f '%e %U %S' -o "$tmp/time" timeout "$TIMEOUT" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
        echo "$name failed: $(tail -3 "$tmp/$name.err")" >&2
        return 1
    fi
    read -r wall_ms cpu_ms < <(tail -1 "$tmp/time" | awk '{printf "%.0f %.0f\n", $1 * 1000, ($2 + $3) * 1000}')
}

cli_send() { # name [NAME=VALUE (environment of the launcher)...]
    local name="$1" cli
    shift
    cli_command "$@"
    timed "$name" "${cli[@]}" send --server "127.0.0.1:$PORT" --tls none \
        --from sender@example.com --to rcpt@example.com --body "$tmp/body.eml" --json || return 1
    [ "$(jq -r .outcome "$tmp/$name.out" 2>/dev/null)" = DELIVERED ] \
        || { echo "$name: not delivered: $(head -c 300 "$tmp/$name.out")" >&2; return 1; }
}

peers="java-version smtp-source cli-send startup-bench"
if [ "$APPCDS" = 1 ]; then
    # One send makes the archive of the classes it loaded (the launcher's REACTIVE_SMTP_APPCDS=1: beside the jar,
    # here a link in $tmp); the JVM writes it at exit.
    ln -s "$(realpath "$CLI_JAR")" "$tmp/cli.jar"
    if cli_send appcds-dump REACTIVE_SMTP_APPCDS=1 REACTIVE_SMTP_JAR="$tmp/cli.jar" && [ -s "$tmp/cli.jsa" ]; then
        peers="$peers cli-send-appcds"
    else
        echo "AppCDS: no archive made ($(tail -2 "$tmp/appcds-dump.err")); row left out" >&2
    fi
fi

load_at_start="$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)"
declare -A walls=() cpus=() extra=()
status=0
for _ in $(seq "$RUNS"); do
    for p in $peers; do
        ok=1
        case "$p" in
            java-version) timed "$p" java $JAVA_OPTS -version || ok=0 ;;
            smtp-source) timed "$p" "$SOURCE" -s 1 -m 1 -l 1000 -f sender@example.com -t rcpt@example.com \
                "127.0.0.1:$PORT" || ok=0 ;;
            cli-send) cli_send "$p" || ok=0 ;;
            cli-send-appcds) cli_send "$p" REACTIVE_SMTP_APPCDS=1 REACTIVE_SMTP_JAR="$tmp/cli.jar" || ok=0 ;;
            startup-bench)
                # shellcheck disable=SC2086
                if timed "$p" java $JAVA_OPTS -cp "$JAR" io.reactivesmtp.benchmarks.StartupBench 127.0.0.1 "$PORT"; then
                    extra[$p]="${extra[$p]:-}$(cat "$tmp/$p.out")"$'\n'
                else ok=0; fi ;;
        esac
        if [ "$ok" = 1 ]; then
            walls[$p]="${walls[$p]:-} $wall_ms"; cpus[$p]="${cpus[$p]:-} $cpu_ms"
        else
            status=1
        fi
    done
done

median() { # values... (an even count: the mean of the two middle ones)
    printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'
}
ratio() { # a b
    awk -v a="$1" -v b="$2" 'BEGIN {if (b+0>0 && a!="nan" && a+0>0) printf "%.2f", a/b; else print "n/a"}'
}
field() { # name: the median of that field over StartupBench's lines
    # shellcheck disable=SC2046
    median $(printf '%s' "${extra[startup-bench]:-}" | grep -o "$1=[0-9]*" | cut -d= -f2)
}

declare -A wall=() cpu=()
printf 'peer\twall_ms\tcpu_ms\truns\n' >"$OUT/startup.tsv"
for p in $peers; do
    # shellcheck disable=SC2086
    wall[$p]="$(median ${walls[$p]:-})"; cpu[$p]="$(median ${cpus[$p]:-})"
    printf '%s\t%s\t%s\t%s\n' "$p" "${wall[$p]}" "${cpu[$p]}" "$(echo ${walls[$p]:-} | wc -w)" >>"$OUT/startup.tsv"
done
{
    echo "Start-up, one message per fresh process, median of $RUNS run(s), $(nproc) cores, $(java -version 2>&1 | head -1 | tr -d '"'), $(date -u +%Y-%m-%dT%H:%MZ); load average at start: $load_at_start; CLI JVM options: $(cli_java_opts)"
    echo
    echo "| process | wall ms | CPU ms | wall / smtp-source | wall / java -version |"
    echo "|---|---:|---:|---:|---:|"
    for p in $peers; do
        printf '| %s | %s | %s | %s | %s |\n' "$p" "${wall[$p]}" "${cpu[$p]}" \
            "$(ratio "${wall[$p]}" "${wall[smtp-source]}")" "$(ratio "${wall[$p]}" "${wall[java-version]}")"
    done
    echo
    echo "StartupBench inside its JVM (medians, ms): JVM start to main $(field jvm_to_main_ms), SmtpClient.create" \
        "$(field create_ms), first send $(field first_send_ms), JVM start to the first report $(field jvm_to_sent_ms)."
    if [[ " $peers " == *" cli-send-appcds "* ]]; then
        echo "AppCDS: cli-send-appcds / cli-send wall = $(ratio "${wall[cli-send-appcds]}" "${wall[cli-send]}")," \
            "CPU = $(ratio "${cpu[cli-send-appcds]}" "${cpu[cli-send]}") (archive $(du -k "$tmp/cli.jsa" | cut -f1) KB)."
    fi
} | tee "$OUT/startup.md"
exit "$status"
