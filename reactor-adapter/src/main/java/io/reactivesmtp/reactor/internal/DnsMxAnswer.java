package io.reactivesmtp.reactor.internal;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.reactivesmtp.dane.TlsaRecord;
import io.reactivesmtp.reactor.MxHost;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one DNS response to an MX query says, copied out of the response so that the response (reference
 * counted) can be released at once and nothing pooled escapes into Reactor. Immutable. Internal: not part of
 * the API.
 */
public final class DnsMxAnswer {

    /** What the response means for mail routing. */
    public enum Kind {
        /** One or more usable MX records, or the implicit MX: {@link #hosts()}. */
        MX,
        /** Only a null MX (RFC 7505): the domain accepts no mail. */
        NULL_MX,
        /** MX records, but none with a host name a client could connect to: no implicit MX either. */
        UNUSABLE_MX,
        /** The name exists but has no records of the type asked (NODATA): for MX, implicit MX if it has an address. */
        NO_RECORDS,
        /** For an A or AAAA query: the name has addresses of that type. */
        ADDRESSES,
        /** For a TLSA query: TLSA records, {@link #tlsa()}; {@link #authenticData()} says whether the AD bit was set. */
        TLSA,
        /** The name does not exist. */
        NXDOMAIN,
        /** The server could not answer (SERVFAIL, REFUSED, ...): ask another server or try later. */
        SERVER_FAILURE
    }

    private final Kind kind;
    private final List<MxHost> hosts;
    private final long ttlSeconds;
    private final String responseCode;
    private final List<TlsaRecord> tlsa;
    private final boolean authenticData;

    private DnsMxAnswer(Kind kind, List<MxHost> hosts, long ttlSeconds, String responseCode, boolean authenticData) {
        this(kind, hosts, ttlSeconds, responseCode, List.of(), authenticData);
    }

    private DnsMxAnswer(Kind kind, List<MxHost> hosts, long ttlSeconds, String responseCode, List<TlsaRecord> tlsa,
            boolean authenticData) {
        this.kind = kind;
        this.hosts = hosts;
        this.ttlSeconds = ttlSeconds;
        this.responseCode = responseCode;
        this.tlsa = tlsa;
        this.authenticData = authenticData;
    }

    /**
     * @param domain the canonical domain, which has an address but no MX
     * @param ttlSeconds the smallest TTL of its address records
     * @param authenticData whether both the answer without MX records and the address answer had the AD bit
     *        (RFC 7672 §2.2.2: DANE for a domain without MX needs both DNSSEC-validated)
     * @return the implicit MX of RFC 5321 section 5.1: the domain itself, preference 0
     */
    public static DnsMxAnswer implicit(String domain, long ttlSeconds, boolean authenticData) {
        return new DnsMxAnswer(Kind.MX, List.of(MxHost.of(domain, 0)), ttlSeconds, "implicit MX", authenticData);
    }

