package io.reactivesmtp;

import static io.reactivesmtp.SessionFixture.WAIT;
import static io.reactivesmtp.SessionFixture.await;
import static io.reactivesmtp.SessionFixture.connect;
import static io.reactivesmtp.SessionFixture.greeted;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.reactivesmtp.SendReport.Outcome;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.Script;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sending file content over a session: the file is opened off the event loop, and a file gone fails the send. */
class FileContentSendTest {

    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test");
    private static final byte[] BODY = "Subject: hi\r\n\r\nHello\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    SmtpConnector connector;

    @BeforeEach
    void start() {
        connector = SmtpConnector.create();
    }

    @AfterEach
    void stop() {
        connector.close();
    }

    private static Script upToContent() {
        return greeted("PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA").send("354 go");
    }

    @Test
    void aFileWhoseOpenHangsIsOpenedOffTheEventLoopWhichStaysFree() throws Throwable {
        Path file = Files.write(dir.resolve("slow.eml"), BODY);
        MessageContent content = MessageContent.of(file);
        // A FIFO in its place: opening it blocks until a writer opens it, like an open on a hung NFS mount.
        MessageContentTest.replaceWithFifo(file);
        Script script = upToContent().expectData().send("250 2.0.0 queued").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server);
            Thread eventLoop = session.channel().eventLoop().submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
            CompletableFuture<SendReport> sent = session.send(ENVELOPE, content);
            try {
                Thread opener = awaitThreadOpeningAFile();
                assertThat(opener).as("the thread blocked in the open").isNotSameAs(eventLoop);
                assertThat(session.channel().eventLoop().submit(() -> true).get(5, TimeUnit.SECONDS)).isTrue();
                assertThat(sent).isNotDone();
            } finally {
                MessageContentTest.openForWriting(file);
            }
            // A FIFO's size is 0: an empty message, delivered.
            assertThat(await(sent).outcome()).isEqualTo(Outcome.DELIVERED);
            await(session.close());
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aFileGoneBeforeTheSendFailsItNamingThePathWithoutTheFinalDot() throws Throwable {
        Path file = Files.write(dir.resolve("gone.eml"), BODY);
        MessageContent content = MessageContent.of(file);
        Files.delete(file);
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(upToContent().ignoreRest())) {
            SmtpSession session = connect(connector, server);
            Throwable error = catchThrowable(() -> await(session.send(ENVELOPE, content)));
            assertThat(error).isInstanceOf(SmtpContentException.class).hasMessageContaining(file.toString());
            assertThat(((SmtpException) error).isRetryable()).isFalse();
            server.awaitConnectionClosed(WAIT);
            assertThat(server.dataCount()).isZero();
            assertThat(server.transcript()).doesNotContain("C: .\n");
        }
    }

    /** Waits (bounded) for a thread inside {@code AsynchronousFileChannel.open} and returns it. */
    private static Thread awaitThreadOpeningAFile() throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
                if (Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().equals(
                        "java.nio.channels.AsynchronousFileChannel") && f.getMethodName().equals("open"))) {
                    return e.getKey();
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no thread opened the file within " + WAIT);
    }
}
