package io.reactivesmtp.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The summary {@code worker} prints when it stops: as text, or with {@code --json} as one JSON object
 * ({@link Document}).
 *
 * @param command the command's name
 * @param stats the counters shared with {@code bulk}
 * @param counters the worker's own counters
 * @param elapsedNanos how long it ran
 * @param server the relays, as the first line said them
 * @param interrupted whether Ctrl-C stopped it
 * @param failure why the worker failed, or null
 * @param exitStatus the exit status
 */
record WorkerSummary(String command, BulkStats stats, Counters counters, long elapsedNanos, String server,
        boolean interrupted, Throwable failure, int exitStatus) {

    WorkerSummary {
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(stats, "stats");
        Objects.requireNonNull(counters, "counters");
    }

    /** Counters of one worker run, beyond {@link BulkStats}. */
    static final class Counters {
        final LongAdder retrying = new LongAdder();
        final LongAdder invalid = new LongAdder();
        final LongAdder replays = new LongAdder();
        final LongAdder alreadyAccepted = new LongAdder();
        final AtomicLong partitions = new AtomicLong();
        final AtomicBoolean assignedOnce = new AtomicBoolean();
    }

    /** Jobs by outcome. */
    @JsonPropertyOrder({"reported", "delivered", "partial", "rejected", "failed", "retrying", "invalid",
        "replaysSkipped"})
    record Jobs(long reported, long delivered, long partial, long rejected, long failed, long retrying, long invalid,
            long replaysSkipped) {
    }

    /** Recipients by verdict. */
    @JsonPropertyOrder({"total", "accepted", "rejected", "transient", "unknown", "alreadyAccepted"})
    record Recipients(long total, long accepted, long rejected, @JsonProperty("transient") long transientFailures,
            long unknown, long alreadyAccepted) {
    }

    /** The {@code --json} object. */
    @JsonPropertyOrder({"server", "interrupted", "elapsedMillis", "jobs", "recipients", "replyCodes", "connections",
        "error", "exitStatus"})
    record Document(String server, boolean interrupted, long elapsedMillis, Jobs jobs, Recipients recipients,
            Map<String, Long> replyCodes, long connections, String error, int exitStatus) {
    }

    /** @return the {@code --json} object */
    Document json() {
        return new Document(server, interrupted, elapsedNanos / 1_000_000,
                new Jobs(stats.completed.get(), stats.delivered.sum(), stats.partial.sum(), stats.rejected.sum(),
                        stats.failed.sum(), counters.retrying.sum(), counters.invalid.sum(), counters.replays.sum()),
                new Recipients(stats.recipients(), stats.rcptAccepted.sum(), stats.rcptRefused.sum(),
                        stats.rcptTransient.sum(), stats.rcptUnknown.sum(), counters.alreadyAccepted.sum()),
                stats.replyCodeCounts(), stats.connections.get(),
                failure == null ? null : String.valueOf(failure.getMessage()), exitStatus);
    }

    /**
     * Prints the summary.
     *
     * @param out where to
     * @param asJson whether as the {@code --json} object rather than text
     */
    void print(PrintWriter out, boolean asJson) {
        if (asJson) {
            out.println(CliJson.document(json()));
            return;
        }
        long jobs = stats.completed.get();
        long rcpts = stats.recipients();
        out.println();
        out.println(command + ": " + (interrupted ? "interrupted" : "stopped") + " after "
                + BulkStats.duration(elapsedNanos));
        out.println("server:       " + server);
        out.printf(Locale.ROOT, "jobs:         %d reported: %d delivered, %d partial, %d rejected, %d failed, "
                        + "%d retrying (retry job written), %d invalid; %d replays skipped (already reported)%n",
                jobs, stats.delivered.sum(), stats.partial.sum(), stats.rejected.sum(), stats.failed.sum(),
                counters.retrying.sum(), counters.invalid.sum(), counters.replays.sum());
        out.printf(Locale.ROOT, "recipients:   %d: %d accepted, %d rejected (5xx), %d transient (4xx), "
                        + "%d unknown (no verdict); %d not resent (accepted in an earlier report)%n", rcpts,
                stats.rcptAccepted.sum(), stats.rcptRefused.sum(), stats.rcptTransient.sum(), stats.rcptUnknown.sum(),
                counters.alreadyAccepted.sum());
        out.println("reply codes:  " + stats.replyCodesText());
        out.printf(Locale.ROOT, "throughput:   %.1f jobs/s, %.1f recipients/s%n",
                BulkStats.perSecond(jobs, elapsedNanos), BulkStats.perSecond(rcpts, elapsedNanos));
        out.println("connections:  " + stats.connections.get());
        out.println("exit status " + exitStatus + switch (exitStatus) {
            case ExitCodes.OK -> ": every recipient reported was accepted";
            case ExitCodes.PARTIAL -> ": some recipients accepted";
            default -> ": no recipient accepted, or the worker failed";
        });
    }
}
