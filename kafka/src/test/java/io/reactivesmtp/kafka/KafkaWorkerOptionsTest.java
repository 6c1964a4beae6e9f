package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The worker's retry schedule, kept by a RetryPolicy: exact doubling waits, settings checked as before. */
class KafkaWorkerOptionsTest {

    private static KafkaWorkerOptions.Builder minimal() {
        return KafkaWorkerOptions.builder().bootstrapServers("localhost:9092").groupId("g").jobsTopic("jobs")
                .reportsTopic("reports");
    }

    @Test
    void defaultsAreFourAttemptsWaitingThirtySecondsDoubledUpToTenMinutes() {
        KafkaWorkerOptions options = minimal().build();
        assertThat(options.maxAttempts()).isEqualTo(KafkaWorkerOptions.DEFAULT_MAX_ATTEMPTS).isEqualTo(4);
        assertThat(options.firstBackoff()).isEqualTo(KafkaWorkerOptions.DEFAULT_FIRST_BACKOFF)
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(options.maxBackoff()).isEqualTo(KafkaWorkerOptions.DEFAULT_MAX_BACKOFF)
                .isEqualTo(Duration.ofMinutes(10));
        assertThat(options.backoff(1)).isEqualTo(Duration.ofSeconds(30));
        assertThat(options.backoff(2)).isEqualTo(Duration.ofSeconds(60));
        assertThat(options.backoff(3)).isEqualTo(Duration.ofSeconds(120));
        assertThat(options.backoff(4)).isEqualTo(Duration.ofSeconds(240));
        assertThat(options.backoff(5)).isEqualTo(Duration.ofSeconds(480));
        assertThat(options.backoff(6)).isEqualTo(Duration.ofMinutes(10));    // capped
        assertThat(options.backoff(1_000)).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void backoffIsExactWithoutJitterAndTheFirstWaitBelowTheFirstAttempt() {
        KafkaWorkerOptions options = minimal().maxAttempts(9).firstBackoff(Duration.ofMillis(1_500))
                .maxBackoff(Duration.ofMillis(10_001)).build();
        for (int i = 0; i < 50; i++) {                                       // the same answer every time
            assertThat(options.backoff(2)).isEqualTo(Duration.ofMillis(3_000));
        }
        assertThat(options.backoff(3)).isEqualTo(Duration.ofMillis(6_000));
        assertThat(options.backoff(4)).isEqualTo(Duration.ofMillis(10_001));
        assertThat(options.backoff(0)).isEqualTo(Duration.ofMillis(1_500));
        assertThat(options.backoff(-3)).isEqualTo(Duration.ofMillis(1_500));
        assertThat(minimal().firstBackoff(Duration.ZERO).maxBackoff(Duration.ZERO).build().backoff(7))
                .isEqualTo(Duration.ZERO);
        KafkaWorkerOptions flat = minimal().maxAttempts(3).firstBackoff(Duration.ofSeconds(4))
                .maxBackoff(Duration.ofSeconds(4)).build();
        assertThat(flat.maxAttempts()).isEqualTo(3);
        assertThat(flat.backoff(1)).isEqualTo(flat.backoff(2)).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void eachValueIsCheckedWhenSetAndNamedInTheMessage() {
        KafkaWorkerOptions.Builder b = minimal();
        assertThatIllegalArgumentException().isThrownBy(() -> b.maxAttempts(0))
                .withMessage("maxAttempts must be at least 1: 0");
        assertThatIllegalArgumentException().isThrownBy(() -> b.firstBackoff(Duration.ofSeconds(-1)))
                .withMessage("firstBackoff must not be negative: PT-1S");
        assertThatIllegalArgumentException().isThrownBy(() -> b.maxBackoff(Duration.ofSeconds(-1)))
                .withMessage("maxBackoff must not be negative: PT-1S");
        // The refused values left the builder as it was.
        assertThat(b.build().maxAttempts()).isEqualTo(4);
        assertThat(b.build().firstBackoff()).isEqualTo(Duration.ofSeconds(30));
    }

    @Test
    void maxBackoffBelowFirstBackoffIsRefusedAtBuildNamingBoth() {
        // Set in this order, maxBackoff is briefly below firstBackoff's default: only build() may judge the pair.
        KafkaWorkerOptions.Builder b = minimal().maxBackoff(Duration.ofSeconds(10)).firstBackoff(Duration.ofSeconds(5));
        assertThat(b.build().backoff(2)).isEqualTo(Duration.ofSeconds(10));
        b.firstBackoff(Duration.ofSeconds(20));
        assertThatIllegalStateException().isThrownBy(b::build)
                .withMessage("maxBackoff PT10S is below firstBackoff PT20S");
    }
}
