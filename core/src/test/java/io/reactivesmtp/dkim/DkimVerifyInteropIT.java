package io.reactivesmtp.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.testing.DkimTestKeys;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Our signatures checked by a verifier that is not ours: Debian's dkimpy ({@code python3-dkim}, with PyNaCl for
 * Ed25519; {@code interop/dkim/install.sh} installs both), run as {@code interop/dkim/verify.py} with the public
 * keys from a file. The messages are verified as SubEthaSMTP received them over SMTP from our client, with four
 * signatures each: RSA (key read from PKCS#1 PEM) relaxed/relaxed, RSA (PKCS#8) simple/simple, Ed25519
 * relaxed/relaxed and Ed25519 simple/simple. Negative cases show that the verifier does fail.
 *
 * <p>Runs with {@code -Pinterop}; fails, never skips, when the verifier is missing.
 */
class DkimVerifyInteropIT {

    private static final String PYTHON = System.getProperty("interop.dkim.python", "/usr/bin/python3");
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    static Path dir;

    private static Path verifyScript;
    private static Path keysFile;
    private static List<DkimSigner> signers;
    private static SubethaSmtpServer server;
    private static SmtpConnector connector;

    /** The message cases of the issue. */
    enum Case {
        MIXED_LINE_ENDINGS_FOLDED_HEADERS("From: Alice <alice@example.com>\nTo: Bob <bob@example.net>,\r\n"
                + "\tCarol <carol@example.net>\r\nSubject: folded\n  over   two lines \r\nDate: Sat, 28 Nov 2026 15:00:00 +0000\n"
                + "Message-ID: <mixed@example.com>\r\nX-Not-Signed: yes\n\r\n"
                + "CRLF line\r\nLF line\nCR line\rtabs\tand   spaces   \r\n.leading dot\n..two dots\r\n  indented\n"),
        TRAILING_BLANK_LINES("From: a@example.com\r\nSubject: trailing\r\n\r\nbody\r\n\r\n\r\n \t \r\n\n\n"),
        EIGHT_BIT("From: =?utf-8?q?J=C3=BCrgen?= <j@example.com>\r\nSubject: Gr\u00fc\u00dfe 8-bit header\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nMIME-Version: 1.0\r\n\r\n"
                + "Gr\u00fc\u00dfe aus K\u00f6ln \u2014 \u65e5\u672c\u8a9e\r\n"),
        EMPTY_BODY("From: a@example.com\r\nSubject: empty\r\n\r\n"),
        HEADERS_ONLY_NO_BLANK_LINE("From: a@example.com\r\nSubject: no body, no final line break"),
        NO_FINAL_LINE_BREAK("From: a@example.com\r\nSubject: last line open\r\n\r\nline one\r\nno newline at the end");

        final byte[] bytes;

        Case(String text) {
            this.bytes = text.getBytes(StandardCharsets.UTF_8);
        }
    }

    @BeforeAll
    static void setUp() throws Exception {
        Process check = new ProcessBuilder(PYTHON, "-c", "import dkim, nacl").redirectErrorStream(true).start();
        String checkOut = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!check.waitFor(60, TimeUnit.SECONDS) || check.exitValue() != 0) {
            throw new AssertionError("the independent DKIM verifier is missing: " + PYTHON + " cannot import dkim "
                    + "and nacl (run interop/dkim/install.sh as root: python3-dkim, python3-nacl): " + checkOut);
        }
        verifyScript = findUp(Path.of("interop", "dkim", "verify.py"));

        PrivateKeys keys = new PrivateKeys(
                DkimKeys.readPem(DkimTestKeys.rsaPkcs1(dir.resolve("rsa-pkcs1.pem"))),
                DkimKeys.readPem(DkimTestKeys.rsaPkcs8(dir.resolve("rsa-pkcs8.pem"))),
                DkimKeys.readPem(DkimTestKeys.ed25519Pkcs8(dir.resolve("ed25519.pem"))));
        signers = List.of(
                signer(keys.rsa1, "rsa-relaxed", DkimCanonicalization.RELAXED),
                signer(keys.rsa8, "rsa-simple", DkimCanonicalization.SIMPLE),
                signer(keys.ed, "ed-relaxed", DkimCanonicalization.RELAXED),
                signer(keys.ed, "ed-simple", DkimCanonicalization.SIMPLE));
        StringBuilder records = new StringBuilder();
        for (DkimSigner s : signers) {
            records.append(s.dnsName()).append(' ').append(DkimKeys.dnsRecord(s.key())).append('\n');
        }
        keysFile = Files.writeString(dir.resolve("keys.txt"), records);

        server = SubethaSmtpServer.start();
        connector = SmtpConnector.create();
    }

    private record PrivateKeys(java.security.PrivateKey rsa1, java.security.PrivateKey rsa8,
            java.security.PrivateKey ed) {
    }

    private static DkimSigner signer(java.security.PrivateKey key, String selector, DkimCanonicalization c) {
        return DkimSigner.builder().key(key).domain("example.com").selector(selector).canonicalization(c, c).build();
    }

    @AfterAll
    static void tearDown() {
        if (connector != null) {
            connector.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Case.class)
    void everySignatureOfEveryCaseVerifiesAsTheServerReceivedIt(Case c) throws Exception {
        byte[] received = sendAndReceive(MessageContent.of(c.bytes).signedWith(signers));
        assertThat(countSignatures(received)).isEqualTo(4);
        Verdict verdict = verify(received, c.name());
        assertThat(verdict.passed()).as(verdict.output()).isTrue();
        assertThat(verdict.output().lines().filter(l -> l.startsWith("PASS"))).hasSize(4);
    }

    @Test
    void fileContentIsSignedInTwoPasses() throws Exception {
        Path file = Files.write(dir.resolve("message.eml"), bigMessage());
        byte[] received = sendAndReceive(MessageContent.of(file).signedWith(signers));
        Verdict verdict = verify(received, "file");
        assertThat(verdict.passed()).as(verdict.output()).isTrue();
    }

    @Test
    void publisherContentIsSpooledWhileHashed() throws Exception {
        byte[] message = bigMessage();
        byte[] received = sendAndReceive(MessageContent.of(new DkimSignedContentTest.ChunkPublisher(message, 1000))
                .signedWith(signers));
        Verdict verdict = verify(received, "publisher");
        assertThat(verdict.passed()).as(verdict.output()).isTrue();
    }

    @Test
    void byteBufContentAndOneSignatureAlone() throws Exception {
        ByteBuf buf = Unpooled.wrappedBuffer(Case.MIXED_LINE_ENDINGS_FOLDED_HEADERS.bytes);
        try {
            for (DkimSigner s : signers) {
                byte[] received = sendAndReceive(MessageContent.of(buf).signedWith(s));
                assertThat(countSignatures(received)).isEqualTo(1);
                Verdict verdict = verify(received, "single-" + s.selector());
                assertThat(verdict.passed()).as(verdict.output()).isTrue();
            }
        } finally {
            buf.release();
        }
    }

    @Test
    void aTamperedBodyFailsEverySignature() throws Exception {
        byte[] received = sendAndReceive(MessageContent.of(Case.MIXED_LINE_ENDINGS_FOLDED_HEADERS.bytes)
                .signedWith(signers));
        byte[] tampered = replace(received, "LF line", "LF lime");
        Verdict verdict = verify(tampered, "tampered-body");
        assertThat(verdict.passed()).isFalse();
        assertThat(verdict.output().lines().filter(l -> l.startsWith("FAIL"))).as(verdict.output()).hasSize(4);
    }

    @Test
    void aTamperedSignedHeaderFailsEverySignature() throws Exception {
        byte[] received = sendAndReceive(MessageContent.of(Case.TRAILING_BLANK_LINES.bytes).signedWith(signers));
        Verdict verdict = verify(replace(received, "Subject: trailing", "Subject: trailinG"), "tampered-header");
        assertThat(verdict.output().lines().filter(l -> l.startsWith("FAIL"))).as(verdict.output()).hasSize(4);
    }

    @Test
    void whitespaceChangesBreakOnlyTheSimpleSignatures() throws Exception {
        byte[] received = sendAndReceive(MessageContent.of(Case.TRAILING_BLANK_LINES.bytes).signedWith(signers));
        Verdict verdict = verify(replace(received, "body\r\n", "body  \r\n"), "whitespace");
        assertThat(verdict.output().lines().filter(l -> l.startsWith("PASS")).map(l -> l.replaceAll(".* s=", "")))
                .as(verdict.output()).containsExactlyInAnyOrder("rsa-relaxed", "ed-relaxed");
        assertThat(verdict.output().lines().filter(l -> l.startsWith("FAIL"))).hasSize(2);
    }

    @Test
    void aKeyFromAnotherSelectorFails() throws Exception {
        DkimSigner wrong = DkimSigner.builder().key(DkimKeys.readPem(DkimTestKeys.ed25519Pkcs8(dir.resolve("e.pem"))))
                .domain("example.com").selector("rsa-relaxed").build(); // the record of this name is an RSA key
        byte[] received = sendAndReceive(MessageContent.of(Case.EMPTY_BODY.bytes).signedWith(wrong));
        assertThat(verify(received, "wrong-key").passed()).isFalse();
    }

    @Test
    void aComposedMessageWithOneClickUnsubscribeVerifiesWithBothListHeadersSignedAndFromOverSigned()
            throws Exception {
        ComposedMessage message = ComposedMessage.builder()
                .from("N\u00ebwsletter", "news@example.com").to("rcpt@example.net")
                .subject("Gr\u00fc\u00dfe, with one-click unsubscribe").header("List-Id", "<news.example.com>")
                .text("Hello\n.leading dot\n").html("<p>Hello</p>")
                .attach(Attachment.of("big.txt", "text/plain", bigMessage()))
                .listUnsubscribe("https://example.com/unsubscribe?list=news&id=42", "mailto:unsubscribe@example.com")
                .build();
        byte[] received = sendAndReceive(message.content().signedWith(signers));
        Verdict verdict = verify(received, "composed");
        assertThat(verdict.passed()).as(verdict.output()).isTrue();
        assertThat(verdict.output().lines().filter(l -> l.startsWith("PASS"))).hasSize(4);
        String text = new String(received, StandardCharsets.ISO_8859_1);
        assertThat(text).contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        String signature = text.substring(text.indexOf("DKIM-Signature:"), text.indexOf("\r\n\r\n"))
                .replace("\r\n ", " ").replace("\r\n\t", " ").lines().findFirst().orElseThrow();
        assertThat(signature.replace(" ", "")).contains("list-unsubscribe:list-unsubscribe-post:from;")
                .contains("h=from:");
        // The over-signed From: a second From above the first breaks every signature.
        byte[] added = replace(received, "Date: ", "From: evil@example.org\r\nDate: ");
        assertThat(verify(added, "composed-added-from").passed()).isFalse();
    }

    // ------------------------------------------------------------------------------------------ helpers

    private static byte[] bigMessage() {
        StringBuilder b = new StringBuilder("From: big@example.com\r\nTo: x@example.net\nSubject: big\r\n\r\n");
        for (int i = 0; b.length() < 300_000; i++) {
            b.append(i % 7 == 0 ? ".dot " : "line ").append(i).append(i % 2 == 0 ? "\r\n" : "\n");
            if (i % 50 == 0) {
                b.append("   spaced \t line \r\n\r\n");
            }
        }
        return b.append("\r\n\r\n").toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] sendAndReceive(MessageContent content) throws Exception {
        int before = server.messages().size();
        SmtpSession session = connector.connect("127.0.0.1", server.port(),
                SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build()).get(WAIT.toSeconds(), TimeUnit.SECONDS);
        try {
            SendReport report = session.send(Envelope.of("sender@example.com", "rcpt@example.net"), content)
                    .get(WAIT.toSeconds(), TimeUnit.SECONDS);
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
        } finally {
            session.close().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        List<SubethaSmtpServer.ReceivedMessage> all = server.awaitMessages(before + 1, WAIT);
        return all.get(before).data();
    }

    private static int countSignatures(byte[] message) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        return (int) text.lines().filter(l -> l.startsWith("DKIM-Signature:")).count();
    }

    private static byte[] replace(byte[] message, String from, String to) {
        String text = new String(message, StandardCharsets.ISO_8859_1);
        assertThat(text).contains(from);
        return text.replaceFirst(java.util.regex.Pattern.quote(from), to).getBytes(StandardCharsets.ISO_8859_1);
    }

    private record Verdict(boolean passed, String output) {
    }

    private static Verdict verify(byte[] message, String name) throws IOException, InterruptedException {
        Path file = Files.write(dir.resolve(name + ".eml"), message);
        Process p = new ProcessBuilder(PYTHON, verifyScript.toString(), keysFile.toString(), file.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("verify.py did not finish within 60 s");
        }
        int rc = p.exitValue();
        if (rc != 0 && rc != 1) {
            throw new AssertionError("verify.py failed to run (exit " + rc + "): " + out);
        }
        return new Verdict(rc == 0, out);
    }

    /** The project's file, found from the module directory the tests run in. */
    private static Path findUp(Path relative) {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(relative))) {
                return d.resolve(relative);
            }
        }
        throw new AssertionError(relative + " not found above " + Path.of("").toAbsolutePath());
    }
}
