package io.reactivesmtp.reactor.mtasts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Objects;
import java.util.zip.GZIPOutputStream;

/**
 * One TLS-RPT aggregate report (RFC 8460 4): for one policy domain and one period, as JSON. Immutable.
 *
 * @param policyDomain the domain the report is about (and is sent to, at its {@link TlsRptRecord})
 * @param reportId the {@code report-id}, also for the mail's {@code TLS-Report-Submitter}/subject (RFC 8460 5.3)
 * @param start the period's start
 * @param end the period's end
 * @param json the report
 */
public record TlsRptReport(String policyDomain, String reportId, Instant start, Instant end, String json) {

    /** Checks every field is given. */
    public TlsRptReport {
        Objects.requireNonNull(policyDomain, "policyDomain");
        Objects.requireNonNull(reportId, "reportId");
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(json, "json");
    }

    /** @return the report gzipped, as sent ({@code application/tlsrpt+gzip}, RFC 8460 5.3, 6.4) */
    public byte[] gzipped() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(json.getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a memory stream does not fail
        }
        return out.toByteArray();
    }

    /**
     * @param senderDomain the domain of the organisation sending the report
     * @return the file name of RFC 8460 5.1, {@code sender!policy-domain!start!end!report-id.json.gz}, times in
     *         seconds since the epoch
     */
    public String fileName(String senderDomain) {
        return senderDomain + "!" + policyDomain + "!" + start.getEpochSecond() + "!" + end.getEpochSecond() + "!"
                + reportId.replaceAll("[^A-Za-z0-9._-]", "_") + ".json.gz";
    }
}
