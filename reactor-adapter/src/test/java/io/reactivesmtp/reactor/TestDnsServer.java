package io.reactivesmtp.reactor;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A tiny authoritative DNS server for tests, on a loopback UDP port of its own, built on netty-codec-dns. The
 * test configures its zone: MX, A, TXT and CNAME records per name. It answers NXDOMAIN for unknown names, NODATA
 * (NOERROR, empty answer) for known names without the type asked, and SERVFAIL for names marked broken. It
 * counts the queries per name and type, and can drop every query, or every query of one type (to provoke
 * timeouts). For DANE it serves TLSA records and, when told to, sets the AD bit as a validating resolver does:
 * only in answers to queries that carry the DO bit (RFC 3225, RFC 6840 §5.7).
 *
 * <pre>{@code
 * try (TestDnsServer dns = TestDnsServer.start()) {
 *     dns.mx("example.test", 10, "mx1.example.test", 60).a("mx1.example.test", "127.0.0.1", 60);
 *     ... DnsMxResolver.builder(loop).nameServers(dns.address()) ...
 * }
 * }</pre>
 */
final class TestDnsServer implements AutoCloseable {

    private final EventLoopGroup group;
    private final Channel channel;
    private final Map<String, List<Rr>> zone = new ConcurrentHashMap<>();
    private final Map<String, Boolean> broken = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> queries = new ConcurrentHashMap<>();
    private final AtomicBoolean drop = new AtomicBoolean();
    private final Set<DnsRecordType> droppedTypes = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean authenticData = new AtomicBoolean();
    private final Set<String> unsigned = ConcurrentHashMap.newKeySet();
    private final AtomicInteger dnssecOkQueries = new AtomicInteger();

