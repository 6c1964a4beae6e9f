package io.reactivesmtp.reactor.mtasts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.reactor.internal.mtasts.StsTxt;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TXT records of MTA-STS (RFC 8461 3.1) and TLS-RPT (RFC 8460 3), read strictly. */
class TxtRecordsTest {

    @Test
    void readsTheStsId() {
        assertThat(StsTxt.read(List.of("v=STSv1; id=20160831085700Z;")).id()).isEqualTo("20160831085700Z");
        assertThat(StsTxt.read(List.of("v=STSv1;id=abc")).id()).isEqualTo("abc");
        assertThat(StsTxt.read(List.of("v=STSv1 ;\tid=abc ; ext=ok")).id()).isEqualTo("abc");
        // Other records at the name are someone else's.
        assertThat(StsTxt.read(List.of("google-site-verification=x", "v=STSv1; id=1")).id()).isEqualTo("1");
    }

    @Test
    void noCandidateMeansNoPolicy() {
        StsTxt none = StsTxt.read(List.of("v=spf1 -all", "v=STSv10; id=1"));
        assertThat(none.announced()).isFalse();
        assertThat(none.problem()).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=STSv1", "v=STSv1;", "v=STSv1; id=", "v=STSv1; id=abc-def", "v=STSv1; id=a b",
            "v=STSv1; id=123456789012345678901234567890123", "v=STSv1;; id=1", "v=STSv1; id", "v=STSv1; =1",
            "v=STSv1; id=1; ext=a=b", "v=STSv1; id=1; ext=caf\u00e9"})
    void aMalformedRecordIsAProblem(String record) {
        StsTxt read = StsTxt.read(List.of(record));
        assertThat(read.announced()).isFalse();
        assertThat(read.problem()).isNotNull();
    }

    @Test
    void twoStsRecordsAreAProblem() {
        assertThat(StsTxt.read(List.of("v=STSv1; id=1", "v=STSv1; id=2")).problem())
                .contains("2 TXT records begin with v=STSv1");
    }

    @Test
    void readsTheTlsRptRecord() {
        TlsRptRecord r = TlsRptRecord.parse("v=TLSRPTv1; rua=mailto:reports@example.com , https://reporting.example.com/v1/tlsrpt;");
        assertThat(r.rua()).containsExactly(URI.create("mailto:reports@example.com"),
                URI.create("https://reporting.example.com/v1/tlsrpt"));
        assertThat(r.mailto()).containsExactly(URI.create("mailto:reports@example.com"));
        assertThat(r.https()).containsExactly(URI.create("https://reporting.example.com/v1/tlsrpt"));
        assertThat(TlsRptRecord.parse("v=TLSRPTv1;rua=ftp://x.example/r,mailto:a@example.com").rua())
                .containsExactly(URI.create("mailto:a@example.com"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v=TLSRPTv1", "v=TLSRPTv1;", "v=TLSRPTv1; rua=", "v=TLSRPTv1; rua=ftp://x.example/",
            "v=TLSRPTv1; rua=mailto:a@b.example,,", "v=TLSRPTv1; rua=https://a b", "v=TLSRPTv2; rua=mailto:a@b"})
    void refusesMalformedTlsRptRecords(String record) {
        assertThatThrownBy(() -> TlsRptRecord.parse(record)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid TLS-RPT TXT record");
        assertThat(TlsRptRecord.select(List.of(record))).isEmpty();
    }

    @Test
    void selectsOnlyASingleCandidate() {
        assertThat(TlsRptRecord.select(List.of("v=spf1 -all", "v=TLSRPTv1; rua=mailto:a@example.com"))).isPresent();
        assertThat(TlsRptRecord.select(List.of("v=TLSRPTv1; rua=mailto:a@example.com",
                "v=TLSRPTv1; rua=mailto:b@example.com"))).isEmpty();
        assertThat(TlsRptRecord.select(List.of())).isEmpty();
    }
}
