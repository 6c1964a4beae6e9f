package io.reactivesmtp.reactor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * One mail exchanger of a domain: its host name, MX preference (lower is tried first), and whether the MX answer
 * that named it was DNSSEC-validated, which DANE needs (RFC 7672 §2.2.1: TLSA records of an MX host an attacker
 * could have substituted authenticate nothing).
 */
public final class MxHost {

    private final String host;
    private final int preference;
    private final boolean dnssecValidated;

    private MxHost(String host, int preference, boolean dnssecValidated) {
        this.host = Objects.requireNonNull(host, "host");
        this.preference = preference;
        this.dnssecValidated = dnssecValidated;
    }

    /**
     * @param host the exchanger's host name
     * @param preference its MX preference, 0 to 65535
     * @return the exchanger, from an MX answer not known to be DNSSEC-validated (DANE does not apply to it)
     */
    public static MxHost of(String host, int preference) {
        return of(host, preference, false);
    }

    /**
     * @param host the exchanger's host name
     * @param preference its MX preference, 0 to 65535
     * @param dnssecValidated whether the MX answer (and any CNAME leading to it) was DNSSEC-validated, as a trusted
     *        resolver said; only then may {@link io.reactivesmtp.MxTlsLevel#DANE} use the host's TLSA records
     * @return the exchanger
     */
    public static MxHost of(String host, int preference, boolean dnssecValidated) {
        if (host.isBlank() || preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("invalid MX host \"" + host + "\" with preference " + preference);
        }
        return new MxHost(host, preference, dnssecValidated);
    }

    /** @return the exchanger's host name */
    public String host() {
        return host;
    }

    /** @return its MX preference */
    public int preference() {
        return preference;
    }

    /** @return whether the MX answer that named it was DNSSEC-validated (a condition of DANE) */
    public boolean dnssecValidated() {
        return dnssecValidated;
    }

    /** @return this host with the given DNSSEC status */
    MxHost withDnssecValidated(boolean validated) {
        return validated == dnssecValidated ? this : new MxHost(host, preference, validated);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MxHost && ((MxHost) o).host.equals(host) && ((MxHost) o).preference == preference
                && ((MxHost) o).dnssecValidated == dnssecValidated;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, preference, dnssecValidated);
    }

    /** @return e.g. {@code "10 mx.example.com"}, with {@code " (DNSSEC)"} when validated */
    @Override
    public String toString() {
        return preference + " " + host + (dnssecValidated ? " (DNSSEC)" : "");
    }

    /**
     * @param sorted MX hosts sorted by preference
     * @param validated whether the answer they came from was DNSSEC-validated
     * @return a new list of them: each with that flag, those of equal preference shuffled (load spreads over them)
     */
    static List<MxHost> shuffledWithinPreference(List<MxHost> sorted, boolean validated, Random random) {
        List<MxHost> hosts = new ArrayList<>(sorted.size());
        sorted.forEach(h -> hosts.add(h.withDnssecValidated(validated)));
        int start = 0;
        while (start < hosts.size()) {
            int end = start + 1;
            while (end < hosts.size() && hosts.get(end).preference() == hosts.get(start).preference()) {
                end++;
            }
            if (end - start > 1) {
                Collections.shuffle(hosts.subList(start, end), random);
            }
            start = end;
        }
        return Collections.unmodifiableList(hosts);
    }
}
