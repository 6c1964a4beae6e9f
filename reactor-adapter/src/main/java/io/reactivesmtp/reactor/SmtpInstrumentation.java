package io.reactivesmtp.reactor;

import io.reactivesmtp.SendReport;
import reactor.core.publisher.Mono;

/**
 * Wraps the client's work for tracing and timing: each message (with all its attempts) and each connection being
 * opened (connect, greeting, EHLO, TLS, AUTH) is handed to the instrumentation as a cold {@code Mono}, which it may
 * decorate, for example to start an observation when it is subscribed and stop it when it ends, and to put that
 * observation in the Reactor {@code Context} so that work underneath becomes its child. Unlike
 * {@link SmtpEventListener}, which hears about events one by one, this sees each unit of work from start to end.
 *
 * <p>{@link #NONE} changes nothing. {@code io.reactivesmtp.reactor.observation.ObservationSmtpInstrumentation} is
 * the Micrometer Observation implementation:
 *
 * <pre>{@code
 * SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
 *         .relay("smtp.example.com", 587)
 *         .instrumentation(ObservationSmtpInstrumentation.create(observationRegistry))
 *         .build());
 * }</pre>
 *
 * <p>Implementations must return a Mono that emits what the given one emits (they may only observe it), must keep
 * it cold, and must not block or throw.
 */
public interface SmtpInstrumentation {

    /** Instrumentation that leaves everything as it is. */
    SmtpInstrumentation NONE = new SmtpInstrumentation() {
        @Override
        public String toString() {
            return "SmtpInstrumentation.NONE";
        }
    };

    /**
     * One message, from the first attempt to the last: {@code SmtpClient.send} and each message of
     * {@code sendAll}.
     *
     * @param message the message (its id, envelope and content)
     * @param destination where the client sends: the first relay's {@code host:port}, or {@code mx} in MX mode; a
     *     value of low cardinality, fit for a tag
     * @param send the cold send
     * @return {@code send}, possibly decorated
     */
    default Mono<SendReport> message(OutgoingMessage message, String destination, Mono<SendReport> send) {
        return send;
    }

    /**
     * Opening one pooled connection, until its session is ready for mail or failed.
     *
     * @param destination the server, {@code host:port}
     * @param connect the cold connect; it emits the pooled session (not part of the API) or an
     *     {@link io.reactivesmtp.SmtpException}
     * @param <T> the pooled session's type
     * @return {@code connect}, possibly decorated
     */
    default <T> Mono<T> connection(String destination, Mono<T> connect) {
        return connect;
    }
}
