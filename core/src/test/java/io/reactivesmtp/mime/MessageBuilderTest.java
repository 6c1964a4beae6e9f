package io.reactivesmtp.mime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.BodyType;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.mime.Parsed.Leaf;
import io.reactivesmtp.testing.Properties;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.james.mime4j.dom.Message;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Built messages read back by mime4j and by Python's email package: every part decodes to its original bytes. */
class MessageBuilderTest {

    @TempDir
    Path dir;

    @Test
    void everyKindOfPartParsesBackWithBothParsers() throws Exception {
        byte[] pdf = random(new SplittableRandom(1), 200_000);
        byte[] png = random(new SplittableRandom(2), 3_000);
        byte[] csv = "a,b\r\n1,2\r\n".getBytes(StandardCharsets.US_ASCII);
        Path file = Files.write(dir.resolve("report.pdf"), pdf);
        String text = "Grüße aus Köln\nzweite Zeile\n";
        String html = "<p>Grüße <img src=\"cid:logo@example.com\"></p>";
        ComposedMessage message = ComposedMessage.builder()
                .from("Jörg Müller", "joerg@example.com")
                .toNamed("Jane", "jane@example.org").cc("carl@example.net").bcc("hidden@example.net")
                .replyTo(null, "replies@example.com")
                .subject("Ünïcödé subject that is long enough to need folding over more than one line, really")
                .header("X-Campaign", "spring-2026")
                .text(text).html(html)
                .attach(Attachment.of(file, "application/pdf"))
                .attach(Attachment.of("Übersicht – 2026 Quartalsbericht mit einem sehr langen Namen.csv",
                        "text/csv", Parsed.publisher(csv, 3)))
                .attach(Attachment.of("logo.png", "image/png", png).inline("logo@example.com"))
                .build();

        byte[] bytes = Parsed.bytes(message.content());
        String head = new String(bytes, 0, indexOf(bytes, "\r\n\r\n"), StandardCharsets.US_ASCII);
        assertThat(head).doesNotContainIgnoringCase("hidden@").doesNotContain("Bcc");
        assertThat(new String(bytes, StandardCharsets.ISO_8859_1).chars().allMatch(c -> c < 128)).as("7-bit on the wire").isTrue();
        assertThat(message.content().bodyType()).isEqualTo(BodyType.SEVEN_BIT);
        for (String line : new String(bytes, StandardCharsets.US_ASCII).split("\r\n")) {
            assertThat(line.length()).as(line).isLessThanOrEqualTo(78);
        }
        assertThat(message.envelope().recipients()).extracting(MailAddress::toString)
                .containsExactly("jane@example.org", "carl@example.net", "hidden@example.net");
        assertThat(message.envelope().sender()).contains(MailAddress.of("joerg@example.com"));

        List<Leaf> expected = List.of(
                leaf("text/plain", null, BodyLayoutTestSupport.crlf(text)),
                leaf("text/html", null, html.getBytes(StandardCharsets.UTF_8)),
                leaf("image/png", "logo.png", png),
                leaf("application/pdf", "report.pdf", pdf),
                leaf("text/csv", "Übersicht – 2026 Quartalsbericht mit einem sehr langen Namen.csv", csv));
        assertSameLeaves(Parsed.mime4jLeaves(bytes), expected);
        Parsed.Python python = Parsed.python(bytes);
        assertSameLeaves(python.leaves(), expected);
        assertThat(python.headers().get("subject"))
                .isEqualTo("Ünïcödé subject that is long enough to need folding over more than one line, really");
        assertThat(python.headers().get("from")).isEqualTo("Jörg Müller <joerg@example.com>");
        assertThat(python.headers()).doesNotContainKey("bcc");
        assertThat(python.headers().get("message-id")).isEqualTo(message.messageId());

        Message parsed = Parsed.mime4j(bytes);
        assertThat(parsed.getSubject()).startsWith("Ünïcödé subject");
        assertThat(parsed.getDate()).isNotNull();
        assertThat(parsed.getMessageId()).isEqualTo(message.messageId());
        assertThat(Parsed.bytes(message.content())).as("each send streams the same bytes").isEqualTo(bytes);
    }

    @Test
    void twoAddressesToToAreTwoRecipientsAndANamedOneIsToNamed() throws Exception {
        ComposedMessage m = ComposedMessage.builder().from("a@example.com").to("b@example.com", "c@example.com")
                .toNamed("Dee", "d@example.com").build();
        assertThat(m.envelope().recipients()).extracting(Object::toString)
                .containsExactly("b@example.com", "c@example.com", "d@example.com");
        assertThat(Parsed.mime4j(Parsed.bytes(m.content())).getTo().flatten()).extracting(a -> a.getAddress())
                .containsExactly("b@example.com", "c@example.com", "d@example.com");
    }

