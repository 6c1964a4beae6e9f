package io.reactivesmtp.reactor;

import io.reactivesmtp.dane.TlsaRecord;
import java.util.List;
import java.util.Objects;

/**
 * What DNS says about the TLSA records of one MX host ({@code _25._tcp.mx.example.com}), and whether they can be
 * believed. Immutable.
 */
public final class TlsaAnswer {

    /** Whether DANE applies. */
    public enum Status {
        /** No TLSA records (the name does not exist, or has none): DANE does not apply. */
        NONE,
        /**
         * TLSA records, but not DNSSEC-validated (no AD bit, or the AD bit of a resolver that is not trusted): they
         * count as no TLSA (RFC 7672 §2.2), since anyone on the path could have made them up.
         */
        UNVALIDATED,
        /** TLSA records validated by DNSSEC, as a trusted resolver said with the AD bit: DANE applies. */
        VALIDATED
    }

    private static final TlsaAnswer NONE = new TlsaAnswer(Status.NONE, List.of(), 0);

    private final Status status;
    private final List<TlsaRecord> records;
    private final long ttlSeconds;

    private TlsaAnswer(Status status, List<TlsaRecord> records, long ttlSeconds) {
        this.status = status;
        this.records = records;
        this.ttlSeconds = ttlSeconds;
    }

    /** @return the answer without TLSA records */
    public static TlsaAnswer none() {
        return NONE;
    }

    /**
     * @param records the records, at least one
     * @param validated whether a trusted resolver validated them by DNSSEC
     * @param ttlSeconds how long they may be kept
     * @return the answer
     */
    public static TlsaAnswer of(List<TlsaRecord> records, boolean validated, long ttlSeconds) {
        if (records.isEmpty()) {
            throw new IllegalArgumentException("no TLSA records: use TlsaAnswer.none()");
        }
        return new TlsaAnswer(validated ? Status.VALIDATED : Status.UNVALIDATED, List.copyOf(records),
                Math.max(0, ttlSeconds));
    }

    /** @return whether DANE applies, and how */
    public Status status() {
        return status;
    }

    /** @return the records as found, usable or not; empty for {@link Status#NONE} */
    public List<TlsaRecord> records() {
        return records;
    }

    /** @return whether at least one record is usable for SMTP (usage 2 or 3, known selector and matching type) */
    public boolean hasUsable() {
        return records.stream().anyMatch(TlsaRecord::isUsable);
    }

    /** @return the smallest TTL of the records, in seconds */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TlsaAnswer && ((TlsaAnswer) o).status == status && ((TlsaAnswer) o).records.equals(records);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, records);
    }

    @Override
    public String toString() {
        return status + (records.isEmpty() ? "" : " " + records);
    }
}
