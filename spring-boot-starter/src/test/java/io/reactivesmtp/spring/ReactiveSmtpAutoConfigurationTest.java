package io.reactivesmtp.spring;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.reactivesmtp.Credentials;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.TlsPolicy;
import io.reactivesmtp.TokenProvider;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.SmtpInstrumentation;
import io.reactivesmtp.testing.SubethaSmtpServer;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The SmtpClient bean: properties bind, back-off, customizers, OAuth 2.0, disposal, metrics and observations. */
class ReactiveSmtpAutoConfigurationTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ReactiveSmtpAutoConfiguration.class));

    @Test
    void noHostNoClient() {
        runner.run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SmtpClient.class));
    }

    @Test
    void disabledNoClient() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(SmtpClient.class));
    }

    @Test
    void springMailAndReactiveSmtpPropertiesBind() {
        runner.withPropertyValues(
                "spring.mail.host=smtp.example.com", "spring.mail.port=2525",
                "spring.mail.username=alice", "spring.mail.password=s3cret",
                "spring.mail.properties.mail.smtp.connectiontimeout=3000",
                "reactive-smtp.tls.policy=opportunistic", "reactive-smtp.auth-mechanism=login",
                "reactive-smtp.helo-name=app.example.com",
                "reactive-smtp.pool.max-connections=7", "reactive-smtp.pool.max-connections-per-destination=3", "reactive-smtp.pool.max-idle-time=5s",
                "reactive-smtp.max-in-flight=9", "reactive-smtp.rate-limit.per-second=5",
                "reactive-smtp.retry.max-attempts=3", "reactive-smtp.retry.first-backoff=2s")
                .run(context -> {
                    assertThat(context).hasNotFailed().hasSingleBean(SmtpClient.class);
                    SmtpClientOptions o = context.getBean(SmtpClient.class).options();
                    assertThat(o.routing().relays()).singleElement().satisfies(r -> {
                        assertThat(r.getHostString()).isEqualTo("smtp.example.com");
                        assertThat(r.getPort()).isEqualTo(2525);
                    });
                    assertThat(o.session().tls().policy()).isEqualTo(TlsPolicy.OPPORTUNISTIC);
                    assertThat(o.session().heloName()).contains("app.example.com");
                    assertThat(o.session().timeout(SmtpPhase.CONNECT)).isEqualTo(Duration.ofSeconds(3));
                    Credentials c = o.session().credentials().orElseThrow();
                    assertThat(c.username()).isEqualTo("alice");
                    assertThat(c.revealPassword()).isEqualTo("s3cret");
                    assertThat(c.mechanism()).contains("LOGIN");
                    assertThat(o.pool().maxConnections()).isEqualTo(7);
                    assertThat(o.pool().maxIdleTime()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(o.maxInFlight()).isEqualTo(9);
                    assertThat(o.rateLimit().orElseThrow().perSecond()).isEqualTo(5.0);
                    assertThat(o.retry().maxAttempts()).isEqualTo(3);
                    assertThat(o.retry().firstBackoff()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(context.getBean(SpringMailProperties.class).toString()).doesNotContain("s3cret");
                });
    }

    @Test
    void defaultsAreRequiredTlsOnTheSubmissionPortAndSmtpsMeansImplicitTlsOn465() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com").run(context -> {
            SmtpClientOptions o = context.getBean(SmtpClient.class).options();
            assertThat(o.session().tls().policy()).isEqualTo(TlsPolicy.REQUIRED);
            assertThat(o.routing().relays().get(0).getPort()).isEqualTo(587);
            assertThat(o.session().credentials()).isEmpty();
        });
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "spring.mail.protocol=smtps").run(context -> {
            SmtpClientOptions o = context.getBean(SmtpClient.class).options();
            assertThat(o.session().tls().policy()).isEqualTo(TlsPolicy.IMPLICIT);
            assertThat(o.routing().relays().get(0).getPort()).isEqualTo(465);
        });
    }

    @Test
    void budgetIdleAndPacingPropertiesBind() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.max-in-flight=20",
                "reactive-smtp.pool.idle-allowance=0", "reactive-smtp.pool.mx-idle-time=500ms",
                "reactive-smtp.pacing.floor=2", "reactive-smtp.pacing.initial=6", "reactive-smtp.pacing.quiet-period=9s",
                "reactive-smtp.pacing.provider-suffixes=example.net,mail.example.org")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SmtpClientOptions o = context.getBean(SmtpClient.class).options();
                    assertThat(o.pool().idleAllowance()).isZero();
                    assertThat(o.pool().connectionBudget(o.maxInFlight())).isEqualTo(20);
                    assertThat(o.pool().mxIdleTime()).isEqualTo(Duration.ofMillis(500));
                    assertThat(o.pacing().enabled()).isTrue();
                    assertThat(o.pacing().floor()).isEqualTo(2);
                    assertThat(o.pacing().initial()).isEqualTo(6);
                    assertThat(o.pacing().quietPeriod()).isEqualTo(Duration.ofSeconds(9));
                    assertThat(o.pacing().providerSuffixes()).containsExactly("example.net", "mail.example.org");
                });
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.pacing.enabled=false")
                .run(context -> assertThat(context.getBean(SmtpClient.class).options().pacing().enabled()).isFalse());
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.pacing.floor=10")
                .run(context -> assertThat(context.getBean(SmtpClient.class).options().pacing().initial())
                        .as("a floor above the default start starts there").isEqualTo(10));
        runner.withPropertyValues("spring.mail.host=smtp.example.com")
                .run(context -> assertThat(context.getBean(SmtpClient.class).options().pacing())
                        .isEqualTo(io.reactivesmtp.reactor.Pacing.DEFAULT));
    }

    @Test
    void aBadBudgetOrPacingValueFailsTheStartNamingTheKey() {
        java.util.Map<String, String> cases = java.util.Map.of(
                "reactive-smtp.pool.idle-allowance=-1", "reactive-smtp.pool.*: idleAllowance must not be negative: -1",
                "reactive-smtp.pool.mx-idle-time=0s", "reactive-smtp.pool.*: mxIdleTime",
                "reactive-smtp.pacing.floor=0", "reactive-smtp.pacing.*: pacing floor must be at least 1, not 0",
                "reactive-smtp.pacing.initial=0", "reactive-smtp.pacing.*: pacing initial limit 0 is below the floor 1",
                "reactive-smtp.pacing.quiet-period=0s", "reactive-smtp.pacing.*: pacing quiet period must be positive",
                "reactive-smtp.pacing.provider-suffixes=com", "reactive-smtp.pacing.*: invalid pacing provider suffix");
        cases.forEach((property, message) -> runner.withPropertyValues("spring.mail.host=smtp.example.com", property)
                .run(context -> assertThat(context).hasFailed().getFailure().as(property)
                        .hasStackTraceContaining(message)));
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.pool.max-connections=9",
                        "reactive-smtp.pool.idle-allowance=2")
                .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining(
                        "reactive-smtp.pool.max-connections and reactive-smtp.pool.idle-allowance exclude each other"));
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.pacing.enabled=false",
                        "reactive-smtp.pacing.initial=3")
                .run(context -> assertThat(context).hasFailed().getFailure().hasStackTraceContaining(
                        "reactive-smtp.pacing.enabled=false excludes the other reactive-smtp.pacing.* keys"));
    }

    @Test
    void aBadValueFailsTheStartNamingTheKey() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.pool.max-connections=0")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .hasStackTraceContaining("reactive-smtp.pool.*: maxConnections must be at least 1: 0"));
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.dkim.domain=example.com")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("reactive-smtp.dkim needs domain, selector and private-key"));
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "spring.mail.username=alice")
                .run(context -> assertThat(context).hasFailed().getFailure()
                        .rootCause().hasMessageContaining("spring.mail.password"));
    }

    @Test
    void backsOffWhenTheApplicationHasItsOwnClient() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com")
                .withUserConfiguration(OwnClient.class)
                .run(context -> {
                    assertThat(context).hasSingleBean(SmtpClient.class);
                    assertThat(context.getBean(SmtpClient.class).options().routing().relays().get(0).getHostString())
                            .isEqualTo("own.example.com");
                });
    }

    @Test
    void customizersRunAfterTheProperties() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.max-in-flight=9")
                .withBean(SmtpClientOptionsCustomizer.class, () -> b -> b.maxInFlight(11))
                .run(context -> assertThat(context.getBean(SmtpClient.class).options().maxInFlight()).isEqualTo(11));
    }

    @Test
    void aTokenProviderBeanMeansOAuth2AndExcludesAPassword() {
        TokenProvider tokens = TokenProvider.cached(() -> CompletableFuture.completedFuture("t"));
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "spring.mail.username=alice@example.com")
                .withBean(TokenProvider.class, () -> tokens)
                .run(context -> {
                    Credentials c = context.getBean(SmtpClient.class).options().session().credentials().orElseThrow();
                    assertThat(c.isOAuth2()).isTrue();
                    assertThat(c.tokenProvider()).isSameAs(tokens);
                });
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "spring.mail.username=alice@example.com",
                        "spring.mail.password=p")
                .withBean(TokenProvider.class, () -> tokens)
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("TokenProvider bean").hasMessageNotContaining("=p"));
    }

    @Test
    void theClientIsDisposedWithTheContext() {
        SmtpClient[] client = new SmtpClient[1];
        runner.withPropertyValues("spring.mail.host=smtp.example.com").run(context -> {
            client[0] = context.getBean(SmtpClient.class);
            assertThat(client[0].isDisposed()).isFalse();
        });
        assertThat(client[0].isDisposed()).isTrue();
    }

    @Test
    void sendsThroughTheBeanWithObservationsAndMeters() {
        TestObservationRegistry observations = TestObservationRegistry.create();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (SubethaSmtpServer server = SubethaSmtpServer.start()) {
            runner.withPropertyValues("spring.mail.host=127.0.0.1", "spring.mail.port=" + server.port(),
                            "reactive-smtp.tls.policy=none", "reactive-smtp.helo-name=app.test")
                    .withBean(ObservationRegistry.class, () -> observations)
                    .withBean(MeterRegistry.class, () -> meters)
                    .run(context -> {
                        SendReport report = context.getBean(SmtpClient.class).send(
                                Envelope.of("app@example.com", "bob@example.com"),
                                MessageContent.of("Subject: hi\r\n\r\nfrom Spring\r\n")).block(WAIT);
                        assertThat(report.outcome()).isEqualTo(SendReport.Outcome.DELIVERED);
                    });
            assertThat(server.awaitMessages(1, WAIT).get(0).recipients()).containsExactly("bob@example.com");
        }
        assertThat(observations).hasObservationWithNameEqualTo("smtp.message").that()
                .hasLowCardinalityKeyValue("smtp.outcome", "delivered")
                .hasLowCardinalityKeyValue("smtp.reply.class", "2xx");
        assertThat(observations).hasObservationWithNameEqualTo("smtp.connection").that()
                .hasLowCardinalityKeyValue("smtp.outcome", "ready");
        assertThat(meters.get("smtp.messages").tag("outcome", "delivered").counter().count()).isEqualTo(1);
    }

    @Test
    void observationsAndMetricsCanBeSwitchedOff() {
        runner.withPropertyValues("spring.mail.host=smtp.example.com", "reactive-smtp.observations.enabled=false",
                        "reactive-smtp.observations.metrics=false")
                .withBean(ObservationRegistry.class, TestObservationRegistry::create)
                .withBean(MeterRegistry.class, SimpleMeterRegistry::new)
                .run(context -> {
                    SmtpClientOptions o = context.getBean(SmtpClient.class).options();
                    assertThat(o.instrumentation()).isSameAs(SmtpInstrumentation.NONE);
                    assertThat(o.eventListener()).isSameAs(io.reactivesmtp.reactor.SmtpEventListener.NONE);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnClient {
        @Bean(destroyMethod = "dispose")
        SmtpClient ownClient() {
            return SmtpClient.create(SmtpClientOptions.builder().relay("own.example.com", 25).build());
        }
    }
}
