# Sourced by run-matrix.sh, run-memory.sh and run-startup.sh, not run on its own: finding (or installing) Postfix's
# test tools and building the benchmarks and CLI jars, written once for all. Expects $root (the repository) and $JAR
# (or $CLI_JAR) to be set.

# Sets SINK and SOURCE (Postfix's smtp-sink and smtp-source, from PATH or where Debian puts them) and tool_paths, the
# paths of the tools named in $@: sink, source, time (GNU time).
find_tools() {
    SINK="$(command -v smtp-sink || echo /usr/sbin/smtp-sink)"
    SOURCE="$(command -v smtp-source || echo /usr/sbin/smtp-source)"
    tool_paths=()
    local t
    for t in "$@"; do
        case "$t" in
            sink) tool_paths+=("$SINK") ;;
            source) tool_paths+=("$SOURCE") ;;
            time) tool_paths+=(/usr/bin/time) ;;
        esac
    done
}

# need_tools sink|source|time ...: sets SINK and SOURCE. When a tool is missing and the script runs as root where
# apt-get is, installs postfix (and time when asked for) first; exits 2 naming a tool still missing.
need_tools() {
    local packages=postfix p missing=""
    [[ " $* " == *" time "* ]] && packages="postfix time"
    find_tools "$@"
    for p in "${tool_paths[@]}"; do [ -x "$p" ] || missing=1; done
    if [ -n "$missing" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "installing $packages ..." >&2
        # postfix asks how to configure itself: "Local only" keeps the system instance on loopback.
        echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections 2>/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >&2 \
            || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $packages >&2; }
        find_tools "$@"
    fi
    for p in "${tool_paths[@]}"; do
        [ -x "$p" ] || { echo "missing $p (apt-get install $packages)" >&2; exit 2; }
    done
}

# need_java_and_jar: java on PATH, and $JAR, built with Maven from $root when it is missing; exits 2 otherwise.
need_java_and_jar() {
    command -v java >/dev/null || { echo "missing java (17 or later)" >&2; exit 2; }
    if [ ! -f "$JAR" ]; then
        echo "building $JAR ..." >&2
        (cd "$root" && mvn -B -q -pl benchmarks -am package -DskipTests) >&2 || { echo "build failed" >&2; exit 2; }
    fi
}

# need_cli_jar: java on PATH, and $CLI_JAR (the shaded CLI, cli/target/reactive-smtp-cli.jar), built with Maven from
# $root when it is missing; exits 2 otherwise.
need_cli_jar() {
    command -v java >/dev/null || { echo "missing java (17 or later)" >&2; exit 2; }
    if [ ! -f "$CLI_JAR" ]; then
        echo "building $CLI_JAR ..." >&2
        (cd "$root" && mvn -B -q -pl cli -am package -DskipTests) >&2 || { echo "build failed" >&2; exit 2; }
    fi
}

# cli_command [NAME=VALUE ...]: sets the array cli to the command that runs the CLI as a user does, through
# bin/reactive-smtp (its JVM options chosen by command), on $CLI_JAR (REACTIVE_SMTP_JAR: no build check), with the
# given extra environment; REACTIVE_SMTP_JAVA_OPTS and REACTIVE_SMTP_APPCDS from the caller's environment are
# dropped. CLI_JAVA_OPTS, when set (even to ""), replaces the launcher's choice ("" = the JVM's defaults, as
# `java -jar` before the launcher chose). JAVA_OPTS, when not empty, goes on top through JDK_JAVA_OPTIONS.
cli_command() {
    cli=(env -u REACTIVE_SMTP_JAVA_OPTS -u REACTIVE_SMTP_APPCDS REACTIVE_SMTP_JAR="$CLI_JAR")
    [ -n "${CLI_JAVA_OPTS+set}" ] && cli+=(REACTIVE_SMTP_JAVA_OPTS="$CLI_JAVA_OPTS")
    [ -n "${JAVA_OPTS:-}" ] && cli+=(JDK_JAVA_OPTIONS="${JDK_JAVA_OPTIONS:+$JDK_JAVA_OPTIONS }$JAVA_OPTS")
    cli+=("$@" "$root/bin/reactive-smtp")
}

# cli_java_opts: what the CLI's JVM options are in these runs, for the result files: "launcher" (chosen by
# bin/reactive-smtp) or the value of CLI_JAVA_OPTS.
cli_java_opts() {
    if [ -n "${CLI_JAVA_OPTS+set}" ]; then echo "\"$CLI_JAVA_OPTS\""; else echo launcher; fi
}

# write_body FILE L: a message of plain headers and a body of exactly L bytes (76-char printable lines + CRLF, no
# leading dot), for the CLI's --body.
write_body() {
    awk -v l="$2" 'BEGIN {
        printf "From: sender@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: benchmark\r\n"
        printf "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        line = ""; for (i = 0; i < 76; i++) line = line substr("abcdefghijklmnopqrstuvwxyz0123456789", i % 36 + 1, 1)
        left = l
        while (left >= 78) { printf "%s\r\n", line; left -= 78 }
        if (left > 2) printf "%s\r\n", substr(line, 1, left - 2); else if (left > 0) printf "%s", substr("\r\n", 1, left)
    }' >"$1"
}

# Sets $tmp to a new temporary directory and $sink_pid to "": on exit the sink whose pid is then in $sink_pid is
# stopped and $tmp removed; Ctrl-C or TERM exits 130 through the same cleanup.
make_tmp_and_stop_sink_on_exit() {
    tmp="$(mktemp -d)"
    sink_pid=""
    trap 'if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null; wait "$sink_pid" 2>/dev/null; fi; rm -rf "$tmp"' EXIT
    trap 'exit 130' INT TERM
}
