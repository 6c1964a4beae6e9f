package io.reactivesmtp.internal;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * The one place that reads PEM files (TLS trust bundles and client certificates, DKIM keys, the probe's trust
 * bundle), on Bouncy Castle's reader. Every error is an {@link IllegalArgumentException} whose message names the file
 * and what it was meant to hold, and never quotes the file's content (it may be a private key).
 */
public final class Pem {

    /** Larger than any real bundle (the Mozilla bundle is about 220 KB): a file beyond it is not PEM. */
    public static final long MAX_BYTES = 16L * 1024 * 1024;

    /** One {@code -----BEGIN TYPE-----} block: its type and its decoded bytes. */
    public record Block(String type, byte[] der) {

        /** @param type the label, e.g. {@code CERTIFICATE} @param der the decoded content */
        public Block {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(der, "der");
        }
    }

    private Pem() {
    }

    /**
     * Reads a PEM file as text. Blocks on the file: call it at configuration time, never on an event loop.
     *
     * @param file the file
     * @param what what the file should hold, for error messages, e.g. {@code "CA bundle"}
     * @return its text (PEM is ASCII; other bytes can only be outside the blocks, where they are ignored)
     * @throws IllegalArgumentException naming the file when it is missing, not a regular file, too large or
     *     unreadable
     */
    public static String read(Path file, String what) {
        Objects.requireNonNull(file, what);
        try {
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(what + " " + file
                        + " cannot be read: it does not exist or is not a regular file");
            }
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException(what + " " + file + " is larger than " + MAX_BYTES
                        + " bytes: not a PEM file");
            }
            return new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " " + file + " cannot be read ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    /**
     * The PEM blocks of a text, in order; text between blocks (comments, {@code openssl x509 -text} output) is
     * ignored.
     *
     * @param source names the text in error messages, e.g. {@code "CA bundle /etc/ca.pem"}
     * @param text the PEM text
     * @return the blocks, possibly none
     * @throws IllegalArgumentException naming the source when a block is malformed (bad base64, no END line)
     */
    public static List<Block> blocks(String source, String text) {
        List<Block> blocks = new ArrayList<>();
        try (PemReader reader = new PemReader(new StringReader(text))) {
            for (PemObject o = reader.readPemObject(); o != null; o = reader.readPemObject()) {
                blocks.add(new Block(o.getType(), o.getContent()));
            }
        } catch (IOException | RuntimeException e) {
            // Bouncy Castle's message may quote the content: only its kind is passed on.
            throw new IllegalArgumentException(source + ": PEM block " + (blocks.size() + 1) + " is malformed ("
                    + e.getClass().getSimpleName() + ")", e);
        }
        return blocks;
    }

    /**
     * Reads the X.509 certificates of a PEM file ({@code CERTIFICATE} or {@code X509 CERTIFICATE} blocks; keys or
     * parameters beside them are skipped).
     *
     * @param file the file
     * @param what what the file should hold, for error messages, e.g. {@code "CA bundle"}
     * @return at least one certificate, in file order
     * @throws IllegalArgumentException naming the file when it cannot be read, holds no certificate or a malformed one
     */
    public static List<X509Certificate> certificates(Path file, String what) {
        String source = what + " " + file;
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("X.509 is not supported by this JVM", e);
        }
        List<X509Certificate> certs = new ArrayList<>();
        for (Block block : blocks(source, read(file, what))) {
            if (!block.type().equals("CERTIFICATE") && !block.type().equals("X509 CERTIFICATE")) {
                continue;
            }
            try {
                certs.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(block.der())));
            } catch (CertificateException | RuntimeException e) {
                throw new IllegalArgumentException(source + ": certificate " + (certs.size() + 1)
                        + " is malformed: " + e.getMessage(), e);
            }
        }
        if (certs.isEmpty()) {
            throw new IllegalArgumentException(source + " contains no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return certs;
    }
}
