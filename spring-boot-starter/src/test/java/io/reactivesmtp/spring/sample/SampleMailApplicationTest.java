package io.reactivesmtp.spring.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivesmtp.testing.SubethaSmtpServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** The sample WebFlux application end to end: HTTP request in, mail out to the in-JVM SMTP server. */
@SpringBootTest(classes = SampleMailApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SampleMailApplicationTest {

    private static final SubethaSmtpServer SMTP = SubethaSmtpServer.start();

    @LocalServerPort
    private int port;

    @DynamicPropertySource
    static void smtp(DynamicPropertyRegistry registry) {
        registry.add("spring.mail.host", () -> "127.0.0.1");
        registry.add("spring.mail.port", SMTP::port);
        registry.add("reactive-smtp.tls.policy", () -> "none"); // the test server has no TLS
        registry.add("management.endpoint.health.show-details", () -> "always");
    }

    @AfterAll
    static void stop() {
        SMTP.close();
    }

    private WebTestClient client() {
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(15))
                .build();
    }

    @Test
    void aRequestSendsAMailThroughTheAutoConfiguredClient() {
        client().post().uri("/mail?to=bob@example.com").bodyValue("Hello from WebFlux\r\n")
                .exchange()
                .expectStatus().isOk()
                .expectBody(String.class).isEqualTo("DELIVERED 250");
        List<SubethaSmtpServer.ReceivedMessage> got = SMTP.awaitMessages(1, Duration.ofSeconds(10));
        assertThat(got.get(0).recipients()).containsExactly("bob@example.com");
        assertThat(got.get(0).dataAsString()).contains("Subject: from the sample").contains("Hello from WebFlux");
    }

    @Test
    void theActuatorShowsTheSmtpHealth() {
        String body = client().get().uri("/actuator/health/smtp")
                .exchange()
                .expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(body.replace(" ", "")).contains("\"status\":\"UP\"")
                .contains("\"server\":\"127.0.0.1:" + SMTP.port() + "\"").contains("\"tls\":\"none\"");
    }

    @Test
    void aBadAddressIsABadRequestAndNothingIsSent() {
        int before = SMTP.messages().size();
        client().post().uri("/mail?to={to}", "bob@example.com>\r\nRCPT TO:<eve@example.com").bodyValue("x")
                .exchange()
                .expectStatus().isBadRequest();
        assertThat(SMTP.messages()).hasSize(before);
    }
}
