package io.reactivesmtp.spring.sample;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.reactor.SmtpClient;
import java.nio.charset.StandardCharsets;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import reactor.core.publisher.Mono;

/**
 * A WebFlux application that sends mail through the auto-configured {@link SmtpClient}: nothing to configure but
 * {@code spring.mail.host}. {@code POST /mail?to=bob@example.com} with the message text as the body answers with the
 * server's verdict, without blocking a request thread.
 */
@SpringBootApplication
public class SampleMailApplication {

    /** The controller: the client is an ordinary bean. */
    @RestController
    static class MailController {

        private final SmtpClient smtp;

        MailController(SmtpClient smtp) {
            this.smtp = smtp;
        }

        @PostMapping("/mail")
        Mono<String> send(@RequestParam("to") String to, @RequestBody String text) {
            Envelope envelope;
            try {
                envelope = Envelope.of("app@example.com", to);
            } catch (IllegalArgumentException e) {
                // Bad input fails before any byte goes to the server, with the reason.
                return Mono.error(new ResponseStatusException(HttpStatus.BAD_REQUEST, e.getMessage()));
            }
            byte[] message = ("From: app@example.com\r\nTo: " + to + "\r\nSubject: from the sample\r\n\r\n" + text)
                    .getBytes(StandardCharsets.UTF_8);
            return smtp.send(envelope, MessageContent.of(message))
                    .map(report -> report.outcome() + " " + report.dataReply().map(r -> r.code()).orElse(0));
        }
    }
}
