package io.reactivesmtp.reactor;

import io.netty.handler.codec.dns.DnsRecordType;
import java.net.InetSocketAddress;

/**
 * The reactor adapter's {@link TestDnsServer} (package-private, from its test-jar) for the cli's tests, which live
 * in another package: a loopback UDP DNS server whose zone the test fills in.
 */
public final class CliTestDns implements AutoCloseable {

    private final TestDnsServer server;

    private CliTestDns(TestDnsServer server) {
        this.server = server;
    }

    /** @return a server on 127.0.0.1 and an ephemeral port, with an empty zone */
    public static CliTestDns start() throws InterruptedException {
        return new CliTestDns(TestDnsServer.start());
    }

    /** An MX record; exchange "." is a null MX (RFC 7505). @return this */
    public CliTestDns mx(String name, int preference, String exchange) {
        server.mx(name, preference, exchange, 60);
        return this;
    }

    /** An A record. @return this */
    public CliTestDns a(String name, String ipv4) {
        server.a(name, ipv4, 60);
        return this;
    }

    /** A TXT record of these strings. @return this */
    public CliTestDns txt(String name, String... strings) {
        server.txt(name, 60, strings);
        return this;
    }

    /** A TLSA record (usage, selector, matching type, data). @return this */
    public CliTestDns tlsa(String name, int usage, int selector, int matchingType, byte[] data) {
        server.tlsa(name, usage, selector, matchingType, data, 60);
        return this;
    }

    /** @param ad whether answers to queries with the DO bit carry the AD bit (DNSSEC-validated) */
    public void authenticData(boolean ad) {
        server.authenticData(ad);
    }

    /** Answers about this name never carry the AD bit (a zone without DNSSEC). @return this */
    public CliTestDns unsigned(String name) {
        server.unsigned(name);
        return this;
    }

    /** @return where the server listens */
    public InetSocketAddress address() {
        return server.address();
    }

    /** @return the queries of this type ("MX", "A", ...) for this name received so far */
    public int queries(String name, String type) {
        return server.queries(name, DnsRecordType.valueOf(type));
    }

    @Override
    public void close() {
        server.close();
    }
}
