package io.reactivesmtp.cli;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.smtp.SmtpRequest;
import io.netty.handler.codec.smtp.SmtpResponse;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.SimpleTrustManagerFactory;
import io.netty.util.NetUtil;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.protocol.HandlerNames;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.ManagerFactoryParameters;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code reactive-smtp probe}: connects to one SMTP server and reports what it offers, without sending any
 * mail: its greeting, its EHLO capabilities before and after TLS, the TLS protocol, cipher suite and the
 * certificate chain it presented (subject, issuer, validity, names and whether they match the host name), its
 * AUTH mechanisms and SIZE limit.
 *
 * <pre>{@code
 * reactive-smtp probe --server HOST:PORT [--tls none|opportunistic|required|implicit] [--trust-pem FILE]
 *      [--helo NAME] [--timeout-seconds N] [--json]
 * }</pre>
 *
 * <p>TLS is {@code required} by default, as for {@code send}: the probe answers "would {@code send} work with
 * these options?", and exits 4 when the TLS policy cannot be met (no STARTTLS, STARTTLS refused, handshake
 * failed, untrusted certificate or a host name it was not issued for).
 *
 * <p>One connection, and nothing but EHLO (HELO when EHLO is refused), STARTTLS and QUIT is sent: never MAIL,
 * never AUTH. Core's session forgets what it learned before TLS and keeps neither the greeting nor the
 * certificate chain, so the probe opens the connection itself and puts a listener between the codec and the
 * session in the pipeline ({@code smtp-codec -> probe-tap -> smtp-session}) that records every reply with the
 * command it answers; the chain is read from the TLS engine once the session is ready or, when verification
 * failed, from the trust manager, which saw it before refusing it. The trust manager delegates every decision
 * to the JDK's (the JDK trust store or {@code --trust-pem}): the verification is the same as {@code send}'s.
 *
 * <p>Per-phase timeouts are 30 seconds unless {@code --timeout-seconds} says otherwise (core's defaults are
 * minutes, suited to sending rather than to a quick look).
 *
 * <p>The JSON object ({@code --json}):
 * <pre>{@code
 * {
 *   "server": "localhost:2525", "tlsPolicy": "REQUIRED", "connections": 1,
 *   "greeting": "220 mx.example.com ESMTP",
 *   "capabilities": {"beforeTls": ["PIPELINING", "SIZE 10240000", "STARTTLS"], "afterTls": ["PIPELINING", "AUTH PLAIN"]},
 *   "tlsStatus": "ESTABLISHED",
 *   "tls": {"protocol": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "provider": "JDK",
 *           "certificates": [{"subject": "CN=...", "issuer": "CN=...", "notBefore": "2025-01-01T00:00:00Z",
 *                             "notAfter": "...", "validNow": true, "subjectAltNames": ["DNS:localhost"],
 *                             "matchesHost": true}],
 *           "hostnameVerified": true},
 *   "auth": ["PLAIN"], "sizeLimit": 10240000,
 *   "error": null
 * }
 * }</pre>
 * {@code capabilities.beforeTls} is null for implicit TLS, {@code afterTls} null when no TLS session was
 * established; each is a list of "KEYWORD params" strings in the server's order. {@code tlsStatus} is one of
 * {@code ESTABLISHED}, {@code FAILED} (handshake or verification), {@code NOT_OFFERED}, {@code REFUSED} (STARTTLS
 * answered with an error), {@code DISABLED} ({@code --tls none}) or {@code NOT_REACHED} (the session ended
 * before). {@code tls} is null unless TLS was attempted; after a failed verification its protocol, cipher
 * suite and provider are null, its {@code certificates} the chain the server presented and
 * {@code hostnameVerified} false. {@code hostnameVerified} means the JDK's verification of chain and host name
 * passed; {@code matchesHost} (first certificate only) is the probe's own comparison of the certificate's
 * subject alternative names with the host name given. {@code auth} and {@code sizeLimit} are from the last
 * EHLO answered (after TLS when there was TLS). {@code error} is null or
 * {@code {"type": "SmtpTlsException", "message": "...", "retryable": false}}.
 */
