package io.reactivesmtp.cli;

import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RateLimit;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The delivery options {@code bulk} and {@code worker} share ({@code --rate}, {@code --no-pacing},
 * {@code --max-per-connection}), a
 * picocli mixin, and the checks both make of their numbers and relays.
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

    @Option(names = "--max-per-connection", paramLabel = "M",
            description = "Transactions per connection before it is closed and a new one opened. Default: "
                    + PoolOptions.DEFAULT_MAX_MESSAGES_PER_CONNECTION + ".")
    Integer maxPerConnection;

    /**
     * Checks the options.
     *
     * @throws IllegalArgumentException naming the option that is wrong
     */
    void check() {
        if (maxPerConnection != null) {
            positive("--max-per-connection", maxPerConnection);
        }
        if (rate != null && !(rate > 0 && rate <= 1_000_000)) {
            throw new IllegalArgumentException("--rate must be a number of messages per second above 0, not " + rate);
        }
    }

    /**
     * Applies the options.
     *
     * @param pool gets {@code --max-per-connection}
     * @param client gets {@code --rate} and {@code --no-pacing}
     */
    void applyTo(PoolOptions.Builder pool, SmtpClientOptions.Builder client) {
        if (maxPerConnection != null) {
            pool.maxMessagesPerConnection(maxPerConnection);
        }
        if (rate != null) {
            client.rateLimit(RateLimit.perSecond(rate));
        }
        if (noPacing) {
            client.pacing(Pacing.OFF);
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
