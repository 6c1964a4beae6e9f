package io.reactivesmtp.reactor.internal;

import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The names whose records answer a question: the name asked and the names its CNAME chain in the same answer
 * leads to. A recursive server follows CNAMEs itself and returns the chain with the records of its end; records
 * owned by any other name are not the answer (cache poisoning) and are ignored. Internal: not part of the API.
 */
public final class DnsCnameChain {

    /** How many CNAMEs are followed inside one answer; a loop or a longer chain is not followed further. */
    private static final int MAX_CNAME_CHAIN = 8;

    private final Set<String> owners;
    private final long ttlSeconds;

    private DnsCnameChain(Set<String> owners, long ttlSeconds) {
        this.owners = owners;
        this.ttlSeconds = ttlSeconds;
    }

    /**
     * Reads the CNAME records of a response's answer section; does not release it.
     *
     * @param name the canonical name that was asked for
     * @param response the server's response
     * @return the chain from {@code name}
     */
    public static DnsCnameChain of(String name, DnsResponse response) {
        int count = response.count(DnsSection.ANSWER);
        Map<String, String> cnames = new HashMap<>();
        Map<String, Long> cnameTtls = new HashMap<>();
        for (int i = 0; i < count; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() == DnsRecordType.CNAME && r instanceof DnsRawRecord) {
                // A duplicate: compression pointers move the reader index, the record's own must stay put.
                String target = DefaultDnsRecordDecoder.decodeName(((DnsRawRecord) r).content().duplicate());
                String owner = DnsNames.normalise(r.name());
                cnames.put(owner, DnsNames.normalise(target));
                cnameTtls.put(owner, r.timeToLive());
            }
        }
        Set<String> owners = new HashSet<>();
        long ttl = Long.MAX_VALUE;
        String current = name;
        owners.add(current);
        for (int i = 0; i < MAX_CNAME_CHAIN && cnames.containsKey(current); i++) {
            ttl = Math.min(ttl, cnameTtls.get(current));
            current = cnames.get(current);
            if (!owners.add(current)) {
                break;
            }
        }
        return new DnsCnameChain(owners, ttl);
    }

    /**
     * @param record a record of the answer section
     * @return whether its owner is the name asked or a name the chain leads to
     */
    public boolean owns(DnsRecord record) {
        return owners.contains(DnsNames.normalise(record.name()));
    }

    /** @return the smallest TTL of the CNAMEs followed, in seconds; {@link Long#MAX_VALUE} when there were none */
    public long ttlSeconds() {
        return ttlSeconds;
    }
}
