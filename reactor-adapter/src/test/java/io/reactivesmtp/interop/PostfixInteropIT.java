package io.reactivesmtp.interop;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Capabilities;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.RecipientResult.Status;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

/**
 * The client against a real Postfix (interop/postfix/start.sh, run by {@code mvn verify -Pinterop}; see
 * {@link PostfixInstance}) on its plaintext ports. Postfix is strict here: a bare LF in the data is rejected
 * and commands sent ahead of the greeting end the session.
 */
class PostfixInteropIT {

    private static final Duration BLOCK = Duration.ofSeconds(60);
    private static final Duration DELIVERY = Duration.ofSeconds(30);
    private static final String SENDER = "sender@example.com";

    private static PostfixInstance postfix;

    @BeforeAll
    static void findPostfix() {
        postfix = PostfixInstance.fromSystemProperties();
    }

    private static SmtpClient client(int port) {
        return SmtpClient.create(SmtpClientOptions.builder()
                .relay(postfix.host(), port)
                // DATA here: these tests read DATA and its dot-stuffing on the wire. BDAT against Postfix and Exim
                // is covered by the *ExtensionsInteropIT.
                .session(postfix.plainSession().chunking(false).build())
                .build());
    }

    private static String token() {
        return "interop-" + UUID.randomUUID();
    }

    /** Headers Postfix's delivery adds; with these, our own Date/Message-ID/From, Postfix adds nothing else. */
    private static String headers(String token, String to) {
        return "From: Interop Sender <" + SENDER + ">\r\n"
                + "To: " + to + "\r\n"
                + "Subject: " + token + "\r\n"
                + "Date: Sat, 28 Nov 2026 12:00:00 +0000\r\n"
                + "Message-ID: <" + token + "@reactivesmtp.test>\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n";
    }

    @Test
    void deliversToTwoRecipientsAndTheMaildirHoldsTheNormalisedUnstuffedContent() throws Exception {
        String token = token();
        String raw = headers(token, "alice@example.com, bob@example.org")
                + "\r\n"
                + "first line\r\n"
                + ".leading dot\r\n"
                + "..two leading dots\r\n"
                + ".\r\n"                                  // a lone dot line in the middle
                + "a bare-LF line\n"                       // bare LF: must become CRLF (Postfix rejects bare LF)
                + "\n.\n"                                  // the smuggling shape: bare LF, dot, bare LF
                + "MAIL FROM:<smuggled@example.com>\r\n"   // only text, if the dot above was stuffed
                + "a bare-CR line\r"                       // bare CR: becomes CRLF
                + "Gr\u00fc\u00dfe \u2713 8-bit UTF-8\r\n"
                + "last line without a line break";
        // What a correct client transmits, un-stuffed by Postfix and stored with LF line ends (Maildir).
        String expectedStored = raw.replace("\r\n", "\n").replace("\r", "\n") + "\n";

        SendReport report = client(postfix.plainPort())
                .send(Envelope.of(SENDER, "alice@example.com", "bob@example.org"),
                        MessageContent.of(raw.getBytes(StandardCharsets.UTF_8)))
                .block(BLOCK);

        assertThat(report.outcome()).as("%s", report).isEqualTo(SendReport.Outcome.DELIVERED);
        SmtpReply dataReply = report.dataReply().orElseThrow();
        assertThat(dataReply.code()).isEqualTo(250);
        assertThat(dataReply.enhancedStatus()).contains("2.0.0");
        String queueId = PostfixInstance.queueId(dataReply.text());
        postfix.awaitQueueRemoved(queueId, DELIVERY);

        List<Path> copies = postfix.awaitDelivered(token, 2, DELIVERY);
        assertThat(copies).as("exactly one copy per recipient, no smuggled second message").hasSize(2);
        List<String> deliveredTo = new ArrayList<>();
        for (Path copy : copies) {
            Stored stored = Stored.split(Files.readAllBytes(copy));
            assertThat(stored.addedHeaderNames())
                    .as("headers Postfix prepends in %s", copy)
                    .containsExactly("Return-Path", "X-Original-To", "Delivered-To", "Received");
            assertThat(stored.addedHeader("Return-Path")).isEqualTo("<" + SENDER + ">");
            assertThat(stored.addedHeader("Received")).contains("with ESMTP id " + queueId);
            deliveredTo.add(stored.addedHeader("Delivered-To"));
            // Byte for byte: our headers and the body, exactly as a correct client transmits them.
            assertThat(new String(stored.message(), StandardCharsets.UTF_8)).isEqualTo(expectedStored);
            assertThat(stored.message()).isEqualTo(expectedStored.getBytes(StandardCharsets.UTF_8));
        }
        assertThat(deliveredTo).containsExactlyInAnyOrder("alice@example.com", "bob@example.org");
    }

