package io.reactivesmtp.reactor;

import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpTimeoutException;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.tcp.TcpClient;

/**
 * The client people use: {@link #send(Envelope, MessageContent)} returns a cold {@code Mono<SendReport>}.
 * Nothing happens until subscription; every subscription opens a session and sends the message again, so
 * {@code retry} operators work.
 *
 * <pre>{@code
 * SmtpClient client = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.1", 2525).build());
 * SendReport report = client.send(
 *         Envelope.of("sender@example.com", "alice@example.com", "bob@example.com"),
 *         MessageContent.of("From: sender@example.com\r\nSubject: hello\r\n\r\nHi!\r\n"))
 *     .block(Duration.ofSeconds(30));
 * report.recipients().forEach(r -> System.out.println(r.address() + " " + r.status() + " " + r.code()));
 * }</pre>
 *
 * <p>The Mono emits a report whenever the server gave a verdict, including 4xx/5xx replies; it errors with an
 * {@link SmtpException} only when no verdict could be had.
 */
public final class SmtpClient {

    private final SmtpClientOptions options;
    private final TcpClient tcp;

    private SmtpClient(SmtpClientOptions options) {
        this.options = options;
        this.tcp = TcpClient.newConnection()
                .host(options.host())
                .port(options.port())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, options.session().timeout(SmtpPhase.CONNECT).toMillis()))
                // At channel init, before the connection is active: the greeting cannot arrive before the
                // session handler is there.
                .doOnChannelInit((observer, channel, remote) ->
                        SmtpSession.install(channel, options.session(), options.host(), options.port(),
                                NettyPipeline.ReactiveBridge));
    }

    /**
     * @param options where to send and how
     * @return a client
     */
    public static SmtpClient create(SmtpClientOptions options) {
        return new SmtpClient(Objects.requireNonNull(options, "options"));
    }

    /** @return the options this client was created with */
    public SmtpClientOptions options() {
        return options;
    }

    /**
     * Sends one message over a session of its own, then QUITs.
     *
     * @param envelope the sender and recipients
     * @param content the RFC 5322 message
     * @return a cold Mono of the report
     */
    public Mono<SendReport> send(Envelope envelope, MessageContent content) {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        return Mono.usingWhen(
                connect(),
                session -> Mono.fromFuture(session.send(envelope, content), false),
                session -> Mono.fromFuture(session.close(), false),
                (session, error) -> Mono.fromFuture(session.close(), false),
                session -> Mono.fromFuture(session.close(), false));
    }

    private Mono<SmtpSession> connect() {
        return tcp.connect()
                .onErrorMap(e -> !(e instanceof SmtpException), this::connectFailure)
                .flatMap(this::ready);
    }

    private Mono<SmtpSession> ready(Connection connection) {
        SmtpSession session = SmtpSession.of(connection.channel());
        return Mono.fromFuture(session.ready(), false)
                .thenReturn(session)
                .doOnCancel(session::close);
    }

    private SmtpException connectFailure(Throwable e) {
        if (e instanceof ConnectTimeoutException) {
            return new SmtpTimeoutException(SmtpPhase.CONNECT, options.session().timeout(SmtpPhase.CONNECT), null);
        }
        return new SmtpConnectionException(
                "cannot connect to " + options.host() + ":" + options.port() + ": " + e.getMessage(), e, null);
    }
}
