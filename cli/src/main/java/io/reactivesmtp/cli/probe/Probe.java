package io.reactivesmtp.cli.probe;

import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.internal.SafeText;
import io.reactivesmtp.protocol.HandlerNames;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * One probe of one SMTP server: a single connection over core's {@link SmtpConnector} on which nothing but EHLO
 * (HELO when EHLO is refused), STARTTLS and QUIT is sent, never MAIL, never AUTH. A {@link ReplyTap} added through
 * the connector's pipeline customiser records the greeting and every reply (the session forgets what it learned
 * before TLS); the chain is read from the TLS engine once the session is ready or, when verification failed, from
 * the {@link RecordingTrust}, which saw it before refusing it.
 *
 * <pre>{@code
 * ProbeResult result = Probe.prepare("smtp.example.com", 587, "smtp.example.com:587", TlsPolicy.REQUIRED,
 *         null, null, Duration.ofSeconds(30)).run();
 * }</pre>
 */
public final class Probe {

    private final String host;
    /** The name the certificate is matched against in the report: the host, or the MX name for an address. */
    private final String nameToMatch;
    private final int port;
    private final String server;
    private final TlsPolicy policy;
    private final SmtpSessionOptions options;
    private final RecordingTrust trust;
    private final Duration timeout;

    private Probe(String host, String nameToMatch, int port, String server, TlsPolicy policy,
            SmtpSessionOptions options, RecordingTrust trust, Duration timeout) {
        this.host = host;
        this.nameToMatch = nameToMatch;
        this.port = port;
        this.server = server;
        this.policy = policy;
        this.options = options;
        this.trust = trust;
        this.timeout = timeout;
    }

    /**
     * Checks the settings and sets up certificate verification, before any byte goes on the wire.
     *
     * @param host the server's host name or address, without brackets
     * @param port its port
     * @param server the server as the user gave it, for the report
     * @param policy the TLS policy to check
     * @param trustPem PEM CA certificates to verify against instead of the JDK trust store, or null
     * @param helo the name to send in EHLO/HELO, or null for the local address
     * @param timeout the timeout of every phase (connect, greeting, EHLO, STARTTLS, handshake)
     * @return a probe ready to {@link #run()}
     * @throws IllegalArgumentException naming the option ({@code --trust-pem}, {@code --tls}, {@code --helo}) at fault
     */
    public static Probe prepare(String host, int port, String server, TlsPolicy policy, Path trustPem, String helo,
            Duration timeout) {
        String option = trustPem != null ? "--trust-pem: " : "--tls: ";
        if (trustPem != null && (!Files.isRegularFile(trustPem) || !Files.isReadable(trustPem))) {
            throw new IllegalArgumentException("--trust-pem: " + SafeText.escape(trustPem.toString())
                    + " is not a readable file");
        }
        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder().allTimeouts(timeout);
        if (helo != null) {
            try {
                session.heloName(helo);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--helo: " + e.getMessage(), e);
            }
        }
        TlsOptions.Builder tls = TlsOptions.builder().policy(policy);
        RecordingTrust trust = null;
        try {
            if (policy != TlsPolicy.NONE) {
                trust = RecordingTrust.create(trustPem);
                tls.trustManagerFactory(trust.factory());
            }
            session.tls(tls.build());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(option + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(option + "cannot set up certificate verification: " + e.getMessage(), e);
        }
        return new Probe(host, host, port, server, policy, session.build(), trust, timeout);
    }

    /**
     * A probe of one MX host under the session options of a TLS level (as MX routing builds them): connects to an
     * address the caller resolved, while the certificate is checked and reported against the MX name.
     *
     * @param address the address to connect to, as an IP literal
     * @param port the MX port
     * @param mxName the MX host name (the TLS options name it as the server name to verify)
     * @param session the session options of the level, timeouts included
     * @param timeout the phase timeout, also the bound of QUIT
     * @return a probe ready to {@link #run()}
     */
    public static Probe ofMxHost(String address, int port, String mxName, SmtpSessionOptions session,
            Duration timeout) {
        return new Probe(address, mxName, port, mxName + " [" + address + "]:" + port, session.tls().policy(),
                session, null, timeout);
    }

    /**
     * Connects, lets the session get ready (greeting, EHLO, STARTTLS, handshake, EHLO again as the policy says),
     * says QUIT and reports what it saw. Blocks until then: call it from a plain thread.
     *
     * @return what the server offered, and the error that kept the policy from being met, if any
     */
    public ProbeResult run() {
        ReplyTap tap = new ReplyTap();
        AtomicReference<Channel> channel = new AtomicReference<>();
        Throwable error = null;
        TlsInfo tlsInfo = null;
        List<X509Certificate> chain = List.of();
        try (SmtpConnector connector = SmtpConnector.create()) {
            CompletableFuture<SmtpSession> ready = connector.connect(host, port, options, ch -> {
                channel.set(ch);
                ch.pipeline().addBefore(HandlerNames.SESSION, ReplyTap.NAME, tap);
            });
            // Each phase has its own timer in the session; this bound is only a safety net over their sum.
            Duration bound = timeout.multipliedBy(6).plusSeconds(5);
            SmtpSession session = null;
            try {
                session = ready.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                error = e.getCause();
            } catch (TimeoutException e) {
                error = new TimeoutException("no answer from " + server + " within " + bound.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = e;
            }
            if (session != null) {
                tlsInfo = session.tls().orElse(null);
                chain = peerCertificates(session.channel());
                quit(session);
            } else if (channel.get() != null) {
                // A failed session has closed itself; one that never connected has nobody to say QUIT to.
                channel.get().close();
            }
        }
        if (chain.isEmpty() && trust != null) {
            chain = trust.presented();
        }
        return ProbeFindings.of(tap.exchanges(), policy, tlsInfo).result(server, nameToMatch, chain, error);
    }

    private void quit(SmtpSession session) {
        try {
            session.close().get(timeout.toMillis() + 2000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            session.channel().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            session.channel().close();
        }
    }

    /** The chain from the session's TLS engine; empty without TLS. */
    private static List<X509Certificate> peerCertificates(Channel channel) {
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return List.of();
        }
        Certificate[] certs;
        try {
            certs = ssl.engine().getSession().getPeerCertificates();
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return List.of();
        }
        List<X509Certificate> list = new ArrayList<>();
        for (Certificate c : certs == null ? new Certificate[0] : certs) {
            if (c instanceof X509Certificate x) {
                list.add(x);
            }
        }
        return List.copyOf(list);
    }
}
