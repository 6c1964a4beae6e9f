package io.reactivesmtp.interop;

import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;

/**
 * The private Postfix instance that {@code interop/postfix/start.sh DIR} started, as the interop tests see it:
 * its ports, SASL user, CA, Maildir and log, read from {@code DIR/ports.env}.
 *
 * <p>DIR comes from the system property {@code interop.postfix.dir}, which the {@code interop} Maven profile
 * sets (default {@code /tmp/reactive-smtp-postfix}). That profile also sets {@code interop.required=true}: then a
 * missing or unreachable instance fails the test. Without it (an IDE run, another profile) the tests are skipped.
 *
 * <pre>{@code
 * PostfixInstance postfix = PostfixInstance.fromSystemProperties();
 * int port = postfix.submissionPort();                 // STARTTLS required, AUTH after TLS
 * TlsOptions tls = postfix.tls(TlsPolicy.REQUIRED);    // trusts DIR/tls/ca.pem; the certificate names localhost
 * String user = postfix.saslUser();                    // "alice" (or "alice@" + saslRealm()), postfix.saslPassword()
 * }</pre>
 *
 * <p>Ports (see interop/postfix/start.sh): {@link #plainPort()} no TLS; {@link #startTlsPort()} STARTTLS offered,
 * no AUTH; {@link #submissionPort()} STARTTLS required, AUTH PLAIN LOGIN CRAM-MD5 after TLS, relaying only once
 * authenticated; {@link #implicitTlsPort()} TLS from the first byte, AUTH, relaying only once authenticated;
 * {@link #noPipeliningPort()} no TLS, PIPELINING not advertised. On every port: reject@example.com gets
 * 550 5.1.1, tempfail@example.com 450 4.2.1, every other recipient lands in {@link #maildir()}; a bare LF in the
 * data is rejected (550 5.5.2) and commands sent before the greeting end the session (554 5.5.0).
 */
public final class PostfixInstance implements MtaInstance {

    /** The system property naming the instance's directory. */
    public static final String DIR_PROPERTY = "interop.postfix.dir";
    /** The system property that turns a missing instance into a failure instead of a skipped test. */
    public static final String REQUIRED_PROPERTY = "interop.required";
    /** Where the instance lives when {@value #DIR_PROPERTY} is not set. */
    public static final String DEFAULT_DIR = "/tmp/reactive-smtp-postfix";

    private static final Pattern QUEUE_ID = Pattern.compile("queued as ([0-9A-Za-z]+)");

    private final Path dir;
    private final Map<String, String> env;

