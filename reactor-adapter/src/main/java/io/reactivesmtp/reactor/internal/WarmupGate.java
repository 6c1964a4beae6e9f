package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.reactor.Pacing;
import io.reactivesmtp.reactor.Warmup;
import io.reactivesmtp.reactor.WarmupDeferredException;
import java.time.LocalDate;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Applies a {@link Warmup}: counts a transaction's recipients for its site and day before it goes, fails it with a
 * {@link WarmupDeferredException} (nothing sent) when that would exceed the day's volume, and gives the count back
 * when the transaction failed before the site answered its MAIL command.
 */
public final class WarmupGate {

    private final Warmup warmup;
    private final List<String> providerSuffixes;

    private WarmupGate(Warmup warmup, List<String> providerSuffixes) {
        this.warmup = warmup;
        this.providerSuffixes = providerSuffixes;
    }

    /**
     * @param pacing the client's pacing
     * @return its warm-up gate, or null without a warm-up
     */
    public static WarmupGate create(Pacing pacing) {
        return pacing.warmup() == null ? null : new WarmupGate(pacing.warmup(), pacing.providerSuffixes());
    }

    /**
     * @param first the first candidate server of the transaction (its site is counted)
     * @param recipients the transaction's recipients
     * @param transaction the transaction, subscribed once counted
     * @return the transaction, or a {@link WarmupDeferredException} when the day's volume is spent
     */
    public Mono<SendReport> around(DestinationKey first, List<MailAddress> recipients, Mono<SendReport> transaction) {
        return Mono.defer(() -> {
            String site = PacingSite.siteOf(providerSuffixes, first.host(), first.port());
            LocalDate day = LocalDate.now(warmup.clock());
            long limit = warmup.schedule().dailyLimit(site, day);
            int n = recipients.size();
            if (limit == Long.MAX_VALUE) {
                return transaction;
            }
            return warmup.store().tryAdd(site, day, n, limit)
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException("completed empty")))
                    // The store is the application's: whatever it fails with, nothing was sent, and later may do.
                    .onErrorMap(e -> new WarmupDeferredException("warm-up store failed for " + site + " on " + day
                            + ": " + e + "; nothing sent", null))
                    .flatMap(added -> {
                        if (!added) {
                            return Mono.error(new WarmupDeferredException("warm-up volume of " + site + " for " + day
                                    + " spent (" + limit + " recipients a day): " + n + " recipient"
                                    + (n == 1 ? "" : "s") + " deferred, nothing sent", null));
                        }
                        return transaction.onErrorResume(e -> neverOffered(e),
                                e -> warmup.store().giveBack(site, day, n).onErrorResume(x -> Mono.empty())
                                        .then(Mono.error(e)));
                    });
        });
    }

    /** The site never answered a MAIL command for it: no connection, a refused greeting, a cut before MAIL. */
    private static boolean neverOffered(Throwable e) {
        return !(e instanceof SmtpException)
                || ((SmtpException) e).partialReport().map(r -> r.mailReply().isEmpty()).orElse(true);
    }
}
