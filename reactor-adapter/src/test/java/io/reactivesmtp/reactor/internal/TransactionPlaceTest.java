package io.reactivesmtp.reactor.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.netty.resources.LoopResources;

/**
 * A transaction on a session that takes no next message (the last one its connection may carry, or a session not
 * to be reused) gives its pacing place back before its report goes on, as a session going on gives it back at its
 * hand-off, before the final reply. Whoever the report frees (the caller's next message, sendAll's next slot) then
 * finds the place free and takes the direct path, instead of waiting in pacing's queue for a release that came
 * right after the report.
 */
class TransactionPlaceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test");
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");
    private static final int MESSAGES = 3;

    @Test
    void aReportArrivesWithItsPacingPlaceAlreadyGivenBack() {
        // One message per connection: every session retires at its final reply.
        Script script = Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING")
                .expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 2.1.5 ok")
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SmtpClientOptions options = SmtpClientOptions.builder()
                    .relay("127.0.0.1", server.port())
                    .pool(PoolOptions.builder().maxMessagesPerConnection(1).build())
                    .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                    .build();
            LoopResources loops = LoopResources.create("place-test", 1, true);
            SafeListener listener = new SafeListener(options.eventListener());
            SessionPools pools = new SessionPools(options, loops, listener, null);
            try {
                Sender sender = new Sender(options, pools, listener);
                AdaptivePacing pacing = sender.pacing();
                String site = pacing.site("127.0.0.1", server.port());
                List<Integer> held = new ArrayList<>();
                for (int i = 0; i < MESSAGES; i++) { // the first on a site pacing does not know yet, then known
                    SendReport report = sender.send(ENVELOPE, BODY, null)
                            .doOnNext(r -> held.add(pacing.inUse(site)))
                            .block(WAIT);
                    assertThat(report.outcome()).as(server.transcript()).isEqualTo(SendReport.Outcome.DELIVERED);
                }
                assertThat(held).as("places the site held as each report arrived").containsOnly(0).hasSize(MESSAGES);
                assertThat(pacing.inUse(site)).isZero();
            } finally {
                pools.disposeLater().block(WAIT);
                loops.disposeLater(Duration.ZERO, WAIT).block(WAIT);
            }
        }
    }
}
