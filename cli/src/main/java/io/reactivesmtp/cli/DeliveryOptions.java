package io.reactivesmtp.cli;

import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RateLimit;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The delivery options {@code bulk} and {@code worker} share ({@code --rate}, {@code --no-pacing} and the pacing
 * knobs, {@code --max-per-connection}, the connection budget and idle times), a picocli mixin, and the checks both
 * make of their numbers and relays.
 */
final class DeliveryOptions {

    @Option(names = "--rate", paramLabel = "MSGS_PER_S",
            description = "At most this many messages per second per destination server, for this process (token "
                    + "bucket, slowed down on 421 or 4.7.x).")
    Double rate;

    @Option(names = "--no-pacing",
            description = "Turn adaptive pacing off: no concurrency or rate of its own per destination, only "
                    + "--rate and the connection bounds (pacing is on by default: it slows down where a server "
                    + "answers 421 or 4.7.x, refuses connections or times out, and climbs back later).")
    boolean noPacing;

    @Option(names = "--pacing-floor", paramLabel = "N",
            description = "Adaptive pacing: the lowest concurrency it sets at a site. Default: " + Pacing.DEFAULT_FLOOR
                    + ".")
    Integer pacingFloor;

    @Option(names = "--pacing-initial", paramLabel = "N",
            description = "Adaptive pacing: the concurrency a site starts at (at least the floor). Default: "
                    + Pacing.DEFAULT_INITIAL + ".")
    Integer pacingInitial;

    @Option(names = "--pacing-provider-suffixes", paramLabel = "SUFFIXES", split = ",",
            description = "Adaptive pacing: comma-separated host suffixes whose MX hosts share one site (one "
                    + "provider), replacing the default list (google.com, outlook.com, ...); \"\" for none.")
    List<String> pacingProviderSuffixes;

    @Option(names = "--pacing-state", paramLabel = "FILE",
            description = "Adaptive pacing: read what earlier runs learned about servers that asked to slow down "
                    + "(their concurrency and rate) from FILE, start there instead of probing them again, and write "
                    + "what this run learned back to it at the end (JSON; a missing FILE is an empty one; entries "
                    + "older than 7 days are dropped).")
    Path pacingState;

    /** Read from {@link #pacingState} at the first {@link #pacing()}. */
    private List<LearnedPace> learned;

    @Option(names = "--max-per-connection", paramLabel = "M",
            description = "Transactions per connection before it is closed and a new one opened. Default: "
                    + BulkClient.DEFAULT_MAX_PER_CONNECTION + " for bulk, "
                    + PoolOptions.DEFAULT_MAX_MESSAGES_PER_CONNECTION + " for worker.")
    Integer maxPerConnection;

    @Option(names = "--max-connections", paramLabel = "N",
            description = "The connection budget: connections open at once over all destinations, idle ones "
                    + "included (the least recently used idle one is closed to make room). Default: the concurrency "
                    + "plus --idle-allowance.")
    Integer maxConnections;

    @Option(names = "--idle-allowance", paramLabel = "N",
            description = "Idle connections the default budget keeps beyond the concurrency, for reuse. Default: "
                    + PoolOptions.DEFAULT_IDLE_ALLOWANCE + ".")
    Integer idleAllowance;

    @Option(names = "--mx-idle-time", paramLabel = "SECONDS",
            description = "With --mx: how long an idle connection to an MX host is kept. Default: "
                    + "2 (seconds, as Postfix's connection cache).")
    Double mxIdleTime;

    /**
     * Checks the options.
     *
     * @param perDestination the connections allowed per destination ({@code --per-destination} or its default)
     * @param mx whether routing is MX ({@code --mx})
     * @throws IllegalArgumentException naming the option that is wrong
     */
    void check(int perDestination, boolean mx) {
        if (maxPerConnection != null) {
            positive("--max-per-connection", maxPerConnection);
        }
        if (rate != null && !(rate > 0 && rate <= 1_000_000)) {
            throw new IllegalArgumentException("--rate must be a number of messages per second above 0, not " + rate);
        }
        if (maxConnections != null) {
            positive("--max-connections", maxConnections);
        }
        if (idleAllowance != null && idleAllowance < 0) {
            throw new IllegalArgumentException("--idle-allowance must be 0 or more, not " + idleAllowance);
        }
        if (maxConnections != null && maxConnections < perDestination) {
            throw new IllegalArgumentException("--max-connections " + maxConnections + " is below the " + perDestination
                    + " connections allowed per destination (--per-destination, default the concurrency)");
        }
        if (mxIdleTime != null && !mx) {
            throw new IllegalArgumentException("--mx-idle-time needs --mx");
        }
        if (maxConnections != null && idleAllowance != null) {
            throw new IllegalArgumentException("--max-connections and --idle-allowance exclude each other (the "
                    + "allowance is added to the concurrency only when no budget is given)");
        }
        if (mxIdleTime != null && !(mxIdleTime >= 0.001 && mxIdleTime <= 86_400)) {
            throw new IllegalArgumentException("--mx-idle-time must be seconds from 0.001 to 86400, not " + mxIdleTime);
        }
        String pacingOption = pacingFloor != null ? "--pacing-floor" : pacingInitial != null ? "--pacing-initial"
                : pacingProviderSuffixes != null ? "--pacing-provider-suffixes"
                : pacingState != null ? "--pacing-state" : null;
        if (noPacing && pacingOption != null) {
            throw new IllegalArgumentException(pacingOption + " and --no-pacing exclude each other");
        }
        pacing();
    }