@Command(name = "probe",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Show what an SMTP server offers, without sending mail: greeting, EHLO capabilities before and "
                    + "after TLS, TLS protocol and cipher, the certificate chain (subject, issuer, validity, host "
                    + "name match), AUTH mechanisms and SIZE limit.",
            "One connection; only EHLO (or HELO), STARTTLS and QUIT are sent, never MAIL or AUTH. TLS is "
                    + "required by default, as for send; exit status 4 when the TLS policy cannot be met."
        },
        exitCodeListHeading = "%nExit status:%n",
        exitCodeList = {
            "0:probed, and the TLS policy was met",
            ExitCodes.USAGE_TEXT,
            "4:TLS policy not met (no STARTTLS, refused, handshake or certificate failed), or the server could "
                    + "not be probed (connection, timeout, greeting or EHLO refused)"
        })
public final class ProbeCommand implements Callable<Integer> {

    /** The per-phase timeout of a probe unless --timeout-seconds is given. */
    static final int DEFAULT_TIMEOUT_SECONDS = 30;

    /** The name of the recording handler between codec and session. */
    static final String TAP = "probe-tap";

    private static final Pattern PEM_CERT = Pattern.compile(
            "-----BEGIN (?:X509 )?CERTIFICATE-----([A-Za-z0-9+/=\\s]+)-----END (?:X509 )?CERTIFICATE-----");

    @Spec
    private CommandSpec spec;

    @Option(names = "--server", paramLabel = "HOST:PORT", required = true,
            description = "The SMTP server, e.g. smtp.example.com:587 or [::1]:25.")
    private String server;

    @Option(names = "--tls", paramLabel = "none|opportunistic|required|implicit", defaultValue = "required",
            converter = SendCommand.TlsPolicyConverter.class,
            description = "none: no TLS (capabilities only); opportunistic: STARTTLS when offered; required: "
                    + "STARTTLS or exit 4; implicit: TLS from the first byte (port 465). Default: required, "
                    + "as for send.")
    private TlsPolicy tls;

    @Option(names = "--trust-pem", paramLabel = "FILE",
            description = "PEM CA certificates to verify the server against, instead of the JDK trust store.")
    private Path trustPem;

    @Option(names = "--helo", paramLabel = "NAME",
            description = "The name to send in EHLO/HELO. Default: the local address, e.g. [127.0.0.1].")
    private String helo;

    @Option(names = "--timeout-seconds", paramLabel = "N",
            description = "Wait at most N seconds in every phase (connect, greeting, EHLO, STARTTLS, handshake). "
                    + "Default: " + DEFAULT_TIMEOUT_SECONDS + ".")
    private Integer timeoutSeconds;

    @Option(names = "--json", description = "Print one JSON object instead of text.")
    private boolean json;

    /** Creates the command; picocli fills in its options. */
    public ProbeCommand() {
    }

