package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpAuthenticationException;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.SmtpUnknownOutcomeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

class SmtpRetryTest {

    private static final MailAddress A = MailAddress.of("a@example.com");
    private static final MailAddress B = MailAddress.of("b@example.org");
    private static final MailAddress C = MailAddress.of("c@example.net");
    private static final OutgoingMessage MESSAGE = OutgoingMessage.of("m-1",
            Envelope.of("shop@example.com", "a@example.com", "b@example.org", "c@example.net"),
            MessageContent.of("Subject: hi\r\n\r\nhello\r\n"));

    private final VirtualTimeScheduler clock = VirtualTimeScheduler.create();

    @AfterEach
    void disposeClock() {
        clock.dispose();
    }

    /** A policy on virtual time with exact waits, so a test can predict when each attempt runs. */
    private RetryPolicy.Builder policy() {
        return RetryPolicy.builder().scheduler(clock).jitter(0).firstBackoff(Duration.ofSeconds(30));
    }

    // ---- scripted sender ----

    /** Plays one step per attempt and records what each attempt was asked to send, and when. */
    private final class ScriptedSender implements Function<OutgoingMessage, Mono<SendReport>> {
        private final List<Function<Envelope, Mono<SendReport>>> steps;
        final List<Envelope> envelopes = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        @SafeVarargs
        ScriptedSender(Function<Envelope, Mono<SendReport>>... steps) {
            this.steps = List.of(steps);
        }

        @Override
        public Mono<SendReport> apply(OutgoingMessage m) {
            assertThat(m.id()).isEqualTo(MESSAGE.id());
            assertThat(m.content()).isSameAs(MESSAGE.content());
            // Mono.defer: the attempt is recorded when subscribed, like a real cold send.
            return Mono.defer(() -> {
                envelopes.add(m.envelope());
                times.add(clock.now(TimeUnit.MILLISECONDS));
                int i = Math.min(envelopes.size(), steps.size()) - 1;
                return steps.get(i).apply(m.envelope());
            });
        }

        List<List<MailAddress>> recipientsPerAttempt() {
            List<List<MailAddress>> out = new ArrayList<>();
            envelopes.forEach(e -> out.add(e.recipients()));
            return out;
        }
    }

    /** A step that answers each recipient of the attempt's envelope with the code given for it (250 if absent). */
    private static Function<Envelope, Mono<SendReport>> replies(Object... addressAndCode) {
        Map<MailAddress, Integer> codes = new LinkedHashMap<>();
        for (int i = 0; i < addressAndCode.length; i += 2) {
            codes.put((MailAddress) addressAndCode[i], (Integer) addressAndCode[i + 1]);
        }
        return envelope -> Mono.just(report(envelope, codes));
    }

    private static SendReport report(Envelope envelope, Map<MailAddress, Integer> codes) {
        SendReport.Builder b = SendReport.builder().envelope(envelope)
                .mailReply(SmtpReply.of(250, "2.1.0 ok"))
                .dataReply(SmtpReply.of(250, "2.0.0 queued as " + envelope.recipients().size()));
        for (MailAddress a : envelope.recipients()) {
            int code = codes.getOrDefault(a, 250);
            SmtpReply reply = SmtpReply.of(code, code + " for " + a);
            b.recipient(RecipientResult.decided(a, reply, code >= 400 ? reply : SmtpReply.of(250, "2.1.5 ok")));
        }
        return b.build();
    }

    private static Function<Envelope, Mono<SendReport>> fails(SmtpException e) {
        return envelope -> Mono.error(e);
    }

    /** A partial report as core builds one: the RCPT refusals given, everyone else undetermined. */
    private static SendReport partial(Envelope envelope, Object... addressAndCode) {
        Map<MailAddress, Integer> codes = new LinkedHashMap<>();
        for (int i = 0; i < addressAndCode.length; i += 2) {
            codes.put((MailAddress) addressAndCode[i], (Integer) addressAndCode[i + 1]);
        }
        SendReport.Builder b = SendReport.builder().envelope(envelope).mailReply(SmtpReply.of(250, "ok"));
        for (MailAddress a : envelope.recipients()) {
            Integer code = codes.get(a);
            b.recipient(code == null ? RecipientResult.undetermined(a, SmtpReply.of(250, "2.1.5 ok"))
                    : RecipientResult.decided(a, SmtpReply.of(code, "rcpt"), SmtpReply.of(code, "rcpt")));
        }
        return b.build();
    }

