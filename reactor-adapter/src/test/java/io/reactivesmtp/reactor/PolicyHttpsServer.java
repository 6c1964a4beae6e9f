package io.reactivesmtp.reactor;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.reactivesmtp.testing.TestPki;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.TrustManagerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/**
 * An in-JVM HTTPS server for MTA-STS policies on a loopback port, presenting a test PKI certificate. Each policy
 * domain (from the Host header {@code mta-sts.<domain>}) gets the answer the test set: status, Content-Type,
 * body (sent with or without Content-Length), an optional delay before answering. It counts the requests per
 * domain. An unknown domain gets 404.
 */
final class PolicyHttpsServer implements AutoCloseable {

    private final LoopResources loops = LoopResources.create("policy-https", 1, true);
    private final Map<String, Answer> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final DisposableServer server;

    private PolicyHttpsServer(TestPki.Credential credential) {
        server = HttpServer.create()
                .host(InetAddress.getLoopbackAddress().getHostAddress())
                .port(0)
                .runOn(loops)
                .secure(spec -> spec.sslContext(TestPki.serverContext(credential)))
                .handle((req, res) -> {
                    String host = String.valueOf(req.requestHeaders().get(HttpHeaderNames.HOST));
                    int colon = host.lastIndexOf(':');
                    String domain = (colon > 0 ? host.substring(0, colon) : host).replaceFirst("^mta-sts\\.", "");
                    requests.computeIfAbsent(domain, d -> new AtomicInteger()).incrementAndGet();
                    Answer a = answers.get(domain);
                    if (a == null || !req.uri().equals("/.well-known/mta-sts.txt")) {
                        return res.status(HttpResponseStatus.NOT_FOUND).send();
                    }
                    res.status(a.status);
                    a.headers.forEach(res::header);
                    if (a.contentType != null) {
                        res.header(HttpHeaderNames.CONTENT_TYPE, a.contentType);
                    }
                    byte[] body = a.body.getBytes(StandardCharsets.ISO_8859_1);
                    if (!a.chunked) {
                        res.header(HttpHeaderNames.CONTENT_LENGTH, String.valueOf(body.length));
                    }
                    return Mono.delay(a.delay).then(res.sendByteArray(Flux.range(0, (body.length + 4095) / 4096)
                            .map(i -> java.util.Arrays.copyOfRange(body, i * 4096,
                                    Math.min(body.length, i * 4096 + 4096)))).then());
                })
                .bindNow();
    }

    /** @return a server presenting this certificate */
    static PolicyHttpsServer start(TestPki.Credential credential) {
        return new PolicyHttpsServer(credential);
    }

    /** @return a trust manager factory trusting only the test CA, for the policy fetches */
    static TrustManagerFactory trustingTestCa() {
        try {
            KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
            ks.load(null, null);
            ks.setCertificateEntry("test-ca", TestPki.ca().certificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ks);
            return tmf;
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return the port it listens on, on loopback */
    int port() {
        return server.port();
    }

    /** Serves a policy: 200, text/plain, with Content-Length. @return this */
    PolicyHttpsServer policy(String domain, String text) {
        return answer(domain, new Answer(200, "text/plain; charset=utf-8", text, false, Duration.ZERO, Map.of()));
    }

    /** Sets the full answer for a domain. @return this */
    PolicyHttpsServer answer(String domain, Answer answer) {
        answers.put(domain, answer);
        return this;
    }

    /** @return how many requests for the domain's policy host arrived */
    int requests(String domain) {
        AtomicInteger n = requests.get(domain);
        return n == null ? 0 : n.get();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
        loops.disposeLater().block(Duration.ofSeconds(5));
    }

    /**
     * One answer.
     *
     * @param status the HTTP status
     * @param contentType the Content-Type, or null for none
     * @param body the body, as ISO-8859-1 bytes
     * @param chunked whether to leave Content-Length out (chunked transfer)
     * @param delay how long to wait before answering
     * @param headers extra headers (e.g. Location)
     */
    record Answer(int status, String contentType, String body, boolean chunked, Duration delay,
            Map<String, String> headers) {
    }
}
