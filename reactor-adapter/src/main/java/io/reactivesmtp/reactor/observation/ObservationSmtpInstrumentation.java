package io.reactivesmtp.reactor.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.reactor.OutgoingMessage;
import io.reactivesmtp.reactor.SmtpInstrumentation;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import reactor.core.publisher.Mono;
import reactor.util.context.ContextView;

/**
 * Micrometer Observation for the client: one {@code smtp.message} observation per message (all its attempts) and one
 * {@code smtp.connection} observation per connection opened, tagged as {@link SmtpObservationDocumentation} lists.
 * With micrometer-tracing they become spans (a connection opened for a message is the message's child, and a
 * message sent inside a traced request is that request's child, through the Reactor {@code Context}); with a meter
 * handler, timers.
 *
 * <pre>{@code
 * ObservationRegistry registry = ...; // Spring Boot's, or ObservationRegistry.create() with handlers
 * SmtpClient client = SmtpClient.create(SmtpClientOptions.builder()
 *         .relay("smtp.example.com", 587)
 *         .instrumentation(ObservationSmtpInstrumentation.create(registry))
 *         .build());
 * }</pre>
 *
 * <p>With a no-op registry the Monos are returned as they are. Observations start and stop on the threads the
 * sends run on (event loops); nothing blocks.
 */
public final class ObservationSmtpInstrumentation implements SmtpInstrumentation {

    /**
     * The Reactor Context key under which Micrometer keeps the current observation (the value of
     * {@code ObservationThreadLocalAccessor.KEY}; repeated here so that context-propagation need not be present).
     */
    static final String OBSERVATION_KEY = "micrometer.observation";

    private static final SmtpMessageObservationConvention DEFAULT_MESSAGE = new DefaultSmtpMessageObservationConvention();
    private static final SmtpConnectionObservationConvention DEFAULT_CONNECTION =
            new DefaultSmtpConnectionObservationConvention();

    private final ObservationRegistry registry;
    private final SmtpMessageObservationConvention messageConvention;
    private final SmtpConnectionObservationConvention connectionConvention;

    private ObservationSmtpInstrumentation(ObservationRegistry registry, SmtpMessageObservationConvention message,
                                           SmtpConnectionObservationConvention connection) {
        this.registry = registry;
        this.messageConvention = message;
        this.connectionConvention = connection;
    }

    /**
     * @param registry where observations go
     * @return instrumentation with the default conventions
     */
    public static ObservationSmtpInstrumentation create(ObservationRegistry registry) {
        return new ObservationSmtpInstrumentation(Objects.requireNonNull(registry, "registry"), null, null);
    }

    /**
     * @param convention names and tags the message observation instead of the default one
     * @return a copy using it
     */
    public ObservationSmtpInstrumentation messageConvention(SmtpMessageObservationConvention convention) {
        return new ObservationSmtpInstrumentation(registry, Objects.requireNonNull(convention, "convention"),
                connectionConvention);
    }

    /**
     * @param convention names and tags the connection observation instead of the default one
     * @return a copy using it
     */
    public ObservationSmtpInstrumentation connectionConvention(SmtpConnectionObservationConvention convention) {
        return new ObservationSmtpInstrumentation(registry, messageConvention,
                Objects.requireNonNull(convention, "convention"));
    }

    @Override
    public Mono<SendReport> message(OutgoingMessage message, String destination, Mono<SendReport> send) {
        if (registry.isNoop()) {
            return send;
        }
        return Mono.deferContextual(reactorContext -> {
            SmtpMessageObservationContext context = new SmtpMessageObservationContext(message, destination);
            Observation observation = SmtpObservationDocumentation.MESSAGE
                    .observation(messageConvention, DEFAULT_MESSAGE, () -> context, registry);
            return observe(send, observation, reactorContext, context::report, context::cancelled);
        });
    }

    @Override
    public <T> Mono<T> connection(String destination, Mono<T> connect) {
        if (registry.isNoop()) {
            return connect;
        }
        return Mono.deferContextual(reactorContext -> {
            SmtpConnectionObservationContext context = new SmtpConnectionObservationContext(destination);
            Observation observation = SmtpObservationDocumentation.CONNECTION
                    .observation(connectionConvention, DEFAULT_CONNECTION, () -> context, registry);
            return observe(connect, observation, reactorContext, session -> context.ready(), context::cancelled);
        });
    }

    /**
     * Starts the observation as a child of the one in the Reactor context (if any), makes it the current one for
     * the work underneath, and stops it exactly once when the work ends; before the end is signalled downstream, so
     * that whoever waits for the result finds the observation stopped.
     */
    private static <T> Mono<T> observe(Mono<T> work, Observation observation, ContextView reactorContext,
                                       Consumer<T> onValue, Runnable onCancel) {
        Observation parent = reactorContext.getOrDefault(OBSERVATION_KEY, null);
        observation.parentObservation(parent).start();
        AtomicBoolean stopped = new AtomicBoolean();
        Runnable stop = () -> {
            if (stopped.compareAndSet(false, true)) {
                observation.stop();
            }
        };
        return work
                .doOnSuccess(value -> {
                    if (value != null) {
                        onValue.accept(value);
                    }
                    stop.run();
                })
                .doOnError(error -> {
                    observation.error(error);
                    stop.run();
                })
                .doOnCancel(() -> {
                    onCancel.run();
                    stop.run();
                })
                .contextWrite(c -> c.put(OBSERVATION_KEY, observation));
    }

    @Override
    public String toString() {
        return "ObservationSmtpInstrumentation{" + registry.getClass().getSimpleName() + "}";
    }
}
