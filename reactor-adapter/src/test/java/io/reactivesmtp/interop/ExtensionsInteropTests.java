package io.reactivesmtp.interop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.BodyType;
import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Dsn;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpPolicyException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The ESMTP extensions end to end against a real MTA ({@link PostfixExtensionsInteropIT},
 * {@link EximExtensionsInteropIT}): BDAT with a 10 MB message, the same over DATA, SMTPUTF8, 8BITMIME, the SIZE
 * refusal, DSN parameters and REQUIRETLS refused when not offered. A {@link RecordingTcpProxy} between client and
 * server shows what went over the wire ({@link ClientWire}); the delivered Maildir files are compared byte for byte,
 * the header lines the server prepends excepted ({@link DeliveredCopy}).
 */
abstract class ExtensionsInteropTests {

    static final Duration BLOCK = Duration.ofSeconds(120);
    static final Duration DELIVERY = Duration.ofSeconds(60);
    static final String SENDER = "sender@example.com";
    static final int TEN_MB = 10 * 1024 * 1024;

    /** @return the server under test */
    abstract MtaInstance mta();

    // ------------------------------------------------------------------------------------------------ helpers

    static String token(String what) {
        return what + "-" + UUID.randomUUID();
    }

    SmtpClient client(int port, SmtpSessionOptions session) {
        return SmtpClient.create(SmtpClientOptions.builder().relay(mta().host(), port).session(session).build());
    }

