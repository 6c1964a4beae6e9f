package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Retries and the rate limit wired into {@link SmtpClient}. Waits on the real clock are bounded waits for
 * something to happen; every assertion about time is on a {@link VirtualTimeScheduler}'s clock.
 */
class SmtpClientRetryAndRateLimitTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    /** How long a step waits for results beyond those due (loopback transactions take a few milliseconds). */
    private static final Duration SETTLE = Duration.ofMillis(150);
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");

    private static SmtpClientOptions.Builder options(int port) {
        return SmtpClientOptions.builder()
                .relay("127.0.0.1", port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build());
    }

    /** One transaction without PIPELINING: MAIL, then each RCPT with its reply, then DATA when one was accepted. */
    private static Script transaction(Script s, String... rcptAndReply) {
        s.expect("MAIL FROM:<a@b.test>").send("250 2.1.0 ok");
        boolean any = false;
        for (int i = 0; i < rcptAndReply.length; i += 2) {
            s.expect("RCPT TO:<" + rcptAndReply[i] + ">").send(rcptAndReply[i + 1]);
            any |= rcptAndReply[i + 1].startsWith("2");
        }
        if (any) {
            s.expect("DATA").send("354 go").expectData().send("250 2.0.0 queued");
        }
        return s;
    }

    private static Script greeting() {
        return Script.create().send("220 mx.test ESMTP").expect("EHLO client.test").send("250 mx.test");
    }

    private static long rcpts(ScriptedSmtpServer server, String address) {
        return server.linesReceived(0).stream().filter(l -> l.equalsIgnoreCase("RCPT TO:<" + address + ">")).count();
    }

    @Test
    void sendRetriesOnlyTheTransientRecipientUntilAccepted() {
        Script script = greeting();
        transaction(script, "x@c.test", "250 2.1.5 ok", "y@c.test", "451 4.3.0 try again later");
        transaction(script, "y@c.test", "250 2.1.5 ok");
        script.expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            RetryPolicy retry = RetryPolicy.builder().maxAttempts(3).firstBackoff(Duration.ofMillis(10))
                    .maxBackoff(Duration.ofMillis(50)).build();
            SmtpClient client = SmtpClient.create(options(server.port()).retry(retry).build());
            SendReport report = client.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), BODY).block(WAIT);

            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
            assertThat(report.recipients()).extracting(RecipientResult::status)
                    .containsExactly(RecipientResult.Status.ACCEPTED, RecipientResult.Status.ACCEPTED);
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);
            // Counted at the server: the accepted recipient was never sent again.
            assertThat(rcpts(server, "x@c.test")).isEqualTo(1);
            assertThat(rcpts(server, "y@c.test")).isEqualTo(2);
            assertThat(server.dataCount()).isEqualTo(2);
        }
    }

    @Test
    void withoutARetryPolicyTheTransientResultPassesThrough() {
        Script script = greeting();
        transaction(script, "x@c.test", "250 2.1.5 ok", "y@c.test", "451 4.3.0 try again later");
        script.expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            SendReport report = client.send(Envelope.of("a@b.test", "x@c.test", "y@c.test"), BODY).block(WAIT);
            assertThat(report.recipients()).extracting(RecipientResult::status)
                    .containsExactly(RecipientResult.Status.ACCEPTED, RecipientResult.Status.TRANSIENT_FAILURE);
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void inSendAllAMessageWaitingForItsBackoffHoldsNoSlot() {
        // maxInFlight 1: if the waiting message kept its slot, "second" could not be sent before the backoff ended.
        Script script = greeting();
        transaction(script, "first@c.test", "451 4.3.0 try again later");
        script.expect("RSET").send("250 ok");   // the refused transaction is reset before the next one
        transaction(script, "second@c.test", "250 ok");
        transaction(script, "first@c.test", "250 ok");
        script.expect("QUIT").send("221 bye").close();
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            RetryPolicy retry = RetryPolicy.builder().maxAttempts(2).firstBackoff(Duration.ofMinutes(5)).jitter(0)
                    .scheduler(vts).build();
            SmtpClient client = SmtpClient.create(options(server.port()).retry(retry).maxInFlight(1)
                    .maxInFlightPerDestination(1).build());
            List<MessageResult> results = new CopyOnWriteArrayList<>();
            Disposable run = client.sendAll(Flux.just("first", "second")
                    .map(id -> OutgoingMessage.of(id, Envelope.of("a@b.test", id + "@c.test"), BODY)))
                    .subscribe(results::add);

            LoopbackSmtpServer.await(() -> results.size() == 1, WAIT, "the second message sent during the backoff");
            assertThat(results.get(0).id()).isEqualTo("second");
            assertThat(results.get(0).outcome()).isEqualTo(MessageResult.Outcome.DELIVERED);

            vts.advanceTimeBy(Duration.ofMinutes(5));
            LoopbackSmtpServer.await(() -> results.size() == 2, WAIT, "the retry after the backoff");
            MessageResult first = results.get(1);
            assertThat(first.id()).isEqualTo("first");
            assertThat(first.outcome()).isEqualTo(MessageResult.Outcome.DELIVERED);
            assertThat(first.message().envelope().recipients()).hasSize(1);
            run.dispose();
            client.disposeLater().block(WAIT);
            server.awaitScriptDone(WAIT);
        }
    }

    /**
     * Sends the messages through sendAll and steps the limiter's virtual clock by {@code step} until all results
     * are in; records the virtual instant at which each result arrived. After each step it waits (bounded, real
     * time) for the results due at that instant, so a result is recorded at the step its token was granted in.
     */
    private static Map<Object, Long> sendStepping(SmtpClient client, VirtualTimeScheduler vts, List<OutgoingMessage> messages,
                                                  Duration step, List<Integer> resultsAfterEachStep) {
        Map<Object, Long> at = new java.util.concurrent.ConcurrentHashMap<>();
        Disposable run = client.sendAll(Flux.fromIterable(messages))
                .subscribe(r -> at.put(r.id(), vts.now(TimeUnit.MILLISECONDS)));
        for (int expected : resultsAfterEachStep) {
            LoopbackSmtpServer.await(() -> at.size() >= expected, WAIT, expected + " results");
            // No more than expected: a transaction let through too early would have ended within this grace.
            // (A grace on the real clock only guards against a false pass; it cannot make a correct run fail.)
            settle();
            assertThat(at.size()).as("results at virtual " + vts.now(TimeUnit.MILLISECONDS) + " ms: " + at)
                    .isEqualTo(expected);
            vts.advanceTimeBy(step);
        }
        LoopbackSmtpServer.await(() -> at.size() == messages.size(), WAIT, "all results");
        run.dispose();
        return at;
    }

    private static void settle() {
        try {
            Thread.sleep(SETTLE.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static List<OutgoingMessage> messages(String... recipients) {
        return java.util.stream.IntStream.range(0, recipients.length)
                .mapToObj(i -> OutgoingMessage.of(i, Envelope.of("a@b.test", recipients[i]), BODY))
                .collect(Collectors.toList());
    }

    @Test
    void sendAllKeepsToTheRateOfEachDestination() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .rateLimit(RateLimit.builder().perSecond(10).burst(2).scheduler(vts).build()).build());
            List<OutgoingMessage> six = messages("u0@c.test", "u1@c.test", "u2@c.test", "u3@c.test", "u4@c.test",
                    "u5@c.test");
            // At most 2 results before any virtual time passed, then one per 100 ms.
            Map<Object, Long> at = sendStepping(client, vts, six, Duration.ofMillis(100), List.of(2, 3, 4, 5, 6));
            List<Long> times = at.values().stream().sorted().collect(Collectors.toList());
            assertThat(times).containsExactly(0L, 0L, 100L, 200L, 300L, 400L);
            // N messages at rate R with burst B: the last no earlier than (N - B) / R.
            assertThat(times.get(5)).isGreaterThanOrEqualTo((6 - 2) * 1000L / 10);
            assertThat(server.messages.get()).isEqualTo(6);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void a421FromTheServerHalvesTheRateOfThatDestination() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .rateLimit(RateLimit.builder().perSecond(10).burst(1).scheduler(vts).build()).build());
            // The first transaction gets 421 at RCPT; the others wait in line behind it.
            List<OutgoingMessage> four = messages("tempfail421@c.test", "u1@c.test", "u2@c.test", "u3@c.test");
            Map<Object, Long> at = sendStepping(client, vts, four, Duration.ofMillis(100),
                    List.of(1, 1, 2, 2, 3, 3, 4));
            assertThat(at.get(0)).isEqualTo(0L);
            // 200 ms apart after the 421, instead of 100.
            assertThat(List.of(at.get(1), at.get(2), at.get(3))).containsExactly(200L, 400L, 600L);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void ratesAreIndependentPerDestinationServer() {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (LoopbackSmtpServer a = LoopbackSmtpServer.start();
             LoopbackSmtpServer b = LoopbackSmtpServer.builder().bind("127.0.0.2", a.port()).start()) {
            Map<String, List<MxHost>> dns = Map.of(
                    "a.test", List.of(MxHost.of("127.0.0.1", 10)),
                    "b.test", List.of(MxHost.of("127.0.0.2", 10)));
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .routing(Routing.mx(domain -> Mono.just(dns.get(domain)))).mxPort(a.port())
                    .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                    .rateLimit(RateLimit.builder().perSecond(10).burst(1).scheduler(vts).build()).build());
            // a.test's server throttles its first transaction; b.test's keeps its own, full rate.
            List<OutgoingMessage> mixed = messages("tempfail421@a.test", "x@b.test", "y@a.test", "y@b.test",
                    "z@a.test", "z@b.test");
            Map<Object, Long> at = sendStepping(client, vts, mixed, Duration.ofMillis(100),
                    List.of(2, 3, 5, 5, 6));
            assertThat(List.of(at.get(0), at.get(2), at.get(4))).as("a.test: halved").containsExactly(0L, 200L, 400L);
            assertThat(List.of(at.get(1), at.get(3), at.get(5))).as("b.test: as configured")
                    .containsExactly(0L, 100L, 200L);
            client.disposeLater().block(WAIT);
        }
    }
}