    @Test
    void reportsEachRecipientsVerdictAndOnlyTheAcceptedOneGetsTheMessage() throws Exception {
        String token = token();
        String raw = headers(token, "reject@example.com, tempfail@example.com, ok@example.com")
                + "\r\nOne of three.\r\n";

        SendReport report = client(postfix.plainPort())
                .send(Envelope.of(SENDER, "reject@example.com", "tempfail@example.com", "ok@example.com"),
                        MessageContent.of(raw))
                .block(BLOCK);

        assertThat(report.outcome()).as("%s", report).isEqualTo(SendReport.Outcome.PARTIAL);
        RecipientResult reject = report.recipient(MailAddress.of("reject@example.com"));
        RecipientResult tempfail = report.recipient(MailAddress.of("tempfail@example.com"));
        RecipientResult ok = report.recipient(MailAddress.of("ok@example.com"));

        assertThat(reject.status()).isEqualTo(Status.PERMANENT_FAILURE);
        assertThat(reject.code()).isEqualTo(550);
        assertThat(reject.enhancedStatus()).contains("5.1.1");
        assertThat(reject.text()).contains("no such user");
        assertThat(reject.rcptReply()).isEqualTo(reject.reply());

        assertThat(tempfail.status()).isEqualTo(Status.TRANSIENT_FAILURE);
        assertThat(tempfail.code()).isEqualTo(450);
        assertThat(tempfail.enhancedStatus()).contains("4.2.1");
        assertThat(tempfail.text()).contains("try later");

        assertThat(ok.status()).isEqualTo(Status.ACCEPTED);
        assertThat(ok.code()).isEqualTo(250);
        assertThat(ok.rcptReply().map(SmtpReply::code)).contains(250);
        assertThat(ok.rcptReply().flatMap(SmtpReply::enhancedStatus)).contains("2.1.5");

        assertThat(report.acceptedRecipients()).containsExactly(MailAddress.of("ok@example.com"));
        assertThat(report.retryableRecipients()).containsExactly(MailAddress.of("tempfail@example.com"));

        String queueId = PostfixInstance.queueId(report.dataReply().orElseThrow().text());
        postfix.awaitQueueRemoved(queueId, DELIVERY);
        List<Path> copies = postfix.deliveredContaining(token);
        assertThat(copies).hasSize(1);
        assertThat(Stored.split(Files.readAllBytes(copies.get(0))).addedHeader("Delivered-To"))
                .isEqualTo("ok@example.com");
    }

