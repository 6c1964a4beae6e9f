package io.reactivesmtp.reactor;

import io.reactivesmtp.testing.TestPki;

/**
 * The reactor adapter's {@link PolicyHttpsServer} (package-private, from its test-jar) for the cli's tests: an
 * in-JVM HTTPS server on loopback serving MTA-STS policies with a test PKI certificate.
 */
public final class CliPolicyServer implements AutoCloseable {

    private final PolicyHttpsServer server;

    private CliPolicyServer(PolicyHttpsServer server) {
        this.server = server;
    }

    /** @param credential the certificate it presents @return a started server */
    public static CliPolicyServer start(TestPki.Credential credential) {
        return new CliPolicyServer(PolicyHttpsServer.start(credential));
    }

    /** Serves a policy for the domain: 200, text/plain. @return this */
    public CliPolicyServer policy(String domain, String text) {
        server.policy(domain, text);
        return this;
    }

    /** @return its port on loopback */
    public int port() {
        return server.port();
    }

    /** @return how many policy requests for the domain arrived */
    public int requests(String domain) {
        return server.requests(domain);
    }

    @Override
    public void close() {
        server.close();
    }
}
