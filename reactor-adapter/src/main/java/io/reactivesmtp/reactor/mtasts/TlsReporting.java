package io.reactivesmtp.reactor.mtasts;

import io.reactivesmtp.reactor.internal.mtasts.SessionCounts;
import io.reactivesmtp.reactor.internal.mtasts.TlsRptJson;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Counts the TLS outcome of sessions per policy domain and policy, and writes the TLS-RPT aggregate report
 * (RFC 8460) of a period. It is a {@link TlsRptListener}: whoever delivers tells it each session's outcome.
 *
 * <pre>{@code
 * TlsReporting tlsRpt = new TlsReporting();
 * tlsRpt.sessionSucceeded(TlsRptPolicy.sts("example.com", policy));
 * tlsRpt.sessionFailed(TlsRptPolicy.sts("example.com", policy),
 *         TlsRptFailure.of(TlsRptResultType.CERTIFICATE_EXPIRED, "mx1.example.com", "192.0.2.1"));
 * // once a day:
 * for (TlsRptReport r : tlsRpt.drain(dayStart, dayEnd, "Example Sender", "mailto:tlsrpt@sender.example")) {
 *     TlsRptRecord.lookup(dns, r.policyDomain()) ... send r.gzipped() to its rua
 * }
 * }</pre>
 *
 * <p>Thread-safe: each call holds one lock for a few map operations, never blocking on anything else, so it may
 * be called from event loops.
 */
public final class TlsReporting implements TlsRptListener {

    private final Supplier<String> reportIds;
    private Map<String, Map<TlsRptPolicy, SessionCounts>> domains = new LinkedHashMap<>();

    /** Counts with random UUIDs as report ids. */
    public TlsReporting() {
        this(() -> UUID.randomUUID().toString());
    }

    /** @param reportIds gives each report its {@code report-id} (unique per report) */
    public TlsReporting(Supplier<String> reportIds) {
        this.reportIds = Objects.requireNonNull(reportIds, "reportIds");
    }

    @Override
    public synchronized void sessionSucceeded(TlsRptPolicy policy) {
        counts(policy).success();
    }

    @Override
    public synchronized void sessionFailed(TlsRptPolicy policy, TlsRptFailure failure) {
        Objects.requireNonNull(failure, "failure");
        counts(policy).failure(failure);
    }

    /** @return the policy domains with sessions counted since the last {@link #drain}, sorted */
    public synchronized Set<String> policyDomains() {
        return new TreeSet<>(domains.keySet());
    }

    /**
     * Writes the report of one domain from the counts so far, leaving them counting.
     *
     * @param policyDomain the policy domain
     * @param start the period's start
     * @param end the period's end
     * @param organizationName who sends the report
     * @param contactInfo how to reach the sender (an address or URI)
     * @return the report, empty when no session to the domain was counted
     */
    public Optional<TlsRptReport> report(String policyDomain, Instant start, Instant end, String organizationName,
            String contactInfo) {
        check(start, end, organizationName, contactInfo);
        Map<TlsRptPolicy, SessionCounts> copy = new LinkedHashMap<>();
        synchronized (this) {
            Map<TlsRptPolicy, SessionCounts> counts = domains.get(policyDomain);
            if (counts == null) {
                return Optional.empty();
            }
            counts.forEach((p, c) -> copy.put(p, c.copy()));
        }
        return Optional.of(write(policyDomain, start, end, organizationName, contactInfo, copy));
    }

    /**
     * Writes one report per policy domain and starts counting afresh, atomically: no session is counted in
     * two periods or in none.
     *
     * @param start the period's start
     * @param end the period's end
     * @param organizationName who sends the reports
     * @param contactInfo how to reach the sender (an address or URI)
     * @return the reports, by domain name
     */
    public List<TlsRptReport> drain(Instant start, Instant end, String organizationName, String contactInfo) {
        check(start, end, organizationName, contactInfo);
        Map<String, Map<TlsRptPolicy, SessionCounts>> period;
        synchronized (this) {
            period = domains;
            domains = new LinkedHashMap<>();
        }
        List<TlsRptReport> reports = new ArrayList<>();
        new TreeSet<>(period.keySet()).forEach(d -> reports.add(write(d, start, end, organizationName, contactInfo,
                period.get(d))));
        return reports;
    }

    private SessionCounts counts(TlsRptPolicy policy) {
        Objects.requireNonNull(policy, "policy");
        return domains.computeIfAbsent(policy.policyDomain(), d -> new LinkedHashMap<>())
                .computeIfAbsent(policy, p -> new SessionCounts());
    }

    private TlsRptReport write(String domain, Instant start, Instant end, String organization, String contact,
            Map<TlsRptPolicy, SessionCounts> counts) {
        String id = reportIds.get();
        return new TlsRptReport(domain, id, start, end, TlsRptJson.write(organization, start, end, contact, id,
                counts));
    }

    private static void check(Instant start, Instant end, String organizationName, String contactInfo) {
        Objects.requireNonNull(start, "start");
        Objects.requireNonNull(end, "end");
        Objects.requireNonNull(organizationName, "organizationName");
        Objects.requireNonNull(contactInfo, "contactInfo");
        if (end.isBefore(start)) {
            throw new IllegalArgumentException("TLS-RPT period ends (" + end + ") before it starts (" + start + ")");
        }
    }
}
