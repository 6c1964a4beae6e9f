package io.reactivesmtp;

import java.util.Objects;

/**
 * The TLS level a recipient domain's delivery reached and which policy set it, as recorded in
 * {@link SendReport#mxTls()}. Immutable.
 *
 * <pre>{@code
 * report.mxTls().forEach((domain, s) ->
 *     System.out.println(domain + ": " + s.level().displayName() + " from " + s.source()
 *         + (s.encrypted() ? ", encrypted" : ", plaintext")));
 * }</pre>
 */
public final class MxTlsStatus {

    /** Where the level came from. */
    public enum Source {
        /** No policy: the configured level's opportunistic behaviour ({@link MxTlsLevel#MAY} where DANE found nothing). */
        NONE,
        /** DNSSEC-validated TLSA records of the MX host (RFC 7672). */
        DANE,
        /** The domain's MTA-STS policy (RFC 8461). */
        MTA_STS,
        /** The level configured by the user ({@link MxTlsLevel#ENCRYPT}, {@link MxTlsLevel#VERIFY}, ...), or a configured policy. */
        CONFIGURED
    }

    private final String domain;
    private final String host;
    private final MxTlsLevel level;
    private final Source source;
    private final boolean encrypted;
    private final boolean plaintextAfterFailedHandshake;
    private final boolean mxDnssecValidated;

    private MxTlsStatus(String domain, String host, MxTlsLevel level, Source source, boolean encrypted,
            boolean plaintextAfterFailedHandshake, boolean mxDnssecValidated) {
        this.domain = Objects.requireNonNull(domain, "domain");
        this.host = Objects.requireNonNull(host, "host");
        this.level = Objects.requireNonNull(level, "level");
        this.source = Objects.requireNonNull(source, "source");
        this.encrypted = encrypted;
        this.plaintextAfterFailedHandshake = plaintextAfterFailedHandshake;
        this.mxDnssecValidated = mxDnssecValidated;
    }

    /**
     * @param domain the recipient domain
     * @param host the MX host the session went to
     * @param level the level in force for that host
     * @param source what set it
     * @return a status for a session not yet known to be encrypted, its MX answer not DNSSEC-validated
     */
    public static MxTlsStatus of(String domain, String host, MxTlsLevel level, Source source) {
        return new MxTlsStatus(domain, host, level, source, false, false, false);
    }

    /**
     * @param validated whether the MX answer that named the host was DNSSEC-validated (RFC 7672 §2.2.1: without
     *        it DANE does not apply, whatever TLSA records the host has)
     * @return a copy with this fact
     */
    public MxTlsStatus withMxDnssecValidated(boolean validated) {
        return new MxTlsStatus(domain, host, level, source, encrypted, plaintextAfterFailedHandshake, validated);
    }

    /**
     * @param isEncrypted whether the session ran over TLS
     * @param afterFailedHandshake whether it is the plaintext retry of {@link MxTlsLevel#MAY} after a failed handshake
     * @return a copy with these facts
     */
    public MxTlsStatus withSession(boolean isEncrypted, boolean afterFailedHandshake) {
        return new MxTlsStatus(domain, host, level, source, isEncrypted, afterFailedHandshake, mxDnssecValidated);
    }

    /** @return the recipient domain */
    public String domain() {
        return domain;
    }

    /** @return the MX host the session went to */
    public String host() {
        return host;
    }

    /** @return the level in force: {@link MxTlsLevel#DANE} only where TLSA records authenticated the host */
    public MxTlsLevel level() {
        return level;
    }

    /** @return what set the level */
    public Source source() {
        return source;
    }

    /** @return whether the session ran over TLS */
    public boolean encrypted() {
        return encrypted;
    }

    /** @return whether the certificate was authenticated (by DANE, or by CAs and names at verify and secure) */
    public boolean authenticated() {
        return encrypted && (level == MxTlsLevel.DANE || level == MxTlsLevel.VERIFY || level == MxTlsLevel.SECURE);
    }

    /** @return whether this was level {@link MxTlsLevel#MAY}'s plaintext retry after the TLS handshake failed */
    public boolean plaintextAfterFailedHandshake() {
        return plaintextAfterFailedHandshake;
    }

    /**
     * @return whether the MX answer that named {@link #host()} was DNSSEC-validated by a trusted resolver; when
     *     not, level {@link MxTlsLevel#DANE} fell back to the non-DANE rules (MTA-STS, or {@code may})
     */
    public boolean mxDnssecValidated() {
        return mxDnssecValidated;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof MxTlsStatus)) {
            return false;
        }
        MxTlsStatus s = (MxTlsStatus) o;
        return domain.equals(s.domain) && host.equals(s.host) && level == s.level && source == s.source
                && encrypted == s.encrypted && plaintextAfterFailedHandshake == s.plaintextAfterFailedHandshake
                && mxDnssecValidated == s.mxDnssecValidated;
    }

    @Override
    public int hashCode() {
        return Objects.hash(domain, host, level, source, encrypted, plaintextAfterFailedHandshake, mxDnssecValidated);
    }

    /** @return e.g. {@code "example.com via mx1.example.com: dane (DANE), encrypted, authenticated"} */
    @Override
    public String toString() {
        return domain + " via " + host + ": " + level.displayName() + " (" + source + "), "
                + (encrypted ? "encrypted" : "plaintext") + (authenticated() ? ", authenticated" : "")
                + (plaintextAfterFailedHandshake ? ", after a failed TLS handshake" : "")
                + (mxDnssecValidated ? ", MX DNSSEC-validated" : "");
    }
}
