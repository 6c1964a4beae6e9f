package io.reactivesmtp.reactor;

import static io.reactivesmtp.reactor.SmtpClientPoolTest.BODY;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.envelope;
import static io.reactivesmtp.reactor.SmtpClientPoolTest.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.SmtpConnectionException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Warm-up schedules against a loopback server: a day's volume per site is sent, the rest fails as transient with
 * {@link WarmupDeferredException} (nothing sent) and goes through on a later day; counts of transactions that never
 * reached MAIL are given back; a failing store defers instead of losing; bad ramps are refused naming the value.
 */
class SmtpClientWarmupTest {

    private static final LocalDate FIRST = LocalDate.of(2026, 12, 1);
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** A clock the test moves day by day. */
    private static final class DayClock extends Clock {
        final AtomicReference<Instant> now = new AtomicReference<>(FIRST.atTime(9, 0).toInstant(ZoneOffset.UTC));

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        void nextDay() {
            now.updateAndGet(i -> i.plus(Duration.ofDays(1)));
        }
    }

    /** The in-memory store, its counts visible to the test. */
    private static final class VisibleStore implements WarmupStore {
        final WarmupStore inner = WarmupStore.inMemory();
        final Map<String, Long> counts = new ConcurrentHashMap<>();

        @Override
        public Mono<Boolean> tryAdd(String site, LocalDate day, int recipients, long limit) {
            return inner.tryAdd(site, day, recipients, limit).doOnNext(added -> {
                if (added) {
                    counts.merge(site + " " + day, (long) recipients, Long::sum);
                }
            });
        }

        @Override
        public Mono<Void> giveBack(String site, LocalDate day, int recipients) {
            return inner.giveBack(site, day, recipients)
                    .doOnSuccess(v -> counts.merge(site + " " + day, (long) -recipients, Long::sum));
        }
    }

    private static List<MessageResult> send(SmtpClient client, int first, int n) {
        return client.sendAll(Flux.range(first, n).map(i -> OutgoingMessage.of(i, envelope(i), BODY)))
                .collectList().block(WAIT);
    }

    private static long delivered(List<MessageResult> results) {
        return results.stream().filter(r -> r.outcome() == MessageResult.Outcome.DELIVERED).count();
    }

    @Test
    void aDaysVolumeGoesTheRestIsDeferredAsTransientAndGoesOnALaterDay() {
        DayClock clock = new DayClock();
        VisibleStore store = new VisibleStore();
        // 10 recipients on the first day, doubling, at most 40.
        Warmup warmup = Warmup.of(WarmupSchedule.ramp(FIRST, 10, 2, 40), store).withClock(clock);
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start()) {
            String site = "127.0.0.1:" + server.port();
            SmtpClient client = SmtpClient.create(options(server.port())
                    .pacing(Pacing.builder().warmup(warmup).build()).build());

            List<MessageResult> day1 = send(client, 0, 15);
            assertThat(delivered(day1)).isEqualTo(10);
            List<MessageResult> deferred = day1.stream().filter(r -> r.outcome() != MessageResult.Outcome.DELIVERED)
                    .toList();
            assertThat(deferred).hasSize(5).allSatisfy(r -> {
                assertThat(r.error()).get().isInstanceOf(WarmupDeferredException.class);
                assertThat(r.error().get().isRetryable()).isTrue();
                assertThat(r.error().get().getMessage()).isEqualTo("warm-up volume of " + site
                        + " for 2026-12-01 spent (10 recipients a day): 1 recipient deferred, nothing sent");
            });
            assertThat(server.messages.get()).as("nothing sent for the deferred ones").isEqualTo(10);

            clock.nextDay(); // 20 a day
            assertThat(delivered(send(client, 10, 25))).isEqualTo(20);
            clock.nextDay(); // 40
            clock.nextDay(); // 80, capped at 40
            assertThat(delivered(send(client, 100, 50))).isEqualTo(40);
            assertThat(store.counts).containsEntry(site + " 2026-12-01", 10L).containsEntry(site + " 2026-12-02", 20L)
                    .containsEntry(site + " 2026-12-04", 40L);
            assertThat(server.messages.get()).isEqualTo(70);
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void aTransactionThatNeverReachedMailGivesItsCountBackAndAFailingStoreDefers() throws Exception {
        int closedPort;
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        VisibleStore store = new VisibleStore();
        Warmup warmup = Warmup.of(WarmupSchedule.ramp(FIRST, 10, 1, 10), store).withClock(new DayClock());
        SmtpClient nowhere = SmtpClient.create(options(closedPort)
                .pacing(Pacing.builder().warmup(warmup).build()).build());
        assertThatThrownBy(() -> nowhere.send(envelope(1), BODY).block(WAIT)).isInstanceOf(SmtpConnectionException.class);
        assertThat(store.counts).containsEntry("127.0.0.1:" + closedPort + " 2026-12-01", 0L);
        nowhere.disposeLater().block(WAIT);

        WarmupStore broken = new WarmupStore() {
            @Override
            public Mono<Boolean> tryAdd(String site, LocalDate day, int recipients, long limit) {
                return Mono.error(new IllegalStateException("database down"));
            }

            @Override
            public Mono<Void> giveBack(String site, LocalDate day, int recipients) {
                return Mono.empty();
            }
        };
        try (LoopbackSmtpServer server = LoopbackSmtpServer.builder().start()) {
            SmtpClient client = SmtpClient.create(options(server.port()).pacing(Pacing.builder().adaptive(false)
                    .warmup(Warmup.of(WarmupSchedule.ramp(FIRST, 10, 1, 10), broken)).build()).build());
            assertThatThrownBy(() -> client.send(envelope(1), BODY).block(WAIT))
                    .isInstanceOf(WarmupDeferredException.class)
                    .hasMessageContaining("warm-up store failed for 127.0.0.1:" + server.port())
                    .hasMessageContaining("database down").hasMessageEndingWith("nothing sent");
            assertThat(server.connections.get()).isZero();
            client.disposeLater().block(WAIT);
        }
    }

    @Test
    void badRampsAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> WarmupSchedule.ramp(FIRST, 0, 2, 10)).hasMessageContaining("perDayAtStart")
                .hasMessageContaining("not 0");
        assertThatThrownBy(() -> WarmupSchedule.ramp(FIRST, 10, 0.5, 10)).hasMessageContaining("factor")
                .hasMessageContaining("0.5");
        assertThatThrownBy(() -> WarmupSchedule.ramp(FIRST, 10, Double.POSITIVE_INFINITY, 10))
                .hasMessageContaining("Infinity");
        assertThatThrownBy(() -> WarmupSchedule.ramp(FIRST, 10, 2, 5)).hasMessageContaining("ceiling 5 is below");
        assertThatThrownBy(() -> WarmupSchedule.ramp(null, 10, 2, 5)).hasMessageContaining("firstDay");
        assertThatThrownBy(() -> Warmup.of(null, WarmupStore.inMemory())).hasMessageContaining("schedule");
        WarmupSchedule ramp = WarmupSchedule.ramp(FIRST, 1000, 1.5, 500_000);
        assertThat(ramp.dailyLimit("google.com", FIRST.minusDays(3))).isEqualTo(1000);
        assertThat(ramp.dailyLimit("google.com", FIRST.plusDays(2))).isEqualTo(2250);
        assertThat(ramp.dailyLimit("google.com", FIRST.plusDays(365))).isEqualTo(500_000);
    }
}
