package io.reactivesmtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.testing.Properties;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Known answers from RFC 8463 Appendix A (an Ed25519 and an RSA signature on the RFC 6376 example, both
 * deterministic algorithms), and the streaming body hash against a whole-message reference on random input.
 */
class DkimSignerTest {

    static final String RFC_MESSAGE = "From: Joe SixPack <joe@football.example.com>\r\n"
            + "To: Suzie Q <suzie@shopping.example.net>\r\n"
            + "Subject: Is dinner ready?\r\n"
            + "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
            + "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
            + "\r\n"
            + "Hi.\r\n"
            + "\r\n"
            + "We lost the game.  Are you hungry yet?\r\n"
            + "\r\n"
            + "Joe.\r\n";

    /** RFC 8463 A.2: the Ed25519 secret key (RFC 8032 7.1 test 1). */
    static final String RFC_ED25519_SEED = "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";

    /** RFC 8463 A.2: the RSA key (the 1024-bit key of RFC 6376's examples). */
    static final String RFC_RSA_PEM = "-----BEGIN RSA PRIVATE KEY-----\n"
            + "MIICXQIBAAKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQi\n"
            + "Y/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM\n"
            + "KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB\n"
            + "AoGAH0cxOhFZDgzXWhDhnAJDw5s4roOXN4OhjiXa8W7Y3rhX3FJqmJSPuC8N9vQm\n"
            + "6SVbaLAE4SG5mLMueHlh4KXffEpuLEiNp9Ss3O4YfLiQpbRqE7Tm5SxKjvvQoZZe\n"
            + "zHorimOaChRL2it47iuWxzxSiRMv4c+j70GiWdxXnxe4UoECQQDzJB/0U58W7RZy\n"
            + "6enGVj2kWF732CoWFZWzi1FicudrBFoy63QwcowpoCazKtvZGMNlPWnC7x/6o8Gc\n"
            + "uSe0ga2xAkEA8C7PipPm1/1fTRQvj1o/dDmZp243044ZNyxjg+/OPN0oWCbXIGxy\n"
            + "WvmZbXriOWoSALJTjExEgraHEgnXssuk7QJBALl5ICsYMu6hMxO73gnfNayNgPxd\n"
            + "WFV6Z7ULnKyV7HSVYF0hgYOHjeYe9gaMtiJYoo0zGN+L3AAtNP9huqkWlzECQE1a\n"
            + "licIeVlo1e+qJ6Mgqr0Q7Aa7falZ448ccbSFYEPD6oFxiOl9Y9se9iYHZKKfIcst\n"
            + "o7DUw1/hz2Ck4N5JrgUCQQCyKveNvjzkkd8HjYs0SwM0fPjK16//5qDZ2UiDGnOe\n"
            + "uEzxBDAr518Z8VFbR41in3W4Y3yCDgQlLlcETrS+zYcL\n"
            + "-----END RSA PRIVATE KEY-----\n";

    static final List<String> RFC_H = List.of("from", "to", "subject", "date", "message-id", "from", "subject",
            "date");

