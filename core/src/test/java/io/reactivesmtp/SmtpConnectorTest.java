package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.reactivesmtp.protocol.HandlerNames;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connect phase: the connect timeout lasts until the server's first byte, the greeting timeout after it; a
 * pipeline customiser sees the session's handlers and keeps that rule.
 */
class SmtpConnectorTest {

    static final Duration CONNECT_TIMEOUT = Duration.ofMillis(300);

    SmtpConnector connector;

    /**
     * One session with generous timeouts first: in a fresh JVM the first connection loads and initialises Netty's
     * buffer allocator and codec classes (hundreds of milliseconds on a busy machine), which would otherwise fall
     * inside the 300 ms connect timeout these tests time. (Until the TLS options stopped loading OpenSSL for
     * TlsPolicy.NONE, that load happened earlier, while the options were built.)
     */
    @BeforeAll
    static void warmUp() throws Throwable {
        Script script = Script.create().send("220 warm.test").expectMatching("EHLO \\S+").send("250 warm.test")
                .expect("QUIT").send("221 bye").close();
        try (SmtpConnector warm = SmtpConnector.create(); ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(warm.connect("127.0.0.1", server.port(),
                    SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build()));
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @BeforeEach
    void start() {
        connector = SmtpConnector.create();
    }

    @AfterEach
    void stop() {
        connector.close();
    }

    static SmtpSessionOptions options() {
        return SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .timeout(SmtpPhase.CONNECT, CONNECT_TIMEOUT)
                // Far beyond the test's wait: only the connect timeout can end a silent connection in time.
                .timeout(SmtpPhase.GREETING, Duration.ofMinutes(2))
                .build();
    }

    @Test
    void aConnectionTheServerNeverAcceptsFailsByTheConnectTimeout() throws Exception {
        // The kernel completes the handshake into the backlog; the server never calls accept(), so never greets.
        try (ServerSocket neverAccepts = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", neverAccepts.getLocalPort(),
                    options())));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.CONNECT);
            assertThat(((SmtpTimeoutException) error).timeout()).isEqualTo(CONNECT_TIMEOUT);
            assertThat(((SmtpException) error).isRetryable()).isTrue();
        }
    }

    @Test
    void aGreetingThatStartedMayTakeLongerThanTheConnectTimeout() throws Throwable {
        // Like postscreen: the first line at once, the rest after a pause longer than the connect timeout.
        Script script = Script.create()
                .send("220-mx.test ESMTP wait")
                .delay(CONNECT_TIMEOUT.multipliedBy(3))
                .send("220 mx.test ready")
                .expectMatching("EHLO \\S+").send("250 mx.test")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(connector.connect("127.0.0.1", server.port(), options()));
            assertThat(session.capabilities()).isNotNull();
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    /** Records the code of every decoded reply, between the codec and the session. */
    static final class ReplyTap extends ChannelInboundHandlerAdapter {
        final List<Integer> codes = new CopyOnWriteArrayList<>();

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof SmtpResponse response) {
                codes.add(response.code());
            }
            ctx.fireChannelRead(msg);
        }
    }

    @Test
    void aPipelineCustomiserFindsTheSessionHandlersAndItsHandlerSeesEveryReply() throws Throwable {
        Script script = Script.create()
                .send("220 mx.test ready")
                .expectMatching("EHLO \\S+").send("250-mx.test", "250 PIPELINING")
                .expect("QUIT").send("221 bye").close();
        ReplyTap tap = new ReplyTap();
        List<String> namesSeen = new CopyOnWriteArrayList<>();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(connector.connect("127.0.0.1", server.port(), options(), ch -> {
                namesSeen.addAll(ch.pipeline().names());
                ch.pipeline().addBefore(HandlerNames.SESSION, "tap", tap);
            }));
            assertThat(session.capabilities().supports("PIPELINING")).isTrue();
            assertThat(tap.codes).containsExactly(220, 250);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
        assertThat(namesSeen).containsSubsequence(HandlerNames.CODEC, HandlerNames.SESSION);
        assertThat(tap.codes).containsExactly(220, 250, 221);
    }

    @Test
    void withAPipelineCustomiserTheConnectTimeoutStillLastsUntilTheFirstByte() throws Exception {
        try (ServerSocket neverAccepts = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", neverAccepts.getLocalPort(),
                    options(), ch -> ch.pipeline().addFirst("first", new ChannelInboundHandlerAdapter()))));
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.CONNECT);
        }
    }

    @Test
    void aPipelineCustomiserThatThrowsFailsTheConnectWithWhatItThrew() throws Exception {
        Script script = Script.create().send("220 mx.test ready").close();
        IllegalStateException thrown = new IllegalStateException("no tap today");
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> await(connector.connect("127.0.0.1", server.port(), options(),
                    ch -> {
                        throw thrown;
                    })));
            assertThat(error).isInstanceOf(SmtpConnectionException.class).hasCause(thrown)
                    .hasMessageContaining("no tap today");
        }
    }
}
