package io.reactivesmtp.reactor.mtasts;

import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.reactor.internal.DnsNames;
import io.reactivesmtp.reactor.internal.mtasts.TxtFields;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import reactor.core.publisher.Mono;

/**
 * A domain's TLS-RPT record (RFC 8460 3), {@code _smtp._tls.<domain> TXT "v=TLSRPTv1; rua=mailto:...,https://..."}:
 * where the domain wants its aggregate reports. Sending them is the application's part (mail to the
 * {@code mailto:} URIs, POST to the {@code https:} ones). Immutable.
 *
 * <pre>{@code
 * Optional<TlsRptRecord> where = TlsRptRecord.lookup(dns, "example.com").block(Duration.ofSeconds(10));
 * }</pre>
 *
 * @param rua the report URIs, {@code mailto:} and {@code https:} only, in the record's order; at least one
 */
public record TlsRptRecord(List<URI> rua) {

    private static final String VERSION = "v=TLSRPTv1";

    /** Checks there is at least one URI, each mailto: or https:. */
    public TlsRptRecord {
        rua = List.copyOf(rua);
        if (rua.isEmpty()) {
            throw new IllegalArgumentException("a TLS-RPT record needs at least one mailto: or https: rua URI");
        }
        for (URI uri : rua) {
            if (!isSupported(uri)) {
                throw new IllegalArgumentException("unsupported TLS-RPT rua URI " + uri + ": expected mailto: or https:");
            }
        }
    }

    /**
     * Reads one record strictly. URIs of other schemes are skipped (a later RFC may add some); a record left
     * with none is invalid.
     *
     * @param record the TXT record's text
     * @return the record
     * @throws IllegalArgumentException naming the record and what is wrong with it
     */
    public static TlsRptRecord parse(String record) {
        String rua = TxtFields.parse(record, VERSION, Set.of("rua"), "TLS-RPT").get("rua");
        if (rua == null) {
            throw new IllegalArgumentException("invalid TLS-RPT TXT record \"" + SafeText.escape(record) + "\": no rua");
        }
        List<URI> uris = new ArrayList<>();
        for (String part : rua.split(",", -1)) {
            String text = part.strip();
            if (text.isEmpty()) {
                throw new IllegalArgumentException("invalid TLS-RPT TXT record \"" + SafeText.escape(record)
                        + "\": empty rua URI");
            }
            URI uri;
            try {
                uri = new URI(text);
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("invalid TLS-RPT TXT record \"" + SafeText.escape(record)
                        + "\": rua URI \"" + SafeText.escape(text) + "\" is malformed: " + e.getReason(), e);
            }
            if (isSupported(uri)) {
                uris.add(uri);
            }
        }
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("invalid TLS-RPT TXT record \"" + SafeText.escape(record)
                    + "\": no mailto: or https: rua URI");
        }
        return new TlsRptRecord(uris);
    }

    /**
     * @param records the TXT records of {@code _smtp._tls.<domain>}
     * @return the record when exactly one begins with {@code v=TLSRPTv1} and it is valid; otherwise empty: the
     *         domain does not take reports (RFC 8460 3)
     */
    public static Optional<TlsRptRecord> select(List<String> records) {
        List<String> candidates = TxtFields.candidates(records, VERSION);
        if (candidates.size() != 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(candidates.get(0)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * @param txt how TXT records are asked for
     * @param domain the policy domain, in ASCII
     * @return a cold Mono of the domain's record, empty when it takes no reports; errors when DNS did not answer
     *         (try again later)
     * @throws IllegalArgumentException if the domain is not a valid DNS name (at once)
     */
    public static Mono<Optional<TlsRptRecord>> lookup(TxtLookup txt, String domain) {
        String d = DnsNames.canonical(domain, "domain");
        String name = "_smtp._tls." + d;
        // A domain this long cannot have the record (253 characters at most in a DNS name).
        return name.length() > 253 ? Mono.just(Optional.empty())
                : Mono.defer(() -> txt.txt(name)).map(TlsRptRecord::select);
    }

    /** @return the {@code mailto:} URIs: send the gzipped report as an attachment (RFC 8460 5.3) */
    public List<URI> mailto() {
        return rua.stream().filter(u -> u.getScheme().equalsIgnoreCase("mailto")).toList();
    }

    /** @return the {@code https:} URIs: POST the gzipped report (RFC 8460 5.4) */
    public List<URI> https() {
        return rua.stream().filter(u -> u.getScheme().equalsIgnoreCase("https")).toList();
    }

    private static boolean isSupported(URI uri) {
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        return scheme.equals("mailto") || scheme.equals("https");
    }
}
