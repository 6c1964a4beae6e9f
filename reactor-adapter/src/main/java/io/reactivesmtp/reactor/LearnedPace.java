package io.reactivesmtp.reactor;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * What adaptive pacing learned about one site that asked the client to slow down, to be kept across restarts: a
 * process that starts afresh probes every site again, and a server that limits the pace of messages refuses the
 * burst of MAIL commands already on their way when its budget runs out (run-pacing.sh's 500 msg/s server: 3 to 12
 * at first contact, every run). {@link SmtpClient#learnedPacing()} gives the sites learned so far;
 * {@link Pacing.Builder#learned(java.util.Collection)} hands them to the next client, whose sites then start where
 * these left off (no slow start, the rate in force from the first transaction) and grow as usual after a quiet
 * period.
 *
 * @param site the site, as pacing names it: a provider suffix ({@code google.com}) or a destination
 *     ({@code mx.example.com:25}), lower case
 * @param limit the concurrency limit, at least 1
 * @param rate the rate, transactions per second; 0 for none
 * @param rateOrigin the pace at which the site first complained about the pace of messages, transactions per second
 *     (its rate grows past it and is lifted at four times it); 0 when no rate was ever set
 * @param at when the site last asked to slow down; an application decides from it how old an entry may be before it
 *     no longer trusts it (the CLI's {@code --pacing-state}: 7 days)
 */
public record LearnedPace(String site, int limit, double rate, double rateOrigin, Instant at) {

    /** Checks the values; each error names the site and the value. */
    public LearnedPace {
        Objects.requireNonNull(site, "site");
        Objects.requireNonNull(at, "at");
        if (site.isBlank() || !site.equals(site.strip()) || site.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException("learned pace: invalid site \"" + site.replaceAll("[^\\x21-\\x7e]", "?")
                    + "\": expected a host suffix or HOST:PORT in printable ASCII");
        }
        site = site.toLowerCase(Locale.ROOT);
        if (limit < 1) {
            throw new IllegalArgumentException("learned pace of " + site + ": limit must be at least 1, not " + limit);
        }
        if (!(rate >= 0) || Double.isInfinite(rate)) {
            throw new IllegalArgumentException("learned pace of " + site + ": rate must be 0 or a positive number, not "
                    + rate);
        }
        if (!(rateOrigin >= 0) || Double.isInfinite(rateOrigin)) {
            throw new IllegalArgumentException("learned pace of " + site
                    + ": rateOrigin must be 0 or a positive number, not " + rateOrigin);
        }
    }
}