    @Test
    void pipelinesMailRcptAndDataWhenPostfixAdvertisesPipelining() throws Exception {
        String token = token();
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(postfix.host(), postfix.plainPort())) {
            SendReport report = client(proxy.port())
                    .send(Envelope.of(SENDER, "p1@example.com", "p2@example.com", "reject@example.com"),
                            MessageContent.of(headers(token, "p1@example.com") + "\r\npipelined\r\n"))
                    .block(BLOCK);

            assertThat(report.outcome()).as("%s", report).isEqualTo(SendReport.Outcome.PARTIAL);
            Capabilities caps = report.capabilities().orElseThrow();
            assertThat(caps.pipelining()).isTrue();
            assertThat(caps.supports("PIPELINING")).isTrue();
            assertThat(caps.smtpUtf8()).isTrue();
            assertThat(caps.enhancedStatusCodes()).isTrue();
            assertThat(caps.startTls()).as("the plain port offers no TLS").isFalse();

            List<RecordingTcpProxy.SentCommand> sent = proxy.commands();
            int mail = indexOf(sent, "MAIL FROM:");
            int data = indexOf(sent, "DATA");
            assertThat(mail).as(proxy.transcript()).isPositive();
            assertThat(data).as(proxy.transcript()).isEqualTo(mail + 4);
            // MAIL, three RCPTs and DATA went out as one group: DATA left before MAIL's reply came back.
            int repliesWhenMailWasSent = sent.get(mail).repliesBefore();
            for (int i = mail; i <= data; i++) {
                assertThat(sent.get(i).repliesBefore())
                        .as("replies seen before %s\n%s", sent.get(i).line(), proxy.transcript())
                        .isEqualTo(repliesWhenMailWasSent);
            }
            // EHLO, by contrast, waited for the greeting, and MAIL for the EHLO reply.
            assertThat(sent.get(0).line()).startsWith("EHLO ");
            assertThat(sent.get(0).repliesBefore()).isEqualTo(1);
            assertThat(repliesWhenMailWasSent).isEqualTo(2);
        }
        postfix.awaitDelivered(token, 2, DELIVERY);
    }

    @Test
    void theNextMessageFollowsTheEndOfDataOnOneConnection() throws Exception {
        String token = token();
        int messages = 20;
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(postfix.host(), postfix.plainPort())) {
            SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
                    .relay(postfix.host(), proxy.port())
                    .session(postfix.plainSession().chunking(false).build())
                    .pool(PoolOptions.builder().maxConnectionsPerDestination(1).build())
                    .build());
            try {
                List<MessageResult> results = client.sendAll(Flux.range(0, messages).map(i -> OutgoingMessage.of(i,
                                Envelope.of(SENDER, "p1@example.com"),
                                MessageContent.of(headers(token, "p1@example.com") + "\r\nmessage " + i + "\r\n"))))
                        .collectList().block(BLOCK);
                assertThat(results).hasSize(messages)
                        .allMatch(r -> r.outcome() == MessageResult.Outcome.DELIVERED, "all delivered");
            } finally {
                client.disposeLater().block(BLOCK);
            }
            // Postfix read MAIL right behind a final dot, before it had answered that dot: one round trip per
            // message (RFC 2920 section 3.1). Every message but the first can be sent so.
            List<RecordingTcpProxy.SentCommand> sent = proxy.commands();
            int behindDot = 0;
            for (int i = 1; i < sent.size(); i++) {
                if (sent.get(i).line().startsWith("MAIL FROM:") && sent.get(i - 1).line().equals(".")
                        && sent.get(i).repliesBefore() == sent.get(i - 1).repliesBefore()) {
                    behindDot++;
                }
            }
            assertThat(behindDot).as(proxy.transcript()).isGreaterThanOrEqualTo(messages / 2);
        }
        postfix.awaitDelivered(token, messages, DELIVERY);
    }

    @Test
    void talksLockStepWhenPostfixDoesNotAdvertisePipelining() throws Exception {
        String token = token();
        try (RecordingTcpProxy proxy = new RecordingTcpProxy(postfix.host(), postfix.noPipeliningPort())) {
            SendReport report = client(proxy.port())
                    .send(Envelope.of(SENDER, "l1@example.com", "tempfail@example.com", "l2@example.com"),
                            MessageContent.of(headers(token, "l1@example.com") + "\r\nlock-step\r\n"))
                    .block(BLOCK);

            assertThat(report.outcome()).as("%s", report).isEqualTo(SendReport.Outcome.PARTIAL);
            assertThat(report.capabilities().orElseThrow().pipelining()).isFalse();
            List<RecordingTcpProxy.SentCommand> sent = proxy.commands();
            assertThat(indexOf(sent, "DATA")).as(proxy.transcript()).isPositive();
            // Every command waited for the reply to the one before it (the greeting is reply 1).
            for (int i = 0; i < sent.size(); i++) {
                assertThat(sent.get(i).repliesBefore())
                        .as("replies seen before %s\n%s", sent.get(i).line(), proxy.transcript())
                        .isEqualTo(i + 1);
            }
        }
        postfix.awaitDelivered(token, 2, DELIVERY);
    }

    private static int indexOf(List<RecordingTcpProxy.SentCommand> sent, String prefix) {
        for (int i = 0; i < sent.size(); i++) {
            if (sent.get(i).line().regionMatches(true, 0, prefix, 0, prefix.length())) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A Maildir file split into the header lines Postfix prepends on delivery (Return-Path, X-Original-To,
     * Delivered-To, Received with its folded lines) and the message as the client sent it.
     */
    private record Stored(List<String> addedLines, byte[] message) {

        private static final List<String> ADDED = List.of("Return-Path:", "X-Original-To:", "Delivered-To:", "Received:");

        static Stored split(byte[] file) {
            List<String> added = new ArrayList<>();
            int pos = 0;
            while (pos < file.length) {
                int eol = pos;
                while (eol < file.length && file[eol] != '\n') {
                    eol++;
                }
                String line = new String(file, pos, eol - pos, StandardCharsets.UTF_8);
                boolean continuation = !added.isEmpty() && (line.startsWith("\t") || line.startsWith(" "));
                if (!continuation && ADDED.stream().noneMatch(line::startsWith)) {
                    break;
                }
                added.add(line);
                pos = Math.min(file.length, eol + 1);
            }
            ByteArrayOutputStream rest = new ByteArrayOutputStream();
            rest.write(file, pos, file.length - pos);
            return new Stored(added, rest.toByteArray());
        }

        List<String> addedHeaderNames() {
            List<String> names = new ArrayList<>();
            for (String l : addedLines) {
                if (!l.startsWith("\t") && !l.startsWith(" ")) {
                    names.add(l.substring(0, l.indexOf(':')));
                }
            }
            return names;
        }

        String addedHeader(String name) {
            StringBuilder value = null;
            for (String l : addedLines) {
                if (value != null && (l.startsWith("\t") || l.startsWith(" "))) {
                    value.append(' ').append(l.strip());
                } else if (value != null) {
                    break;
                } else if (l.startsWith(name + ":")) {
                    value = new StringBuilder(l.substring(name.length() + 1).strip());
                }
            }
            if (value == null) {
                throw new AssertionError("no " + name + " header in " + addedLines);
            }
            return value.toString();
        }
    }
}
