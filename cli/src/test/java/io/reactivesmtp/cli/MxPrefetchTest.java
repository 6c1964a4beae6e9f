package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.reactor.CliTestDns;
import io.reactivesmtp.reactor.DnsMxResolver;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.netty.resources.LoopResources;

/** {@link MxPrefetch}: the routes of messages read ahead are looked up once per domain, against a loopback DNS. */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class MxPrefetchTest {

    private CliTestDns dns;
    private LoopResources loops;
    private DnsMxResolver resolver;

    @BeforeEach
    void start() throws Exception {
        dns = CliTestDns.start();
        dns.mx("d1.test", 10, "mx.d1.test").a("mx.d1.test", "127.0.0.1")
                .mx("d2.test", 10, "mx.d2.test").a("mx.d2.test", "127.0.0.2")
                .mx("d3.test", 10, "mx.d3.test").a("mx.d3.test", "127.0.0.3")
                .mx("null.test", 0, ".");
        loops = LoopResources.create("prefetch-test", 1, true);
        resolver = DnsMxResolver.builder(loops.onClient(true).next()).nameServers(dns.address()).build();
    }

    @AfterEach
    void stop() {
        resolver.close();
        loops.disposeLater().block(Duration.ofSeconds(10));
        dns.close();
    }

    @Test
    void eachDomainOfTheMessagesReadAheadIsLookedUpOnceMxAndAddress() throws Exception {
        try (MxPrefetch prefetch = new MxPrefetch(resolver)) {
            prefetch.ahead(Envelope.of("news@example.com", "a@d1.test", "b@D1.test", "c@d2.test"));
            prefetch.ahead(Envelope.of("news@example.com", "d@d1.test", "e@null.test"));
            waitFor(() -> dns.queries("mx.d1.test", "A") > 0 && dns.queries("mx.d2.test", "A") > 0
                    && dns.queries("null.test", "MX") > 0);
            assertThat(dns.queries("d1.test", "MX")).isEqualTo(1);
            assertThat(dns.queries("d2.test", "MX")).isEqualTo(1);
            assertThat(prefetch.remembered()).isEqualTo(3);

            // A send's own lookup now comes from the cache: no second MX query for d1.test.
            assertThat(resolver.resolve("d1.test").block(Duration.ofSeconds(10))).hasSize(1);
            assertThat(dns.queries("d1.test", "MX")).isEqualTo(1);
            assertThat(dns.queries("d3.test", "MX")).isZero();
        }
    }

    @Test
    void afterCloseNothingIsLookedUp() throws Exception {
        MxPrefetch prefetch = new MxPrefetch(resolver);
        prefetch.ahead(Envelope.of("news@example.com", "a@d1.test"));
        waitFor(() -> dns.queries("mx.d1.test", "A") > 0);
        prefetch.close();
        assertThat(prefetch.remembered()).isZero();
        prefetch.ahead(Envelope.of("news@example.com", "a@d3.test"));
        // Bounded check that no query comes: d1's lookups were answered by now, so d3's would be too.
        resolver.resolve("d2.test").block(Duration.ofSeconds(10));
        assertThat(dns.queries("d3.test", "MX")).isZero();
        assertThat(prefetch.remembered()).isZero();
    }

    private static void waitFor(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 20 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
