package io.reactivesmtp.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ESMTP extensions against Exim (interop/exim/start.sh; see {@link EximInstance}), plus what only Exim offers:
 * PRDR and PIPECONNECT, which the client does not use and must ignore, and STARTTLS with GnuTLS on the server side.
 */
class EximExtensionsInteropIT extends ExtensionsInteropTests {

    private static EximInstance exim;

    @BeforeAll
    static void findExim() {
        exim = EximInstance.fromSystemProperties();
    }

    @Override
    MtaInstance mta() {
        return exim;
    }

    @Test
    void prdrAndPipeconnectAreAdvertisedAndIgnored() throws Exception {
        String token = token("prdr");
        byte[] message = (headers(token, SENDER, "p1@example.com", token) + "\r\nPRDR is not for us\r\n")
                .getBytes(StandardCharsets.UTF_8);
        Sent sent = send(exim.plainPort(), exim.plainSession().build(),
                Envelope.of(SENDER, "p1@example.com", "reject@example.com", "tempfail@example.com", "p2@example.com"),
                MessageContent.of(message));

        SendReport report = sent.report();
        Capabilities caps = report.capabilities().orElseThrow();
        assertThat(caps.supports("PRDR")).as("%s", caps).isTrue();
        assertThat(caps.supports("PIPECONNECT")).as("%s", caps).isTrue();
        assertThat(report.outcome()).as("%s\n%s", report, sent.wire().summary()).isEqualTo(SendReport.Outcome.PARTIAL);
        assertThat(report.recipient(MailAddress.of("reject@example.com")).code()).isEqualTo(550);
        assertThat(report.recipient(MailAddress.of("tempfail@example.com")).status()).isEqualTo(Status.TRANSIENT_FAILURE);
        assertThat(report.recipient(MailAddress.of("tempfail@example.com")).code()).isEqualTo(451);
        assertThat(report.acceptedRecipients())
                .containsExactly(MailAddress.of("p1@example.com"), MailAddress.of("p2@example.com"));
        assertThat(sent.wire().command("MAIL FROM:")).as(sent.wire().summary()).doesNotContainIgnoringCase("PRDR");
        assertThat(sent.wire().summary()).doesNotContainIgnoringCase("PRDR");

        assertStoredExactly(deliveredTo(token, "p1@example.com", 2), message);
        assertStoredExactly(deliveredTo(token, "p2@example.com", 2), message);
    }

    @Test
    void startTlsWithAVerifiedCertificateThenBdatDelivers() throws Exception {
        String token = token("exim-tls");
        byte[] message = (headers(token, SENDER, "tls@example.com", token) + "\r\nover GnuTLS\r\n")
                .getBytes(StandardCharsets.UTF_8);
        SmtpSessionOptions session = SmtpSessionOptions.builder()
                .tls(exim.tls(TlsPolicy.REQUIRED).mutate().serverName(exim.serverName()).build())
                .allTimeouts(Duration.ofSeconds(30)).build();
        SendReport report = client(exim.startTlsPort(), session)
                .send(Envelope.of(SENDER, "tls@example.com"), MessageContent.of(message)).block(BLOCK);

        assertThat(report.outcome()).as("%s", report).isEqualTo(SendReport.Outcome.DELIVERED);
        assertThat(report.tls()).isPresent();
        assertThat(report.capabilities().orElseThrow().startTls()).as("capabilities re-read after TLS").isFalse();
        DeliveredCopy copy = deliveredTo(token, "tls@example.com", 1);
        assertThat(copy.header("Received")).contains("with esmtps");
        assertStoredExactly(copy, message);
    }
}
