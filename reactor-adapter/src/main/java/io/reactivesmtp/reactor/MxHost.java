package io.reactivesmtp.reactor;

import java.util.Objects;

/** One mail exchanger of a domain: its host name and MX preference (lower is tried first). */
public final class MxHost {

    private final String host;
    private final int preference;

    private MxHost(String host, int preference) {
        this.host = Objects.requireNonNull(host, "host");
        this.preference = preference;
    }

    /**
     * @param host the exchanger's host name
     * @param preference its MX preference, 0 to 65535
     * @return the exchanger
     */
    public static MxHost of(String host, int preference) {
        if (host.isBlank() || preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("invalid MX host \"" + host + "\" with preference " + preference);
        }
        return new MxHost(host, preference);
    }

    /** @return the exchanger's host name */
    public String host() {
        return host;
    }

    /** @return its MX preference */
    public int preference() {
        return preference;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MxHost && ((MxHost) o).host.equals(host) && ((MxHost) o).preference == preference;
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, preference);
    }

    @Override
    public String toString() {
        return preference + " " + host;
    }
}