    @Test
    void smtpUtf8WritesHeadersAsUtf8AndEightBitTextAsIs() throws Exception {
        ComposedMessage message = ComposedMessage.builder().smtpUtf8(true)
                .from("Jörg", "jörg@bücher.example").to("jane@example.org")
                .subject("Grüße").text("Grüße\n").date(ZonedDateTime.parse("2026-12-06T10:15:30+01:00"))
                .messageId("abc@bücher.example".replace("ü", "u")).build();
        byte[] bytes = Parsed.bytes(message.content());
        String all = new String(bytes, StandardCharsets.UTF_8);
        assertThat(all).contains("From: \"Jörg\" <jörg@bücher.example>\r\n", "Subject: Grüße\r\n",
                "Date: Sun, 6 Dec 2026 10:15:30 +0100\r\n", "Content-Transfer-Encoding: 8bit\r\n", "\r\n\r\nGrüße\r\n");
        assertThat(message.content().bodyType()).isEqualTo(BodyType.EIGHT_BIT);
        assertThat(Parsed.python(bytes).headers().get("subject")).isEqualTo("Grüße");
        assertThat(Parsed.python(bytes).leaves().get(0).bytes()).isEqualTo("Grüße\r\n".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void randomMessagesParseBackToTheirOriginals() {
        Properties.forAll(25, random -> {
            try {
                checkRandomMessage(random);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private void checkRandomMessage(SplittableRandom random) throws Exception {
        MessageBuilder builder = ComposedMessage.builder().from(line(random, 30), "from@example.com")
                .to("to@example.org").subject(line(random, 200)).header("X-Random", line(random, 120));
        List<Leaf> expected = new ArrayList<>();
        if (random.nextBoolean()) {
            String text = text(random, 3000);
            builder.text(text);
            expected.add(leaf("text/plain", null, BodyLayoutTestSupport.crlf(text)));
        }
        if (random.nextBoolean()) {
            String html = "<p>" + text(random, 3000) + "</p>";
            builder.html(html);
            expected.add(leaf("text/html", null, BodyLayoutTestSupport.crlf(html)));
        }
        if (expected.isEmpty()) {
            expected.add(leaf("text/plain", null, new byte[0]));
        }
        int files = random.nextInt(4);
        for (int i = 0; i < files; i++) {
            String name = line(random, 90).strip() + ".bin";
            byte[] bytes = random(random, random.nextInt(4) == 0 ? 150_000 : 2_000);
            Attachment a = switch (random.nextInt(3)) {
                case 0 -> Attachment.of(name, "application/octet-stream", bytes);
                case 1 -> Attachment.of(name, "application/octet-stream", Parsed.publisher(bytes, 1 + random.nextInt(70_000)));
                default -> Attachment.of(Files.write(Files.createDirectories(dir.resolve("f" + random.nextLong()))
                        .resolve("x.bin"), bytes), "application/octet-stream");
            };
            builder.attach(a);
            expected.add(leaf("application/octet-stream", a.fileName(), bytes));
        }
        byte[] bytes = Parsed.bytes(builder.build().content());
        assertSameLeaves(Parsed.mime4jLeaves(bytes), expected);
        assertSameLeaves(Parsed.python(bytes).leaves(), expected);
    }

    @Test
    void badHeadersAndAddressesAreRefusedNamingTheHeader() {
        MessageBuilder b = ComposedMessage.builder();
        assertThatThrownBy(() -> b.subject("hi\r\nBcc: x@y.test")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Subject").hasMessageContaining("CR");
        assertThatThrownBy(() -> b.header("X-A", "a\u0000b")).hasMessageContaining("X-A").hasMessageContaining("NUL");
        assertThatThrownBy(() -> b.header("X-A", "a\nb")).hasMessageContaining("X-A").hasMessageContaining("LF");
        assertThatThrownBy(() -> b.header("X:A", "v")).hasMessageContaining("X:A");
        assertThatThrownBy(() -> b.header("X A", "v")).hasMessageContaining("X A");
        assertThatThrownBy(() -> b.header("Content-Type", "text/plain")).hasMessageContaining("Content-Type");
        assertThatThrownBy(() -> b.to("a@b.test\r\nRCPT TO:<x@y.test>")).hasMessageContaining("To");
        assertThatThrownBy(() -> b.from("Name\n", "a@b.test")).hasMessageContaining("From");
        assertThatThrownBy(() -> b.cc("no-at-sign")).hasMessageContaining("Cc");
        assertThatThrownBy(() -> b.messageId("<a@b>")).hasMessageContaining("Message-ID");
        assertThatThrownBy(() -> b.to("x@y.test").build()).hasMessageContaining("From");
        assertThatThrownBy(() -> ComposedMessage.builder().from("a@b.test").build()).hasMessageContaining("recipient");
        assertThatThrownBy(() -> ComposedMessage.builder().from("a@b.test").to("jörg@example.org").build())
                .hasMessageContaining("To").hasMessageContaining("smtpUtf8");
        assertThatThrownBy(() -> Attachment.of("a.txt", "text", new byte[0])).hasMessageContaining("Content-Type");
        assertThatThrownBy(() -> Attachment.of("a\r.txt", "text/plain", new byte[0])).hasMessageContaining("CR");
        assertThatThrownBy(() -> Attachment.of(dir.resolve("missing"), "text/plain")).hasMessageContaining("missing");
        assertThatThrownBy(() -> b.text("a").text("b")).hasMessageContaining("text/plain");
    }

    @Test
    void oneClickUnsubscribeWritesBothHeadersAndNeedsAnHttpsUri() throws Exception {
        ComposedMessage message = ComposedMessage.builder().from("news@example.com").to("a@example.org").text("hi")
                .listUnsubscribe("https://example.com/u?list=news&id=42", "mailto:unsub@example.com?subject=42")
                .build();
        String text = new String(Parsed.bytes(message.content()), StandardCharsets.US_ASCII);
        assertThat(text.replace("\r\n ", " ")).contains("List-Unsubscribe: <https://example.com/u?list=news&id=42>,"
                        + " <mailto:unsub@example.com?subject=42>\r\n")
                .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
        assertThat(Parsed.mime4j(text.getBytes(StandardCharsets.US_ASCII)).getHeader()
                .getField("List-Unsubscribe-Post").getBody()).isEqualTo("List-Unsubscribe=One-Click");
        MessageBuilder b = ComposedMessage.builder();
        assertThatThrownBy(() -> b.listUnsubscribe(null, "mailto:u@example.com"))
                .hasMessageContaining("List-Unsubscribe").hasMessageContaining("https");
        assertThatThrownBy(() -> b.listUnsubscribe("http://example.com/u", null)).hasMessageContaining("https");
        assertThatThrownBy(() -> b.listUnsubscribe("https://example.com/u", "https://example.com/v"))
                .hasMessageContaining("mailto");
        assertThatThrownBy(() -> b.listUnsubscribe("https://example.com/u>, <https://evil.test", null))
                .hasMessageContaining("List-Unsubscribe");
        assertThatThrownBy(() -> b.listUnsubscribe("https://example.com/u\r\nBcc: x@y.test", null))
                .hasMessageContaining("List-Unsubscribe").hasMessageContaining("CR");
        assertThatThrownBy(() -> b.header("List-Unsubscribe-Post", "x")).hasMessageContaining("List-Unsubscribe-Post");
    }

    static Leaf leaf(String type, String name, byte[] bytes) {
        return new Leaf(type, name, bytes);
    }

    static void assertSameLeaves(List<Leaf> actual, List<Leaf> expected) {
        assertThat(actual).hasSameSizeAs(expected);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).type()).as("type of part " + i).isEqualTo(expected.get(i).type());
            assertThat(actual.get(i).fileName()).as("name of part " + i).isEqualTo(expected.get(i).fileName());
            assertThat(actual.get(i).bytes()).as("bytes of part " + i + " (" + expected.get(i).type() + ")")
                    .isEqualTo(expected.get(i).bytes());
        }
    }

    static int indexOf(byte[] bytes, String what) {
        return new String(bytes, StandardCharsets.ISO_8859_1).indexOf(what);
    }

    static byte[] random(SplittableRandom random, int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }

    /** One line of {@link #text}: for header values and file names. */
    static String line(SplittableRandom random, int maxLength) {
        return text(random, maxLength).replace("\r\n", " ").replace('\n', ' ');
    }

    /** Text with ASCII, Latin, CJK and emoji, spaces, tabs, line breaks and dashes. */
    static String text(SplittableRandom random, int maxLength) {
        String[] pieces = {"a", "b", "Z", " ", " ", "\t", "\n", "\r\n", "ü", "é", "漢", "😀", "-", "=", ".", "\"", "?"};
        StringBuilder b = new StringBuilder("x");
        int length = random.nextInt(maxLength);
        for (int i = 0; i < length; i++) {
            b.append(pieces[random.nextInt(pieces.length)]);
        }
        return b.toString();
    }
}
