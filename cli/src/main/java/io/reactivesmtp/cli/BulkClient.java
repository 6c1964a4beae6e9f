package io.reactivesmtp.cli;

import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.RetryPolicy;
import io.reactivesmtp.reactor.Routing;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.SmtpEventListener;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The SMTP client of one {@code bulk} run, built from its checked options: MX delivery (with its own resolver and
 * event loop), the relays, or the in-process {@link DemoServer}; the pool, rate and retry options; a listener that
 * counts connections. Closing it closes all of that (QUIT on the pooled sessions first).
 */
final class BulkClient implements AutoCloseable {

    /**
     * Messages per connection before {@code bulk} closes it and opens another, unless {@code --max-per-connection}
     * says otherwise: ten times the library's {@link PoolOptions#DEFAULT_MAX_MESSAGES_PER_CONNECTION}. A bulk run
     * sends many messages to one server, and each new connection is a connect, a greeting, EHLO (and TLS, AUTH)
     * more; Postfix's SMTP client reuses a connection without a count limit by default
     * ({@code smtp_connection_reuse_count_limit = 0}, only {@code smtp_connection_reuse_time_limit = 300s}), Exim's
     * {@code connection_max_messages} is 500. The pool's lifetime bound (10 minutes) still applies, and a server
     * that wants fewer closes the connection with a 421, which the pool handles as for any other message.
     */
    static final int DEFAULT_MAX_PER_CONNECTION = 1_000;

    private final SmtpClient client;
    private final SmtpClientOptions options;
    private final String serverText;
    private final SubethaSmtpServer embedded;
    private final MxRoute mx;
    /** Writes --pacing-state, if given, at {@link #close()}. */
    private Runnable pacingState = () -> { };

    private BulkClient(SmtpClientOptions options, String serverText, SubethaSmtpServer embedded, MxRoute mx) {
        this.options = options;
        this.serverText = serverText;
        this.embedded = embedded;
        this.mx = mx;
        this.client = SmtpClient.create(options);
    }

    /**
     * Builds the client (and starts the in-process server when neither --server nor --mx was given).
     *
     * @param o the options
     * @param plan what {@link BulkOptions#validate} made of them
     * @param stats counts the connections
     * @param retryFirstBackoff the first backoff of --retries
     * @return the client
     */
    static BulkClient open(BulkOptions o, BulkOptions.Plan plan, BulkStats stats, Duration retryFirstBackoff) {
        SmtpClientOptions.Builder options = SmtpClientOptions.builder().session(plan.session());
        String tls = plan.session().tls().policy().name().toLowerCase(Locale.ROOT);
        String serverText;
        SubethaSmtpServer embedded = null;
        MxRoute mx = null;
        if (plan.mx() != null) {
            mx = MxRoute.open(plan.mx(), "reactive-smtp-bulk");
            mx.applyTo(options);
            serverText = mx.describe();
        } else if (plan.relays().isEmpty()) {
            embedded = DemoServer.start();
            options.relay(DemoServer.HOST, embedded.port());
            serverText = DemoServer.describe(embedded)
                    + " (no --server or --mx given: started in-process, TLS none)";
        } else {
            List<InetSocketAddress> relays = new ArrayList<>();
            for (ServerAddress a : plan.relays()) {
                relays.add(InetSocketAddress.createUnresolved(a.host(), a.port()));
            }
            options.routing(Routing.relays(relays));
            serverText = String.join(", ", plan.relays().stream().map(ServerAddress::toString).toList())
                    + (relays.size() > 1 ? " (in this order, failover)" : "") + ", TLS " + tls;
        }
        int perDest = o.perDestination != null ? o.perDestination : o.concurrency;
        PoolOptions.Builder pool = PoolOptions.builder().maxConnectionsPerDestination(perDest)
                .maxMessagesPerConnection(DEFAULT_MAX_PER_CONNECTION);
        o.delivery.applyTo(pool, options);
        options.pool(pool.build()).maxInFlight(o.concurrency).maxInFlightPerDestination(perDest)
                .eventListener(new SmtpEventListener() {
                    @Override
                    public void sessionReady(String destination, SmtpSession session, Duration elapsed) {
                        stats.connections.incrementAndGet();
                    }
                });
        if (o.retries > 0) {
            options.retry(RetryPolicy.builder().maxAttempts(o.retries + 1).firstBackoff(retryFirstBackoff).build());
        }
        try {
            return new BulkClient(options.build(), serverText, embedded, mx);
        } catch (RuntimeException e) {
            new BulkClient.Resources(embedded, mx).close();
            throw e;
        }
    }

    /** @return the client */
    SmtpClient client() {
        return client;
    }

    /** @return its options */
    SmtpClientOptions options() {
        return options;
    }

    /** @return where the mail goes, for the first line and the summary */
    String serverText() {
        return serverText;
    }

    /**
     * With {@code bulk --mx --tls-rpt-out}: the TLS-RPT reports are from this sender; a failure to write them is
     * printed on {@code err} when the client closes.
     */
    void tlsRptFrom(io.reactivesmtp.MailAddress sender, java.io.PrintWriter err, String command) {
        if (mx != null) {
            mx.tlsRptFrom(sender, err, command);
        }
    }

    /**
     * With {@code --pacing-state}: what pacing learned is written when the client closes, a failure told on
     * {@code err}.
     */
    void pacingStateTo(DeliveryOptions delivery, java.io.PrintWriter err, String command) {
        this.pacingState = () -> delivery.savePacingState(client, err, command);
    }

    /** @return whether that is the in-process server */
    boolean embedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        pacingState.run(); // before the client goes: what it learned, over the sessions still open
        try {
            // QUIT on the pooled sessions before the program ends.
            client.disposeLater().block(Duration.ofSeconds(10));
        } catch (RuntimeException e) {
            // Closing only: the summary is out.
        }
        new Resources(embedded, mx).close();
    }

    /** What the client runs on, closed after it. */
    private record Resources(SubethaSmtpServer embedded, MxRoute mx) {
        void close() {
            if (mx != null) {
                mx.close();
            }
            if (embedded != null) {
                embedded.close();
            }
        }
    }
}