    /**
     * Reads a response; does not release it.
     *
     * @param domain the canonical domain that was asked for
     * @param type the type asked for: MX, A or AAAA
     * @param response the server's response
     * @return what it means
     * @throws CorruptedFrameException if an MX record is malformed
     */
    public static DnsMxAnswer parse(String domain, DnsRecordType type, DnsResponse response) {
        DnsResponseCode code = response.code();
        // The AD bit (RFC 4035 §3.2.3) sits in what Netty calls Z: the three bits Z, AD, CD. A validating resolver
        // sets it only when every RRset of the answer (CNAMEs included) validated.
        boolean ad = (response.z() & 0x2) != 0;
        if (code == DnsResponseCode.NXDOMAIN) {
            return new DnsMxAnswer(Kind.NXDOMAIN, List.of(), 0, rcode(code), ad);
        }
        if (code != DnsResponseCode.NOERROR) {
            return new DnsMxAnswer(Kind.SERVER_FAILURE, List.of(), 0, rcode(code), false);
        }
        int count = response.count(DnsSection.ANSWER);
        // MX records owned by the domain or by a name its CNAME chain in this answer leads to, nothing else.
        DnsCnameChain owners = DnsCnameChain.of(domain, response);
        long ttl = owners.ttlSeconds();

        if (type == DnsRecordType.TLSA) {
            return tlsa(domain, response, owners, ttl, rcode(code), ad);
        }
        if (type != DnsRecordType.MX) {
            boolean found = false;
            for (int i = 0; i < count; i++) {
                DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
                if (r.type() == type && owners.owns(r)) {
                    found = true;
                    ttl = Math.min(ttl, r.timeToLive());
                }
            }
            return found ? new DnsMxAnswer(Kind.ADDRESSES, List.of(), ttl, rcode(code), ad)
                    : new DnsMxAnswer(Kind.NO_RECORDS, List.of(), 0, rcode(code), ad);
        }

        Map<String, Integer> preferences = new LinkedHashMap<>();
        boolean nullMx = false;
        boolean sawMx = false;
        for (int i = 0; i < count; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() != DnsRecordType.MX || !(r instanceof DnsRawRecord)
                    || !owners.owns(r)) {
                continue;
            }
            ByteBuf rdata = ((DnsRawRecord) r).content();
            if (rdata.readableBytes() < 3) {
                throw new CorruptedFrameException("MX record of " + domain + " too short: " + rdata.readableBytes()
                        + " bytes");
            }
            int preference = rdata.getUnsignedShort(rdata.readerIndex());
            String exchange = DnsNames.normalise(decodeName(rdata.duplicate().skipBytes(2)));
            ttl = Math.min(ttl, r.timeToLive());
            sawMx = true;
            if (exchange.isEmpty()) {
                // "." as exchange: the null MX of RFC 7505. Mixed with real MX records it is a misconfiguration;
                // the real ones still route, and "." itself can never be connected to.
                nullMx = true;
                continue;
            }
            String host;
            try {
                host = DnsNames.canonical(exchange, "MX host");
            } catch (IllegalArgumentException e) {
                // A name no SMTP client could connect to (controls, non-ASCII, bad labels): skip it, the others
                // may work. Checked here, not left to MxHost, because the name comes from the network.
                continue;
            }
            // The same host twice (different preferences): the lowest wins, trying it again later is useless.
            preferences.merge(host, preference, Math::min);
        }
        if (preferences.isEmpty()) {
            if (nullMx) {
                return new DnsMxAnswer(Kind.NULL_MX, List.of(), ttl, rcode(code), ad);
            }
            if (sawMx) {
                // RFC 5321 5.1: the implicit MX applies only when there are no MX records at all.
                return new DnsMxAnswer(Kind.UNUSABLE_MX, List.of(), 0, rcode(code), ad);
            }
            return new DnsMxAnswer(Kind.NO_RECORDS, List.of(), 0, rcode(code), ad);
        }
        List<MxHost> hosts = new ArrayList<>(preferences.size());
        preferences.forEach((host, preference) -> hosts.add(MxHost.of(host, preference)));
        hosts.sort(Comparator.comparingInt(MxHost::preference));
        return new DnsMxAnswer(Kind.MX, Collections.unmodifiableList(hosts), ttl, rcode(code), ad);
    }

    /** TLSA records owned by the name or the end of its CNAME chain; a malformed one makes the answer malformed. */
    private static DnsMxAnswer tlsa(String domain, DnsResponse response, DnsCnameChain owners, long chainTtl,
            String rcode, boolean ad) {
        List<TlsaRecord> records = new ArrayList<>();
        long ttl = chainTtl;
        for (int i = 0; i < response.count(DnsSection.ANSWER); i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() != DnsRecordType.TLSA || !(r instanceof DnsRawRecord) || !owners.owns(r)) {
                continue;
            }
            ByteBuf rdata = ((DnsRawRecord) r).content();
            byte[] bytes = new byte[rdata.readableBytes()];
            rdata.getBytes(rdata.readerIndex(), bytes);
            try {
                records.add(TlsaRecord.parse(bytes));
            } catch (IllegalArgumentException e) {
                throw new CorruptedFrameException("TLSA record of " + domain + " malformed: " + e.getMessage());
            }
            ttl = Math.min(ttl, r.timeToLive());
        }
        return records.isEmpty() ? new DnsMxAnswer(Kind.NO_RECORDS, List.of(), 0, rcode, List.of(), ad)
                : new DnsMxAnswer(Kind.TLSA, List.of(), ttl, rcode, List.copyOf(records), ad);
    }

    /** @return for {@link Kind#TLSA}, the records as found (usable or not); else empty */
    public List<TlsaRecord> tlsa() {
        return tlsa;
    }

    /**
     * @return whether the response had the AD bit: its server says it validated the answer by DNSSEC (for MX,
     *     address and TLSA answers, and a proven NXDOMAIN or NODATA; never for SERVER_FAILURE)
     */
    public boolean authenticData() {
        return authenticData;
    }

    /** "SERVFAIL (rcode 2)": the name operators know from dig, and the number. */
    static String rcode(DnsResponseCode code) {
        String name = code.toString();
        int paren = name.indexOf('(');
        return (paren > 0 ? name.substring(0, paren) : name).toUpperCase(java.util.Locale.ROOT)
                + " (rcode " + code.intValue() + ")";
    }

    private static String decodeName(ByteBuf in) {
        // A duplicate: compression pointers move the reader index, the record's own index must stay put.
        return DefaultDnsRecordDecoder.decodeName(in.duplicate());
    }

    /** @return what the response means */
    public Kind kind() {
        return kind;
    }

    /** @return for {@link Kind#MX}, the exchangers sorted by preference (not shuffled); else empty */
    public List<MxHost> hosts() {
        return hosts;
    }

    /** @return the smallest TTL of the records used (CNAMEs included), in seconds; 0 when nothing to cache */
    public long ttlSeconds() {
        return ttlSeconds;
    }

    /** @return the DNS response code, e.g. {@code NOERROR (rcode 0)} or {@code SERVFAIL (rcode 2)} */
    public String responseCode() {
        return responseCode;
    }

    @Override
    public String toString() {
        return kind + " " + hosts + " ttl " + ttlSeconds + "s (" + responseCode + ")";
    }
}
