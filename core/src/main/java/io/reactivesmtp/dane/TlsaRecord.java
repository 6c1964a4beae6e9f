package io.reactivesmtp.dane;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * One TLSA record (RFC 6698 §2.1): certificate usage, selector, matching type and the association data.
 * Immutable; records with values this client does not use are kept (they count as a TLSA set that exists) and
 * reported unusable by {@link #isUsable()}.
 *
 * <pre>{@code
 * TlsaRecord ee = TlsaRecord.of(3, 1, 1, HexFormat.of().parseHex("8cb0fc6c..."));   // DANE-EE SPKI SHA-256
 * }</pre>
 */
public final class TlsaRecord {

    /** Usage 2, DANE-TA: a trust anchor of the server's chain (RFC 7672 §3.1.2). */
    public static final int DANE_TA = 2;
    /** Usage 3, DANE-EE: the server's own certificate or key (RFC 7672 §3.1.1). */
    public static final int DANE_EE = 3;
    /** Selector 0: the full certificate (DER). */
    public static final int FULL_CERTIFICATE = 0;
    /** Selector 1: the SubjectPublicKeyInfo (DER). */
    public static final int SPKI = 1;
    /** Matching type 0: the selected bytes exactly. */
    public static final int EXACT = 0;
    /** Matching type 1: their SHA-256. */
    public static final int SHA2_256 = 1;
    /** Matching type 2: their SHA-512. */
    public static final int SHA2_512 = 2;

    /** A TLSA RDATA of more than this is not believed (a full certificate is a few kB). */
    private static final int MAX_DATA = 16_384;

    private final int usage;
    private final int selector;
    private final int matchingType;
    private final byte[] data;

    private TlsaRecord(int usage, int selector, int matchingType, byte[] data) {
        this.usage = usage;
        this.selector = selector;
        this.matchingType = matchingType;
        this.data = data;
    }

    /**
     * @param usage the certificate usage, 0 to 255
     * @param selector the selector, 0 to 255
     * @param matchingType the matching type, 0 to 255
     * @param data the certificate association data, 1 to 16384 bytes (copied)
     * @return the record
     * @throws IllegalArgumentException naming the field if a value is out of range
     */
    public static TlsaRecord of(int usage, int selector, int matchingType, byte[] data) {
        checkByte(usage, "usage");
        checkByte(selector, "selector");
        checkByte(matchingType, "matching type");
        if (data == null || data.length == 0 || data.length > MAX_DATA) {
            throw new IllegalArgumentException("invalid TLSA association data: " + (data == null ? "null"
                    : data.length + " bytes") + ", expected 1 to " + MAX_DATA);
        }
        return new TlsaRecord(usage, selector, matchingType, data.clone());
    }

    /**
     * @param rdata the record's RDATA as on the wire: usage, selector, matching type, then the data
     * @return the record
     * @throws IllegalArgumentException if it is shorter than 4 bytes or too long
     */
    public static TlsaRecord parse(byte[] rdata) {
        if (rdata.length < 4) {
            throw new IllegalArgumentException("TLSA record too short: " + rdata.length + " bytes, at least 4 expected");
        }
        return of(rdata[0] & 0xff, rdata[1] & 0xff, rdata[2] & 0xff, Arrays.copyOfRange(rdata, 3, rdata.length));
    }

    private static void checkByte(int value, String field) {
        if (value < 0 || value > 255) {
            throw new IllegalArgumentException("invalid TLSA " + field + " " + value + ": expected 0 to 255");
        }
    }

    /**
     * @return whether SMTP may use it (RFC 7672 §3.1): usage DANE-TA or DANE-EE (PKIX usages 0 and 1 are not for
     *     SMTP), selector 0 or 1, matching type 0, 1 or 2, and a digest of the digest's length
     */
    public boolean isUsable() {
        if (usage != DANE_TA && usage != DANE_EE || selector != FULL_CERTIFICATE && selector != SPKI) {
            return false;
        }
        switch (matchingType) {
            case EXACT:
                return true;
            case SHA2_256:
                return data.length == 32;
            case SHA2_512:
                return data.length == 64;
            default:
                return false;
        }
    }

    /** @return the certificate usage */
    public int usage() {
        return usage;
    }

    /** @return the selector */
    public int selector() {
        return selector;
    }

    /** @return the matching type */
    public int matchingType() {
        return matchingType;
    }

    /** @return a copy of the association data */
    public byte[] data() {
        return data.clone();
    }

    /** Package-private: matching reads the data without a copy per certificate. */
    byte[] dataNoCopy() {
        return data;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TlsaRecord)) {
            return false;
        }
        TlsaRecord r = (TlsaRecord) o;
        return usage == r.usage && selector == r.selector && matchingType == r.matchingType && Arrays.equals(data, r.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * usage + selector) + matchingType) + Arrays.hashCode(data);
    }

    /** @return presentation form, {@code "3 1 1 8cb0..."}, the data shortened past 32 bytes */
    @Override
    public String toString() {
        String hex = HexFormat.of().formatHex(data, 0, Math.min(data.length, 32)).toLowerCase(Locale.ROOT);
        return usage + " " + selector + " " + matchingType + " " + hex + (data.length > 32 ? "..." : "");
    }
}
