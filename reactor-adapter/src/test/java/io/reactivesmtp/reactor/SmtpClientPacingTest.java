package io.reactivesmtp.reactor;

import static io.reactivesmtp.reactor.SmtpClientPoolTest.BODY;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.envelope;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Adaptive pacing against a server that admits 5 connections at once and answers {@code 421 4.7.0} at the greeting
 * beyond: without any configured rate limit, the client lowers its concurrency there, sends again what was refused
 * (nothing had been sent), and so delivers everything while few of its connection attempts are refused; against a
 * server refusing a third of its connections, pacing settles lower and climbs back once it recovered (virtual time).
 */
class SmtpClientPacingTest {

    private static final int MESSAGES = 5000;

    @Test
    void aServerAllowingFiveConnectionsGetsEverythingWithFewRefusals() {
        List<String> changes = new CopyOnWriteArrayList<>();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxConnections(5).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(50).build())
                    .maxInFlight(50)
                    // No recovery within the run: what is counted does not depend on how fast this machine is.
                    .pacing(Pacing.builder().quietPeriod(Duration.ofMinutes(10)).build())
                    .eventListener(new SmtpEventListener() {
                        @Override
                        public void pacingChanged(String site, int previousLimit, int newLimit, String reason) {
                            changes.add(site + " " + previousLimit + "->" + newLimit + " " + reason);
                        }
                    })
                    .build());
            List<MessageResult> results = client.sendAll(Flux.range(0, MESSAGES)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(Duration.ofSeconds(120));

            long delivered = results.stream().filter(r -> r.outcome() == MessageResult.Outcome.DELIVERED).count();
            int attempts = server.connections.get();
            int refused = server.refusedConnections.get();
            String numbers = "delivered " + delivered + "/" + MESSAGES + ", connection attempts " + attempts
                    + ", refused " + refused + ", pacing changes " + changes;
            System.out.println("pacing against 5 connections: " + numbers);
            assertThat(delivered).as(numbers).isGreaterThanOrEqualTo(MESSAGES * 99L / 100);
            assertThat(refused * 100L).as(numbers).isLessThanOrEqualTo(5L * attempts);
            assertThat(changes).as(numbers).anyMatch(c -> c.contains("decrease: 421 4.7.0"));
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void aClientGivenWhatAnEarlierOneLearnedStartsBelowTheServersLimitAndIsRefusedNothing() {
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxConnections(5).start()) {
            List<LearnedPace> learned = List.of();
            int[] refused = new int[2];
            for (int run = 0; run < 2; run++) {
                int before = server.refusedConnections.get();
                SmtpClient client = SmtpClient.create(options(server.port())
                        .pool(PoolOptions.builder().maxConnectionsPerDestination(50).build())
                        .maxInFlight(50)
                        .pacing(Pacing.builder().quietPeriod(Duration.ofMinutes(10)).learned(learned).build())
                        .build());
                List<MessageResult> results = client.sendAll(Flux.range(0, 500)
                        .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(Duration.ofSeconds(60));
                assertThat(results).hasSize(500).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
                refused[run] = server.refusedConnections.get() - before;
                learned = client.learnedPacing();
                client.disposeLater().block(Duration.ofSeconds(10));
                String site = "127.0.0.1:" + server.port();
                assertThat(learned).as("run " + run).singleElement().satisfies(l -> {
                    assertThat(l.site()).isEqualTo(site);
                    assertThat(l.limit()).isBetween(1, 5);
                });
            }
            assertThat(refused[0]).as("the first client probes past 5 connections").isPositive();
            assertThat(refused[1]).as("the next one starts where the first left off").isZero();
        }
    }

    @Test
    void aThirdOfConnectionsRefusedSettlesLowerWithoutARateLimitAndClimbsBackAfterRecovery() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        List<String> changes = new CopyOnWriteArrayList<>();
        AtomicInteger lowest = new AtomicInteger(Integer.MAX_VALUE);
        AtomicInteger current = new AtomicInteger();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start()) {
            String site = "127.0.0.1:" + server.port();
            SmtpClient client = SmtpClient.create(options(server.port())
                    // One message per connection: every message needs a connection, a third of which are refused.
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(20).maxMessagesPerConnection(1).build())
                    .maxInFlight(50)
                    .pacing(Pacing.builder().scheduler(vts).build())
                    // A refusal while none of our other sessions is there is not requeued at once (that would
                    // hammer a server that refuses even one): it goes to the retry policy, here on the same clock.
                    .retry(RetryPolicy.builder().maxAttempts(6).firstBackoff(Duration.ofSeconds(1)).scheduler(vts)
                            .build())
                    .eventListener(new SmtpEventListener() {
                        @Override
                        public void pacingChanged(String s, int previousLimit, int newLimit, String reason) {
                            changes.add(s + " " + previousLimit + "->" + newLimit + " " + reason);
                            lowest.accumulateAndGet(newLimit, Math::min);
                            current.set(newLimit);
                        }

                        @Override
                        public void pacingRateChanged(String s, double previous, double now, String reason) {
                            changes.add(s + " rate " + Math.round(previous) + "->" + Math.round(now) + " " + reason);
                        }
                    })
                    .build());

            // Healthy: one more per round up to 8, then doubled per round (while that makes the site faster, which
            // on this clock, moved by the test's loop, it may or may not) up to the pool's 20 connections.
            assertThat(sendAll(client, vts, 0, 400)).isEqualTo(400);
            assertThat(changes).as(changes.toString()).hasSizeBetween(6, 9).allMatch(c -> c.contains(" increase: "))
                    .contains(site + " 8->16 increase: 8 transactions went through, no slow-down signal yet (doubled)");
            assertThat(current.get()).isEqualTo(20);

            // A third of the connections refused with 421 4.7.0: lower, and everything still delivered (a refused
            // greeting sent nothing, so the message waits for a place under the lowered limit and goes again, or,
            // refused while alone there, after the retry policy's backoff).
            server.refuseEvery = 3;
            changes.clear();
            assertThat(sendAll(client, vts, 400, 600)).isEqualTo(600);
            assertThat(server.refusedConnections.get()).isPositive();
            assertThat(changes).first().asString().startsWith(site + " 20->10 decrease: 421 4.7.0");
            assertThat(lowest.get()).as(changes.toString()).isLessThanOrEqualTo(5);
            assertThat(current.get()).as("settled low while refusals keep coming: " + changes).isLessThanOrEqualTo(5);
            int refusedWhileOverloaded = server.refusedConnections.get();

            assertThat(changes).noneMatch(c -> c.contains(" rate ")); // refusals at the greeting are about connections
            // Recovered: after the quiet period, the limit climbs back, one per quiet period.
            server.refuseEvery = 0;
            changes.clear();
            vts.advanceTimeBy(Pacing.DEFAULT_QUIET_PERIOD);
            assertThat(sendAll(client, vts, 1000, 1500)).isEqualTo(1500);
            assertThat(server.refusedConnections.get()).isEqualTo(refusedWhileOverloaded);
            assertThat(changes).as(changes.toString()).last().asString().isEqualTo(site
                    + " 19->20 increase: 19 transactions went through, no slow-down signal for 5000 ms");
            assertThat(changes).noneMatch(c -> c.contains("decrease"));
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void refusalsAtMailSetARateAndWhatWasRefusedGoesAgainWithoutARetryPolicy() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        List<String> rates = new CopyOnWriteArrayList<>();
        List<String> ended = new CopyOnWriteArrayList<>();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(10).build())
                    .maxInFlight(20)
                    .pacing(Pacing.builder().scheduler(vts).build())
                    .eventListener(new SmtpEventListener() {
                        @Override
                        public void pacingRateChanged(String s, double previous, double now, String reason) {
                            rates.add(s + " rate " + Math.round(previous) + "->" + Math.round(now) + " " + reason);
                        }

                        @Override
                        public void transactionEnd(String destination, io.reactivesmtp.SendReport report) {
                            ended.add(report.outcome() + " " + report.recipients().get(0).code());
                        }

                        @Override
                        public void transactionFailed(String destination, io.reactivesmtp.SmtpException error) {
                            ended.add("failed " + error.getMessage());
                        }
                    })
                    .build());
            // Every 10th MAIL refused with 421 4.7.0: nothing was sent for it, so it goes again under the rate.
            server.refuseMailEvery = 10;
            assertThat(sendAll(client, vts, 0, 100)).isEqualTo(100);
            server.refuseMailEvery = 0;
            assertThat(sendAll(client, vts, 100, 100)).isEqualTo(100);
            assertThat(server.refusedMails.get()).isPositive();
            assertThat(server.delivered).hasSize(200).doesNotHaveDuplicates();
            assertThat(rates).first().asString().startsWith("127.0.0.1:" + server.port() + " rate 0->")
                    .endsWith("decrease: 421 4.7.0 rate limit exceeded, slow down in a transaction");
            // The listener hears of every transaction, the refused ones too (requeued by pacing, not hidden).
            assertThat(ended).as(ended.toString()).hasSize(200 + server.refusedMails.get());
            assertThat(ended.stream().filter(e -> e.equals("REJECTED 421"))).as(new java.util.TreeSet<>(ended).toString())
                    .hasSize(server.refusedMails.get());
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void connectionsOpenedBeforeARefusalAtMailStartTheirTransactionsUnderTheRateItSet() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().greetingDelay(Duration.ofMillis(300)).start()) {
            SmtpClient client = lateTurnClient(server, vts);
            CompletableFuture<List<MessageResult>>[] done = new CompletableFuture[1];
            int mailsBefore = refuseTheFirstOfFour(server, () -> done[0] = client.sendAll(Flux.range(1, 4)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().toFuture());
            // Greeted, the three connections start one at a time under the rate, in virtual time (which stands
            // still): the first at once, the others only once their turns came. Without their turns, all three
            // MAILs came in together as soon as the greetings did.
            assertThat(server.mailCommands.get() - mailsBefore).as("MAILs before virtual time moved").isEqualTo(2);
            long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            while (!done[0].isDone() && System.nanoTime() < deadline) {
                vts.advanceTimeBy(Duration.ofMillis(100));
                Thread.sleep(1);
            }
            assertThat(done[0].get(1, TimeUnit.SECONDS)).allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED);
            assertThat(server.delivered).hasSize(5).doesNotHaveDuplicates();
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void aSendCancelledWhileWaitingForItsLateTurnGivesItsSessionAndPlaceBack() throws Exception {
        VirtualTimeScheduler vts = VirtualTimeScheduler.create();
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().greetingDelay(Duration.ofMillis(300)).start()) {
            SmtpClient client = lateTurnClient(server, vts);
            reactor.core.Disposable[] sending = new reactor.core.Disposable[1];
            int mailsBefore = refuseTheFirstOfFour(server, () -> sending[0] = client.sendAll(Flux.range(1, 4)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).subscribe());
            assertThat(server.mailCommands.get() - mailsBefore).isEqualTo(2); // two sends wait for their turns
            sending[0].dispose();
            vts.advanceTimeBy(Duration.ofSeconds(10));
            Thread.sleep(200);
            assertThat(server.mailCommands.get() - mailsBefore).as("no MAIL after the cancel").isEqualTo(2);
            // Their sessions went back to the pool and their places to pacing: four more go through on the
            // connections already open.
            int connections = server.connections.get();
            assertThat(sendAll(client, vts, 10, 4)).isEqualTo(4);
            assertThat(server.connections.get()).as("no new connection").isEqualTo(connections);
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    /** A client of up to 10 connections on pacing's virtual clock that has sent one message: one pooled session. */
    private static SmtpClient lateTurnClient(LoopbackSmtpServer server, VirtualTimeScheduler vts) throws Exception {
        SmtpClient client = SmtpClient.create(options(server.port())
                .pool(PoolOptions.builder().maxConnectionsPerDestination(10).build())
                .maxInFlight(10)
                .pacing(Pacing.builder().scheduler(vts).build())
                .build());
        assertThat(sendAll(client, vts, 0, 1)).isEqualTo(1); // one pooled session; the site is known
        return client;
    }

    /**
     * Four sends at once (pacing's initial limit), started by {@code startFour}: the pooled session's MAIL is refused
     * at once, setting a rate, while the three other sends wait for their new connections' (delayed) greetings,
     * their permits already granted. Returns once those connections are set up and 300 ms more have passed.
     *
     * @return the server's MAIL count before the four
     */
    private static int refuseTheFirstOfFour(LoopbackSmtpServer server, Runnable startFour) throws Exception {
        int mailsBefore = server.mailCommands.get();
        server.refuseMailEvery = 1;
        startFour.run();
        for (int i = 0; i < 500 && server.refusedMails.get() == 0; i++) {
            Thread.sleep(2);
        }
        server.refuseMailEvery = 0;
        assertThat(server.refusedMails.get()).isEqualTo(1);
        for (int i = 0; i < 500 && (server.connections.get() < 4 || server.settingUp.get() > 0); i++) {
            Thread.sleep(2);
        }
        Thread.sleep(300);
        return mailsBefore;
    }

    /**
     * Sends {@code n} messages while virtual time runs 100 ms per real millisecond (so quiet periods pass and rate
     * waits end); bounded by a real minute.
     *
     * @return how many were delivered
     */
    private static long sendAll(SmtpClient client, VirtualTimeScheduler vts, int first, int n) throws Exception {
        CompletableFuture<List<MessageResult>> done = client.sendAll(Flux.range(first, n)
                .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().toFuture();
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        while (!done.isDone() && System.nanoTime() < deadline) {
            vts.advanceTimeBy(Duration.ofMillis(100));
            Thread.sleep(1);
        }
        List<MessageResult> results = done.get(1, TimeUnit.SECONDS);
        results.stream().filter(r -> r.outcome() != MessageResult.Outcome.DELIVERED).limit(3)
                .forEach(r -> System.out.println("not delivered: " + r + " " + r.error().map(Throwable::toString)
                        .orElse("") + " " + r.report().map(Object::toString).orElse("")));
        return results.stream().filter(r -> r.outcome() == MessageResult.Outcome.DELIVERED).count();
    }

    @Test
    void aServerThatRefusesEvenOneSessionIsNotReconnectedToAtOnce() {
        // refuseEvery 1: every connection gets 421 4.7.0 at the greeting. Nothing else of ours is there, so our
        // concurrency is not the cause: one connection, a transient failure for the retry policy (none here).
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start()) {
            server.refuseEvery = 1;
            SmtpClient client = SmtpClient.create(options(server.port()).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 1)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(Duration.ofSeconds(30));

            assertThat(results).singleElement().satisfies(r -> {
                assertThat(r.outcome()).isEqualTo(MessageResult.Outcome.FAILED);
                assertThat(r.error()).get().isInstanceOf(io.reactivesmtp.SmtpSessionRejectedException.class);
            });
            assertThat(server.refusedConnections.get()).isEqualTo(1);
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void pacingOffKeepsHammeringTheServer() {
        // The same server, pacing off: the refusals are what pacing saves (a comparison, bounded by the run).
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().maxConnections(5).start()) {
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(50).build())
                    .maxInFlight(50).pacing(Pacing.OFF).build());
            List<MessageResult> results = client.sendAll(Flux.range(0, 200)
                    .map(i -> OutgoingMessage.of(i, envelope(i), BODY))).collectList().block(Duration.ofSeconds(60));

            assertThat(results).hasSize(200);
            assertThat(server.refusedConnections.get()).isPositive();
            assertThat(results).anyMatch(r -> r.outcome() == MessageResult.Outcome.FAILED);
            client.disposeLater().block(Duration.ofSeconds(10));
        }
    }
}
