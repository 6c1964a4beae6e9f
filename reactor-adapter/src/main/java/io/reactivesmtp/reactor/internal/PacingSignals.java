package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.SmtpTimeoutException;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * What a transaction's end or a failure tells {@link AdaptivePacing}: whether it carries a slow-down signal and
 * which, and whether a transaction was refused before anything was sent (so it may go again).
 */
final class PacingSignals {

    private PacingSignals() {
    }

    /**
     * @param attempt makes one attempt
     * @param maxRequeues how often a transaction refused at MAIL goes again
     * @param done how often it went again so far
     * @return the attempts: again while refused at MAIL with 421 or 4.7.x (nothing was sent), at most maxRequeues times
     */
    static Mono<SendReport> requeued(Supplier<Mono<SendReport>> attempt, int maxRequeues, int done) {
        return done >= maxRequeues ? attempt.get() : continued(attempt.get(), attempt, maxRequeues, done);
    }

    /**
     * @param tried the attempt made after {@code done} requeues
     * @param attempt makes one more attempt
     * @param maxRequeues how often a transaction refused at MAIL goes again, more than {@code done}
     * @param done how often it went again so far
     * @return {@code tried}, and then the attempts {@link #requeued} would make after it
     */
    static Mono<SendReport> continued(Mono<SendReport> tried, Supplier<Mono<SendReport>> attempt, int maxRequeues,
                                      int done) {
        // One operator per outcome kind, no predicate wrapper.
        return tried
                .flatMap(r -> refusedAtMail(r) ? requeued(attempt, maxRequeues, done + 1) : Mono.just(r))
                .onErrorResume(e -> e instanceof SmtpException && ((SmtpException) e).isRetryable()
                        && ((SmtpException) e).partialReport().map(PacingSignals::refusedAtMail).orElse(false)
                        ? requeued(attempt, maxRequeues, done + 1) : Mono.error(e));
    }

    /**
     * Refused at MAIL with a 421 or 4.7.x (the reply to MAIL; none when the connection broke first): every recipient failed
     * transiently and the data was never answered, so nothing can have been delivered.
     */
    static boolean refusedAtMail(SendReport report) {
        // The data reply first: a message that got one was not refused at MAIL (the common case ends here).
        return report.dataReply().isEmpty() && report.mailReply().map(RateLimiter::isThrottle).orElse(true)
                && !report.recipients().isEmpty()
                && report.recipients().stream().allMatch(r -> r.status() == RecipientResult.Status.TRANSIENT_FAILURE)
                && RateLimiter.isThrottle(report);
    }

    /**
     * The slow-down signal a failure carries, or null: a 421 or 4.7.x (at the greeting or in a transaction), a
     * timeout, a refused connection.
     *
     * @param e a failure of a connect or a transaction
     * @return the reason to slow down, or null for none
     */
    static String slowDownSignal(Throwable e) {
        if (e instanceof SmtpSessionRejectedException && RateLimiter.isThrottle(e)) {
            return ((SmtpSessionRejectedException) e).reply() + " at greeting";
        }
        if (RateLimiter.isThrottle(e)) {
            return throttleReply(((SmtpException) e).partialReport().orElseThrow()) + " in a transaction";
        }
        if (e instanceof SmtpTimeoutException) {
            return "timeout";
        }
        if (e instanceof SmtpConnectionException && e.getCause() instanceof java.net.ConnectException) {
            return "connection refused";
        }
        return null;
    }

    /** @return the first reply of the report that asks to slow down, or "421 or 4.7.x" */
    static String throttleReply(SendReport report) {
        SmtpReply r = RateLimiter.throttleReply(report);
        return r == null ? "421 or 4.7.x" : r.toString(); // escaped by SmtpReply
    }
}
