package io.reactivesmtp.reactor;

import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * Retries a message for the recipients that failed transiently, and merges the attempts into one report. It
 * works on any send function, so it composes with {@link SmtpClient#send} or with a test double alike.
 *
 * <pre>{@code
 * RetryPolicy policy = RetryPolicy.builder().maxAttempts(4).firstBackoff(Duration.ofMinutes(1)).build();
 * Mono<SendReport> report = SmtpRetry.send(message, client::send, policy);
 * // or once for a whole stream:
 * Function<OutgoingMessage, Mono<SendReport>> send = SmtpRetry.withRetry(client::send, policy);
 * Flux<SendReport> reports = Flux.fromIterable(messages).flatMap(send, 64);
 * }</pre>
 *
 * <h2>What is resent</h2>
 * <ul>
 * <li>The first attempt sends the message as given. Each later attempt sends the same content and id with an
 *     envelope holding only the recipients still open, in their original order.</li>
 * <li>After a report: only the recipients whose result {@linkplain RecipientResult#isRetryable() is retryable}
 *     (a 4xx, or no verdict). A recipient the server ACCEPTED or refused for good (5xx) is never sent again.</li>
 * <li>After a {@linkplain SmtpException#isRetryable() retryable} {@link SmtpException} (connect failure,
 *     timeout or connection loss before the final dot, 421): every recipient of that attempt that the exception's
 *     {@linkplain SmtpException#partialReport() partial report} does not show refused for good.</li>
 * <li>After an {@link SmtpUnknownOutcomeException} (the data was sent, its reply never came): the recipients the
 *     data went to may have received it, so they are resent only when
 *     {@link RetryPolicy#retryUnknownOutcome()} allows. Recipients of that attempt that its partial report shows
 *     refused transiently at RCPT never received the data and are retried either way.</li>
 * <li>Any other exception (TLS, policy, authentication, content, or not an {@code SmtpException} at all) ends
 *     the retries at once: sending again cannot help.</li>
 * </ul>
 * Attempts are at most {@link RetryPolicy#maxAttempts()}, separated by {@link RetryPolicy#backoff(int)} on
 * {@link RetryPolicy#scheduler()}.
 *
 * <h2>What comes out</h2>
 * <ul>
 * <li>When there was one attempt only, its result passes through unchanged: its report, or its error.</li>
 * <li>Otherwise one merged {@link SendReport}: the original envelope, one result per original recipient in the
 *     original order, each the latest verdict for that recipient from any attempt (a verdict in an exception's
 *     partial report counts, such as a 550 to RCPT before the connection dropped). A recipient that never got a
 *     verdict is {@link RecipientResult.Status#UNDETERMINED}. A recipient whose outcome was ever unknown is
 *     {@link RecipientResult.Status#UNKNOWN_AFTER_DATA} unless a later attempt got it ACCEPTED: a later refusal
 *     does not prove the earlier copy was not delivered. The recipients of a failure that is
 *     {@linkplain SmtpException#isPermanent() permanent} (a domain that accepts no mail) are PERMANENT_FAILURE. Mail and data replies, server, capabilities and TLS come from the last attempt that ended
 *     with a report. {@code startedAt} is when the first attempt was subscribed and {@code duration} runs until
 *     the last attempt ended, waits included, both read from the policy's scheduler clock.</li>
 * <li>When the last attempt ended in an exception and no attempt ever ended with a report, the {@code Mono}
 *     fails with that last exception. When an earlier attempt did end with a report, the merged report is
 *     returned instead and the exception is not signalled: the report is what tells the caller which
 *     recipients were already accepted, and losing it would invite a resend that delivers twice.</li>
 * </ul>
 *
 * <p>The returned {@code Mono} is cold: nothing is sent until it is subscribed, and each subscription runs the
 * whole sequence of attempts again from the first. Cancelling it cancels the attempt or wait in progress.
 */
public final class SmtpRetry {

    private SmtpRetry() {
    }

    /**
     * Sends a message, retrying the recipients that failed transiently as described in the class comment.
     *
     * <pre>{@code
     * SmtpRetry.send(message, client::send, RetryPolicy.builder().build())
     *     .subscribe(report -> log.info("{} {}", message.id(), report.outcome()));
     * }</pre>
     *
     * @param message the message; its envelope is the one the final report is about
     * @param sender sends one attempt; called once per attempt, with the message narrowed to the open recipients
     * @param policy how often and how long to wait; {@link RetryPolicy#NONE} passes one attempt through
     * @return the merged report, or the error of an attempt when no attempt gave a report
     */
    public static Mono<SendReport> send(OutgoingMessage message, Function<OutgoingMessage, Mono<SendReport>> sender,
            RetryPolicy policy) {
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(policy, "policy");
        // All state lives in a Run created per subscription: this is what makes the Mono cold and resubscribable.
        return Mono.defer(() -> new Run(message, sender, policy).start());
    }

    /**
     * Wraps a send function so that every message sent through it is retried.
     *
     * <pre>{@code
     * Function<OutgoingMessage, Mono<SendReport>> send = SmtpRetry.withRetry(client::send, policy);
     * Flux.fromIterable(messages).flatMap(send, 64).subscribe(...);
     * }</pre>
     *
     * @param sender sends one attempt
     * @param policy how to retry
     * @return a function whose Monos behave as {@link #send(OutgoingMessage, Function, RetryPolicy)}
     */
    public static Function<OutgoingMessage, Mono<SendReport>> withRetry(
            Function<OutgoingMessage, Mono<SendReport>> sender, RetryPolicy policy) {
        Objects.requireNonNull(sender, "sender");
        Objects.requireNonNull(policy, "policy");
        return message -> send(message, sender, policy);
    }

    /** One subscription's sequence of attempts. Attempts run one after another, so no field is shared concurrently. */
    private static final class Run {
        private final OutgoingMessage message;
        private final Function<OutgoingMessage, Mono<SendReport>> sender;
        private final RetryPolicy policy;

        /** The latest real verdict (accepted, transient, permanent) of each recipient. */
        private final Map<MailAddress, RecipientResult> verdicts = new HashMap<>();
        /** Recipients whose data may have been delivered by an attempt without a final reply. */
        private final Map<MailAddress, RecipientResult> unknownOutcome = new HashMap<>();
        /** The latest "no verdict" result of a recipient (keeps its RCPT reply for the merged report). */
        private final Map<MailAddress, RecipientResult> undecided = new HashMap<>();

        private SendReport lastReport;
        private int attempts;
        private long startMillis;

        Run(OutgoingMessage message, Function<OutgoingMessage, Mono<SendReport>> sender, RetryPolicy policy) {
            this.message = message;
            this.sender = sender;
            this.policy = policy;
        }

        Mono<SendReport> start() {
            startMillis = policy.scheduler().now(TimeUnit.MILLISECONDS);
            return attempt(message.envelope().recipients());
        }

        private Mono<SendReport> attempt(List<MailAddress> recipients) {
            attempts++;
            OutgoingMessage m = attempts == 1 ? message
                    : message.withEnvelope(message.envelope().withRecipients(recipients));
            // defer: a sender that throws instead of returning a failed Mono is treated like one that fails.
            return Mono.defer(() -> sender.apply(m))
                    .switchIfEmpty(Mono.error(() -> new IllegalStateException(
                            "the send function completed without a report for " + m.id())))
                    .map(AttemptResult::report)
                    .onErrorResume(e -> Mono.just(AttemptResult.error(e)))
                    .flatMap(result -> result.report != null
                            ? afterReport(recipients, result.report)
                            : afterError(recipients, result.error));
        }

        private Mono<SendReport> afterReport(List<MailAddress> recipients, SendReport report) {
            lastReport = report;
            Map<MailAddress, RecipientResult> results = byAddress(report);
            List<MailAddress> retry = new ArrayList<>();
            for (MailAddress a : recipients) {
                RecipientResult r = results.get(a);
                if (r != null && r.status() == RecipientResult.Status.UNKNOWN_AFTER_DATA) {
                    // A report merged from parts (MX domains) may carry an unknown outcome: never a blind resend.
                    unknownOutcome.put(a, r);
                    if (policy.retryUnknownOutcome()) {
                        retry.add(a);
                    }
                } else if (r != null && r.status() != RecipientResult.Status.UNDETERMINED) {
                    record(a, r);
                    if (r.isRetryable()) {
                        retry.add(a);
                    }
                } else {
                    // No verdict in a report (a report that left out a recipient, or an odd reply code): the
                    // server decided nothing, so nothing was delivered and trying again is safe.
                    if (r != null) {
                        undecided.put(a, r);
                    }
                    retry.add(a);
                }
            }
            return next(retry, null);
        }

        private Mono<SendReport> afterError(List<MailAddress> recipients, Throwable error) {
            SmtpException smtp = error instanceof SmtpException ? (SmtpException) error : null;
            boolean unknown = error instanceof SmtpUnknownOutcomeException;
            Map<MailAddress, RecipientResult> partial = smtp == null ? Map.of()
                    : smtp.partialReport().map(SmtpRetry::byAddress).orElse(Map.of());
            List<MailAddress> retry = new ArrayList<>();
            for (MailAddress a : recipients) {
                RecipientResult r = partial.get(a);
                boolean noVerdict = r == null || r.status() == RecipientResult.Status.UNDETERMINED;
                if (r != null && r.status() == RecipientResult.Status.UNKNOWN_AFTER_DATA || unknown && noVerdict) {
                    // The data went to this recipient and its reply never came: it may have the message.
                    unknownOutcome.put(a, RecipientResult.withoutReply(a, RecipientResult.Status.UNKNOWN_AFTER_DATA,
                            r == null ? null : r.rcptReply().orElse(null)));
                    if (policy.retryUnknownOutcome()) {
                        retry.add(a);
                    }
                } else if (!noVerdict) {
                    // Refused at RCPT before the failure (a real verdict, and that recipient never got the data),
                    // or a failure that is permanent for it (a domain that accepts no mail).
                    record(a, r);
                    if (r.isRetryable()) {
                        retry.add(a);
                    }
                } else if (smtp != null && smtp.isPermanent()) {
                    record(a, RecipientResult.withoutReply(a, RecipientResult.Status.PERMANENT_FAILURE,
                            r == null ? null : r.rcptReply().orElse(null)));
                } else {
                    if (r != null) {
                        undecided.put(a, r);
                    }
                    retry.add(a);
                }
            }
            // An unknown outcome is "not retryable" by its own account; the policy may still allow it above, and
            // its transiently refused recipients are safe either way, so it does not stop the run by itself.
            boolean mayRetry = unknown || (smtp != null && smtp.isRetryable());
            return next(mayRetry ? retry : List.of(), error);
        }

        private void record(MailAddress address, RecipientResult verdict) {
            verdicts.put(address, verdict);
            if (verdict.isAccepted()) {
                // Accepted now: delivered at least once, whatever an earlier unknown attempt did.
                unknownOutcome.remove(address);
            }
        }

        private Mono<SendReport> next(List<MailAddress> retry, Throwable error) {
            if (retry.isEmpty() || attempts >= policy.maxAttempts()) {
                return finish(error);
            }
            Duration wait = policy.backoff(attempts);
            return Mono.delay(wait, policy.scheduler()).then(Mono.defer(() -> attempt(retry)));
        }

        private Mono<SendReport> finish(Throwable error) {
            if (lastReport == null) {
                // Never a report: nothing to merge that the caller could act on better than the error itself.
                return error != null ? Mono.error(error) : Mono.error(new IllegalStateException("no attempt"));
            }
            if (attempts == 1) {
                return Mono.just(lastReport);
            }
            return Mono.just(merge());
        }

        private SendReport merge() {
            SendReport meta = lastReport;
            long endMillis = policy.scheduler().now(TimeUnit.MILLISECONDS);
            SendReport.Builder b = SendReport.builder()
                    .envelope(message.envelope())
                    .mailReply(meta.mailReply().orElse(null))
                    .dataReply(meta.dataReply().orElse(null))
                    .serverAddress(meta.serverAddress().orElse(null))
                    .capabilities(meta.capabilities().orElse(null))
                    .tls(meta.tls().orElse(null))
                    .startedAt(Instant.ofEpochMilli(startMillis))
                    .duration(Duration.ofMillis(Math.max(0, endMillis - startMillis)));
            for (MailAddress a : message.envelope().recipients()) {
                RecipientResult unknown = unknownOutcome.get(a);
                RecipientResult verdict = verdicts.get(a);
                RecipientResult none = undecided.get(a);
                b.recipient(unknown != null ? unknown
                        : verdict != null ? verdict
                        : none != null ? none
                        : RecipientResult.undetermined(a, null));
            }
            return b.build();
        }
    }

    private static Map<MailAddress, RecipientResult> byAddress(SendReport report) {
        Map<MailAddress, RecipientResult> map = new HashMap<>();
        for (RecipientResult r : report.recipients()) {
            map.put(r.address(), r);
        }
        return map;
    }

    /** A report or an error, so both can flow through one flatMap. */
    private static final class AttemptResult {
        final SendReport report;
        final Throwable error;

        private AttemptResult(SendReport report, Throwable error) {
            this.report = report;
            this.error = error;
        }

        static AttemptResult report(SendReport report) {
            return new AttemptResult(report, null);
        }

        static AttemptResult error(Throwable error) {
            return new AttemptResult(null, error);
        }
    }
}
