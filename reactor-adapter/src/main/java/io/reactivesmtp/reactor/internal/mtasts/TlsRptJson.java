package io.reactivesmtp.reactor.internal.mtasts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.reactivesmtp.reactor.mtasts.TlsRptFailure;
import io.reactivesmtp.reactor.mtasts.TlsRptPolicy;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;

/**
 * Writes a TLS-RPT aggregate report in the JSON of RFC 8460 4.3/4.4, with Jackson. {@code mx-host} is an array
 * of strings, as the RFC's text and its erratum 6241 say (its example shows one string). Internal: not part of
 * the API.
 */
public final class TlsRptJson {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TlsRptJson() {
    }

    /**
     * @param organization {@code organization-name}: who sends the report
     * @param start the period's start
     * @param end the period's end
     * @param contact {@code contact-info}: an address or URI to reach the sender
     * @param reportId {@code report-id}
     * @param policies the counts per policy, all of one policy domain
     * @return the report, as compact JSON
     */
    public static String write(String organization, Instant start, Instant end, String contact, String reportId,
            Map<TlsRptPolicy, SessionCounts> policies) {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("organization-name", organization);
        ObjectNode range = root.putObject("date-range");
        range.put("start-datetime", start.truncatedTo(ChronoUnit.SECONDS).toString());
        range.put("end-datetime", end.truncatedTo(ChronoUnit.SECONDS).toString());
        root.put("contact-info", contact);
        root.put("report-id", reportId);
        ArrayNode list = root.putArray("policies");
        policies.forEach((policy, counts) -> {
            ObjectNode entry = list.addObject();
            ObjectNode p = entry.putObject("policy");
            p.put("policy-type", policy.type().value());
            policy.policyStrings().forEach(p.putArray("policy-string")::add);
            p.put("policy-domain", policy.policyDomain());
            if (!policy.mxHosts().isEmpty()) {
                policy.mxHosts().forEach(p.putArray("mx-host")::add);
            }
            ObjectNode summary = entry.putObject("summary");
            summary.put("total-successful-session-count", counts.successes());
            summary.put("total-failure-session-count", counts.failureTotal());
            ArrayNode details = entry.putArray("failure-details");
            counts.failures().forEach((f, n) -> detail(details.addObject(), f, n));
        });
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a TLS-RPT report", e); // a tree of strings always writes
        }
    }

    private static void detail(ObjectNode d, TlsRptFailure f, long count) {
        d.put("result-type", f.resultType().value());
        putIfSet(d, "sending-mta-ip", f.sendingMtaIp());
        putIfSet(d, "receiving-mx-hostname", f.receivingMxHostname());
        putIfSet(d, "receiving-mx-helo", f.receivingMxHelo());
        putIfSet(d, "receiving-ip", f.receivingIp());
        d.put("failed-session-count", count);
        putIfSet(d, "additional-information", f.additionalInformation());
        putIfSet(d, "failure-reason-code", f.failureReasonCode());
    }

    private static void putIfSet(ObjectNode node, String name, String value) {
        if (value != null) {
            node.put(name, value);
        }
    }
}
