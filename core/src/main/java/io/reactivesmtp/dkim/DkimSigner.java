package io.reactivesmtp.dkim;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;
import org.bouncycastle.crypto.util.PrivateKeyFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Signs messages with one DKIM key (RFC 6376; Ed25519-SHA256 per RFC 8463): a key, a domain ({@code d=}), a
 * selector ({@code s=}), the headers to sign ({@code h=}) and the canonicalisations. Immutable and thread-safe;
 * build it once and sign any number of messages with it.
 *
 * <pre>{@code
 * DkimSigner signer = DkimSigner.builder()
 *         .key(DkimKeys.readPem(Path.of("brisbane.pem")))   // RSA -> rsa-sha256, Ed25519 -> ed25519-sha256
 *         .domain("example.com")
 *         .selector("brisbane")
 *         .build();                                         // relaxed/relaxed, default headers, no l=
 * MessageContent signed = MessageContent.of(Path.of("newsletter.eml")).signedWith(signer);
 * }</pre>
 *
 * <p>The signature covers the content as the DATA encoder sends it (line endings normalised to CRLF). Several
 * signers on one message (e.g. RSA and Ed25519) give several independent {@code DKIM-Signature} headers.
 */
public final class DkimSigner {

    /**
     * The headers signed by default, each as often as it occurs in the message (From always, and it must occur),
     * with From once more (over-signed, so that no From can be added). List-Unsubscribe and List-Unsubscribe-Post
     * are among them: RFC 8058 one-click unsubscribe needs both signed.
     */
    public static final List<String> DEFAULT_HEADERS = List.of("from", "to", "cc", "subject", "date", "message-id",
            "reply-to", "in-reply-to", "references", "mime-version", "content-type", "content-transfer-encoding",
            "list-id", "list-unsubscribe", "list-unsubscribe-post");

    /** The bound of the header block read before the body is hashed (the body itself is never bounded). */
    public static final int MAX_HEADER_BLOCK_BYTES = 1024 * 1024;

    private static final Pattern DOMAIN = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*");
    private static final Pattern HEADER_NAME = Pattern.compile("[!-9;-~]+");

    private final PrivateKey key;
    private final DkimAlgorithm algorithm;
    private final String domain;
    private final String selector;
    private final List<String> headers; // null: the default list, as present
    private final DkimCanonicalization headerCanonicalization;
    private final DkimCanonicalization bodyCanonicalization;
    private final boolean bodyLengthTag;
    private final Clock clock;
    /** Bouncy Castle's Ed25519, several times faster than the JDK 17 one; null for RSA. */
    private final Ed25519PrivateKeyParameters ed25519;

    private DkimSigner(Builder b) {
        this.key = b.key;
        this.algorithm = b.algorithm;
        this.domain = b.domain;
        this.selector = b.selector;
        this.headers = b.headers;
        this.headerCanonicalization = b.headerCanonicalization;
        this.bodyCanonicalization = b.bodyCanonicalization;
        this.bodyLengthTag = b.bodyLengthTag;
        this.clock = b.clock;
        this.ed25519 = algorithm == DkimAlgorithm.ED25519_SHA256 ? ed25519(key) : null;
    }