    /** Subscribes, lets virtual time run far enough for every wait, and returns the outcome. */
    private SendReport await(Mono<SendReport> mono) {
        CompletableFuture<SendReport> f = mono.toFuture();
        clock.advanceTimeBy(Duration.ofDays(1));
        assertThat(f).isDone();
        return f.getNow(null);
    }

    private Throwable awaitError(Mono<SendReport> mono) {
        CompletableFuture<SendReport> f = mono.toFuture();
        clock.advanceTimeBy(Duration.ofDays(1));
        assertThat(f).isCompletedExceptionally();
        try {
            f.get();
            throw new AssertionError("no error");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    private static Map<MailAddress, Status> statuses(SendReport report) {
        Map<MailAddress, Status> out = new LinkedHashMap<>();
        report.recipients().forEach(r -> out.put(r.address(), r.status()));
        return out;
    }

    // ---- what is resent ----

    @Test
    void onlyTransientRecipientsAreResent() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 250, B, 451, C, 550),
                replies(B, 250));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B));
        assertThat(statuses(report)).containsExactly(
                Map.entry(A, Status.ACCEPTED), Map.entry(B, Status.ACCEPTED), Map.entry(C, Status.PERMANENT_FAILURE));
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.PARTIAL);
    }

    @Test
    void acceptedRecipientsAreNeverResent() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 250, B, 451, C, 452),
                replies(B, 451, C, 250),
                replies(B, 250));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B, C), List.of(B));
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
    }

    @Test
    void permanentFailuresAreNeverResentAndEndTheRun() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 550, B, 451, C, 250),
                replies(B, 554));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B));
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.PERMANENT_FAILURE),
                Map.entry(B, Status.PERMANENT_FAILURE), Map.entry(C, Status.ACCEPTED));
        assertThat(report.recipient(B).code()).isEqualTo(554);
    }

    @Test
    void nothingIsRetriedWhenEveryRecipientIsDecided() {
        ScriptedSender sender = new ScriptedSender(replies(A, 250, B, 550, C, 250));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.envelopes).hasSize(1);
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.PARTIAL);
    }

    @Test
    void retryableExceptionResendsEveryUndecidedRecipient() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 250, B, 451, C, 421),
                fails(new SmtpConnectionException("connection refused", null, null)),
                replies());

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B, C), List.of(B, C));
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
    }

    @Test
    void retryableExceptionKeepsTheRcptVerdictsOfItsPartialReport() {
        // The connection broke after RCPT: C was refused for good there and must not be sent again.
        ScriptedSender sender = new ScriptedSender(
                env -> Mono.error(new SmtpTimeoutException(SmtpPhase.DATA_INITIATION, Duration.ofMinutes(2),
                        partial(env, C, 550))),
                replies());

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(A, B));
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.ACCEPTED), Map.entry(B, Status.ACCEPTED),
                Map.entry(C, Status.PERMANENT_FAILURE));
    }

    // ---- unknown outcome ----

    @Test
    void unknownOutcomeIsNotRetriedByDefault() {
        SmtpUnknownOutcomeException unknown = new SmtpUnknownOutcomeException("no reply to the final dot", null,
                partial(MESSAGE.envelope()));
        ScriptedSender sender = new ScriptedSender(fails(unknown), replies());

        Throwable error = awaitError(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(error).isSameAs(unknown);
        assertThat(sender.envelopes).hasSize(1);
    }

    @Test
    void unknownOutcomeAfterAnEarlierVerdictEndsWithUndeterminedRecipients() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 250, B, 451, C, 451),
                env -> Mono.error(new SmtpUnknownOutcomeException("lost after dot", null, partial(env))),
                replies());

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.envelopes).hasSize(2);
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.ACCEPTED),
                Map.entry(B, Status.UNKNOWN_AFTER_DATA), Map.entry(C, Status.UNKNOWN_AFTER_DATA));
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.UNKNOWN);
        // The unknown result keeps the RCPT reply of the attempt whose outcome is unknown.
        assertThat(report.recipient(B).rcptReply()).contains(SmtpReply.of(250, "2.1.5 ok"));
    }

    @Test
    void aDomainThatAcceptsNoMailIsRecordedAsPermanentAndNeverRetried() {
        // The first attempt: A accepted, B and C transient. The second: their domain has a null MX.
        ScriptedSender sender = new ScriptedSender(replies(A, 250, B, 451, C, 451),
                fails(new io.reactivesmtp.SmtpNoMailExchangerException("example.com accepts no mail (null MX)")));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().maxAttempts(5).build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B, C));
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.ACCEPTED),
                Map.entry(B, Status.PERMANENT_FAILURE), Map.entry(C, Status.PERMANENT_FAILURE));
        assertThat(report.retryableRecipients()).isEmpty();
    }

    @Test
    void unknownOutcomeStillRetriesRecipientsRefusedTransientlyAtRcpt() {
        // B got a 451 to RCPT, so the data never went to B: resending to B alone cannot deliver twice.
        ScriptedSender sender = new ScriptedSender(
                env -> Mono.error(new SmtpUnknownOutcomeException("lost after dot", null, partial(env, B, 451))),
                replies());

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B));
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.UNKNOWN_AFTER_DATA),
                Map.entry(B, Status.ACCEPTED), Map.entry(C, Status.UNKNOWN_AFTER_DATA));
    }

    @Test
    void unknownOutcomeIsRetriedWhenAskedAndStaysUndeterminedUnlessAcceptedLater() {
        ScriptedSender sender = new ScriptedSender(
                env -> Mono.error(new SmtpUnknownOutcomeException("lost after dot", null, partial(env))),
                replies(A, 250, B, 550, C, 451),
                replies(C, 451));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().retryUnknownOutcome(true).build()));

        assertThat(sender.recipientsPerAttempt())
                .containsExactly(List.of(A, B, C), List.of(A, B, C), List.of(C), List.of(C));
        // A: accepted by the retry. B and C: refused later, but the first copy may have reached them.
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.ACCEPTED),
                Map.entry(B, Status.UNKNOWN_AFTER_DATA), Map.entry(C, Status.UNKNOWN_AFTER_DATA));
    }

    // ---- errors that stop ----

    @Test
    void nonRetryableErrorsStopAtOnce() {
        List<SmtpException> errors = List.of(
                new SmtpTlsException("certificate does not match", null),
                new SmtpPolicyException("AUTH refused over plaintext"),
                new SmtpAuthenticationException("PLAIN", SmtpReply.of(535, "5.7.8 bad credentials")));
        for (SmtpException e : errors) {
            ScriptedSender sender = new ScriptedSender(fails(e), replies());
            assertThat(awaitError(SmtpRetry.send(MESSAGE, sender, policy().build()))).isSameAs(e);
            assertThat(sender.envelopes).as(e.toString()).hasSize(1);
        }
    }

    @Test
    void nonRetryableErrorAfterAVerdictReturnsTheMergedReport() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 250, B, 451, C, 250),
                fails(new SmtpTlsException("handshake failed", null)));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(sender.envelopes).hasSize(2);
        // B keeps its last verdict: the failed attempt never reached the server's decision.
        assertThat(report.recipient(B).status()).isEqualTo(Status.TRANSIENT_FAILURE);
        assertThat(report.recipient(B).code()).isEqualTo(451);
        assertThat(report.recipient(A).isAccepted()).isTrue();
    }

    @Test
    void aSenderThatThrowsIsAFailedAttempt() {
        IllegalStateException bug = new IllegalStateException("client disposed");
        Function<OutgoingMessage, Mono<SendReport>> sender = m -> {
            throw bug;
        };
        assertThat(awaitError(SmtpRetry.send(MESSAGE, sender, policy().build()))).isSameAs(bug);
    }

    @Test
    void whenNoAttemptGaveAReportTheLastErrorIsSignalled() {
        SmtpConnectionException last = new SmtpConnectionException("refused 4", null, null);
        ScriptedSender sender = new ScriptedSender(
                fails(new SmtpConnectionException("refused 1", null, null)),
                fails(new SmtpConnectionException("refused 2", null, null)),
                fails(new SmtpConnectionException("refused 3", null, null)),
                fails(last));

        assertThat(awaitError(SmtpRetry.send(MESSAGE, sender, policy().build()))).isSameAs(last);
        assertThat(sender.envelopes).hasSize(RetryPolicy.DEFAULT_MAX_ATTEMPTS);
    }

    // ---- timing and bounds ----

    @Test
    void backoffGrowsExponentiallyAndRespectsTheMaximum() {
        ScriptedSender sender = new ScriptedSender(replies(B, 451));
        RetryPolicy policy = policy().maxAttempts(6).firstBackoff(Duration.ofSeconds(10))
                .maxBackoff(Duration.ofSeconds(45)).build();

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy));

        // Waits 10, 20, 40, then capped at 45, 45.
        assertThat(sender.times).containsExactly(0L, 10_000L, 30_000L, 70_000L, 115_000L, 160_000L);
        assertThat(report.recipient(B).status()).isEqualTo(Status.TRANSIENT_FAILURE);
    }

    @Test
    void noAttemptRunsBeforeItsWait() {
        ScriptedSender sender = new ScriptedSender(replies(B, 451), replies());
        CompletableFuture<SendReport> f = SmtpRetry.send(MESSAGE, sender, policy().build()).toFuture();

        clock.advanceTimeBy(Duration.ofSeconds(29));
        assertThat(sender.envelopes).hasSize(1);
        assertThat(f).isNotDone();
        clock.advanceTimeBy(Duration.ofSeconds(1));
        assertThat(sender.envelopes).hasSize(2);
        assertThat(f).isCompleted();
    }

    @Test
    void jitterSpreadsEachWaitAroundItsBaseWithinTheMaximum() {
        RetryPolicy p = RetryPolicy.builder().firstBackoff(Duration.ofSeconds(30)).maxBackoff(Duration.ofMinutes(10))
                .jitter(0.5).build();
        assertThat(p.backoff(1, 0)).isEqualTo(Duration.ofSeconds(15));
        assertThat(p.backoff(1, 0.5)).isEqualTo(Duration.ofSeconds(30));
        assertThat(p.backoff(1, 1)).isEqualTo(Duration.ofSeconds(45));
        assertThat(p.backoff(3, 0.5)).isEqualTo(Duration.ofMinutes(2));
        assertThat(p.backoff(6, 0)).isEqualTo(Duration.ofMinutes(5)); // base capped at 10 min, then spread
        assertThat(p.backoff(6, 1)).isEqualTo(Duration.ofMinutes(10)); // never above the maximum
        assertThat(p.backoff(1000, 1)).isEqualTo(Duration.ofMinutes(10)); // no overflow
        for (int i = 0; i < 1000; i++) {
            assertThat(p.backoff(2)).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(90));
        }
    }

    @Test
    void maxAttemptsBoundsTheRun() {
        ScriptedSender sender = new ScriptedSender(replies(A, 451, B, 451, C, 451));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().maxAttempts(3).build()));

        assertThat(sender.envelopes).hasSize(3);
        assertThat(report.retryableRecipients()).containsExactly(A, B, C);
    }

    // ---- the merged report ----

    @Test
    void mergedReportHasOneLatestResultPerOriginalRecipientInOrder() {
        ScriptedSender sender = new ScriptedSender(
                replies(A, 451, B, 250, C, 452),
                replies(A, 452, C, 250),
                env -> Mono.just(SendReport.builder().envelope(env)
                        .mailReply(SmtpReply.of(250, "last mail"))
                        .dataReply(SmtpReply.of(250, "last data"))
                        .recipient(RecipientResult.decided(A, SmtpReply.of(250, "last data"), SmtpReply.of(250)))
                        .build()));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().build()));

        assertThat(report.envelope()).isEqualTo(MESSAGE.envelope());
        assertThat(report.recipients()).extracting(RecipientResult::address).containsExactly(A, B, C);
        assertThat(report.recipient(A).text()).isEqualTo("last data");
        assertThat(report.recipient(B).text()).isEqualTo("250 for " + B);
        assertThat(report.recipient(C).code()).isEqualTo(250);
        assertThat(report.mailReply()).contains(SmtpReply.of(250, "last mail"));
        assertThat(report.dataReply()).contains(SmtpReply.of(250, "last data"));
        // Waits 30 s and 60 s: the merged report spans the whole run on the policy's clock.
        assertThat(report.startedAt()).isEqualTo(Instant.EPOCH);
        assertThat(report.duration()).isEqualTo(Duration.ofSeconds(90));
        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
    }

    @Test
    void recipientsWithoutAnyVerdictAreUndetermined() {
        // The first attempt decides A only (B and C are missing from the report: no verdict), then the
        // connection keeps failing until attempts run out.
        ScriptedSender sender = new ScriptedSender(
                env -> Mono.just(SendReport.builder().envelope(Envelope.of("shop@example.com", "a@example.com"))
                        .recipient(RecipientResult.decided(A, SmtpReply.of(250), SmtpReply.of(250))).build()),
                fails(new SmtpConnectionException("refused", null, null)));

        SendReport report = await(SmtpRetry.send(MESSAGE, sender, policy().maxAttempts(2).build()));

        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(B, C));
        assertThat(statuses(report)).containsExactly(Map.entry(A, Status.ACCEPTED),
                Map.entry(B, Status.UNDETERMINED), Map.entry(C, Status.UNDETERMINED));
    }

    @Test
    void aSingleAttemptPassesThroughUnchanged() {
        SendReport first = report(MESSAGE.envelope(), Map.of(B, 451));
        SendReport got = await(SmtpRetry.send(MESSAGE, m -> Mono.just(first), RetryPolicy.NONE));
        assertThat(got).isSameAs(first);

        SmtpConnectionException e = new SmtpConnectionException("refused", null, null);
        assertThat(awaitError(SmtpRetry.send(MESSAGE, m -> Mono.error(e), RetryPolicy.NONE))).isSameAs(e);
    }

    // ---- cold ----

    @Test
    void nothingIsSentBeforeSubscriptionAndEachSubscriptionSendsAgain() {
        ScriptedSender sender = new ScriptedSender(replies(B, 451), replies(), replies(B, 451), replies());
        Mono<SendReport> mono = SmtpRetry.send(MESSAGE, sender, policy().build());
        assertThat(sender.envelopes).isEmpty();

        SendReport first = await(mono);
        SendReport second = await(mono);

        assertThat(sender.recipientsPerAttempt())
                .containsExactly(List.of(A, B, C), List.of(B), List.of(A, B, C), List.of(B));
        assertThat(first.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
        assertThat(second.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
    }

    @Test
    void cancellingDuringAWaitSendsNoMore() {
        ScriptedSender sender = new ScriptedSender(replies(B, 451), replies());
        CompletableFuture<SendReport> f = SmtpRetry.send(MESSAGE, sender, policy().build()).toFuture();
        f.cancel(true);
        clock.advanceTimeBy(Duration.ofDays(1));
        assertThat(sender.envelopes).hasSize(1);
    }

    @Test
    void withRetryWrapsASendFunction() {
        ScriptedSender sender = new ScriptedSender(replies(C, 421), replies());
        Function<OutgoingMessage, Mono<SendReport>> send = SmtpRetry.withRetry(sender, policy().build());

        assertThat(await(send.apply(MESSAGE)).outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
        assertThat(sender.recipientsPerAttempt()).containsExactly(List.of(A, B, C), List.of(C));
    }

    // ---- policy ----

    @Test
    void policyDefaultsAndValidation() {
        RetryPolicy d = RetryPolicy.builder().build();
        assertThat(d.maxAttempts()).isEqualTo(4);
        assertThat(d.firstBackoff()).isEqualTo(Duration.ofSeconds(30));
        assertThat(d.maxBackoff()).isEqualTo(Duration.ofMinutes(10));
        assertThat(d.multiplier()).isEqualTo(2.0);
        assertThat(d.jitter()).isEqualTo(0.5);
        assertThat(d.retryUnknownOutcome()).isFalse();
        assertThat(d.scheduler()).isNotNull();
        assertThat(RetryPolicy.NONE.maxAttempts()).isEqualTo(1);
        assertThat(d.mutate().maxAttempts(2).build().maxAttempts()).isEqualTo(2);

        assertThatThrownBy(() -> RetryPolicy.builder().maxAttempts(0).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().jitter(1.5).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().jitter(Double.NaN).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().multiplier(0.5).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().firstBackoff(Duration.ofSeconds(-1)).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().maxBackoff(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RetryPolicy.builder().firstBackoff(null).build())
                .isInstanceOf(NullPointerException.class);
    }
}