    static PrivateKey rfcEd25519() throws Exception {
        byte[] seed = Base64.getDecoder().decode(RFC_ED25519_SEED);
        byte[] pkcs8 = HexFormat.of().parseHex("302e020100300506032b657004220420");
        byte[] der = new byte[pkcs8.length + seed.length];
        System.arraycopy(pkcs8, 0, der, 0, pkcs8.length);
        System.arraycopy(seed, 0, der, pkcs8.length, seed.length);
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    static PrivateKey rfcRsa() {
        return DkimKeys.readPem("RFC 8463 A.2 RSA key", new StringReader(RFC_RSA_PEM));
    }

    private static DkimSigner rfcSigner(PrivateKey key, String selector, DkimCanonicalization c) {
        return DkimSigner.builder().key(key).domain("football.example.com").selector(selector)
                .canonicalization(c, c).headers(RFC_H)
                .clock(Clock.fixed(Instant.ofEpochSecond(1528637909), ZoneOffset.UTC)).build();
    }

    private static List<HeaderField> rfcHeaders() {
        MessageHasher h = hasher(DkimCanonicalization.RELAXED);
        byte[] m = RFC_MESSAGE.getBytes(StandardCharsets.US_ASCII);
        h.update(m, 0, m.length);
        h.finish();
        return HeaderField.parse(h.headerBlock());
    }

    private static MessageHasher hasher(DkimCanonicalization... c) {
        return new MessageHasher(DkimSigner.MAX_HEADER_BLOCK_BYTES, List.of(c));
    }

    private static String bh(String message, DkimCanonicalization c) {
        MessageHasher h = hasher(c);
        byte[] m = message.getBytes(StandardCharsets.ISO_8859_1);
        h.update(m, 0, m.length);
        h.finish();
        return Base64.getEncoder().encodeToString(h.bodyHash(c));
    }

    @Test
    void bodyHashesOfRfc8463AppendixA() {
        assertThat(bh(RFC_MESSAGE, DkimCanonicalization.RELAXED)).isEqualTo("2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=");
        // The simple/simple signatures of the same message in dkimpy's test data carry this bh=.
        assertThat(bh(RFC_MESSAGE, DkimCanonicalization.SIMPLE)).isEqualTo("4bLNXImK9drULnmePzZNEBleUanJCX5PIsDIFoH4KTQ=");
    }

    @Test
    void emptyBodies() {
        // RFC 6376 3.4.3: an empty body is CRLF in simple; 3.4.4 (errata 3192): nothing in relaxed.
        assertThat(bh("From: a@b.test\r\n\r\n", DkimCanonicalization.SIMPLE))
                .isEqualTo("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
        assertThat(bh("From: a@b.test\r\n", DkimCanonicalization.RELAXED))
                .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        assertThat(bh("From: a@b.test\r\n\r\n \t\r\n\r\n", DkimCanonicalization.RELAXED))
                .isEqualTo("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
    }

    @Test
    void ed25519SignatureOfRfc8463AppendixA() throws Exception {
        String template = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
                + " d=football.example.com; i=@football.example.com;\r\n"
                + " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
                + " subject : date : message-id : from : subject : date;\r\n"
                + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                + " b=";
        DkimSigner signer = rfcSigner(rfcEd25519(), "brisbane", DkimCanonicalization.RELAXED);
        assertThat(signer.algorithm()).isEqualTo(DkimAlgorithm.ED25519_SHA256);
        assertThat(signer.sign(rfcHeaders(), RFC_H, template)).isEqualTo(
                "/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11BusFa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==");
        assertThat(DkimKeys.dnsRecord(rfcEd25519()))
                .isEqualTo("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    }

    @Test
    void rsaSignatureOfRfc8463AppendixA() {
        String template = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
                + " d=football.example.com; i=@football.example.com;\r\n"
                + " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
                + " date : message-id : from : subject : date;\r\n"
                + " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
                + " b=";
        DkimSigner signer = rfcSigner(rfcRsa(), "test", DkimCanonicalization.RELAXED);
        assertThat(signer.algorithm()).isEqualTo(DkimAlgorithm.RSA_SHA256);
        assertThat(signer.sign(rfcHeaders(), RFC_H, template)).isEqualTo(
                "F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSG"
                + "sgeefOsk2JzdA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=");
        assertThat(DkimKeys.dnsRecord(rfcRsa())).isEqualTo("v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoB"
                + "TzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqM"
                + "KrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
    }

    @Test
    void signatureHeaderIsFoldedAndCarriesTheTags() throws Exception {
        DkimSigner signer = rfcSigner(rfcEd25519(), "brisbane", DkimCanonicalization.RELAXED);
        String header = signer.sign(RFC_MESSAGE.getBytes(StandardCharsets.US_ASCII));
        assertThat(header).startsWith("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;")
                .contains("d=football.example.com;", "s=brisbane;", "t=1528637909;",
                        "bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;")
                .doesNotContain("l=").endsWith("\r\n");
        String unfolded = header.replace("\r\n ", " ").replace(": ", ":");
        assertThat(unfolded).contains("h=from:to:subject:date:message-id:from:subject:date;");
        for (String line : header.split("\r\n")) {
            assertThat(line.length()).isLessThanOrEqualTo(78);
        }
        assertThat(header.indexOf('\n')).isEqualTo(header.indexOf("\r\n") + 1); // CRLF only
    }

    @Test
    void defaultHeadersAreThosePresentAndFromIsRequired() throws Exception {
        DkimSigner signer = DkimSigner.builder().key(rfcEd25519()).domain("example.com").selector("s1").build();
        String header = signer.sign(("Subject: hi\r\nFrom: a@example.com\r\nX-Other: 1\r\nTo: b@example.net\r\n"
                + "To: c@example.net\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII));
        assertThat(header.replace("\r\n ", " ")).contains("h=from:to:to:subject:from;");
        assertThatThrownBy(() -> signer.sign("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(DkimSigningException.class).hasMessageContaining("no From: header");
    }

    @Test
    void bodyLengthTagOnlyWhenAsked() throws Exception {
        DkimSigner signer = DkimSigner.builder().key(rfcEd25519()).domain("example.com").selector("s1")
                .bodyLengthTag(true).build();
        assertThat(signer.sign("From: a@b.test\r\n\r\nab  c \r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .contains(" l=6;"); // "ab c\r\n"
    }

    @Test
    void builderRejectsBadDomainSelectorAndHeaderNames() throws Exception {
        PrivateKey key = rfcEd25519();
        assertThatThrownBy(() -> DkimSigner.builder().key(key).domain("exa mple.com").selector("s").build())
                .hasMessageContaining("invalid or missing domain");
        assertThatThrownBy(() -> DkimSigner.builder().key(key).domain("example.com").selector("s\r\nX: y").build())
                .hasMessageContaining("invalid or missing selector");
        assertThatThrownBy(() -> DkimSigner.builder().key(key).selector("s").build())
                .hasMessageContaining("missing domain");
        assertThatThrownBy(() -> DkimSigner.builder().headers(List.of("subject:"))).hasMessageContaining("header field name");
        assertThatThrownBy(() -> DkimSigner.builder().domain("example.com").selector("s").build())
                .hasMessageContaining("no key");
    }

    @Test
    void headerBlockIsBounded() throws Exception {
        DkimSigner signer = DkimSigner.builder().key(rfcEd25519()).domain("example.com").selector("s1").build();
        byte[] big = ("From: a@b.test\r\nX-Big: " + "x".repeat(DkimSigner.MAX_HEADER_BLOCK_BYTES) + "\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> signer.sign(big)).isInstanceOf(DkimSigningException.class)
                .hasMessageContaining("header block is larger than " + DkimSigner.MAX_HEADER_BLOCK_BYTES);
    }

    @Test
    void streamingBodyHashEqualsTheWholeMessageReferenceWhateverTheChunks() {
        Properties.forAll(2000, random -> {
            byte[] message = randomMessage(random);
            for (DkimCanonicalization c : DkimCanonicalization.values()) {
                MessageHasher h = hasher(c);
                int i = 0;
                while (i < message.length) {
                    int n = Math.min(message.length - i, 1 + random.nextInt(8));
                    h.update(message, i, n);
                    i += n;
                }
                h.finish();
                ReferenceCanon ref = ReferenceCanon.of(message, c);
                assertThat(new String(h.headerBlock(), StandardCharsets.ISO_8859_1))
                        .as("header block, %s", c).isEqualTo(ref.header);
                assertThat(h.bodyHash(c)).as("body hash %s of %s", c, printable(message))
                        .isEqualTo(BodyHasher.sha256().digest(ref.body.getBytes(StandardCharsets.ISO_8859_1)));
                assertThat(h.bodyLength(c)).isEqualTo(ref.body.length());
            }
        });
    }

    private static byte[] randomMessage(SplittableRandom random) {
        byte[] pieces = {'\r', '\n', ' ', '\t', 'a', 'b', ':', (byte) 0xE9};
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int n = random.nextInt(80);
        for (int i = 0; i < n; i++) {
            out.write(pieces[random.nextInt(pieces.length)]);
        }
        return out.toByteArray();
    }

    private static String printable(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t");
    }

    /** Whole-message canonicalisation written straight from RFC 6376 3.4.3/3.4.4, for comparison. */
    private record ReferenceCanon(String header, String body) {
        static ReferenceCanon of(byte[] message, DkimCanonicalization c) {
            // Line endings as the DATA encoder sends them: CRLF, bare CR, bare LF all become CRLF.
            String text = new String(message, StandardCharsets.ISO_8859_1)
                    .replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n");
            if (!text.isEmpty() && !text.endsWith("\r\n")) {
                text += "\r\n";
            }
            String header;
            String body;
            if (text.startsWith("\r\n")) {
                header = "";
                body = text.substring(2);
            } else {
                int sep = text.indexOf("\r\n\r\n");
                header = sep < 0 ? text : text.substring(0, sep + 2);
                body = sep < 0 ? "" : text.substring(sep + 4);
            }
            if (c == DkimCanonicalization.RELAXED) {
                StringBuilder b = new StringBuilder();
                for (String line : body.split("\r\n", -1)) {
                    b.append(line.replaceAll("[ \t]+", " ").replaceAll(" $", "")).append("\r\n");
                }
                body = b.substring(0, b.length() - 2);
            }
            while (body.endsWith("\r\n\r\n")) {
                body = body.substring(0, body.length() - 2);
            }
            if (body.equals("\r\n")) {
                body = "";
            }
            if (!body.isEmpty() && !body.endsWith("\r\n")) {
                body += "\r\n";
            }
            if (body.isEmpty() && c == DkimCanonicalization.SIMPLE) {
                body = "\r\n";
            }
            return new ReferenceCanon(header, body);
        }
    }
}