    private TestDnsServer() throws InterruptedException {
        group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                .handler(new ChannelInitializer<DatagramChannel>() {
                    @Override
                    protected void initChannel(DatagramChannel ch) {
                        ch.pipeline().addLast(new DatagramDnsQueryDecoder(), new DatagramDnsResponseEncoder(),
                                new Responder());
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
    }

    /** @return a server listening on 127.0.0.1 and an ephemeral port, with an empty zone */
    static TestDnsServer start() throws InterruptedException {
        return new TestDnsServer();
    }

    /** @return where the server listens */
    InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** Adds an MX record; {@code exchange} "." makes a null MX (RFC 7505). @return this */
    TestDnsServer mx(String name, int preference, String exchange, long ttlSeconds) {
        ByteBuf rdata = Unpooled.buffer();
        rdata.writeShort(preference);
        writeName(rdata, exchange);
        return add(name, DnsRecordType.MX, ttlSeconds, rdata);
    }

    /** Adds an A record. @return this */
    TestDnsServer a(String name, String ipv4, long ttlSeconds) {
        try {
            return add(name, DnsRecordType.A, ttlSeconds, Unpooled.wrappedBuffer(InetAddress.getByName(ipv4)
                    .getAddress()));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ipv4, e);
        }
    }

    /** Adds an AAAA record. @return this */
    TestDnsServer aaaa(String name, String ipv6, long ttlSeconds) {
        try {
            byte[] address = java.net.Inet6Address.getByName(ipv6).getAddress();
            if (address.length != 16) {
                throw new IllegalArgumentException("not an IPv6 address: " + ipv6);
            }
            return add(name, DnsRecordType.AAAA, ttlSeconds, Unpooled.wrappedBuffer(address));
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException(ipv6, e);
        }
    }

    /**
     * Adds a TXT record made of one or more character-strings (a reader concatenates them).
     *
     * @param strings each at most 255 bytes of ISO-8859-1
     * @return this
     */
    TestDnsServer txt(String name, long ttlSeconds, String... strings) {
        ByteBuf rdata = Unpooled.buffer();
        for (String s : strings) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            if (b.length > 255) {
                rdata.release();
                throw new IllegalArgumentException("a TXT character-string is at most 255 bytes: " + b.length);
            }
            rdata.writeByte(b.length).writeBytes(b);
        }
        return add(name, DnsRecordType.TXT, ttlSeconds, rdata);
    }

    /** Removes every record of a name (it stops existing). @return this */
    TestDnsServer remove(String name) {
        zone.remove(key(name));
        return this;
    }

    /** Adds a TLSA record (RFC 6698): usage, selector, matching type, association data. @return this */
    TestDnsServer tlsa(String name, int usage, int selector, int matchingType, byte[] data, long ttlSeconds) {
        ByteBuf rdata = Unpooled.buffer();
        rdata.writeByte(usage).writeByte(selector).writeByte(matchingType).writeBytes(data);
        return add(name, DnsRecordType.TLSA, ttlSeconds, rdata);
    }

    /** @param ad whether answers to queries with the DO bit say, by the AD bit, that they were DNSSEC-validated */
    void authenticData(boolean ad) {
        authenticData.set(ad);
    }

    /**
     * Answers to these questions never carry the AD bit, as for a name in a zone without DNSSEC, even when
     * {@link #authenticData(boolean)} is on.
     *
     * @param name the name asked about
     * @param types the types asked; none for every type
     * @return this
     */
    TestDnsServer unsigned(String name, DnsRecordType... types) {
        if (types.length == 0) {
            unsigned.add(key(name));
        }
        for (DnsRecordType t : types) {
            unsigned.add(key(name) + " " + t.name());
        }
        return this;
    }

    /** @param type a record type whose queries are ignored from now on (the client times out) */
    void dropQueries(DnsRecordType type) {
        droppedTypes.add(type);
    }

    /** @return how many queries carried an OPT record with the DO bit */
    int dnssecOkQueries() {
        return dnssecOkQueries.get();
    }

    /** Adds a CNAME record: answers to queries for {@code name} carry it, then the target's records. @return this */
    TestDnsServer cname(String name, String target, long ttlSeconds) {
        ByteBuf rdata = Unpooled.buffer();
        writeName(rdata, target);
        return add(name, DnsRecordType.CNAME, ttlSeconds, rdata);
    }

    /** Makes a name exist with no records at all (every query gets NODATA). @return this */
    TestDnsServer exists(String name) {
        zone.computeIfAbsent(key(name), k -> new CopyOnWriteArrayList<>());
        return this;
    }

    /** Answers SERVFAIL to every query for this name. @return this */
    TestDnsServer servfail(String name) {
        broken.put(key(name), Boolean.TRUE);
        return this;
    }

    /** @param dropQueries whether to ignore every query from now on (the client times out) */
    void dropQueries(boolean dropQueries) {
        drop.set(dropQueries);
    }

    /** @return how many queries of this type for this name arrived (dropped ones included) */
    int queries(String name, DnsRecordType type) {
        AtomicInteger n = queries.get(key(name) + " " + type.name());
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private TestDnsServer add(String name, DnsRecordType type, long ttl, ByteBuf rdata) {
        byte[] bytes = new byte[rdata.readableBytes()];
        rdata.readBytes(bytes);
        rdata.release();
        zone.computeIfAbsent(key(name), k -> new CopyOnWriteArrayList<>()).add(new Rr(type, ttl, bytes));
        return this;
    }

    private static String key(String name) {
        String s = name.endsWith(".") && name.length() > 1 ? name.substring(0, name.length() - 1) : name;
        return s.toLowerCase(Locale.ROOT);
    }

    /** Uncompressed wire form of a name; "." is the root, a single zero byte. */
    private static void writeName(ByteBuf out, String name) {
        for (String label : key(name).split("\\.")) {
            if (label.isEmpty()) {
                continue;
            }
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            out.writeByte(b.length).writeBytes(b);
        }
        out.writeByte(0);
    }

    private static final class Rr {
        final DnsRecordType type;
        final long ttl;
        final byte[] rdata;

        Rr(DnsRecordType type, long ttl, byte[] rdata) {
            this.type = type;
            this.ttl = ttl;
            this.rdata = rdata;
        }
    }

    private final class Responder extends SimpleChannelInboundHandler<DatagramDnsQuery> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, DatagramDnsQuery query) {
            DnsQuestion question = query.recordAt(DnsSection.QUESTION);
            String name = key(question.name());
            queries.computeIfAbsent(name + " " + question.type().name(), k -> new AtomicInteger()).incrementAndGet();
            if (drop.get() || droppedTypes.contains(question.type())) {
                return;
            }
            boolean dnssecOk = false;
            for (int i = 0; i < query.count(DnsSection.ADDITIONAL); i++) {
                DnsRecord r = query.recordAt(DnsSection.ADDITIONAL, i);
                dnssecOk |= r.type() == DnsRecordType.OPT && (r.timeToLive() & 0x8000) != 0;
            }
            if (dnssecOk) {
                dnssecOkQueries.incrementAndGet();
            }
            DatagramDnsResponse response = new DatagramDnsResponse(query.recipient(), query.sender(), query.id());
            response.setAuthoritativeAnswer(true).setRecursionDesired(query.isRecursionDesired())
                    .setRecursionAvailable(true);
            response.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(question.name(), question.type()));
            if (broken.containsKey(name)) {
                response.setCode(DnsResponseCode.SERVFAIL);
            } else if (!zone.containsKey(name)) {
                response.setCode(DnsResponseCode.NXDOMAIN);
            } else {
                // Follow CNAMEs like a recursive server would, at most a few steps.
                String current = name;
                for (int hop = 0; hop < 8 && current != null; hop++) {
                    List<Rr> records = zone.getOrDefault(current, List.of());
                    String next = null;
                    for (Rr rr : records) {
                        if (rr.type == question.type() || rr.type == DnsRecordType.CNAME) {
                            response.addRecord(DnsSection.ANSWER, new DefaultDnsRawRecord(current + ".", rr.type,
                                    rr.ttl, Unpooled.wrappedBuffer(rr.rdata)));
                        }
                        if (rr.type == DnsRecordType.CNAME && question.type() != DnsRecordType.CNAME) {
                            ByteBuf b = Unpooled.wrappedBuffer(rr.rdata);
                            try {
                                next = key(DefaultDnsRecordDecoder.decodeName(b));
                            } finally {
                                b.release();
                            }
                        }
                    }
                    current = next;
                }
            }
            if (dnssecOk && authenticData.get() && !unsigned.contains(name)
                    && !unsigned.contains(name + " " + question.type().name())) {
                response.setZ(0x2); // the AD bit: Netty's Z holds the three bits Z, AD, CD
            }
            ctx.writeAndFlush(response);
        }
    }
}
