package io.reactivesmtp.interop;

import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsOptions;
import io.reactivesmtp.TlsPolicy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * What the extension interop tests need of a real MTA started by a script in interop/ ({@link PostfixInstance},
 * {@link EximInstance}): its ports, its catch-all Maildir and its log, and the header lines it prepends on delivery.
 */
interface MtaInstance {

    /** @return "Postfix" or "Exim", for messages */
    String name();

    /** @return the host every listener is bound to: {@code 127.0.0.1} */
    default String host() {
        return "127.0.0.1";
    }

    /**
     * @param key a variable of the instance's {@code ports.env}, written by its start.sh
     * @return its value
     * @throws IllegalStateException if the file lacks it
     */
    String value(String key);

    /** @return the plaintext port offering every extension under test (SIZE, 8BITMIME, SMTPUTF8, CHUNKING, DSN) */
    default int plainPort() {
        return Integer.parseInt(value("PLAIN_PORT"));
    }

    /** @return the SIZE limit {@link #plainPort()} advertises */
    default long sizeLimit() {
        return Long.parseLong(value("SIZE_LIMIT"));
    }

    /** @return a plaintext port that advertises the small {@link #smallSizeLimit()} */
    default int smallSizePort() {
        return Integer.parseInt(value("SMALL_SIZE_PORT"));
    }

    /** @return the SIZE {@link #smallSizePort()} advertises */
    default long smallSizeLimit() {
        return Long.parseLong(value("SMALL_SIZE_LIMIT"));
    }

    /** @return a port that offers STARTTLS with a certificate from {@link #caFile()} for {@link #serverName()} */
    int startTlsPort();

    /** @return the PEM file of the CA that signed the server certificate */
    default Path caFile() {
        return Path.of(value("CA_FILE"));
    }

    /** @return the name on the server certificate */
    default String serverName() {
        return "localhost";
    }

    /** @return the catch-all Maildir: every accepted recipient's copy lands in its new/ */
    default Path maildir() {
        return Path.of(value("MAILDIR"));
    }

    /** @return the server's log file */
    Path logFile();

    /**
     * @return the header fields the server prepends on delivery, in order (nothing else of a delivered file differs
     *     from what the client transmitted, once line ends are LF)
     */
    List<String> prependedHeaders();

    /** @return the prepended header that names the envelope recipient of a copy (Delivered-To, Envelope-to) */
    String recipientHeader();

    /** @return session options for the plaintext ports: TLS explicitly off (the library's default is REQUIRED) */
    default SmtpSessionOptions.Builder plainSession() {
        return SmtpSessionOptions.builder()
                .tls(TlsOptions.builder().policy(TlsPolicy.NONE).build())
                .allTimeouts(Duration.ofSeconds(60));
    }

    /** @return TLS options with that policy trusting only {@link #caFile()} */
    default TlsOptions tls(TlsPolicy policy) {
        return TlsOptions.builder().policy(policy).trustPem(caFile()).build();
    }

    /**
     * @param token a string unique to one test message (say, in its Subject)
     * @return the delivered Maildir files (new/ and cur/) that contain it, sorted by name
     */
    default List<Path> deliveredContaining(String token) throws IOException {
        byte[] needle = token.getBytes(StandardCharsets.UTF_8);
        List<Path> found = new ArrayList<>();
        for (String sub : List.of("new", "cur")) {
            Path d = maildir().resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
                for (Path f : files) {
                    try {
                        if (PostfixInstance.indexOf(Files.readAllBytes(f), needle) >= 0) {
                            found.add(f);
                        }
                    } catch (NoSuchFileException raced) {
                        // Moved from new/ to cur/: seen in the other directory.
                    }
                }
            }
        }
        found.sort(null);
        return found;
    }

    /** Polls the Maildir until {@code count} copies containing {@code token} arrived, and returns them. */
    default List<Path> awaitDelivered(String token, int count, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            List<Path> found = deliveredContaining(token);
            if (found.size() >= count) {
                return found;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(found.size() + " of " + count + " copies with " + token + " in " + maildir()
                        + " after " + timeout + "; " + name() + " log tail:\n" + logTail(40));
            }
            Thread.sleep(100);
        }
    }

    /** @return the last lines of the server's log, for failure messages */
    default String logTail(int lines) {
        try {
            List<String> all = Files.readAllLines(logFile(), StandardCharsets.ISO_8859_1);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + logFile() + ": " + e + ")";
        }
    }
}
