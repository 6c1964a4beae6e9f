package io.reactivesmtp.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.reactor.MessageResult;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The counters and lines of {@code bulk}. */
class BulkStatsTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theEtaWaitsForAFewSecondsOfRate() {
        BulkStats stats = new BulkStats();
        stats.linesRead.set(10);
        assertThat(stats.progress(SECOND / 2, 100_000, 0, 1)).doesNotContain("ETA");
        assertThat(stats.progress(2 * SECOND, 100_000, 0, 1)).doesNotContain("ETA");
        stats.linesRead.set(3_000);
        assertThat(stats.progress(3 * SECOND, 100_000, 0, 1)).endsWith("| ETA 1:37");
    }

    @Test
    void theMostFrequentErrorsComeFirstWithTheirCounts() {
        BulkStats stats = new BulkStats();
        for (int i = 0; i < 5; i++) {
            stats.result(MessageResult.Outcome.FAILED, List.of(RecipientResult.Status.UNDETERMINED), new int[] {0},
                    List.of("connection refused"));
        }
        stats.result(MessageResult.Outcome.REJECTED, List.of(RecipientResult.Status.PERMANENT_FAILURE),
                new int[] {550}, List.of("550 5.1.1 no such user"));

        assertThat(stats.topErrorsText(3)).isEqualTo("5 x connection refused; 1 x 550 5.1.1 no such user");
        assertThat(stats.topErrorCounts(1)).containsExactly(new BulkStats.ErrorCount("connection refused", 5));
        assertThat(new BulkStats().topErrorsText(3)).isEqualTo("none");
    }

    @Test
    void theReportsLagIsShownApartOnlyWhenItIsLarge() {
        BulkStats stats = new BulkStats();
        assertThat(stats.progress(SECOND, -1, 10, 100)).doesNotContain("report:");
        assertThat(stats.progress(SECOND, -1, 150, 100)).contains("| report: 150 result(s) waiting to be written");
    }
}
