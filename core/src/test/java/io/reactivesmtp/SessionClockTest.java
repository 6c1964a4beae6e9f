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
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The session's one clock: each command gets its phase's full timeout from when it became the oldest unanswered
 * one, however the deadlines of earlier commands lay.
 */
@ExtendWith(ConnectorExtension.class)
class SessionClockTest {

    private SmtpConnector connector; // a fresh one per test, from ConnectorExtension

    @Test
    void everyReplyRestartsTheClockForTheNextCommand() throws Throwable {
        // Three slow replies, each within the 400 ms RCPT timeout, together well beyond it.
        Duration slow = Duration.ofMillis(250);
        Script script = greeted()
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").delay(slow).send("250 ok")
                .expect("RCPT TO:<y@c.test>").delay(slow).send("250 ok")
                .expect("RCPT TO:<z@c.test>").delay(slow).send("250 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 queued")
                .ignoreRest();
        SmtpSessionOptions options = SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .timeout(SmtpPhase.RCPT, Duration.ofMillis(400)).build();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, options);
            SendReport report = await(session.send(Envelope.of("a@b.test", "x@c.test", "y@c.test", "z@c.test"),
                    MessageContent.of("Subject: t\r\n\r\nbody\r\n")));
            assertThat(report.outcome()).isEqualTo(Outcome.DELIVERED);
            server.awaitScriptDone(WAIT);
        }
    }

    @Test
    void aShortTimeoutAfterALongOneStillFiresOnTime() throws Throwable {
        // MAIL may take a minute, DATA only 300 ms: the server never answers DATA.
        Script script = greeted()
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 ok")
                .expect("DATA")
                .ignoreRest();
        SmtpSessionOptions options = SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE)
                .timeout(SmtpPhase.MAIL, Duration.ofMinutes(1))
                .timeout(SmtpPhase.RCPT, Duration.ofMinutes(1))
                .timeout(SmtpPhase.DATA_INITIATION, Duration.ofMillis(300)).build();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpSession session = connect(connector, server, options);
            long start = System.nanoTime();
            Throwable error = catchThrowable(() -> await(session.send(Envelope.of("a@b.test", "x@c.test"),
                    MessageContent.of("Subject: t\r\n\r\nbody\r\n"))));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(error).isInstanceOf(SmtpTimeoutException.class);
            assertThat(((SmtpTimeoutException) error).phase()).isEqualTo(SmtpPhase.DATA_INITIATION);
            // Bounded by WAIT (10 s) in await; a clock still set for MAIL's minute would not fire within it.
            assertThat(took).isLessThan(WAIT);
        }
    }
}
