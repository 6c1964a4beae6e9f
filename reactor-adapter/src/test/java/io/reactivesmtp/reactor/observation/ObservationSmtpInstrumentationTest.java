package io.reactivesmtp.reactor.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.reactor.MessageResult;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.context.Context;

/** One observation per message and per connection, with their tags, against the scripted server. */
class ObservationSmtpInstrumentationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("a@b.test", "x@c.test", "y@c.test");
    private static final MessageContent BODY = MessageContent.of("Subject: hi\r\n\r\nHello\r\n");

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    private SmtpClient client;

    @AfterEach
    void dispose() {
        if (client != null) {
            client.disposeLater().block(WAIT);
        }
    }

    private static Script greeting() {
        return Script.create()
                .send("220 mx.test ESMTP")
                .expect("EHLO client.test").send("250-mx.test", "250 PIPELINING");
    }

    private static Script transaction(Script script, String yReply) {
        return script.expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("250 2.1.5 ok")
                .expect("RCPT TO:<y@c.test>").send(yReply)
                .expect("DATA").send("354 go")
                .expectData().send("250 2.0.0 queued");
    }

    private SmtpClient client(int port) {
        client = SmtpClient.create(SmtpClientOptions.builder()
                .relay("127.0.0.1", port)
                .session(SmtpSessionOptions.builder().heloName("client.test").tls(TlsPolicy.NONE).build())
                .instrumentation(ObservationSmtpInstrumentation.create(registry))
                .build());
        return client;
    }

    @Test
    void aMessageAndItsConnectionAreObservedWithLowCardinalityTags() {
        Script script = transaction(greeting(), "550 5.1.1 no such user").expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            String destination = "127.0.0.1:" + server.port();
            SendReport report = client(server.port()).send(ENVELOPE, BODY).block(WAIT);
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.PARTIAL);

            assertThat(registry).hasNumberOfObservationsWithNameEqualTo("smtp.message", 1)
                    .hasNumberOfObservationsWithNameEqualTo("smtp.connection", 1);
            assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                    .hasContextualNameEqualTo("smtp send")
                    .hasLowCardinalityKeyValue("smtp.destination", destination)
                    .hasLowCardinalityKeyValue("smtp.outcome", "partial")
                    .hasLowCardinalityKeyValue("smtp.reply.class", "2xx")
                    .hasHighCardinalityKeyValue("smtp.recipients", "2")
                    .hasHighCardinalityKeyValue("smtp.message.id", "send")
                    .hasBeenStarted().hasBeenStopped().doesNotHaveError();
            assertThat(registry).hasObservationWithNameEqualTo("smtp.connection").that()
                    .hasContextualNameEqualTo("smtp connect")
                    .hasLowCardinalityKeyValue("smtp.destination", destination)
                    .hasLowCardinalityKeyValue("smtp.outcome", "ready")
                    .hasBeenStopped()
                    // The connection was opened for the message: its span is the message's child.
                    .hasParentObservationContextMatching(parent -> parent instanceof SmtpMessageObservationContext);
        }
    }

    @Test
    void aRejectedMessageShowsTheRefusingReplyClass() {
        Script script = greeting().expect("MAIL FROM:<a@b.test>").send("250 ok")
                .expect("RCPT TO:<x@c.test>").send("550 5.1.1 no")
                .expect("RCPT TO:<y@c.test>").send("451 4.3.0 later")
                .expect("DATA").send("554 5.5.1 no valid recipients")
                .ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            SendReport report = client(server.port()).send(ENVELOPE, BODY).block(WAIT);
            assertThat(report.outcome()).isEqualTo(SendReport.Outcome.REJECTED);
            assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                    .hasLowCardinalityKeyValue("smtp.outcome", "rejected")
                    .hasLowCardinalityKeyValue("smtp.reply.class", "5xx");
        }
    }

    @Test
    void aClosedPortIsAnErrorOnBothObservations() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Throwable error = catchThrowable(() -> client(port).send(ENVELOPE, BODY).block(WAIT));
        assertThat(error).isInstanceOf(SmtpConnectionException.class);
        assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                .hasLowCardinalityKeyValue("smtp.outcome", "error")
                .hasLowCardinalityKeyValue("smtp.reply.class", "none")
                .hasError().hasBeenStopped();
        assertThat(registry).hasObservationWithNameEqualTo("smtp.connection").that()
                .hasLowCardinalityKeyValue("smtp.outcome", "error")
                .hasError().hasBeenStopped();
    }

    @Test
    void aGreetingRefusalTagsTheConnectionWithItsReplyClass() {
        Script script = Script.create().send("554 5.7.1 go away").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Throwable error = catchThrowable(() -> client(server.port()).send(ENVELOPE, BODY).block(WAIT));
            assertThat(error).isInstanceOf(SmtpSessionRejectedException.class);
            assertThat(registry).hasObservationWithNameEqualTo("smtp.connection").that()
                    .hasLowCardinalityKeyValue("smtp.outcome", "error")
                    .hasLowCardinalityKeyValue("smtp.reply.class", "5xx");
            assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                    .hasLowCardinalityKeyValue("smtp.reply.class", "5xx");
        }
    }

    @Test
    void theObservationInTheReactorContextBecomesTheParent() {
        Script script = transaction(greeting(), "250 ok").ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            Observation request = Observation.start("http.request", registry);
            client(server.port()).send(ENVELOPE, BODY)
                    .contextWrite(Context.of(ObservationSmtpInstrumentation.OBSERVATION_KEY, request))
                    .block(WAIT);
            request.stop();
            assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                    .hasParentObservationEqualTo(request)
                    .hasLowCardinalityKeyValue("smtp.outcome", "delivered");
        }
    }

    @Test
    void sendAllMakesOneObservationPerMessage() {
        Script script = greeting();
        for (int i = 0; i < 3; i++) {
            transaction(script, "250 ok");
        }
        script.ignoreRest();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(script)) {
            List<MessageResult> results = client(server.port()).sendAll(Flux.range(1, 3)
                    .map(i -> OutgoingMessage.of("m" + i, ENVELOPE, BODY))).collectList().block(WAIT);
            assertThat(results).hasSize(3);
            // Three messages at once may open up to three connections: one observation per connection opened.
            assertThat(registry).hasNumberOfObservationsWithNameEqualTo("smtp.message", 3)
                    .hasNumberOfObservationsWithNameEqualTo("smtp.connection", server.connectionCount());
            assertThat(registry).hasObservationWithNameEqualTo("smtp.message").that()
                    .hasHighCardinalityKeyValue("smtp.message.id", "m1");
        }
    }

    @Test
    void aNoopRegistryLeavesTheMonoAlone() {
        Mono<SendReport> send = Mono.empty();
        ObservationSmtpInstrumentation noop = ObservationSmtpInstrumentation.create(ObservationRegistry.NOOP);
        assertThat(noop.message(OutgoingMessage.of("id", ENVELOPE, BODY), "mx", send)).isSameAs(send);
        assertThat(noop.connection("h:25", send)).isSameAs(send);
    }
}