    /** Sends through a recording proxy to {@code port}; returns the report and what the client sent. */
    Sent send(int port, SmtpSessionOptions session, Envelope envelope, MessageContent content) throws Exception {
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(mta().host(), port)) {
            SendReport report = client(proxy.port(), session).send(envelope, content).block(BLOCK);
            return new Sent(report, ClientWire.parse(proxy));
        }
    }

    record Sent(SendReport report, ClientWire wire) {
    }

    /** Headers that keep Postfix and Exim from adding any of their own (Date, Message-ID, From present). */
    static String headers(String token, String from, String to, String subject) {
        return "From: " + from + "\r\n"
                + "To: " + to + "\r\n"
                + "Subject: " + subject + "\r\n"
                + "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
                + "Message-ID: <" + token + "@reactivesmtp.test>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n";
    }

    /**
     * A message of at least {@code size} bytes, CRLF line ends, ASCII: lines of varied lengths (up to 200), some
     * starting with a dot, some with "..", some a lone dot, some looking like commands.
     */
    static byte[] bigMessage(String token, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 4096);
        out.writeBytes((headers(token, SENDER, "big@example.com", token) + "Content-Transfer-Encoding: 7bit\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        StringBuilder line = new StringBuilder(256);
        for (int i = 0; out.size() < size; i++) {
            line.setLength(0);
            switch (i % 97) {
                case 0 -> line.append('.');
                case 1 -> line.append("..two dots");
                case 2 -> line.append(".leading dot ").append(i);
                case 3 -> line.append("BDAT 10 LAST");
                case 4 -> line.append("");
                default -> {
                    int len = (i * 7919) % 200;
                    for (int j = 0; j < len; j++) {
                        line.append((char) ('!' + (i + j) % 94));
                    }
                }
            }
            out.writeBytes(line.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(("end of " + token + "\r\n").getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    /** Byte for byte, reporting the first difference rather than megabytes of bytes. */
    static void assertSameBytes(byte[] actual, byte[] expected, String what) {
        int n = Math.min(actual.length, expected.length);
        int i = 0;
        while (i < n && actual[i] == expected[i]) {
            i++;
        }
        if (i == n && actual.length == expected.length) {
            return;
        }
        throw new AssertionError(what + ": " + actual.length + " bytes, expected " + expected.length
                + "; first difference at offset " + i + ":\n  actual:   " + excerpt(actual, i)
                + "\n  expected: " + excerpt(expected, i));
    }

    private static String excerpt(byte[] b, int at) {
        int from = Math.max(0, at - 40);
        int to = Math.min(b.length, at + 40);
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1).replace("\r", "\\r").replace("\n", "\\n");
    }

    /** The one copy delivered to {@code recipient}, after waiting for it. */
    DeliveredCopy deliveredTo(String token, String recipient, int copies) throws Exception {
        List<Path> files = mta().awaitDelivered(token, copies, DELIVERY);
        for (Path f : files) {
            DeliveredCopy copy = DeliveredCopy.read(f, mta());
            if (copy.header(mta().recipientHeader()).equals(recipient)) {
                return copy;
            }
        }
        throw new AssertionError("no copy for " + recipient + " among " + files);
    }

    void assertStoredExactly(DeliveredCopy copy, byte[] transmitted) {
        assertThat(copy.prependedNames()).as("header lines %s prepends", mta().name())
                .containsExactlyElementsOf(mta().prependedHeaders());
        assertSameBytes(copy.message(), DeliveredCopy.asStored(transmitted), "the message " + mta().name() + " stored");
    }

    // ------------------------------------------------------------------------------------------------ tests

    @Test
    void advertisesTheExtensionsUnderTest() throws Exception {
        String token = token("caps");
        Sent sent = send(mta().plainPort(), mta().plainSession().build(), Envelope.of(SENDER, "caps@example.com"),
                MessageContent.of(headers(token, SENDER, "caps@example.com", token) + "\r\ncapabilities\r\n"));
        assertThat(sent.report().outcome()).as("%s", sent.report()).isEqualTo(SendReport.Outcome.DELIVERED);
        Capabilities caps = sent.report().capabilities().orElseThrow();
        assertThat(caps.pipelining()).as("%s", caps).isTrue();
        assertThat(caps.chunking()).as("%s", caps).isTrue();
        assertThat(caps.eightBitMime()).as("%s", caps).isTrue();
        assertThat(caps.smtpUtf8()).as("%s", caps).isTrue();
        assertThat(caps.dsn()).as("%s", caps).isTrue();
        assertThat(caps.maxSize()).as("%s", caps).hasValue(mta().sizeLimit());
        assertThat(caps.supports("REQUIRETLS")).as("%s", caps).isFalse();
        mta().awaitDelivered(token, 1, DELIVERY);
    }

    @Test
    void bdatCarriesA10MbMessageByteForByte() throws Exception {
        String token = token("bdat10mb");
        byte[] message = bigMessage(token, TEN_MB);
        Sent sent = send(mta().plainPort(), mta().plainSession().build(), Envelope.of(SENDER, "big@example.com"),
                MessageContent.of(message));

        assertThat(sent.report().outcome()).as("%s\n%s", sent.report(), sent.wire().summary())
                .isEqualTo(SendReport.Outcome.DELIVERED);
        ClientWire wire = sent.wire();
        assertThat(wire.command("MAIL FROM:")).as(wire.summary()).contains(" SIZE=" + message.length);
        assertThat(wire.commands("DATA")).as(wire.summary()).isEmpty();
        List<String> bdat = wire.commands("BDAT ");
        assertThat(bdat).as(wire.summary()).hasSizeGreaterThan(1);
        assertThat(bdat.get(bdat.size() - 1)).as(wire.summary()).endsWith(" LAST");
        assertThat(wire.bdatSizes().stream().mapToLong(Long::longValue).sum()).isEqualTo(message.length);
        assertSameBytes(wire.bdatContent(), message, "the BDAT chunks, concatenated (no dot-stuffing)");

        assertStoredExactly(deliveredTo(token, "big@example.com", 1), message);
    }

    @Test
    void dataCarriesThe10MbMessageWhenChunkingIsOff() throws Exception {
        String token = token("data10mb");
        byte[] message = bigMessage(token, TEN_MB);
        Sent sent = send(mta().plainPort(), mta().plainSession().chunking(false).build(),
                Envelope.of(SENDER, "big@example.com"), MessageContent.of(message));

        assertThat(sent.report().outcome()).as("%s\n%s", sent.report(), sent.wire().summary())
                .isEqualTo(SendReport.Outcome.DELIVERED);
        ClientWire wire = sent.wire();
        assertThat(wire.commands("BDAT")).as(wire.summary()).isEmpty();
        assertThat(wire.commands("DATA")).as(wire.summary()).hasSize(1);
        assertThat(wire.command("MAIL FROM:")).as(wire.summary()).contains(" SIZE=" + message.length);
        assertSameBytes(wire.dataContent(), message, "the DATA content, un-stuffed");

        assertStoredExactly(deliveredTo(token, "big@example.com", 1), message);
    }

    @Test
    void smtpUtf8AddressesAndAUtf8SubjectAreDelivered() throws Exception {
        String token = token("utf8");
        String sender = "ren\u00e9@example.com";
        String recipient = "j\u00f6rg@example.com";
        byte[] message = (headers(token, "Ren\u00e9 <" + sender + ">", recipient,
                "Gr\u00fc\u00dfe \u2713 " + token) + "\r\nInternationalised addresses, \u00e0 la SMTPUTF8.\r\n")
                .getBytes(StandardCharsets.UTF_8);
        Sent sent = send(mta().plainPort(), mta().plainSession().build(), Envelope.of(sender, recipient),
                MessageContent.of(message));

        assertThat(sent.report().outcome()).as("%s\n%s", sent.report(), sent.wire().summary())
                .isEqualTo(SendReport.Outcome.DELIVERED);
        ClientWire wire = sent.wire();
        assertThat(wire.command("MAIL FROM:")).as(wire.summary()).startsWith("MAIL FROM:<" + sender + ">")
                .contains(" SMTPUTF8");
        assertThat(wire.command("RCPT TO:")).as(wire.summary()).isEqualTo("RCPT TO:<" + recipient + ">");

        DeliveredCopy copy = deliveredTo(token, recipient, 1);
        assertThat(copy.header("Return-Path")).isEqualTo("<" + sender + ">");
        assertStoredExactly(copy, message);
    }

    @Test
    void eightBitContentIsDeclaredBody8BitMimeAndArrivesUnchanged() throws Exception {
        String token = token("8bit");
        byte[] message = (headers(token, SENDER, "eight@example.com", token) + "Content-Transfer-Encoding: 8bit\r\n"
                + "\r\nGr\u00fc\u00dfe aus K\u00f6ln, \u00e7a va? \u2713 \u65e5\u672c\u8a9e\r\n.dot line\r\n")
                .getBytes(StandardCharsets.UTF_8);
        MessageContent content = MessageContent.of(message);
        assertThat(content.bodyType()).isEqualTo(BodyType.EIGHT_BIT);
        // Over DATA, where 8-bit bytes are what BODY=8BITMIME is about.
        Sent sent = send(mta().plainPort(), mta().plainSession().chunking(false).build(),
                Envelope.of(SENDER, "eight@example.com"), content);

        assertThat(sent.report().outcome()).as("%s\n%s", sent.report(), sent.wire().summary())
                .isEqualTo(SendReport.Outcome.DELIVERED);
        ClientWire wire = sent.wire();
        assertThat(wire.command("MAIL FROM:")).as(wire.summary()).contains(" BODY=8BITMIME")
                .doesNotContain("SMTPUTF8");
        assertThat(wire.commands("DATA")).as(wire.summary()).hasSize(1);

        assertStoredExactly(deliveredTo(token, "eight@example.com", 1), message);
    }

    @Test
    void aMessageOverTheAdvertisedSizeFailsBeforeMail() throws Exception {
        String token = token("toobig");
        long limit = mta().smallSizeLimit();
        byte[] message = bigMessage(token, (int) limit * 2);
        Throwable[] error = new Throwable[1];
        ClientWire wire;
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(mta().host(), mta().smallSizePort())) {
            error[0] = catchThrowable(() -> client(proxy.port(), mta().plainSession().build())
                    .send(Envelope.of(SENDER, "toobig@example.com"), MessageContent.of(message)).block(BLOCK));
            wire = ClientWire.parse(proxy);
        }
        assertThat(error[0]).as(wire.summary()).isInstanceOf(SmtpPolicyException.class);
        assertThat(error[0].getMessage()).as("names the limit").contains(Long.toString(limit));
        assertThat(wire.commands()).as("what the client sent").isNotEmpty().allSatisfy(c ->
                assertThat(c.toUpperCase(Locale.ROOT)).doesNotStartWith("MAIL").doesNotStartWith("RCPT")
                        .doesNotStartWith("DATA").doesNotStartWith("BDAT"));
        assertThat(wire.commands().get(0)).startsWith("EHLO ");
        assertThat(mta().deliveredContaining(token)).isEmpty();
    }

    @Test
    void dsnParametersAreAcceptedAndHonoured() throws Exception {
        String token = token("dsn");
        String envelopeId = "envid+" + UUID.randomUUID();   // '+' goes as xtext "+2B"
        String recipient = "dsn-rcpt@example.com";
        Envelope envelope = Envelope.builder().from(SENDER).to(recipient)
                .dsn(Dsn.builder().ret(Dsn.Return.HEADERS).envelopeId(envelopeId)
                        .notify(Dsn.Notify.SUCCESS, Dsn.Notify.FAILURE).originalRecipients(true).build())
                .build();
        String bodyMarker = "body-not-returned-" + token;
        byte[] message = (headers(token, SENDER, recipient, token) + "\r\n" + bodyMarker + "\r\n")
                .getBytes(StandardCharsets.UTF_8);
        Sent sent = send(mta().plainPort(), mta().plainSession().build(), envelope, MessageContent.of(message));

        assertThat(sent.report().outcome()).as("%s\n%s", sent.report(), sent.wire().summary())
                .isEqualTo(SendReport.Outcome.DELIVERED);
        ClientWire wire = sent.wire();
        assertThat(wire.command("MAIL FROM:")).as(wire.summary())
                .contains(" RET=HDRS").contains(" ENVID=" + envelopeId.replace("+", "+2B"));
        assertThat(wire.command("RCPT TO:")).as(wire.summary())
                .contains(" NOTIFY=SUCCESS,FAILURE").contains(" ORCPT=rfc822;" + recipient);

        assertStoredExactly(deliveredTo(token, recipient, 1), message);
        // NOTIFY=SUCCESS: the server reports the delivery to the sender, quoting ENVID and ORCPT; RET=HDRS: the
        // report holds the headers (with the token in the Subject) but not the body.
        DeliveredCopy report = deliveredTo(token, SENDER, 2);
        String text = report.text();
        // Postfix quotes the ENVID decoded ("envid+..."), Exim 4.96 as it came, still xtext ("envid+2B...").
        String quoted = mta().name().equals("Postfix") ? envelopeId : envelopeId.replace("+", "+2B");
        assertThat(text.toLowerCase(Locale.ROOT)).as(text)
                .contains("original-envelope-id: " + quoted.toLowerCase(Locale.ROOT) + "\n")
                .contains("original-recipient: rfc822;" + recipient)
                .contains("action: delivered");
        assertThat(text).doesNotContain(bodyMarker);
    }

    @Test
    void requireTlsFailsBeforeMailWhenTheServerDoesNotOfferIt() throws Exception {
        String token = token("requiretls");
        Envelope envelope = Envelope.builder().from(SENDER).to("rt@example.com").requireTls(true).build();
        Throwable[] error = new Throwable[1];
        ClientWire wire;
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(mta().host(), mta().startTlsPort())) {
            SmtpSessionOptions session = SmtpSessionOptions.builder().tls(mta().tls(TlsPolicy.REQUIRED)
                    .mutate().serverName(mta().serverName()).build()).allTimeouts(Duration.ofSeconds(30)).build();
            error[0] = catchThrowable(() -> client(proxy.port(), session)
                    .send(envelope, MessageContent.of(headers(token, SENDER, "rt@example.com", token) + "\r\nx\r\n"))
                    .block(BLOCK));
            wire = ClientWire.parse(proxy);
        }
        assertThat(error[0]).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("REQUIRETLS");
        // In clear text the client sent EHLO and STARTTLS, and nothing else; MAIL would have been encrypted, so
        // the proof that none was sent is that the server delivered nothing.
        assertThat(wire.commands().subList(0, 2)).as(wire.summary())
                .satisfiesExactly(c -> assertThat(c).startsWith("EHLO "), c -> assertThat(c).isEqualTo("STARTTLS"));
        Thread.sleep(500);
        assertThat(mta().deliveredContaining(token)).isEmpty();
    }
}
