package io.reactivesmtp.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.mime.Attachment;
import io.reactivesmtp.mime.ComposedMessage;
import io.reactivesmtp.mime.Parsed;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Messages built by {@link ComposedMessage#builder()} with attachments from a file, an array and a publisher, an
 * inline image, UTF-8 text and file names, delivered through a real MTA ({@link PostfixComposedInteropIT},
 * {@link EximComposedInteropIT}) over BDAT and over DATA: the file the server stored is its transmitted bytes (the
 * header lines it prepends excepted), and parsed back with mime4j and with Python's email package every part
 * decodes to the original bytes.
 */
abstract class ComposedInteropTests {

    static final Duration BLOCK = Duration.ofSeconds(120);
    static final Duration DELIVERY = Duration.ofSeconds(60);
    static final String SENDER = "sender@example.com";

    @TempDir
    Path dir;

    /** @return the server under test */
    abstract MtaInstance mta();

    /** The parts of a test message and their original bytes. */
    private record Parts(String text, String html, byte[] file, byte[] array, byte[] published, byte[] image) {
        static Parts random(long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            return new Parts("Grüße aus Köln\n.\n.a line with a leading dot\n--looks like a boundary\nend\n",
                    "<p>Gr&uuml;&szlig;e <img src=\"cid:logo@example.com\"></p>\n",
                    bytes(r, 1_500_000), bytes(r, 70_001), bytes(r, 300_000), bytes(r, 4_321));
        }

        private static byte[] bytes(SplittableRandom r, int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }
    }

    private ComposedMessage message(String token, Parts p, String... to) throws Exception {
        return ComposedMessage.builder()
                .from("Sënder", SENDER).to(to)
                .subject("Composed " + token + " — Grüße ✓")
                .text(p.text()).html(p.html())
                .attach(Attachment.of("logo.png", "image/png", p.image()).inline("logo@example.com"))
                .attach(Attachment.of(Files.write(dir.resolve("report-" + token + ".pdf"), p.file()), "application/pdf"))
                .attach(Attachment.of("Übersicht März.bin", "application/octet-stream", p.array()))
                .attach(Attachment.of("published.csv", "text/csv", Parsed.publisher(p.published(), 16_384)))
                .listUnsubscribe("https://example.com/u?t=" + token, "mailto:unsubscribe@example.com")
                .build();
    }

    private static List<Parsed.Leaf> expected(Parts p, String token) {
        return List.of(
                new Parsed.Leaf("text/plain", null, crlf(p.text())),
                new Parsed.Leaf("text/html", null, crlf(p.html())),
                new Parsed.Leaf("image/png", "logo.png", p.image()),
                new Parsed.Leaf("application/pdf", "report-" + token + ".pdf", p.file()),
                new Parsed.Leaf("application/octet-stream", "Übersicht März.bin", p.array()),
                new Parsed.Leaf("text/csv", "published.csv", p.published()));
    }

    private static byte[] crlf(String text) {
        return text.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBuiltMessageGoesOverBdatAndArrivesIntactForEachRecipient() throws Exception {
        deliverAndCompare(mta().plainSession().build(), true);
    }

    @Test
    void aBuiltMessageGoesOverDataAndArrivesIntact() throws Exception {
        deliverAndCompare(mta().plainSession().chunking(false).build(), false);
    }

    @Test
    void aBuiltMessageWithKnownSizesDeclaresItsExactSize() throws Exception {
        String token = "size-" + UUID.randomUUID();
        Parts p = Parts.random(7);
        ComposedMessage m = ComposedMessage.builder().from(SENDER).to("size@example.com").subject(token)
                .text(p.text()).attach(Attachment.of("a.bin", "application/octet-stream", p.array())).build();
        byte[] built = Parsed.bytes(m.content());
        assertThat(m.content().size()).hasValue(built.length);
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(mta().host(), mta().plainPort())) {
            SmtpClient client = client(proxy.port(), mta().plainSession().build());
            SendReport report;
            try {
                report = client.send(m.envelope(), m.content()).block(BLOCK);
            } finally {
                client.dispose();
            }
            ClientWire wire = ClientWire.parse(proxy);
            assertThat(report.outcome()).as("%s\n%s", report, wire.summary()).isEqualTo(SendReport.Outcome.DELIVERED);
            assertThat(wire.command("MAIL FROM:")).as(wire.summary()).contains(" SIZE=" + built.length);
        }
        assertStoredIntact(token, token, "size@example.com", 1, built, List.of(
                new Parsed.Leaf("text/plain", null, crlf(p.text())),
                new Parsed.Leaf("application/octet-stream", "a.bin", p.array())));
    }

    private void deliverAndCompare(SmtpSessionOptions session, boolean bdat) throws Exception {
        String token = (bdat ? "bdat-" : "data-") + UUID.randomUUID();
        Parts parts = Parts.random(bdat ? 1 : 2);
        ComposedMessage m = message(token, parts, "one@example.com", "two@example.com");
        byte[] built = Parsed.bytes(m.content());
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(mta().host(), mta().plainPort())) {
            SmtpClient client = client(proxy.port(), session);
            SendReport report;
            try {
                report = client.send(m.envelope(), m.content()).block(BLOCK);
            } finally {
                client.dispose();
            }
            ClientWire wire = ClientWire.parse(proxy);
            assertThat(report.outcome()).as("%s\n%s", report, wire.summary()).isEqualTo(SendReport.Outcome.DELIVERED);
            if (bdat) {
                assertThat(wire.commands("BDAT ")).as(wire.summary()).hasSizeGreaterThan(1);
                assertThat(wire.commands("DATA")).as(wire.summary()).isEmpty();
            } else {
                assertThat(wire.commands("BDAT")).as(wire.summary()).isEmpty();
                assertThat(wire.commands("DATA")).as(wire.summary()).hasSize(1);
            }
            // The publisher's size is not known in advance: no SIZE is declared.
            assertThat(wire.command("MAIL FROM:")).as(wire.summary()).doesNotContain("SIZE=");
        }
        for (String rcpt : List.of("one@example.com", "two@example.com")) {
            assertStoredIntact(token, "Composed " + token + " — Grüße ✓", rcpt, 2, built, expected(parts, token));
        }
    }

    /**
     * The copy stored for {@code rcpt}: the transmitted bytes, its Subject, and every part decoding to the original
     * bytes. (The token must be in the message as it is, not in an encoded word: the Maildir is searched for it.)
     */
    private void assertStoredIntact(String token, String subject, String rcpt, int copies, byte[] built, List<Parsed.Leaf> expected)
            throws Exception {
        Path stored = null;
        for (Path f : mta().awaitDelivered(token, copies, DELIVERY)) {
            if (DeliveredCopy.read(f, mta()).header(mta().recipientHeader()).equals(rcpt)) {
                stored = f;
            }
        }
        assertThat(stored).as("the copy for %s", rcpt).isNotNull();
        DeliveredCopy copy = DeliveredCopy.read(stored, mta());
        assertThat(copy.prependedNames()).containsExactlyElementsOf(mta().prependedHeaders());
        ExtensionsInteropTests.assertSameBytes(copy.message(), DeliveredCopy.asStored(built),
                "the message " + mta().name() + " stored for " + rcpt);
        // The whole stored file, the server's own header lines included, read by both parsers (LF back to CRLF:
        // every part is 7-bit text or base64, so no LF is content).
        byte[] file = new String(Files.readAllBytes(stored), StandardCharsets.ISO_8859_1).replace("\n", "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1);
        assertSameLeaves("mime4j", Parsed.mime4jLeaves(file), expected);
        Parsed.Python python = Parsed.python(file);
        assertSameLeaves("Python email", python.leaves(), expected);
        assertThat(python.headers().get("subject")).isEqualTo(subject);
        assertThat(Parsed.mime4j(file).getSubject()).isEqualTo(subject);
    }

    private static void assertSameLeaves(String parser, List<Parsed.Leaf> actual, List<Parsed.Leaf> expected) {
        assertThat(actual).as(parser).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            Parsed.Leaf a = actual.get(i);
            Parsed.Leaf e = expected.get(i);
            assertThat(a.type()).as("%s: type of part %d", parser, i).isEqualTo(e.type());
            assertThat(a.fileName()).as("%s: name of part %d", parser, i).isEqualTo(e.fileName());
            assertThat(a.bytes()).as("%s: bytes of part %d (%s)", parser, i, e.type()).isEqualTo(e.bytes());
        }
    }

    private SmtpClient client(int port, SmtpSessionOptions session) {
        return SmtpClient.create(SmtpClientOptions.builder().relay(mta().host(), port).session(session).build());
    }
}