    /**
     * Validates the options, probes the server and prints what it found.
     *
     * @return 0 when the TLS policy was met, 4 when it was not or the server could not be probed, 2 for a
     *     usage error
     */
    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Request request;
        try {
            request = validate();
        } catch (IllegalArgumentException e) {
            ReportPrinter.printError(err, spec.qualifiedName(), e.getMessage());
            return ExitCodes.USAGE;
        }
        Result result = probe(request);
        if (json) {
            printJson(out, result);
        } else {
            printText(out, result);
        }
        out.flush();
        if (result.error() != null) {
            String message = result.error().getMessage();
            ReportPrinter.printError(err, spec.qualifiedName(), message == null || message.isEmpty()
                    ? result.error().getClass().getSimpleName() : message);
        }
        return result.exitCode();
    }

    // ------------------------------------------------------------------------------------------ options

    /** Everything the user typed, checked. */
    private record Request(ServerAddress target, TlsPolicy policy, SmtpSessionOptions options,
            RecordingTrust trust, Duration timeout) {
    }

    private Request validate() {
        ServerAddress target = ServerAddress.parse(server);
        int seconds = timeoutSeconds == null ? DEFAULT_TIMEOUT_SECONDS : timeoutSeconds;
        if (seconds <= 0) {
            throw new IllegalArgumentException("--timeout-seconds must be a positive integer, not " + seconds);
        }
        Duration timeout = Duration.ofSeconds(seconds);
        SmtpSessionOptions.Builder session = SmtpSessionOptions.builder().allTimeouts(timeout);
        if (helo != null) {
            session.heloName(helo);
        }
        RecordingTrust trust = null;
        TlsOptions.Builder tlsOptions = TlsOptions.builder().policy(tls);
        if (trustPem != null) {
            if (!Files.isRegularFile(trustPem) || !Files.isReadable(trustPem)) {
                throw new IllegalArgumentException("--trust-pem: " + ReportPrinter.oneLine(trustPem.toString())
                        + " is not a readable file");
            }
            try {
                // Core's reader, for its error messages (malformed block, no certificate...).
                TlsOptions.builder().policy(tls).trustPem(trustPem).build();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--trust-pem: " + e.getMessage(), e);
            }
        }
        if (tls != TlsPolicy.NONE) {
            try {
                trust = RecordingTrust.create(trustPem);
            } catch (GeneralSecurityException | IOException e) {
                throw new IllegalArgumentException((trustPem != null ? "--trust-pem: " : "--tls: ")
                        + "cannot set up certificate verification: " + e.getMessage(), e);
            }
            tlsOptions.trustManagerFactory(trust.factory());
        }
        try {
            session.tls(tlsOptions.build());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((trustPem != null ? "--trust-pem: " : "--tls: ") + e.getMessage(), e);
        }
        return new Request(target, tls, session.build(), trust, timeout);
    }

    // ------------------------------------------------------------------------------------------ probing

    /** The state of TLS at the end of the probe. */
    enum TlsStatus {
        /** A TLS session was established and verified. */
        ESTABLISHED,
        /** The handshake or the verification of the certificate failed. */
        FAILED,
        /** The server did not advertise STARTTLS. */
        NOT_OFFERED,
        /** The server answered STARTTLS with an error. */
        REFUSED,
        /** {@code --tls none}: not attempted. */
        DISABLED,
        /** The session ended before TLS could be attempted (connection, greeting or EHLO failed). */
        NOT_REACHED
    }

    /** One reply, with the command (verb only) it answered; null for the greeting. */
    record Exchange(String command, SmtpReply reply) {
    }

    /**
     * What the probe found.
     *
     * @param server the server as given
     * @param policy the TLS policy
     * @param host the host name the certificate is checked against
     * @param greeting the greeting, or null when none came
     * @param beforeTls the capabilities advertised in plaintext, or null
     * @param afterTls the capabilities advertised over TLS, or null
     * @param tlsStatus what became of TLS
     * @param tlsNote a detail for the text report (the STARTTLS refusal), or null
     * @param tlsInfo the TLS session, or null
     * @param certificates the chain the server presented, leaf first, possibly empty
     * @param error what ended the probe without meeting the policy, or null
     */
    record Result(String server, TlsPolicy policy, String host, SmtpReply greeting, Capabilities beforeTls,
            Capabilities afterTls, TlsStatus tlsStatus, String tlsNote, TlsInfo tlsInfo,
            List<X509Certificate> certificates, Throwable error) {

        /** @return the capabilities of the last EHLO answered */
        Optional<Capabilities> last() {
            return Optional.ofNullable(afterTls != null ? afterTls : beforeTls);
        }

        boolean tlsAttempted() {
            return tlsStatus == TlsStatus.ESTABLISHED || tlsStatus == TlsStatus.FAILED;
        }

        int exitCode() {
            return error == null ? ExitCodes.OK : ExitCodes.FAILED;
        }
    }

    private Result probe(Request request) {
        ServerAddress target = request.target();
        Tap tap = new Tap();
        SmtpSession[] session = new SmtpSession[1];
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        Throwable error = null;
        List<X509Certificate> chain = List.of();
        TlsInfo tlsInfo = null;
        try {
            Bootstrap bootstrap = new Bootstrap()
                    .group(group)
                    .channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE,
                            request.options().timeout(SmtpPhase.CONNECT).toMillis()))
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            session[0] = SmtpSession.install(ch, request.options(), target.host(), target.port());
                            ch.pipeline().addBefore(HandlerNames.SESSION, TAP, tap);
                        }
                    });
            // Connect, greeting, EHLO, STARTTLS, handshake, EHLO again: each phase has its own timer in the
            // session; this bound is only a safety net over their sum.
            Duration bound = request.timeout().multipliedBy(6).plusSeconds(5);
            CompletableFuture<SmtpSession> ready = new CompletableFuture<>();
            ChannelFuture connect = bootstrap.connect(target.host(), target.port());
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    ready.completeExceptionally(f.cause() instanceof ConnectTimeoutException
                            ? new SmtpTimeoutException(SmtpPhase.CONNECT, request.timeout(), null)
                            : new SmtpConnectionException("cannot connect to " + target + ": "
                                    + f.cause().getMessage(), f.cause(), null));
                    return;
                }
                session[0].ready().whenComplete((caps, e) -> {
                    if (e != null) {
                        ready.completeExceptionally(e);
                    } else {
                        ready.complete(session[0]);
                    }
                });
            });
            try {
                ready.get(bound.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                error = e.getCause();
            } catch (TimeoutException e) {
                error = new TimeoutException("no answer from " + target + " within " + bound.toSeconds() + " s");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                error = e;
            }
            if (session[0] != null) {
                tlsInfo = session[0].tls().orElse(null);
                chain = peerCertificates(session[0]);
                // QUIT when idle; a failed session has closed itself already. A channel that never connected
                // (refused, unresolvable host) has nobody to say QUIT to: close it without waiting for a reply.
                if (!connect.isSuccess() || !session[0].channel().isActive()) {
                    session[0].channel().close();
                } else {
                    try {
                        session[0].close().get(request.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        session[0].channel().close();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        session[0].channel().close();
                    }
                }
            }
        } finally {
            group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        if (chain.isEmpty() && request.trust() != null) {
            chain = request.trust().presented();
        }
        return result(request, tap.exchanges(), tlsInfo, chain, error);
    }

    /** The chain from the session's TLS engine (brief (b)); empty without TLS. */
    private static List<X509Certificate> peerCertificates(SmtpSession session) {
        SslHandler ssl = session.channel().pipeline().get(SslHandler.class);
        if (ssl == null) {
            return List.of();
        }
        try {
            return x509(ssl.engine().getSession().getPeerCertificates());
        } catch (SSLPeerUnverifiedException | RuntimeException e) {
            return List.of();
        }
    }

    private static List<X509Certificate> x509(Certificate[] certs) {
        List<X509Certificate> list = new ArrayList<>();
        for (Certificate c : certs == null ? new Certificate[0] : certs) {
            if (c instanceof X509Certificate x) {
                list.add(x);
            }
        }
        return List.copyOf(list);
    }

    private static Result result(Request request, List<Exchange> exchanges, TlsInfo tlsInfo,
            List<X509Certificate> chain, Throwable error) {
        TlsPolicy policy = request.policy();
        SmtpReply greeting = null;
        Capabilities before = null;
        Capabilities after = null;
        boolean startTlsAccepted = policy == TlsPolicy.IMPLICIT;
        String refusal = null;
        boolean startTlsSent = false;
        for (Exchange x : exchanges) {
            SmtpReply reply = x.reply();
            if (x.command() == null) {
                if (greeting == null) {
                    greeting = reply;
                }
                continue;
            }
            switch (x.command()) {
                case "EHLO", "HELO" -> {
                    if (!reply.isPositive()) {
                        continue;
                    }
                    Capabilities caps = x.command().equals("EHLO") ? Capabilities.fromEhlo(reply)
                            : Capabilities.none(reply.lines().isEmpty() ? "" : reply.lines().get(0).trim().split(" ")[0]);
                    if (startTlsAccepted) {
                        after = caps;
                    } else {
                        before = caps;
                    }
                }
                case "STARTTLS" -> {
                    startTlsSent = true;
                    if (reply.code() == 220) {
                        startTlsAccepted = true;
                    } else {
                        refusal = reply.code() + " " + reply.text();
                    }
                }
                default -> {
                    // QUIT
                }
            }
        }
        if (tlsInfo == null) {
            after = null; // cannot happen: EHLO over TLS needs an established session
        }
        TlsStatus status;
        if (policy == TlsPolicy.NONE) {
            status = TlsStatus.DISABLED;
        } else if (tlsInfo != null) {
            status = TlsStatus.ESTABLISHED;
        } else if (startTlsAccepted && (policy == TlsPolicy.IMPLICIT || startTlsSent)) {
            status = TlsStatus.FAILED;
        } else if (refusal != null) {
            status = TlsStatus.REFUSED;
        } else if (before != null && !before.startTls()) {
            status = TlsStatus.NOT_OFFERED;
        } else {
            status = TlsStatus.NOT_REACHED;
        }
        if (status != TlsStatus.ESTABLISHED && status != TlsStatus.FAILED) {
            chain = List.of();
        }
        return new Result(request.target().toString(), policy, hostForMatching(request.target().host()), greeting,
                before, after, status, refusal, tlsInfo, chain, error);
    }

    // ------------------------------------------------------------------------------------------ the tap

    /**
     * Sits between the codec and the session and records every reply with the verb of the command it answers
     * (the session sends one command at a time while it gets ready). Only verbs are recorded, never arguments.
     */
    static final class Tap extends ChannelDuplexHandler {

        private final List<String> sent = new CopyOnWriteArrayList<>();
        private final List<Exchange> exchanges = new CopyOnWriteArrayList<>();
        private int answered;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof SmtpResponse response) {
                String command = null;
                if (!exchanges.isEmpty() || !sent.isEmpty()) {
                    // The first reply is the greeting; later ones answer the commands in order.
                    command = answered < sent.size() ? sent.get(answered++) : "?";
                }
                try {
                    exchanges.add(new Exchange(command, SmtpReply.of(response)));
                } catch (IllegalArgumentException e) {
                    // A code outside 200-599: the session reports it as a protocol error.
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            if (msg instanceof SmtpRequest request) {
                sent.add(request.command().name().toString().toUpperCase(Locale.ROOT));
            }
            ctx.write(msg, promise);
        }

        List<Exchange> exchanges() {
            return List.copyOf(exchanges);
        }

        List<String> sent() {
            return List.copyOf(sent);
        }
    }

    // ------------------------------------------------------------------------------------------ trust

    /**
     * The JDK's trust manager (JDK trust store, or the CAs of --trust-pem), wrapped so that the chain the
     * server presented is known even when verification refuses it. Every decision is the JDK's, host name
     * verification included (the engine asks the extended trust manager, which checks the endpoint identity).
     */
    static final class RecordingTrust {

        private final AtomicReference<List<X509Certificate>> presented = new AtomicReference<>(List.of());
        private final X509ExtendedTrustManager delegate;

        private RecordingTrust(X509ExtendedTrustManager delegate) {
            this.delegate = delegate;
        }

        static RecordingTrust create(Path trustPem) throws GeneralSecurityException, IOException {
            KeyStore store = null;
            if (trustPem != null) {
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                String pem = Files.readString(trustPem, StandardCharsets.ISO_8859_1);
                Matcher m = PEM_CERT.matcher(pem);
                int n = 0;
                while (m.find()) {
                    byte[] der = Base64.getMimeDecoder().decode(m.group(1));
                    store.setCertificateEntry("ca-" + n++, factory.generateCertificate(new ByteArrayInputStream(der)));
                }
                if (n == 0) {
                    throw new CertificateException("no CERTIFICATE block in " + trustPem);
                }
            }
            TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            jdk.init(store);
            for (TrustManager tm : jdk.getTrustManagers()) {
                if (tm instanceof X509ExtendedTrustManager x) {
                    return new RecordingTrust(x);
                }
            }
            throw new GeneralSecurityException("the JDK offers no X509ExtendedTrustManager");
        }

        /** @return the chain the server presented, leaf first; empty before a handshake */
        List<X509Certificate> presented() {
            return presented.get();
        }

        TrustManagerFactory factory() {
            TrustManager manager = new X509ExtendedTrustManager() {
                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                        throws CertificateException {
                    record(chain);
                    delegate.checkServerTrusted(chain, authType, engine);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                        throws CertificateException {
                    record(chain);
                    delegate.checkServerTrusted(chain, authType, socket);
                }

                @Override
                public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    record(chain);
                    delegate.checkServerTrusted(chain, authType);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                        throws CertificateException {
                    delegate.checkClientTrusted(chain, authType, engine);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                        throws CertificateException {
                    delegate.checkClientTrusted(chain, authType, socket);
                }

                @Override
                public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                    delegate.checkClientTrusted(chain, authType);
                }

                @Override
                public X509Certificate[] getAcceptedIssuers() {
                    return delegate.getAcceptedIssuers();
                }
            };
            return new SimpleTrustManagerFactory() {
                @Override
                protected void engineInit(KeyStore keyStore) {
                }

                @Override
                protected void engineInit(ManagerFactoryParameters params) {
                }

                @Override
                protected TrustManager[] engineGetTrustManagers() {
                    return new TrustManager[] {manager};
                }
            };
        }

        private void record(X509Certificate[] chain) {
            presented.set(chain == null ? List.of() : List.copyOf(Arrays.asList(chain)));
        }
    }

    // ------------------------------------------------------------------------------------------ host names

    private static String hostForMatching(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.length() > 1 && h.endsWith(".")) {
            h = h.substring(0, h.length() - 1);
        }
        return h;
    }

    /** The subject alternative names, as {@code DNS:name} or {@code IP:address}; others are left out. */
    static List<String> subjectAltNames(X509Certificate cert) {
        Collection<List<?>> names;
        try {
            names = cert.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return List.of();
        }
        List<String> result = new ArrayList<>();
        if (names != null) {
            for (List<?> entry : names) {
                if (entry.size() < 2 || !(entry.get(0) instanceof Integer type) || !(entry.get(1) instanceof String v)) {
                    continue;
                }
                if (type == 2) {
                    result.add("DNS:" + v);
                } else if (type == 7) {
                    result.add("IP:" + v);
                }
            }
        }
        return result;
    }

    /**
     * Whether the certificate's subject alternative names cover the host (RFC 6125: DNS names, a wildcard only
     * as the whole left-most label; IP addresses for an IP literal; the subject's CN is not consulted).
     *
     * @param cert the server's certificate
     * @param host the host name or IP literal connected to
     * @return whether one of its names matches
     */
    static boolean matchesHost(X509Certificate cert, String host) {
        String h = hostForMatching(host);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        byte[] ip = NetUtil.createByteArrayFromIpAddressString(h);
        for (String name : subjectAltNames(cert)) {
            if (ip != null && name.startsWith("IP:")) {
                byte[] other = NetUtil.createByteArrayFromIpAddressString(name.substring(3));
                if (other != null && Arrays.equals(ip, other)) {
                    return true;
                }
            } else if (ip == null && name.startsWith("DNS:")) {
                String dns = hostForMatching(name.substring(4));
                if (dns.equals(h)) {
                    return true;
                }
                int dot = h.indexOf('.');
                if (dns.startsWith("*.") && dot > 0 && h.substring(dot + 1).equals(dns.substring(2))
                        && dns.indexOf('.', 2) > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------ output

    /** "KEYWORD params", in the server's order. */
    static List<String> keywordLines(Capabilities caps) {
        List<String> lines = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : caps.keywords().entrySet()) {
            lines.add(e.getValue().isEmpty() ? e.getKey() : e.getKey() + " " + String.join(" ", e.getValue()));
        }
        return lines;
    }

    private static String greetingText(SmtpReply greeting) {
        List<String> lines = greeting.lines().isEmpty() ? List.of("") : greeting.lines();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < lines.size(); i++) {
            b.append(i == 0 ? "" : "\n").append(greeting.code()).append(i == lines.size() - 1 ? " " : "-")
                    .append(lines.get(i));
        }
        return b.toString();
    }

    private static String policyText(TlsPolicy policy) {
        return switch (policy) {
            case NONE -> "none (TLS not attempted)";
            case OPPORTUNISTIC -> "opportunistic (STARTTLS when offered, certificate verified when used)";
            case REQUIRED -> "required (STARTTLS, certificate and host name verified)";
            case IMPLICIT -> "implicit (TLS from the first byte, certificate and host name verified)";
        };
    }

    private void printText(PrintWriter out, Result r) {
        out.println("server:       " + r.server() + " (one connection; only EHLO, STARTTLS and QUIT sent)");
        out.println("tls policy:   " + policyText(r.policy()));
        if (r.greeting() != null) {
            List<String> lines = greetingText(r.greeting()).lines().toList();
            for (int i = 0; i < lines.size(); i++) {
                out.println((i == 0 ? "greeting:     " : "              ") + ReportPrinter.oneLine(lines.get(i)));
            }
        } else {
            out.println("greeting:     none");
        }
        if (r.policy() != TlsPolicy.IMPLICIT) {
            printCapabilities(out, "capabilities before TLS", r.beforeTls());
        }
        switch (r.tlsStatus()) {
            case ESTABLISHED -> out.printf("tls:          %s %s (%s), certificate chain trusted and host name "
                    + "verified%n", r.tlsInfo().protocol(), r.tlsInfo().cipherSuite(), r.tlsInfo().provider());
            case FAILED -> out.println("tls:          FAILED" + (r.certificates().isEmpty() ? ""
                    : ": the certificate below was not accepted (see error)"));
            case NOT_OFFERED -> out.println("tls:          not offered: the server does not advertise STARTTLS");
            case REFUSED -> out.println("tls:          STARTTLS refused: " + ReportPrinter.oneLine(r.tlsNote()));
            case DISABLED -> out.println("tls:          not attempted (--tls none)");
            case NOT_REACHED -> out.println("tls:          not reached");
        }
        List<X509Certificate> chain = r.certificates();
        if (!chain.isEmpty()) {
            out.println("certificates:");
            Instant now = Instant.now();
            for (int i = 0; i < chain.size(); i++) {
                X509Certificate c = chain.get(i);
                out.printf("  [%d] subject: %s%n", i, ReportPrinter.oneLine(c.getSubjectX500Principal().getName()));
                out.printf("      issuer:  %s%n", ReportPrinter.oneLine(c.getIssuerX500Principal().getName()));
                out.printf("      valid:   %s to %s (%s)%n", c.getNotBefore().toInstant(), c.getNotAfter().toInstant(),
                        validity(c, now));
                List<String> sans = subjectAltNames(c);
                if (i == 0) {
                    out.printf("      names:   %s (%s %s)%n", sans.isEmpty() ? "none" : String.join(", ", sans),
                            matchesHost(c, r.host()) ? "matches" : "DOES NOT MATCH", r.host());
                } else if (!sans.isEmpty()) {
                    out.printf("      names:   %s%n", String.join(", ", sans));
                }
            }
        }
        if (r.afterTls() != null || r.tlsStatus() == TlsStatus.ESTABLISHED) {
            printCapabilities(out, "capabilities after TLS", r.afterTls());
        }
        Optional<Capabilities> last = r.last();
        if (last.isPresent()) {
            Set<String> auth = last.get().authMechanisms();
            out.println("auth:         " + (auth.isEmpty() ? "none advertised" : String.join(" ", auth)));
            OptionalLong size = last.get().maxSize();
            out.println("size limit:   " + (size.isPresent() ? size.getAsLong() + " bytes"
                    : last.get().supports("SIZE") ? "SIZE advertised without a limit" : "not advertised"));
        }
        if (r.error() == null) {
            out.println("result:       OK, TLS policy " + r.policy().name().toLowerCase(Locale.ROOT) + " met");
        } else {
            Throwable e = r.error();
            out.printf("error:        %s: %s%n", e.getClass().getSimpleName(), ReportPrinter.oneLine(e.getMessage()));
        }
    }

    private static String validity(X509Certificate c, Instant now) {
        if (now.isBefore(c.getNotBefore().toInstant())) {
            return "NOT YET VALID";
        }
        return now.isAfter(c.getNotAfter().toInstant()) ? "EXPIRED" : "valid now";
    }

    private static void printCapabilities(PrintWriter out, String title, Capabilities caps) {
        if (caps == null) {
            out.println(title + ": none (no EHLO answered)");
            return;
        }
        if (!caps.isExtended()) {
            out.println(title + ": none (EHLO refused, HELO " + ReportPrinter.oneLine(caps.serverName()) + ")");
            return;
        }
        out.println(title + " (EHLO " + ReportPrinter.oneLine(caps.serverName()) + "):");
        for (String line : keywordLines(caps)) {
            out.println("  " + ReportPrinter.oneLine(line));
        }
    }

    private static void printJson(PrintWriter out, Result r) {
        StringBuilder b = new StringBuilder();
        b.append("{\n");
        b.append("  \"server\": ").append(Json.quote(r.server())).append(",\n");
        b.append("  \"tlsPolicy\": ").append(Json.quote(r.policy().name())).append(",\n");
        b.append("  \"connections\": 1,\n");
        b.append("  \"greeting\": ").append(Json.quote(r.greeting() == null ? null : greetingText(r.greeting())))
                .append(",\n");
        b.append("  \"capabilities\": {\"beforeTls\": ").append(jsonList(r.beforeTls()))
                .append(", \"afterTls\": ").append(jsonList(r.afterTls())).append("},\n");
        b.append("  \"tlsStatus\": ").append(Json.quote(r.tlsStatus().name())).append(",\n");
        b.append("  \"tls\": ");
        if (!r.tlsAttempted()) {
            b.append("null");
        } else {
            TlsInfo t = r.tlsInfo();
            b.append("{\"protocol\": ").append(Json.quote(t == null ? null : t.protocol()))
                    .append(", \"cipherSuite\": ").append(Json.quote(t == null ? null : t.cipherSuite()))
                    .append(", \"provider\": ").append(Json.quote(t == null ? null : t.provider()))
                    .append(", \"certificates\": [");
            Instant now = Instant.now();
            List<X509Certificate> chain = r.certificates();
            for (int i = 0; i < chain.size(); i++) {
                X509Certificate c = chain.get(i);
                b.append(i == 0 ? "\n" : ",\n");
                b.append("    {\"subject\": ").append(Json.quote(c.getSubjectX500Principal().getName()))
                        .append(", \"issuer\": ").append(Json.quote(c.getIssuerX500Principal().getName()))
                        .append(", \"notBefore\": ").append(Json.quote(c.getNotBefore().toInstant().toString()))
                        .append(", \"notAfter\": ").append(Json.quote(c.getNotAfter().toInstant().toString()))
                        .append(", \"validNow\": ").append("valid now".equals(validity(c, now)))
                        .append(", \"subjectAltNames\": ").append(jsonStrings(subjectAltNames(c)));
                if (i == 0) {
                    b.append(", \"matchesHost\": ").append(matchesHost(c, r.host()));
                }
                b.append('}');
            }
            b.append(chain.isEmpty() ? "]" : "\n  ]");
            b.append(", \"hostnameVerified\": ").append(t != null).append('}');
        }
        b.append(",\n");
        Optional<Capabilities> last = r.last();
        b.append("  \"auth\": ").append(last.map(c -> jsonStrings(List.copyOf(c.authMechanisms()))).orElse("null"))
                .append(",\n");
        OptionalLong size = last.map(Capabilities::maxSize).orElse(OptionalLong.empty());
        b.append("  \"sizeLimit\": ").append(size.isPresent() ? Long.toString(size.getAsLong()) : "null").append(",\n");
        b.append("  \"error\": ").append(ReportPrinter.errorJson(r.error()));
        b.append("\n}");
        out.println(b);
    }

    private static String jsonList(Capabilities caps) {
        return caps == null ? "null" : jsonStrings(keywordLines(caps));
    }

    private static String jsonStrings(List<String> values) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(Json.quote(values.get(i)));
        }
        return b.append(']').toString();
    }
}
