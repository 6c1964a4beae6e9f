package io.reactivesmtp.interop;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/**
 * The private Exim daemon that {@code interop/exim/start.sh DIR} started, read from {@code DIR/ports.env}: DIR comes
 * from the system property {@value #DIR_PROPERTY} (set by the {@code interop} Maven profile, default
 * {@value #DEFAULT_DIR}). As for {@link PostfixInstance}, a missing daemon fails the test when
 * {@code interop.required=true} (the profile sets it) and skips it otherwise.
 *
 * <p>{@link #plainPort()} (2625) advertises SIZE 52428800, 8BITMIME, DSN, PIPELINING, PIPECONNECT, CHUNKING, STARTTLS,
 * PRDR and SMTPUTF8; {@link #smallSizePort()} (2626) the same with SIZE 10240. reject@example.com gets 550,
 * tempfail@example.com 451, every other recipient lands in {@link #maildir()}. The main log records every MAIL and
 * RCPT command verbatim ({@code interop: MAIL FROM:<...> ...}).
 */
final class EximInstance implements MtaInstance {

    static final String DIR_PROPERTY = "interop.exim.dir";
    static final String DEFAULT_DIR = "/tmp/reactive-smtp-exim";

    private final Path dir;
    private final Map<String, String> env;

    private EximInstance(Path dir, Map<String, String> env) {
        this.dir = dir;
        this.env = env;
    }

    static EximInstance fromSystemProperties() {
        Path dir = Path.of(System.getProperty(DIR_PROPERTY, DEFAULT_DIR));
        boolean required = Boolean.getBoolean(PostfixInstance.REQUIRED_PROPERTY);
        Path ports = dir.resolve("ports.env");
        if (!Files.isReadable(ports)) {
            String why = "no Exim daemon: " + ports + " is missing; run interop/exim/install.sh and interop/exim/start.sh "
                    + dir + " as root (see .ci/run), then mvn verify -Pinterop -D" + DIR_PROPERTY + "=" + dir;
            if (required) {
                throw new IllegalStateException(why);
            }
            Assumptions.abort(why);
        }
        EximInstance instance;
        try {
            instance = new EximInstance(dir, PostfixInstance.readEnv(ports));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + ports, e);
        }
        if (!instance.listening()) {
            String why = "the Exim daemon in " + dir + " does not accept connections on " + instance.plainPort()
                    + " (stopped with interop/exim/stop.sh?)";
            if (required) {
                throw new IllegalStateException(why);
            }
            Assumptions.abort(why);
        }
        return instance;
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host(), plainPort()), 2_000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String name() {
        return "Exim";
    }

    Path dir() {
        return dir;
    }

    /** STARTTLS is offered on the plain port itself (tls_advertise_hosts = *). */
    @Override
    public int startTlsPort() {
        return plainPort();
    }

    @Override
    public String serverName() {
        return env.getOrDefault("SERVER_NAME", "localhost");
    }

    @Override
    public Path logFile() {
        return Path.of(value("MAINLOG"));
    }

    @Override
    public List<String> prependedHeaders() {
        // return_path_add, envelope_to_add, delivery_date_add on the transport, then Exim's Received.
        return List.of("Return-path", "Envelope-to", "Delivery-date", "Received");
    }

    @Override
    public String recipientHeader() {
        return "Envelope-to";
    }

    @Override
    public String value(String key) {
        String v = env.get(key);
        if (v == null) {
            throw new IllegalStateException(key + " missing in " + dir.resolve("ports.env")
                    + ": restart the daemon with a current interop/exim/start.sh");
        }
        return v;
    }

    @Override
    public String toString() {
        return "EximInstance" + env;
    }
}