    /** @return the pacing the options give, or null for the default */
    private Pacing pacing() {
        if (noPacing) {
            return Pacing.OFF;
        }
        if (pacingFloor == null && pacingInitial == null && pacingProviderSuffixes == null && pacingState == null) {
            return null;
        }
        Pacing.Builder b = Pacing.builder();
        if (pacingState != null) {
            if (learned == null) {
                learned = PacingStateFile.read(pacingState, Instant.now());
            }
            b.learned(learned);
        }
        if (pacingFloor != null) {
            b.floor(pacingFloor); // a floor above the default start is also the start, unless --pacing-initial says
        }
        if (pacingInitial != null) {
            b.initial(pacingInitial);
        }
        if (pacingProviderSuffixes != null) {
            b.providerSuffixes(pacingProviderSuffixes.stream().filter(x -> !x.isEmpty()).toList());
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String options = pacingProviderSuffixes != null && e.getMessage().contains("suffix")
                    ? "--pacing-provider-suffixes" : pacingFloor != null && pacingInitial != null
                    ? "--pacing-floor/--pacing-initial" : pacingFloor != null ? "--pacing-floor" : "--pacing-initial";
            throw new IllegalArgumentException(options + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies the options.
     *
     * @param pool gets {@code --max-per-connection}, {@code --max-connections}, {@code --idle-allowance},
     *     {@code --mx-idle-time}
     * @param client gets {@code --rate}, {@code --no-pacing} and the pacing knobs
     */
    void applyTo(PoolOptions.Builder pool, SmtpClientOptions.Builder client) {
        if (maxPerConnection != null) {
            pool.maxMessagesPerConnection(maxPerConnection);
        }
        if (maxConnections != null) {
            pool.maxConnections(maxConnections);
        }
        if (idleAllowance != null) {
            pool.idleAllowance(idleAllowance);
        }
        if (mxIdleTime != null) {
            pool.mxIdleTime(Duration.ofNanos(Math.round(mxIdleTime * 1e9)));
        }
        if (rate != null) {
            client.rateLimit(RateLimit.perSecond(rate));
        }
        Pacing pacing = pacing();
        if (pacing != null) {
            client.pacing(pacing);
        }
    }

    /**
     * With {@code --pacing-state}: writes what the client's pacing learned to the file.
     *
     * @param client the run's client, before it is disposed
     * @param err where a failure to write is told (the run's outcome stands: the file only saves probing next time)
     * @param command the command's name, for the message
     */
    void savePacingState(SmtpClient client, PrintWriter err, String command) {
        if (pacingState == null) {
            return;
        }
        try {
            PacingStateFile.write(pacingState, client.learnedPacing());
        } catch (IOException | RuntimeException e) {
            ReportPrinter.printError(err, command, "--pacing-state: cannot write " + pacingState + ": " + e);
        }
    }

    /**
     * @param option the option's name, for the error
     * @param value its value
     * @throws IllegalArgumentException if the value is below 1
     */
    static void positive(String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(option + " must be at least 1, not " + value);
        }
    }

    /**
     * Parses the relays of {@code --server}.
     *
     * @param servers the values, each HOST:PORT
     * @return the relays, in order
     * @throws IllegalArgumentException naming {@code --server} and the value that is wrong
     */
    static List<ServerAddress> relays(List<String> servers) {
        List<ServerAddress> relays = new ArrayList<>();
        for (String s : servers) {
            try {
                relays.add(ServerAddress.parse(s));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--server: " + e.getMessage(), e);
            }
        }
        return relays;
    }
}
