# Sourced by run-matrix.sh, not run on its own: the CLI bulk row (issue 14). Uses run-matrix.sh's start_sink,
# stop_sink, median, raw, ratio, $tmp, $OUT, $RUNS, $TIMEOUT, $SOURCE, $CLI_JAR, BULK_N, BULK_C, BULK_L and
# tools.sh's cli_command ($JAVA_OPTS, CLI_JAVA_OPTS); see run-matrix.sh's header for what the row measures.

# Prints "wall_s cpu_s" of one CLI bulk run, or fails (exit status not 0, or not all BULK_N delivered).
run_cli_bulk() { # port
    local code delivered cli
    rm -f "$tmp/bulk-report.jsonl"
    cli_command
    /usr/bin/time -f '%e %U %S' -o "$tmp/time" timeout "$TIMEOUT" "${cli[@]}" bulk \
        --server "127.0.0.1:$1" --tls none --from sender@example.com --recipients "$tmp/bulk-rcpts.txt" \
        --body "$tmp/bulk-body.eml" --concurrency "$BULK_C" --report "$tmp/bulk-report.jsonl" --json \
        >"$tmp/bulk.json" 2>"$tmp/bulk.err"
    code=$?
    delivered="$(jq -r '.messages.delivered' "$tmp/bulk.json" 2>/dev/null)"
    if [ "$code" != 0 ] || [ "$delivered" != "$BULK_N" ]; then
        echo "cli bulk failed (exit $code, delivered ${delivered:-?} of $BULK_N): $(tail -3 "$tmp/bulk.err") $(head -c 300 "$tmp/bulk.json")" >&2
        raw "peer=cli-bulk C=$BULK_C N=$BULK_N L=$BULK_L FAILED exit=$code delivered=${delivered:-?} cli_java_opts=$(cli_java_opts)"
        return 1
    fi
    tail -1 "$tmp/time" | awk '{printf "%s %.2f\n", $1, $2 + $3}'
}

# Prints "wall_s cpu_s" of one smtp-source run of BULK_N messages, or fails.
run_source_bulk() { # port
    if ! /usr/bin/time -f '%e %U %S' -o "$tmp/time" timeout "$TIMEOUT" "$SOURCE" -d -s "$BULK_C" -m "$BULK_N" \
            -l "$BULK_L" -f sender@example.com -t rcpt@example.com "127.0.0.1:$1" \
            >"$tmp/source.out" 2>"$tmp/source.err"; then
        echo "smtp-source failed (bulk row): $(tail -3 "$tmp/source.err")" >&2
        raw "peer=smtp-source-bulk C=$BULK_C N=$BULK_N L=$BULK_L FAILED"
        return 1
    fi
    tail -1 "$tmp/time" | awk '{printf "%s %.2f\n", $1, $2 + $3}'
}

# Runs the row against a fresh sink on port $1: RUNS x (CLI, smtp-source), appends its table to matrix.md and
# writes bulk.tsv (peer, wall and CPU medians, successful runs). Fails when any run failed.
bulk_row() { # port
    local port="$1" ok=1 res p
    local -A walls=() cpus=() wall=() cpu=()
    awk -v n="$BULK_N" 'BEGIN {for (i = 1; i <= n; i++) print "rcpt" i "@example.com"}' >"$tmp/bulk-rcpts.txt"
    write_body "$tmp/bulk-body.eml" "$BULK_L"
    if start_sink "$port"; then
        for _ in $(seq "$RUNS"); do
            for p in cli-bulk smtp-source; do
                if [ "$p" = cli-bulk ]; then res="$(run_cli_bulk "$port")"; else res="$(run_source_bulk "$port")"; fi
                if [ -n "$res" ]; then
                    walls[$p]="${walls[$p]:-} ${res% *}"; cpus[$p]="${cpus[$p]:-} ${res#* }"
                    raw "peer=$p C=$BULK_C N=$BULK_N L=$BULK_L seconds=${res% *} cpu_s=${res#* }$( [ "$p" = cli-bulk ] && echo " cli_java_opts=$(cli_java_opts)")"
                else
                    ok=0
                fi
            done
        done
    else
        ok=0
    fi
    stop_sink
    printf 'N\tC\tL\tpeer\twall_s\tcpu_s\truns\n' >"$OUT/bulk.tsv"
    for p in cli-bulk smtp-source; do
        # shellcheck disable=SC2086
        wall[$p]="$(median ${walls[$p]:-})"; cpu[$p]="$(median ${cpus[$p]:-})"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BULK_N" "$BULK_C" "$BULK_L" "$p" "${wall[$p]}" "${cpu[$p]}" \
            "$(echo ${walls[$p]:-} | wc -w)" >>"$OUT/bulk.tsv"
    done
    {
        echo
        echo "CLI bulk (bin/reactive-smtp, JVM options: $(cli_java_opts); whole process, recipients from a file, --report on,"
        echo "--json) vs smtp-source -d, same count and concurrency, median of $RUNS run(s); target (issue 14): CLI wall <="
        echo "smtp-source wall, i.e. CLI/source <= 1."
        echo
        echo "| row | CLI wall s | smtp-source wall s | CLI/source wall | CLI CPU s | smtp-source CPU s | CLI msg/s | smtp-source msg/s |"
        echo "|---|---:|---:|---:|---:|---:|---:|---:|"
        printf '| bulk N=%s C=%s L=%s | %s | %s | %s | %s | %s | %s | %s |\n' "$BULK_N" "$BULK_C" "$BULK_L" \
            "${wall[cli-bulk]}" "${wall[smtp-source]}" "$(ratio "${wall[cli-bulk]}" "${wall[smtp-source]}")" \
            "${cpu[cli-bulk]}" "${cpu[smtp-source]}" \
            "$(ratio "$BULK_N" "${wall[cli-bulk]}")" "$(ratio "$BULK_N" "${wall[smtp-source]}")"
    } | tee -a "$OUT/matrix.md"
    [ "$ok" = 1 ]
}