    private static Ed25519PrivateKeyParameters ed25519(PrivateKey key) {
        try {
            return (Ed25519PrivateKeyParameters) PrivateKeyFactory.createKey(PrivateKeyInfo.getInstance(key.getEncoded()));
        } catch (IOException | RuntimeException e) {
            throw new DkimKeyException("the Ed25519 key cannot be read (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** @return a builder; key, domain and selector are required */
    public static Builder builder() {
        return new Builder();
    }

    PrivateKey key() {
        return key;
    }

    /** @return the algorithm, decided by the key type */
    public DkimAlgorithm algorithm() {
        return algorithm;
    }

    /** @return the signing domain ({@code d=}) */
    public String domain() {
        return domain;
    }

    /** @return the selector ({@code s=}) */
    public String selector() {
        return selector;
    }

    /** @return the header canonicalisation */
    public DkimCanonicalization headerCanonicalization() {
        return headerCanonicalization;
    }

    /** @return the body canonicalisation */
    public DkimCanonicalization bodyCanonicalization() {
        return bodyCanonicalization;
    }

    /** @return the DNS name of the public key record, {@code SELECTOR._domainkey.DOMAIN} */
    public String dnsName() {
        return selector + "._domainkey." + domain;
    }

    /**
     * Signs a whole message in memory and returns its {@code DKIM-Signature} header field. For small messages
     * and tools; to send, prefer {@code MessageContent.signedWith(signer)}, which streams.
     *
     * @param message the RFC 5322 message
     * @return the header field, folded, ending with CRLF, to be put in front of the message
     * @throws DkimSigningException if the message has no From header or its header block is too large
     */
    public String sign(byte[] message) {
        MessageHasher hasher = new MessageHasher(MAX_HEADER_BLOCK_BYTES, List.of(bodyCanonicalization));
        hasher.update(message, 0, message.length);
        hasher.finish();
        return signatureHeader(HeaderField.parse(hasher.headerBlock()), hasher.bodyHash(bodyCanonicalization),
                hasher.bodyLength(bodyCanonicalization));
    }

    /**
     * Builds the complete {@code DKIM-Signature} field for a message's headers and body hash.
     *
     * @throws DkimSigningException if there is no From header
     */
    String signatureHeader(List<HeaderField> fields, byte[] bodyHash, long bodyLength) {
        List<String> names = headerNames(fields);
        HeaderFolder f = new HeaderFolder("DKIM-Signature:");
        f.atom(" ", "v=1;");
        f.atom(" ", "a=" + algorithm.tag() + ";");
        f.atom(" ", "c=" + headerCanonicalization.tag() + "/" + bodyCanonicalization.tag() + ";");
        f.atom(" ", "d=" + domain + ";");
        f.atom(" ", "s=" + selector + ";");
        f.atom(" ", "t=" + clock.instant().getEpochSecond() + ";");
        if (bodyLengthTag) {
            f.atom(" ", "l=" + bodyLength + ";");
        }
        for (int i = 0; i < names.size(); i++) {
            String atom = (i == 0 ? "h=" : "") + names.get(i) + (i == names.size() - 1 ? ";" : ":");
            f.atom(i == 0 ? " " : "", atom);
        }
        f.atom(" ", "bh=" + Base64.getEncoder().encodeToString(bodyHash) + ";");
        f.atom(" ", "b=");
        String template = f.toString();
        String b = sign(fields, names, template);
        for (int i = 0; i < b.length(); i += 64) {
            f.atom("", b.substring(i, Math.min(b.length(), i + 64)));
        }
        return f + "\r\n";
    }

    /**
     * Computes {@code b=} for a signature header whose {@code b=} is empty (RFC 6376 section 3.7): the selected
     * header fields, then the signature header without its final CRLF, canonicalised, hashed and signed.
     */
    String sign(List<HeaderField> fields, List<String> names, String templateWithEmptyB) {
        String sig = templateWithEmptyB;
        if (headerCanonicalization == DkimCanonicalization.RELAXED) {
            sig = HeaderField.of(templateWithEmptyB).canonical(headerCanonicalization);
            sig = sig.substring(0, sig.length() - 2); // without its CRLF
        }
        byte[] data = signedData(fields, names, sig);
        if (ed25519 != null) {
            byte[] hash = BodyHasher.sha256().digest(data); // RFC 8463: PureEdDSA over SHA-256(data)
            Ed25519Signer signer = new Ed25519Signer();
            signer.init(true, ed25519);
            signer.update(hash, 0, hash.length);
            return Base64.getEncoder().encodeToString(signer.generateSignature());
        }
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update(data);
            return Base64.getEncoder().encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DKIM signing with the " + algorithm.tag() + " key of " + dnsName()
                    + " failed (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** The selected fields, canonical, several instances of a name from the bottom up (RFC 6376 section 5.4.2). */
    private byte[] signedData(List<HeaderField> fields, List<String> names, String canonicalSig) {
        StringBuilder data = new StringBuilder();
        Map<String, Integer> used = new HashMap<>();
        for (String name : names) {
            int skip = used.merge(name, 1, Integer::sum) - 1;
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (fields.get(i).lowerName().equals(name) && skip-- == 0) {
                    data.append(fields.get(i).canonical(headerCanonicalization));
                    break;
                }
            }
        }
        return data.append(canonicalSig).toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** The {@code h=} list for this message. */
    private List<String> headerNames(List<HeaderField> fields) {
        Map<String, Integer> counts = requireFrom(fields);
        List<String> names = new ArrayList<>();
        if (headers == null) {
            for (String name : DEFAULT_HEADERS) {
                for (int i = counts.getOrDefault(name, 0); i > 0; i--) {
                    names.add(name);
                }
            }
            // Over-signed: a From added above the signed one (a second author shown by some readers) breaks it.
            names.add("from");
        } else {
            names.addAll(headers); // as configured: names not present over-sign (forbid adding them later)
        }
        return names;
    }

    /**
     * Checks, without sending anything, that a message in memory can be signed: a header block within
     * {@link #MAX_HEADER_BLOCK_BYTES}, with a From field. Reads only the header block.
     *
     * @param message the message
     * @throws DkimSigningException if it cannot be signed
     */
    public static void checkSignable(byte[] message) {
        MessageHasher hasher = new MessageHasher(MAX_HEADER_BLOCK_BYTES, List.of());
        for (int i = 0; i < message.length && !hasher.headerComplete(); i += 64 * 1024) {
            hasher.update(message, i, Math.min(64 * 1024, message.length - i));
        }
        hasher.finish();
        requireFrom(HeaderField.parse(hasher.headerBlock()));
    }

    /**
     * Checks that a message file can be signed (a header block within {@link #MAX_HEADER_BLOCK_BYTES} with a From
     * field), reading only its header block. Blocking I/O: for tools that check their input before sending (the
     * command line), not for event loops.
     *
     * @param file the message
     * @throws DkimSigningException naming the file if it cannot be signed
     * @throws java.io.UncheckedIOException if it cannot be read
     */
    public static void checkSignable(Path file) {
        MessageHasher hasher = new MessageHasher(MAX_HEADER_BLOCK_BYTES, List.of());
        byte[] buffer = new byte[64 * 1024];
        try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
            int n;
            while (!hasher.headerComplete() && (n = in.read(buffer)) > 0) {
                hasher.update(buffer, 0, n);
            }
            hasher.finish();
            requireFrom(HeaderField.parse(hasher.headerBlock()));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        } catch (DkimSigningException e) {
            throw new DkimSigningException(file + ": " + e.getMessage());
        }
    }

    /** @return the number of fields of each (lower-case) name */
    static Map<String, Integer> requireFrom(List<HeaderField> fields) {
        Map<String, Integer> counts = new HashMap<>();
        for (HeaderField field : fields) {
            counts.merge(field.lowerName(), 1, Integer::sum);
        }
        if (!counts.containsKey("from")) {
            throw new DkimSigningException("the message has no From: header field, which DKIM must sign "
                    + "(RFC 6376 section 5.4)");
        }
        return counts;
    }

    @Override
    public String toString() {
        return "DkimSigner[" + algorithm.tag() + ", d=" + domain + ", s=" + selector + ", c="
                + headerCanonicalization.tag() + "/" + bodyCanonicalization.tag() + "]";
    }

    /** Builds a {@link DkimSigner}; {@link #build()} checks everything. */
    public static final class Builder {
        private PrivateKey key;
        private DkimAlgorithm algorithm;
        private String domain;
        private String selector;
        private List<String> headers;
        private DkimCanonicalization headerCanonicalization = DkimCanonicalization.RELAXED;
        private DkimCanonicalization bodyCanonicalization = DkimCanonicalization.RELAXED;
        private boolean bodyLengthTag;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /**
         * @param key an RSA key of at least 1024 bits (rsa-sha256) or an Ed25519 key (ed25519-sha256)
         * @return this builder
         * @throws DkimKeyException if the key cannot sign DKIM
         */
        public Builder key(PrivateKey key) {
            Objects.requireNonNull(key, "key");
            this.algorithm = DkimKeys.check("the DKIM key", key);
            this.key = key;
            return this;
        }

        /**
         * Reads the key from a PEM file (see {@link DkimKeys#readPem(Path)}).
         *
         * @param pemFile the PEM file
         * @return this builder
         * @throws DkimKeyException naming the file if it holds no usable key
         */
        public Builder key(Path pemFile) {
            return key(DkimKeys.readPem(pemFile));
        }

        /**
         * @param domain the signing domain ({@code d=}), e.g. {@code example.com}
         * @return this builder
         */
        public Builder domain(String domain) {
            this.domain = Objects.requireNonNull(domain, "domain");
            return this;
        }

        /**
         * @param selector the selector ({@code s=}): the key's record is {@code SELECTOR._domainkey.DOMAIN}
         * @return this builder
         */
        public Builder selector(String selector) {
            this.selector = Objects.requireNonNull(selector, "selector");
            return this;
        }

        /**
         * The header fields to sign, in this order, instead of {@link #DEFAULT_HEADERS} as present. A name that
         * the message does not have is still listed (over-signing: nobody can add that header later without
         * breaking the signature). {@code From} is added first if missing.
         *
         * @param names header field names, case-insensitive
         * @return this builder
         */
        public Builder headers(List<String> names) {
            Objects.requireNonNull(names, "names");
            List<String> list = new ArrayList<>();
            for (String n : names) {
                Objects.requireNonNull(n, "header name");
                if (!HEADER_NAME.matcher(n).matches()) {
                    throw new IllegalArgumentException("invalid header field name for DKIM h=: \""
                            + n.replaceAll("[^ -~]", "?") + "\"");
                }
                list.add(n.toLowerCase(Locale.ROOT));
            }
            if (!list.contains("from")) {
                list.add(0, "from");
            }
            this.headers = List.copyOf(list);
            return this;
        }

        /**
         * @param header the header canonicalisation (default relaxed)
         * @param body the body canonicalisation (default relaxed)
         * @return this builder
         */
        public Builder canonicalization(DkimCanonicalization header, DkimCanonicalization body) {
            this.headerCanonicalization = Objects.requireNonNull(header, "header");
            this.bodyCanonicalization = Objects.requireNonNull(body, "body");
            return this;
        }

        /**
         * Adds {@code l=} with the length of the whole canonical body. Off by default: {@code l=} lets anybody
         * append content under a valid signature (RFC 6376 section 8.2).
         *
         * @param enabled whether to add {@code l=}
         * @return this builder
         */
        public Builder bodyLengthTag(boolean enabled) {
            this.bodyLengthTag = enabled;
            return this;
        }

        /**
         * @param clock the clock of the {@code t=} tag (default the system clock)
         * @return this builder
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * @return the signer
         * @throws IllegalArgumentException if the key, domain or selector is missing or invalid
         */
        public DkimSigner build() {
            if (key == null) {
                throw new IllegalArgumentException("DKIM signer: no key given");
            }
            if (domain == null || !DOMAIN.matcher(domain).matches()) {
                throw new IllegalArgumentException("DKIM signer: invalid or missing domain (d=): "
                        + (domain == null ? "none given" : "\"" + domain.replaceAll("[^ -~]", "?") + "\""));
            }
            if (selector == null || !DOMAIN.matcher(selector).matches()) {
                throw new IllegalArgumentException("DKIM signer: invalid or missing selector (s=): "
                        + (selector == null ? "none given" : "\"" + selector.replaceAll("[^ -~]", "?") + "\""));
            }
            return new DkimSigner(this);
        }
    }
}