    private PostfixInstance(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    /**
     * @return the instance named by {@value #DIR_PROPERTY}; skips the calling test when the instance is
     *     missing and {@value #REQUIRED_PROPERTY} is not {@code true}, fails it when it is
     */
    public static PostfixInstance fromSystemProperties() {
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR));
        boolean required = Boolean.getBoolean(REQUIRED_PROPERTY);
        Path ports = dir.resolve("ports.env");
        if (!Files.isReadable(ports)) {
            String why = "no Postfix instance: " + ports + " is missing; run interop/postfix/start.sh " + dir
                    + " as root (see .ci/run), then mvn verify -Pinterop -D" + DIR_PROPERTY + "=" + dir;
            if (required) {
                throw new IllegalStateException(why);
            }
            Assumptions.abort(why);
        }
        PostfixInstance instance;
        try {
            instance = new PostfixInstance(dir, readEnv(ports));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + ports, e);
        }
        if (!required && !instance.listening()) {
            Assumptions.abort("the Postfix instance in " + dir + " is not running (stopped with stop.sh?)");
        }
        return instance;
    }

    /** @return true when the plain port accepts a connection */
    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host(), plainPort()), 2_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads {@code KEY=VALUE} lines; {@code #} comments and blank lines are ignored, no quoting is used. */
    static Map<String, String> readEnv(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq < 1) {
                continue;
            }
            env.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return env;
    }

    /** @return the instance's directory (main.cf, master.cf, ports.env, tls/, mail/, log/) */
    public Path dir() {
        return dir;
    }

    /** @return the host every listener is bound to: {@code 127.0.0.1} */
    public String host() {
        return "127.0.0.1";
    }

    /** @return STARTTLS offered, no AUTH (STARTTLS_PORT, 2526) */
    public int startTlsPort() {
        return port("STARTTLS_PORT");
    }

    /** @return STARTTLS required, AUTH after TLS, relaying only once authenticated (SUBMISSION_PORT, 2587) */
    public int submissionPort() {
        return port("SUBMISSION_PORT");
    }

    /** @return TLS from the first byte, AUTH, relaying only once authenticated (IMPLICIT_PORT, 2465) */
    public int implicitTlsPort() {
        return port("IMPLICIT_PORT");
    }

    /** @return no TLS, PIPELINING not advertised (NOPIPE_PORT, 2527) */
    public int noPipeliningPort() {
        return port("NOPIPE_PORT");
    }

    @Override
    public String name() {
        return "Postfix";
    }

    @Override
    public Path logFile() {
        return maillog();
    }

    /** @return what Postfix's virtual(8) prepends to every delivered copy, in order */
    @Override
    public List<String> prependedHeaders() {
        return List.of("Return-Path", "X-Original-To", "Delivered-To", "Received");
    }

    @Override
    public String recipientHeader() {
        return "Delivered-To";
    }

    /** @return the SASL user, {@code alice}; {@code alice@}{@link #saslRealm()} works too */
    public String saslUser() {
        return value("SASL_USER");
    }

    /** @return the SASL user's password */
    public String saslPassword() {
        return value("SASL_PASSWORD");
    }

    /** @return the Cyrus realm the user lives in (also Postfix's smtpd_sasl_local_domain) */
    public String saslRealm() {
        return value("SASL_REALM");
    }

    /** @return the CA certificate */
    public X509Certificate caCertificate() {
        try (InputStream in = Files.newInputStream(caFile())) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot read the CA certificate " + caFile(), e);
        }
    }

    /** @return a trust manager factory that trusts only the instance's CA */
    public TrustManagerFactory trustManagerFactory() {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            store.setCertificateEntry("interop-ca", caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            return tmf;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot build a trust manager for " + caFile(), e);
        }
    }

    /** @return session options for the plaintext ports: TLS explicitly off (the library's default is REQUIRED) */
    public SmtpSessionOptions.Builder plainSession() {
        return SmtpSessionOptions.builder()
                .tls(TlsOptions.builder().policy(TlsPolicy.NONE).build())
                .allTimeouts(Duration.ofSeconds(30));
    }

    /** @return Postfix's log file */
    public Path maillog() {
        return Path.of(value("MAILLOG"));
    }

    /**
     * @param dataReplyText the text of the reply to the final dot ({@code 2.0.0 Ok: queued as 4ABC123})
     * @return Postfix's queue id in it
     */
    public static String queueId(String dataReplyText) {
        Matcher m = QUEUE_ID.matcher(dataReplyText);
        if (!m.find()) {
            throw new IllegalArgumentException("no queue id in \"" + dataReplyText + "\"");
        }
        return m.group(1);
    }

    /**
     * Waits until Postfix has finished with a queued message (its log says {@code <id>: removed}), so every
     * copy it will deliver is in the Maildir.
     *
     * @param queueId the queue id from the data reply
     * @param timeout how long to wait at most
     */
    public void awaitQueueRemoved(String queueId, Duration timeout) throws IOException, InterruptedException {
        String marker = " " + queueId + ": removed";
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Files.exists(maillog()) && Files.readString(maillog(), StandardCharsets.ISO_8859_1).contains(marker)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Postfix did not finish queue file " + queueId + " within " + timeout
                        + "; log tail:\n" + logTail(40));
            }
            Thread.sleep(100);
        }
    }

    /** @return the last lines of Postfix's log, for failure messages */
    public String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(maillog(), StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + maillog() + ": " + e + ")";
        }
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private int port(String key) {
        return Integer.parseInt(value(key));
    }

    @Override
    public String value(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalStateException(key + " missing in " + dir.resolve("ports.env")
                    + ": restart the instance with a current interop/postfix/start.sh");
        }
        return v;
    }

    @Override
    public String toString() {
        return "PostfixInstance" + env;
    }
}
