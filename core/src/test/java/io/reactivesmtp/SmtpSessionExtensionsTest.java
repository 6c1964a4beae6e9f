package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** ESMTP extensions against the scripted server: each one used when offered, never claimed when not. */
@ExtendWith(ConnectorExtension.class)
class SmtpSessionExtensionsTest {

    private static final String ASCII = "Subject: plain\r\n\r\n.leading dot\r\nplain ascii\r\n";
    private static final String EIGHT_BIT = "Subject: umlaut\r\n\r\nGr\u00fc\u00dfe\r\n";
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test");

    @TempDir
    Path dir;

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    private static Script delivered(Script s, String mailLine) {
        return s.expect(mailLine).send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued");
    }

    private SendReport sendOnce(Script script, MessageContent content) throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script.expect("QUIT").send("221 bye").close())) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, content));
            await(session.close());
            server.awaitScriptDone(WAIT);
            return report;
        }
    }

    private Throwable refusedBeforeMail(Script script, Envelope envelope, MessageContent content) throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script.expect("QUIT").send("221 bye").close())) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(envelope, content)));
            assertThat(session.isReusable()).as("nothing was sent: the session stays usable").isTrue();
            await(session.close());
            server.awaitScriptDone(WAIT);
            return error;
        }
    }

    // ---------------------------------------------------------------------------------------------- SIZE

    @Test
    void sizeIsDeclaredWhenOffered() throws Throwable {
        byte[] bytes = ASCII.getBytes(StandardCharsets.US_ASCII);
        sendOnce(delivered(greeted("SIZE 1000000"), "MAIL FROM:<a@b.test> SIZE=" + bytes.length), MessageContent.of(bytes));
    }

    @Test
    void aMessageLargerThanTheLimitFailsBeforeMail() throws Throwable {
        Throwable error = refusedBeforeMail(greeted("SIZE 10"), ENVELOPE, MessageContent.of(ASCII));
        assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("more than the 10 bytes");
        assertThat(((SmtpException) error).isRetryable()).isFalse();
    }

    @Test
    void sizeZeroMeansNoLimitAndAnUnparsableSizeMeansUnknown() throws Throwable {
        int n = ASCII.getBytes(StandardCharsets.US_ASCII).length;
        sendOnce(delivered(greeted("SIZE 0"), "MAIL FROM:<a@b.test> SIZE=" + n), MessageContent.of(ASCII));
        sendOnce(delivered(greeted("SIZE lots"), "MAIL FROM:<a@b.test> SIZE=" + n), MessageContent.of(ASCII));
    }

    @Test
    void noSizeWithoutTheExtensionOrWithoutAKnownSize() throws Throwable {
        sendOnce(delivered(greeted("PIPELINING"), "MAIL FROM:<a@b.test>"), MessageContent.of(ASCII));
        java.util.concurrent.Flow.Publisher<io.netty.buffer.ByteBuf> publisher = s -> s.onSubscribe(
                new java.util.concurrent.Flow.Subscription() {
                    boolean done;

                    @Override
                    public void request(long k) {
                        if (!done) {
                            done = true;
                            s.onNext(io.netty.buffer.Unpooled.copiedBuffer(ASCII, StandardCharsets.US_ASCII));
                            s.onComplete();
                        }
                    }

                    @Override
                    public void cancel() {
                    }
                });
        sendOnce(delivered(greeted("SIZE 1000000"), "MAIL FROM:<a@b.test>"),
                MessageContent.of(publisher).withBodyType(BodyType.SEVEN_BIT));
    }

    // ------------------------------------------------------------------------------------------ 8BITMIME

    @Test
    void eightBitContentIsDeclaredOnlyWhereOffered() throws Throwable {
        sendOnce(delivered(greeted("8BITMIME"), "MAIL FROM:<a@b.test> BODY=8BITMIME"), MessageContent.of(EIGHT_BIT));
        sendOnce(delivered(greeted("8BITMIME"), "MAIL FROM:<a@b.test>"), MessageContent.of(ASCII));
    }

    @Test
    void eightBitContentToAServerWithout8BitMimeFailsBeforeMail() throws Throwable {
        Throwable error = refusedBeforeMail(greeted("PIPELINING"), ENVELOPE, MessageContent.of(EIGHT_BIT));
        assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("8BITMIME");
    }

    @Test
    void contentDeclaredSevenBitGoesWithoutBody() throws Throwable {
        Path file = Files.writeString(dir.resolve("ascii.eml"), ASCII);
        sendOnce(delivered(greeted("8BITMIME"), "MAIL FROM:<a@b.test>"),
                MessageContent.of(file).withBodyType(BodyType.SEVEN_BIT));
    }

    @Test
    void undeclaredEightBitFileToAServerWithout8BitMimeIsAbandonedWithoutTheFinalDot() throws Throwable {
        Path file = Files.writeString(dir.resolve("umlaut.eml"), EIGHT_BIT);
        Script script = greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, MessageContent.of(file))));
            assertThat(error).isInstanceOf(SmtpContentException.class).hasMessageContaining("8BITMIME");
            server.awaitConnectionClosed(WAIT);
            assertThat(server.dataCount()).isZero();
            assertThat(server.transcript()).doesNotContain("Gr");
        }
    }

    // -------------------------------------------------------------------------------------- CHUNKING/BDAT

    @Test
    void bdatSendsExactByteCountsWithoutStuffingAndAShortMessageInOneLastChunk() throws Throwable {
        Script script = greeted("PIPELINING", "CHUNKING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expectBdat().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            SendReport report = await(session.send(ENVELOPE, MessageContent.of("Subject: b\n\n.dot\nno final newline")));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.dataReply().orElseThrow().text()).isEqualTo("queued");
            // Normalised to CRLF, completed with a final CRLF, not dot-stuffed; one command for the whole message.
            assertThat(new String(server.dataReceived(0), StandardCharsets.US_ASCII))
                    .isEqualTo("Subject: b\r\n\r\n.dot\r\nno final newline\r\n");
            assertThat(server.linesReceived(0)).contains("BDAT 38 LAST");
        }
    }

    @Test
    void emptyContentIsBdatZeroLast() throws Throwable {
        Script script = greeted("PIPELINING", "CHUNKING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expectBdat().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(ENVELOPE, MessageContent.of(new byte[0]))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).contains("BDAT 0 LAST");
        }
    }

    @Test
    void largeContentIsCutIntoChunksOfTheConfiguredSize() throws Throwable {
        byte[] big = ("y".repeat(98) + "\r\n").repeat(2000).getBytes(StandardCharsets.US_ASCII); // 200,000 bytes
        Script script = greeted("PIPELINING", "CHUNKING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .repeat(3, r -> r.expectBdat().send("250 chunk ok"))
                .expectBdat().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(TlsPolicy.NONE).bdatChunkSize(64 * 1024).build());
            assertThat(await(session.send(ENVELOPE, MessageContent.of(big))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(server.linesReceived(0)).containsSubsequence("BDAT 65536", "BDAT 65536", "BDAT 65536",
                    "BDAT " + (200_000 - 3 * 65536) + " LAST");
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 4; i++) {
                all.writeBytes(server.dataReceived(i));
            }
            assertThat(all.toByteArray()).isEqualTo(big);
        }
    }

    // The in-flight bound of BDAT: with PIPELINING at most two chunks unanswered, without it one. The server
    // holds its replies; a quiet window after the bound is reached shows that no further chunk comes until a
    // reply does (a client ignoring the bound writes the next chunk at once). Content: 4 chunks of 1 KiB, then
    // BDAT 100 LAST.
    private static final int CHUNK = 1024;
    private static final Duration QUIET = Duration.ofMillis(200);

    private static Script chunksAnsweredOneByOne(Script s, int bound) {
        s.expect("MAIL FROM:<a@b.test>").send("250 ok").expect("RCPT TO:<x@c.test>").send("250 ok");
        for (int i = 0; i < bound; i++) {
            s.expectBdat();
        }
        for (int chunk = 1; chunk <= 5; chunk++) {
            s.expectNothing(QUIET).send("250 2.0.0 chunk " + chunk + " ok");
            if (chunk + bound <= 5) {
                s.expectBdat();
            }
        }
        return s.expect("QUIT").send("221 bye").close();
    }

    private void assertChunkBound(Script script, MessageContent content) throws Throwable {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(TlsPolicy.NONE).bdatChunkSize(CHUNK).build());
            SendReport report = await(session.send(ENVELOPE, content));
            await(session.close());
            server.awaitScriptDone(WAIT);
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            assertThat(report.dataReply().orElseThrow().text()).isEqualTo("chunk 5 ok");
            assertThat(server.linesReceived(0)).filteredOn(l -> l.startsWith("BDAT"))
                    .containsExactly("BDAT 1024", "BDAT 1024", "BDAT 1024", "BDAT 1024", "BDAT 100 LAST");
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int i = 0; i < 5; i++) {
                all.writeBytes(server.dataReceived(i));
            }
            assertThat(all.toByteArray()).isEqualTo(FOUR_CHUNKS_AND_100);
        }
    }

    /** 16 lines of 256 bytes and one of 100: 4,196 bytes, CRLF throughout (BDAT sends them unchanged). */
    private static final byte[] FOUR_CHUNKS_AND_100 = (("p".repeat(254) + "\r\n").repeat(16) + "q".repeat(98) + "\r\n")
            .getBytes(StandardCharsets.US_ASCII);

    /** The content as a publisher of pieces of at most 256 bytes: the client gathers four into a chunk. */
    private static Flow.Publisher<ByteBuf> inPiecesOf256() {
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            int position;
            boolean done;

            @Override
            public void request(long n) {
                for (long i = 0; i < n && !done; i++) {
                    int length = Math.min(256, FOUR_CHUNKS_AND_100.length - position);
                    subscriber.onNext(Unpooled.copiedBuffer(FOUR_CHUNKS_AND_100, position, length));
                    position += length;
                    if (position == FOUR_CHUNKS_AND_100.length) {
                        done = true;
                        subscriber.onComplete();
                    }
                }
            }

            @Override
            public void cancel() {
                done = true;
            }
        });
    }

    @Test
    void pipelinedBdatHasAtMostTwoChunksUnansweredWhenSmallPiecesAreGathered() throws Throwable {
        assertChunkBound(chunksAnsweredOneByOne(greeted("PIPELINING", "CHUNKING"), 2),
                MessageContent.of(inPiecesOf256()));
    }

    @Test
    void pipelinedBdatHasAtMostTwoChunksUnansweredWhenOnePieceHoldsManyChunks() throws Throwable {
        // One 4,196-byte buffer: the chunks are cut out of a single piece of content.
        assertChunkBound(chunksAnsweredOneByOne(greeted("PIPELINING", "CHUNKING"), 2),
                MessageContent.of(FOUR_CHUNKS_AND_100));
    }

    @Test
    void withoutPipeliningBdatWaitsForEachChunksReply() throws Throwable {
        assertChunkBound(chunksAnsweredOneByOne(greeted("CHUNKING"), 1), MessageContent.of(inPiecesOf256()));
    }

    @Test
    void withoutPipeliningBdatWaitsForEachChunksReplyWhenOnePieceHoldsManyChunks() throws Throwable {
        assertChunkBound(chunksAnsweredOneByOne(greeted("CHUNKING"), 1), MessageContent.of(FOUR_CHUNKS_AND_100));
    }

    @Test
    void chunkingCanBeAvoided() throws Throwable {
        Script script = delivered(greeted("PIPELINING", "CHUNKING"), "MAIL FROM:<a@b.test>")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(TlsPolicy.NONE).chunking(false).build());
            assertThat(await(session.send(ENVELOPE, MessageContent.of(ASCII))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aRefusedChunkStopsTheTransferAndTheNextTransactionResets() throws Throwable {
        byte[] big = ("x".repeat(1000) + "\r\n").repeat(300).getBytes(StandardCharsets.US_ASCII); // several chunks
        Script script = greeted("CHUNKING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expectBdat().send("552 5.3.4 message too big")
                .expect("RSET").send("250 reset")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expectBdat().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            // Without PIPELINING one chunk at a time: after the refusal no further chunk may follow.
            SmtpSession session = connect(connector, server, SmtpSessionOptions.builder().heloName("client.test")
                    .tls(TlsPolicy.NONE).bdatChunkSize(64 * 1024).build());
            SendReport refused = await(session.send(ENVELOPE, MessageContent.of(big)));
            assertThat(refused.recipients().get(0).code()).isEqualTo(552);
            assertThat(refused.outcome()).isEqualTo(Outcome.REJECTED);
            SendReport next = await(session.send(ENVELOPE, MessageContent.of(ASCII)));
            assertThat(next.outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void withAllRecipientsRefusedNoChunkIsSent() throws Throwable {
        Script script = greeted("PIPELINING", "CHUNKING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("550 no")
                .expect("RSET").send("250 ok")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(ENVELOPE, MessageContent.of(ASCII))).outcome()).isEqualTo(Outcome.REJECTED);
            // The next transaction's RSET shows the aborted one was cleaned up; no BDAT went out in between.
            Throwable ignored = catchThrowable(() -> await(session.send(Envelope.of("a@b.test", "x@c.test"),
                    MessageContent.of(EIGHT_BIT))));
            assertThat(ignored).isInstanceOf(SmtpPolicyException.class); // 8-bit, no 8BITMIME: refused before RSET
            await(session.close());
            assertThat(server.linesReceived(0)).noneMatch(l -> l.startsWith("BDAT"));
        }
    }

    // ----------------------------------------------------------------------------------------------- DSN

    @Test
    void dsnParametersGoOnlyToServersThatOfferDsn() throws Throwable {
        Envelope withDsn = Envelope.builder().from("a@b.test").to("x@c.test")
                .dsn(Dsn.builder().ret(Dsn.Return.HEADERS).envelopeId("order+4711=x").notify(Dsn.Notify.FAILURE, Dsn.Notify.DELAY)
                        .originalRecipients(true).build())
                .build();
        Script offered = greeted("DSN")
                .expect("MAIL FROM:<a@b.test> RET=HDRS ENVID=order+2B4711+3Dx").send("250 ok")
                .expect("RCPT TO:<x@c.test> NOTIFY=FAILURE,DELAY ORCPT=rfc822;x@c.test").send("250 ok")
                .expect("DATA").send("354 go").expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(offered)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(withDsn, MessageContent.of(ASCII))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
        Script notOffered = delivered(greeted("PIPELINING"), "MAIL FROM:<a@b.test>").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(notOffered)) {
            SmtpSession session = connect(connector, server);
            assertThat(await(session.send(withDsn, MessageContent.of(ASCII))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    // ---------------------------------------------------------------------------------------- REQUIRETLS

    @Test
    void requireTlsFailsBeforeMailWithoutTls() throws Throwable {
        Envelope strict = Envelope.builder().from("a@b.test").to("x@c.test").requireTls(true).build();
        Throwable error = refusedBeforeMail(greeted("REQUIRETLS"), strict, MessageContent.of(ASCII));
        assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("does not run over TLS");
    }

    @Test
    void requireTlsOverTlsIsDeclaredOnlyWhenOffered(@TempDir Path pem) throws Throwable {
        Envelope strict = Envelope.builder().from("a@b.test").to("x@c.test").requireTls(true).build();
        TlsOptions tls = TlsOptions.builder().trustPem(TestPki.caPem(pem)).build();
        Script script = Script.create().send("220 mx.test").expect("EHLO client.test").send("250-mx.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 go").startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250-mx.test", "250 REQUIRETLS")
                .expect("MAIL FROM:<a@b.test> REQUIRETLS").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go").expectData().send("250 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = await(connector.connect("localhost", server.port(),
                    SmtpSessionOptions.builder().heloName("client.test").tls(tls).build()));
            assertThat(await(session.send(strict, MessageContent.of(ASCII))).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
        Script notOffered = Script.create().send("220 mx.test").expect("EHLO client.test").send("250-mx.test", "250 STARTTLS")
                .expect("STARTTLS").send("220 go").startTls(TestPki.serverContext(TestPki.good()))
                .expect("EHLO client.test").send("250 mx.test")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(notOffered)) {
            SmtpSession session = await(connector.connect("localhost", server.port(),
                    SmtpSessionOptions.builder().heloName("client.test").tls(tls).build()));
            Throwable error = catchThrowable(() -> await(session.send(strict, MessageContent.of(ASCII))));
            assertThat(error).isInstanceOf(SmtpPolicyException.class).hasMessageContaining("does not offer it");
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    // ------------------------------------------------------------------------------- ENHANCEDSTATUSCODES

    @Test
    void theBasicCodeWinsWhenTheEnhancedCodeContradictsIt() {
        assertThat(SmtpReply.of(250, "2.1.5 ok").enhancedStatus()).contains("2.1.5");
        assertThat(SmtpReply.of(250, "5.1.1 contradiction").enhancedStatus()).isEmpty();
        assertThat(SmtpReply.of(451, "4.2.1 later").text()).isEqualTo("later");
    }
}
