package io.reactivesmtp.reactor.internal.mtasts;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.reactivesmtp.reactor.internal.DnsCnameChain;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Reads the TXT records of a DNS response into strings. Internal: not part of the API. */
public final class DnsTxtAnswer {

    private DnsTxtAnswer() {
    }

    /**
     * Reads a response; does not release it. NXDOMAIN and NODATA give an empty list.
     *
     * @param name the canonical name that was asked for
     * @param response a NOERROR or NXDOMAIN response
     * @return the TXT records owned by the name or by the names its CNAME chain leads to, each record's
     *         character-strings concatenated (RFC 8461 3.1, RFC 8460 3), bytes as ISO-8859-1 characters so that
     *         the strict parsers see (and refuse) anything that is not ASCII
     * @throws CorruptedFrameException if a character-string runs past its record
     */
    public static List<String> read(String name, DnsResponse response) {
        DnsCnameChain owners = DnsCnameChain.of(name, response);
        List<String> records = new ArrayList<>();
        int count = response.count(DnsSection.ANSWER);
        for (int i = 0; i < count; i++) {
            DnsRecord r = response.recordAt(DnsSection.ANSWER, i);
            if (r.type() != DnsRecordType.TXT || !(r instanceof DnsRawRecord) || !owners.owns(r)) {
                continue;
            }
            ByteBuf rdata = ((DnsRawRecord) r).content();
            StringBuilder text = new StringBuilder();
            int at = rdata.readerIndex();
            int end = rdata.writerIndex();
            while (at < end) {
                int length = rdata.getUnsignedByte(at);
                if (at + 1 + length > end) {
                    throw new CorruptedFrameException("TXT record of " + name + ": a " + length
                            + "-byte string runs past the record's end");
                }
                text.append(rdata.toString(at + 1, length, StandardCharsets.ISO_8859_1));
                at += 1 + length;
            }
            records.add(text.toString());
        }
        return List.copyOf(records);
    }
}
