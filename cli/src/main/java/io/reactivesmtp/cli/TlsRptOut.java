package io.reactivesmtp.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.reactor.mtasts.TlsReporting;
import io.reactivesmtp.reactor.mtasts.TlsRptRecord;
import io.reactivesmtp.reactor.mtasts.TlsRptReport;
import io.reactivesmtp.reactor.mtasts.TxtLookup;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code --tls-rpt-out FILE}: counts the run's MX sessions per policy domain ({@link TlsReporting}) and, at the
 * end, writes their TLS-RPT reports (RFC 8460) with the {@code rua} each domain publishes in its
 * {@code _smtp._tls} TXT record, as one JSON document:
 *
 * <pre>{@code
 * {"reports": [{"policyDomain": "example.com", "rua": ["mailto:tlsrpt@example.com"],
 *               "fileName": "sender.example!example.com!1765000000!1765003600!<id>.json.gz",
 *               "report": {"organization-name": "sender.example", "date-range": {...}, "policies": [...]}}]}
 * }</pre>
 * {@code rua} is empty when the domain publishes no TLS-RPT record ({@code ruaError} says why when the lookup
 * failed). The report's organisation is the sender's domain, its contact the sender's address; the period is the
 * run. Sending the reports (gzipped, by mail or HTTPS, RFC 8460 section 3) is left to the user.
 */
final class TlsRptOut {

    private static final Duration RUA_TIMEOUT = Duration.ofSeconds(15);

    private final Path file;
    private final TlsReporting counts = new TlsReporting();
    private final Instant started = Instant.now();

    TlsRptOut(Path file) {
        this.file = file;
    }

    /** @return what the client tells each MX session's TLS outcome */
    TlsReporting counts() {
        return counts;
    }

    /** @return the file */
    Path file() {
        return file;
    }

    /**
     * Writes the reports of the sessions counted so far (call it once the client is disposed).
     *
     * @param txt where the {@code _smtp._tls} records are asked
     * @param sender the run's sender: its domain is the reporting organisation, the address the contact; null for
     *        the null sender (then {@code reactive-smtp} and {@code postmaster})
     * @return how many reports were written
     * @throws IOException if the file cannot be written
     */
    int write(TxtLookup txt, MailAddress sender) throws IOException {
        String org = sender == null ? "reactive-smtp" : sender.asciiDomain().toLowerCase(java.util.Locale.ROOT);
        String contact = sender == null ? "postmaster" : "mailto:" + sender;
        List<TlsRptReport> reports = counts.drain(started, Instant.now(), org, contact);
        // The rua of every policy domain asked at once, all within one bound: this runs as the program ends (after
        // Ctrl-C too), where one lookup after another would wait RUA_TIMEOUT per silent domain.
        List<Rua> ruas = Flux.fromIterable(reports)
                .flatMapSequential(r -> TlsRptRecord.lookup(txt, r.policyDomain())
                        .map(rec -> new Rua(rec.map(t -> t.rua().stream().map(URI::toString).toList())
                                .orElse(List.of()), null))
                        .defaultIfEmpty(new Rua(List.of(), null))
                        .timeout(RUA_TIMEOUT)
                        .onErrorResume(e -> Mono.just(new Rua(List.of(), String.valueOf(e.getMessage())))),
                        Math.max(1, reports.size()))
                .collectList()
                .block(RUA_TIMEOUT.multipliedBy(2));
        List<Entry> entries = new ArrayList<>(reports.size());
        for (int i = 0; i < reports.size(); i++) {
            TlsRptReport r = reports.get(i);
            Rua rua = ruas.get(i);
            entries.add(new Entry(r.policyDomain(), rua.rua(), rua.error(), r.fileName(org),
                    CliJson.MAPPER.readTree(r.json())));
        }
        Files.writeString(file, CliJson.document(Map.of("reports", entries)) + System.lineSeparator());
        return entries.size();
    }

    /** A policy domain's rua, or why it is unknown. */
    private record Rua(List<String> rua, String error) {
    }

    /** One report and where it goes. */
    @JsonPropertyOrder({"policyDomain", "rua", "ruaError", "fileName", "report"})
    record Entry(String policyDomain, List<String> rua, @JsonInclude(JsonInclude.Include.NON_NULL) String ruaError,
            String fileName, JsonNode report) {
    }
}
