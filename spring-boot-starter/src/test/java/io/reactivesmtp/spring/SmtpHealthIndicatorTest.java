package io.reactivesmtp.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.Script;
import io.reactivesmtp.testing.ScriptedSmtpServer;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The smtp health indicator: up against the in-JVM server, down against a closed port or a silent one, cached. */
class SmtpHealthIndicatorTest {

    private static final Duration WAIT = Duration.ofSeconds(15);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ReactiveSmtpAutoConfiguration.class,
                    ReactiveSmtpHealthAutoConfiguration.class))
            .withPropertyValues("spring.mail.host=127.0.0.1", "reactive-smtp.tls.policy=none",
                    "reactive-smtp.helo-name=app.test");

    private static Health check(org.springframework.context.ApplicationContext context) {
        return context.getBean("smtpHealthIndicator", SmtpHealthIndicator.class).health().block(WAIT);
    }

    @Test
    void upAgainstTheInJvmServerWithoutSendingMail() {
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            runner.withPropertyValues("spring.mail.port=" + server.port()).run(context -> {
                Health health = check(context);
                assertThat(health.getStatus()).isEqualTo(Status.UP);
                assertThat(health.getDetails()).containsEntry("server", "127.0.0.1:" + server.port())
                        .containsEntry("tls", "none").containsEntry("authenticated", false);
            });
            assertThat(server.messages()).isEmpty();
        }
    }

    @Test
    void downAgainstAClosedPort() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        runner.withPropertyValues("spring.mail.port=" + port).run(context -> {
            Health health = check(context);
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails()).containsEntry("server", "127.0.0.1:" + port);
            assertThat((String) health.getDetails().get("error")).contains("SmtpConnectionException");
        });
    }

    @Test
    void downWhenTlsIsRequiredAndTheServerHasNoStartTls() {
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            runner.withPropertyValues("spring.mail.port=" + server.port(), "reactive-smtp.tls.policy=required")
                    .run(context -> {
                        Health health = check(context);
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat((String) health.getDetails().get("error")).containsIgnoringCase("STARTTLS");
                    });
        }
    }

    @Test
    void downWithinTheTimeoutWhenTheServerNeverGreets() {
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(Script.create().expectNothing(Duration.ofSeconds(30))
                .ignoreRest())) {
            runner.withPropertyValues("spring.mail.port=" + server.port(), "reactive-smtp.health.timeout=300ms")
                    .run(context -> {
                        Health health = check(context);
                        assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                        assertThat((String) health.getDetails().get("error")).contains("no session within PT0.3S");
                    });
        }
    }

    @Test
    void aResultIsCachedForItsTimeToLive() {
        Script greeted = Script.create().send("220 mx.test ESMTP").expectMatching("EHLO \\S+").send("250 mx.test")
                .expect("QUIT").send("221 bye").close();
        try (ScriptedSmtpServer server = ScriptedSmtpServer.start(greeted)) {
            runner.withPropertyValues("spring.mail.port=" + server.port(), "reactive-smtp.health.cache-ttl=1h")
                    .run(context -> {
                        assertThat(check(context).getStatus()).isEqualTo(Status.UP);
                        assertThat(check(context).getStatus()).isEqualTo(Status.UP);
                        assertThat(check(context).getDetails()).containsEntry("greeting", "mx.test");
                    });
            server.awaitScriptDone(WAIT);
            assertThat(server.connectionCount()).isEqualTo(1);
        }
    }

    @Test
    void offWhenDisabledAndBackedOffForTheApplicationsOwn() {
        runner.withPropertyValues("management.health.smtp.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(SmtpHealthIndicator.class));
        runner.run(context -> assertThat(context).hasSingleBean(SmtpHealthIndicator.class));
        runner.withPropertyValues("spring.mail.host=", "reactive-smtp.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(SmtpHealthIndicator.class));
    }
}
