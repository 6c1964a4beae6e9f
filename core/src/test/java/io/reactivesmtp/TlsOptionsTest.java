package io.reactivesmtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.reactivesmtp.testing.TestPki;
import io.reactivesmtp.testing.TestPki.Credential;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.Provider;
import java.security.cert.CertificateException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.TrustManagerFactorySpi;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

@Timeout(60)
class TlsOptionsTest {

    private static final long WAIT_SECONDS = 10;

    @TempDir
    static Path dir;

    private static Path caPem;

    @BeforeAll
    static void writePki() {
        caPem = TestPki.caPem(dir);
    }

    private static Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text, StandardCharsets.US_ASCII);
    }

    /** Creates a handler outside any pipeline, inspects its engine, and releases it. */
    private static void withEngine(TlsOptions options, String host, int port, Consumer<SslHandler> check) {
        SslHandler handler = options.newHandler(ByteBufAllocator.DEFAULT, host, port);
        try {
            check.accept(handler);
        } finally {
            ReferenceCountUtil.release(handler.engine());
        }
    }

    @Nested
    class Defaults {

        @Test
        void defaultIsRequiredVerifyingAndAuto() {
            TlsOptions d = TlsOptions.DEFAULT;
            assertThat(d.policy()).isEqualTo(TlsPolicy.REQUIRED);
            assertThat(d.isInsecure()).isFalse();
            assertThat(d.serverName()).isEmpty();
            assertThat(d.protocols()).containsExactly("TLSv1.3", "TLSv1.2");
            assertThat(d.provider()).isNotEqualTo(TlsProvider.AUTO);
            assertThat(d.toString()).contains("policy=REQUIRED", "trust=JDK default").doesNotContain("INSECURE");
            assertThat(TlsOptions.builder().build()).isEqualTo(d).hasSameHashCodeAs(d);
        }

        @Test
        void autoResolvesToOpenSslHereBecauseTcnativeIsOnTheClassPath() {
            assertThat(OpenSsl.isAvailable()).as("OpenSSL unavailable: %s", OpenSsl.unavailabilityCause()).isTrue();
            assertThat(TlsProvider.AUTO.resolve()).isEqualTo(TlsProvider.OPENSSL);
            assertThat(TlsOptions.DEFAULT.provider()).isEqualTo(TlsProvider.OPENSSL);
            assertThat(TlsOptions.builder().provider(TlsProvider.JDK).build().provider()).isEqualTo(TlsProvider.JDK);
            assertThat(TlsOptions.builder().provider(TlsProvider.OPENSSL).build().provider())
                    .isEqualTo(TlsProvider.OPENSSL);
        }

        @Test
        void mutateKeepsEverything() {
            TlsOptions o = TlsOptions.builder().policy(TlsPolicy.IMPLICIT).trustPem(caPem).serverName("mx.example.com")
                    .protocols("TLSv1.3").provider(TlsProvider.JDK).build();
            TlsOptions copy = o.mutate().build();
            assertThat(copy).isEqualTo(o);
            assertThat(copy.policy()).isEqualTo(TlsPolicy.IMPLICIT);
            assertThat(copy.serverName()).contains("mx.example.com");
            assertThat(copy.protocols()).containsExactly("TLSv1.3");
            assertThat(copy.provider()).isEqualTo(TlsProvider.JDK);
            assertThat(o.mutate().policy(TlsPolicy.OPPORTUNISTIC).build()).isNotEqualTo(o);
        }

        @Test
        void insecureSaysSoAndIsUndoneByOtherTrust() {
            TlsOptions insecure = TlsOptions.builder().insecureTrustAllCertificates().build();
            assertThat(insecure.isInsecure()).isTrue();
            assertThat(insecure.toString()).contains("INSECURE");
            assertThat(insecure.mutate().trustPem(caPem).build().isInsecure()).isFalse();
            assertThat(insecure.mutate().defaultTrust().build().isInsecure()).isFalse();
        }

        @Test
        void toStringShowsPathsNeverKeys() throws Exception {
            Path cert = TestPki.client().writeCertPem(dir);
            Path key = TestPki.client().writeKeyPem(dir);
            String keyText = Files.readString(key);
            String s = TlsOptions.builder().trustPem(caPem).clientCertificate(cert, key).build().toString();
            assertThat(s).contains("trust=PEM " + caPem, "clientCertificate=" + cert)
                    .doesNotContain("PRIVATE KEY", keyText.substring(30, 60));
        }

        @Test
        void contextIsBuiltByBuildUnlessPolicyNoneMeansItIsNeverNeeded() {
            TrustManagerFactory broken = new TrustManagerFactory(new TrustManagerFactorySpi() {
                @Override
                protected void engineInit(KeyStore ks) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters spec) {
                }

                @Override
                protected TrustManager[] engineGetTrustManagers() {
                    throw new IllegalStateException("trust store unavailable");
                }
            }, new Provider("broken", "1", "a trust manager factory that fails") {
            }, "broken") {
            };
            assertThatThrownBy(() -> TlsOptions.builder().trustManagerFactory(broken).build())
                    .hasStackTraceContaining("trust store unavailable");
            TlsOptions none = TlsOptions.builder().policy(TlsPolicy.NONE).trustManagerFactory(broken).build();
            assertThat(none.prepared()).isSameAs(none);
            assertThat(none.toString()).contains("policy=NONE", "provider=" + TlsProvider.AUTO.displayName());
            // Asked for anyway, the context is built then, and fails then.
            assertThatThrownBy(() -> none.newHandler(ByteBufAllocator.DEFAULT, "localhost", 25))
                    .hasStackTraceContaining("trust store unavailable");
            TlsOptions plain = TlsOptions.builder().policy(TlsPolicy.NONE).build();
            assertThat(plain.provider()).isEqualTo(TlsProvider.AUTO.resolve());
            withEngine(plain, "localhost", 25, h -> assertThat(h.engine().getUseClientMode()).isTrue());
        }

        @Test
        void trustManagerFactoryIsAccepted() throws Exception {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            TlsOptions o = TlsOptions.builder().trustManagerFactory(tmf).build();
            assertThat(o.toString()).contains("TrustManagerFactory(" + tmf.getAlgorithm() + ")");
            assertThat(o.isInsecure()).isFalse();
        }
    }

    @Nested
    class Validation {

        @Test
        void missingTrustPemIsNamed() {
            Path missing = dir.resolve("no-such-ca.pem");
            assertThatThrownBy(() -> TlsOptions.builder().trustPem(missing).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(missing.toString()).hasMessageContaining("does not exist");
        }

        @Test
        void directoryAsTrustPemIsNamed() {
            assertThatThrownBy(() -> TlsOptions.builder().trustPem(dir).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(dir.toString());
        }

        @Test
        void trustPemWithoutCertificateIsNamed() throws Exception {
            Path keyOnly = TestPki.good().writeKeyPem(dir);
            assertThatThrownBy(() -> TlsOptions.builder().trustPem(keyOnly).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(keyOnly.toString()).hasMessageContaining("no PEM certificate");
            Path empty = write("empty.pem", "");
            assertThatThrownBy(() -> TlsOptions.builder().trustPem(empty).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(empty.toString());
        }

        @Test
        void malformedCertificateIsNamed() throws Exception {
            Path bad = write("bad-ca.pem", "-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n");
            assertThatThrownBy(() -> TlsOptions.builder().trustPem(bad).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(bad.toString()).hasMessageContaining("certificate 1 is malformed");
        }

        @Test
        void bundleWithCommentsAndSeveralCertificatesIsRead() throws Exception {
            String bundle = "# test bundle\n" + Files.readString(caPem) + "\nsome text\n"
                    + Files.readString(TestPki.selfSigned().writeCertPem(dir));
            Path file = write("bundle.pem", bundle);
            assertThat(TlsOptions.builder().trustPem(file).build().isInsecure()).isFalse();
        }

        @Test
        void badClientKeyIsNamed() throws Exception {
            Path cert = TestPki.client().writeCertPem(dir);
            Path garbage = write("garbage-key.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(cert, garbage).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(garbage.toString()).hasMessageContaining("PKCS#8");

            Path missing = dir.resolve("missing-key.pem");
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(cert, missing).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(missing.toString());

            Path sec1 = write("sec1-key.pem", "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n");
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(cert, sec1).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(sec1.toString()).hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");

            Path encrypted = write("enc-key.pem",
                    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(cert, encrypted).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(encrypted.toString()).hasMessageContaining("encrypted");
        }

        @Test
        void clientKeyOfAnotherCertificateIsRefused() {
            Path cert = TestPki.client().writeCertPem(dir);
            Path otherKey = TestPki.good().writeKeyPem(dir);
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(cert, otherKey).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(otherKey.toString()).hasMessageContaining("does not match");
        }

        @Test
        void clientCertificateWithoutCertificateIsNamed() {
            Path keyAsCert = TestPki.client().writeKeyPem(dir);
            assertThatThrownBy(() -> TlsOptions.builder().clientCertificate(keyAsCert, keyAsCert).build())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("client certificate chain " + keyAsCert);
        }

        @Test
        void goodClientCertificateBuilds() {
            TlsOptions o = TlsOptions.builder().trustPem(caPem)
                    .clientCertificate(TestPki.client().writeCertPem(dir), TestPki.client().writeKeyPem(dir)).build();
            assertThat(o.toString()).contains("client-cert.pem");
        }

        @Test
        void serverNameMustBeAHostNameOrIp() {
            for (String ok : List.of("mail.example.com", "localhost", "xn--bcher-kva.example", "127.0.0.1", "::1",
                    "2001:db8::25")) {
                assertThat(TlsOptions.builder().serverName(ok).build().serverName()).contains(ok);
            }
            assertThat(TlsOptions.builder().serverName("a.example").serverName(null).build().serverName()).isEmpty();
            for (String bad : List.of("", "mail.example.com\r\nRSET", "bad host", "-bad.example", "a..b",
                    "exa_mple.com", "mail.example.com.", "[::1]", "b\u00fccher.example", "a".repeat(64) + ".example")) {
                assertThatThrownBy(() -> TlsOptions.builder().serverName(bad))
                        .as(bad).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("invalid TLS server name \"" + bad.replace("\r\n", "\\r\\n") + "\"");
            }
        }

        @Test
        void protocolsAreChecked() {
            assertThatThrownBy(() -> TlsOptions.builder().protocols())
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> TlsOptions.builder().protocols("TLSv1.3", "SSLv3"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"SSLv3\"");
            assertThat(TlsOptions.builder().protocols("TLSv1.2", "TLSv1.2").build().protocols())
                    .containsExactly("TLSv1.2");
        }

        @Test
        void peerHostAndPortAreChecked() {
            assertThatThrownBy(() -> TlsOptions.DEFAULT.newHandler(ByteBufAllocator.DEFAULT, "localhost", 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
            assertThatThrownBy(() -> TlsOptions.DEFAULT.newHandler(ByteBufAllocator.DEFAULT, "evil\r\nhost", 25))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("evil\\r\\nhost");
        }
    }

    @Nested
    class Engines {

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void engineVerifiesHostNameAndSendsSni(TlsProvider provider) {
            TlsOptions o = TlsOptions.builder().trustPem(caPem).provider(provider).build();
            withEngine(o, "localhost", 587, handler -> {
                SSLEngine engine = handler.engine();
                assertThat(engine.getUseClientMode()).isTrue();
                assertThat(engine.getPeerHost()).isEqualTo("localhost");
                assertThat(engine.getPeerPort()).isEqualTo(587);
                SSLParameters params = engine.getSSLParameters();
                assertThat(params.getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
                assertThat(params.getServerNames()).containsExactly(new SNIHostName("localhost"));
                // OpenSSL engines also list the SSLv2Hello pseudo-protocol, which enables no protocol version.
                assertThat(engine.getEnabledProtocols()).filteredOn(p -> !p.equals("SSLv2Hello"))
                        .containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
                assertThat(handler.getHandshakeTimeoutMillis()).as("the session times the handshake").isZero();
                assertThat(engine.getClass().getSimpleName().contains("OpenSsl"))
                        .isEqualTo(provider == TlsProvider.OPENSSL);
            });
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void ipLiteralGetsNoSniAndTrailingDotIsDropped(TlsProvider provider) {
            TlsOptions o = TlsOptions.builder().provider(provider).build();
            withEngine(o, "127.0.0.1", 25, handler -> {
                assertThat(handler.engine().getPeerHost()).isEqualTo("127.0.0.1");
                List<?> names = handler.engine().getSSLParameters().getServerNames();
                assertThat(names == null ? List.of() : names).isEmpty();
                assertThat(handler.engine().getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
            });
            withEngine(o, "mx1.example.com.", 25, handler -> {
                assertThat(handler.engine().getPeerHost()).isEqualTo("mx1.example.com");
                assertThat(handler.engine().getSSLParameters().getServerNames())
                        .containsExactly(new SNIHostName("mx1.example.com"));
            });
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void serverNameReplacesThePeerHost(TlsProvider provider) {
            TlsOptions o = TlsOptions.builder().serverName("relay.example.com").provider(provider).build();
            withEngine(o, "192.0.2.25", 465, handler -> {
                assertThat(handler.engine().getPeerHost()).isEqualTo("relay.example.com");
                assertThat(handler.engine().getPeerPort()).isEqualTo(465);
                assertThat(handler.engine().getSSLParameters().getServerNames())
                        .containsExactly(new SNIHostName("relay.example.com"));
            });
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void insecureEngineDoesNotVerifyHostNames(TlsProvider provider) {
            TlsOptions o = TlsOptions.builder().insecureTrustAllCertificates().provider(provider).build();
            withEngine(o, "localhost", 25, handler ->
                    assertThat(handler.engine().getSSLParameters().getEndpointIdentificationAlgorithm()).isNull());
        }
    }

    /** Real handshakes on loopback against a Netty server presenting the test PKI's certificates. */
    @Nested
    class Handshakes {

        private EventLoopGroup group;

        private EventLoopGroup group() {
            if (group == null) {
                group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
            }
            return group;
        }

        @AfterEach
        void stop() {
            if (group != null) {
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(WAIT_SECONDS, TimeUnit.SECONDS);
                group = null;
            }
        }

        /** The outcome of one client handshake: the TlsInfo, or the failure. */
        private Object handshake(SslContext serverContext, TlsOptions client, String host) throws Exception {
            Channel server = new ServerBootstrap()
                    .group(group())
                    .channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(serverContext.newHandler(ch.alloc()), new Swallow());
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
            try {
                int port = ((InetSocketAddress) server.localAddress()).getPort();
                SslHandler[] ssl = new SslHandler[1];
                Channel ch = new Bootstrap()
                        .group(group())
                        .channel(NioSocketChannel.class)
                        .handler(new ChannelInitializer<SocketChannel>() {
                            @Override
                            protected void initChannel(SocketChannel c) {
                                ssl[0] = client.newHandler(c.alloc(), host, port);
                                c.pipeline().addLast(ssl[0], new Swallow());
                            }
                        })
                        .connect("127.0.0.1", port).sync().channel();
                try {
                    Future<Channel> done = ssl[0].handshakeFuture();
                    assertThat(done.await(WAIT_SECONDS, TimeUnit.SECONDS)).as("handshake finished in time").isTrue();
                    if (done.isSuccess()) {
                        return TlsInfo.of(ssl[0].engine().getSession(), client.provider().displayName());
                    }
                    return done.cause();
                } finally {
                    ch.close().await(WAIT_SECONDS, TimeUnit.SECONDS);
                }
            } finally {
                server.close().await(WAIT_SECONDS, TimeUnit.SECONDS);
            }
        }

        private TlsOptions trustingCa(TlsProvider provider) {
            return TlsOptions.builder().trustPem(caPem).provider(provider).build();
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void goodCertificateForLocalhost(TlsProvider provider) throws Exception {
            Object outcome = handshake(TestPki.serverContext(TestPki.good()), trustingCa(provider), "localhost");
            assertThat(outcome).isInstanceOf(TlsInfo.class);
            TlsInfo info = (TlsInfo) outcome;
            assertThat(info.protocol()).isEqualTo("TLSv1.3");
            assertThat(info.cipherSuite()).startsWith("TLS_");
            assertThat(info.peerPrincipal()).hasValueSatisfying(p -> assertThat(p).contains("CN=localhost"));
            assertThat(info.provider()).isEqualTo(provider.displayName());
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void goodCertificateForLoopbackIp(TlsProvider provider) throws Exception {
            Object outcome = handshake(TestPki.serverContext(TestPki.good()), trustingCa(provider), "127.0.0.1");
            assertThat(outcome).isInstanceOf(TlsInfo.class);
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void tls12Only(TlsProvider provider) throws Exception {
            TlsOptions o = TlsOptions.builder().trustPem(caPem).protocols("TLSv1.2").provider(provider).build();
            Object outcome = handshake(TestPki.serverContext(TestPki.good()), o, "localhost");
            assertThat(outcome).isInstanceOf(TlsInfo.class);
            assertThat(((TlsInfo) outcome).protocol()).isEqualTo("TLSv1.2");
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void expiredCertificateFails(TlsProvider provider) throws Exception {
            assertCertificateRefused(handshake(TestPki.serverContext(TestPki.expired()), trustingCa(provider),
                    "localhost"));
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void wrongHostFails(TlsProvider provider) throws Exception {
            assertCertificateRefused(handshake(TestPki.serverContext(TestPki.wrongHost()), trustingCa(provider),
                    "localhost"));
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void wrongHostIsAcceptedWhenItIsTheExpectedServerName(TlsProvider provider) throws Exception {
            TlsOptions o = TlsOptions.builder().trustPem(caPem).serverName("mail.example.org").provider(provider).build();
            Object outcome = handshake(TestPki.serverContext(TestPki.wrongHost()), o, "127.0.0.1");
            assertThat(outcome).isInstanceOf(TlsInfo.class);
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void selfSignedFails(TlsProvider provider) throws Exception {
            assertCertificateRefused(handshake(TestPki.serverContext(TestPki.selfSigned()), trustingCa(provider),
                    "localhost"));
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void testCaIsNotInTheDefaultTrustStore(TlsProvider provider) throws Exception {
            TlsOptions o = TlsOptions.builder().provider(provider).build();
            assertCertificateRefused(handshake(TestPki.serverContext(TestPki.good()), o, "localhost"));
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void insecureAcceptsAnything(TlsProvider provider) throws Exception {
            TlsOptions o = TlsOptions.builder().insecureTrustAllCertificates().provider(provider).build();
            assertThat(handshake(TestPki.serverContext(TestPki.selfSigned()), o, "localhost"))
                    .isInstanceOf(TlsInfo.class);
            assertThat(handshake(TestPki.serverContext(TestPki.wrongHost()), o, "localhost"))
                    .isInstanceOf(TlsInfo.class);
        }

        @ParameterizedTest
        @EnumSource(names = {"JDK", "OPENSSL"})
        void mutualTls(TlsProvider provider) throws Exception {
            TlsOptions o = TlsOptions.builder().trustPem(caPem).provider(provider)
                    .clientCertificate(TestPki.client().writeCertPem(dir), TestPki.client().writeKeyPem(dir)).build();
            Object outcome = handshake(TestPki.serverContextRequiringClientAuth(TestPki.good()), o, "localhost");
            assertThat(outcome).isInstanceOf(TlsInfo.class);
        }

        private void assertCertificateRefused(Object outcome) {
            assertThat(outcome).isInstanceOf(Throwable.class);
            Throwable failure = (Throwable) outcome;
            boolean certificateCause = false;
            for (Throwable t = failure; t != null; t = t.getCause()) {
                certificateCause |= t instanceof CertificateException;
            }
            // Both providers report an SSLHandshakeException caused by the trust manager's CertificateException
            // (OpenSSL's own message is only "General OpenSslEngine problem": the reason is in the chain).
            assertThat(failure).isInstanceOf(SSLHandshakeException.class);
            assertThat(certificateCause).as("a CertificateException in the cause chain of %s", failure).isTrue();
        }
    }

    /** Swallows what reaches it, so failed handshakes do not log "reached the tail of the pipeline". */
    private static final class Swallow extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
