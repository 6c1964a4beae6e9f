package io.reactivesmtp.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {

    @Test
    void commitsOnlyUpToTheFirstJobWithoutAnAcknowledgedReport() {
        PartitionProgress p = new PartitionProgress(10, 100, 0);
        p.start(10);
        p.start(11);
        p.start(12);
        assertThat(p.committable()).isEmpty();
        p.done(11, 100);
        p.done(12, 101);
        assertThat(p.committable()).isEmpty();          // 10 is still in flight
        assertThat(p.inFlight()).isEqualTo(1);
        p.done(10, 102);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(13));
    }

    @Test
    void metadataPointsAtTheEarliestReportPastTheCommit() {
        PartitionProgress p = new PartitionProgress(0, 50, 0);
        p.start(0);
        p.start(1);
        p.start(2);
        p.done(0, 50);
        p.done(2, 51);                                   // out of order: 1 is still sending
        assertThat(p.committable()).isEqualTo(OptionalLong.of(1));
        assertThat(p.reportsFrom(1)).isEqualTo(51);      // a new owner must see job 2's report
        p.committed(1);
        p.done(1, 52);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(3));
        assertThat(p.reportsFrom(3)).isEqualTo(53);      // nothing past 3 yet: the end of the reports seen
    }

    @Test
    void reportsOfAnEarlierOwnerCountUntilCommitted() {
        PartitionProgress p = new PartitionProgress(5, 80, 0);
        p.known(7, 60);                                  // reported by the previous owner, not committed
        p.known(4, 10);                                  // below the commit: ignored
        assertThat(p.reportsFrom(5)).isEqualTo(60);
        p.start(5);
        p.start(6);
        p.start(7);
        p.done(7, -1);                                   // replay skipped: no new report
        p.done(5, 81);
        assertThat(p.committable()).isEqualTo(OptionalLong.of(6));
        assertThat(p.reportsFrom(6)).isEqualTo(60);
        p.committed(6);
        p.done(6, 82);
        p.committed(8);
        assertThat(p.reportsFrom(8)).isEqualTo(83);
    }

    @Test
    void retryJobsArePointedAtLikeReports() {
        PartitionProgress p = new PartitionProgress(0, 10, 20);
        p.knownRetry(1, 15);                             // an earlier owner's retry job for job 1
        p.start(0);
        p.start(1);
        p.start(2);
        p.done(0, 10, 20);                               // job 0 retried at 20
        assertThat(p.retriesFrom(1)).isEqualTo(15);
        p.done(1, 11);
        p.done(2, 12);
        assertThat(p.retriesFrom(3)).isEqualTo(21);      // nothing past 3: the end seen
        p.committed(1);
        assertThat(p.retriesFrom(1)).isEqualTo(15);
        p.committed(3);
        assertThat(p.retriesFrom(3)).isEqualTo(21);
    }

    @Test
    void metadataRoundTripsAndToleratesForeignValues() {
        assertThat(PartitionProgress.metadata(42, 7)).isEqualTo("reports=42;retries=7");
        assertThat(PartitionProgress.parseMetadata(PartitionProgress.metadata(42, 7))).isEqualTo(OptionalLong.of(42));
        assertThat(PartitionProgress.parseRetries(PartitionProgress.metadata(42, 7))).isEqualTo(OptionalLong.of(7));
        assertThat(PartitionProgress.parseRetries("reports=42")).isEmpty();
        assertThat(PartitionProgress.parseMetadata(null)).isEmpty();
        assertThat(PartitionProgress.parseMetadata("")).isEmpty();
        assertThat(PartitionProgress.parseMetadata("reports=x")).isEmpty();
        assertThat(PartitionProgress.parseMetadata("reports=-1")).isEmpty();
    }

    @Test
    void refusesBookkeepingErrors() {
        PartitionProgress p = new PartitionProgress(0, 0, 0);
        p.start(3);
        assertThatThrownBy(() -> p.start(2)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> p.done(1, 0)).isInstanceOf(IllegalStateException.class);
    }
}
