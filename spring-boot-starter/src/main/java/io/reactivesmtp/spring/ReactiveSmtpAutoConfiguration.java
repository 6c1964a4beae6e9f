package io.reactivesmtp.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.reactivesmtp.TokenProvider;
import io.reactivesmtp.reactor.MicrometerEventListener;
import io.reactivesmtp.reactor.SmtpClient;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.observation.ObservationSmtpInstrumentation;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;

/**
 * Creates an {@link SmtpClient} bean from {@code spring.mail.*} and {@code reactive-smtp.*} when
 * {@code spring.mail.host} is set and the application has no {@code SmtpClient} of its own. The client is disposed
 * with the context (QUIT on idle sessions, event loops shut down).
 *
 * <p>With Micrometer on the class path and a {@code MeterRegistry} bean, the client's meters go to it
 * ({@link MicrometerEventListener}); with an {@code ObservationRegistry} bean, every message and connection is
 * observed ({@link ObservationSmtpInstrumentation}). A {@link TokenProvider} bean switches AUTH to OAuth 2.0.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
        "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration"})
@ConditionalOnClass(SmtpClient.class)
@ConditionalOnProperty(prefix = "spring.mail", name = "host")
@ConditionalOnBooleanProperty(name = "reactive-smtp.enabled", matchIfMissing = true)
@EnableConfigurationProperties({SpringMailProperties.class, ReactiveSmtpProperties.class})
public class ReactiveSmtpAutoConfiguration {

    /** The order of the starter's own customizers: before the application's (which default to the lowest). */
    static final int STARTER_ORDER = 0;

    /**
     * @param mail the spring.mail keys
     * @param smtp the reactive-smtp keys
     * @param tokens the application's OAuth 2.0 token provider, if any
     * @param customizers every customizer, in order
     * @return the client; disposed with the context
     */
    @Bean(destroyMethod = "dispose")
    @ConditionalOnMissingBean
    public SmtpClient smtpClient(SpringMailProperties mail, ReactiveSmtpProperties smtp,
                                 ObjectProvider<TokenProvider> tokens,
                                 ObjectProvider<SmtpClientOptionsCustomizer> customizers) {
        SmtpClientOptions.Builder builder = SmtpClientOptionsFactory.create(mail, smtp, tokens.getIfUnique());
        customizers.orderedStream().forEach(c -> c.customize(builder));
        return SmtpClient.create(builder.build());
    }

    /** Meters in the application's registry, when Micrometer is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterRegistry.class)
    @ConditionalOnBooleanProperty(name = "reactive-smtp.observations.metrics", matchIfMissing = true)
    static class MetricsConfiguration {

        @Bean
        @Order(STARTER_ORDER)
        SmtpClientOptionsCustomizer smtpClientMetrics(ObjectProvider<MeterRegistry> registry) {
            return builder -> registry.ifAvailable(r -> builder.eventListener(new MicrometerEventListener(r)));
        }
    }

    /** Observations (spans, timers), when Micrometer Observation is there. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ObservationRegistry.class)
    @ConditionalOnBooleanProperty(name = "reactive-smtp.observations.enabled", matchIfMissing = true)
    static class ObservationConfiguration {

        @Bean
        @Order(STARTER_ORDER)
        SmtpClientOptionsCustomizer smtpClientObservations(ObjectProvider<ObservationRegistry> registry) {
            return builder -> registry.ifAvailable(
                    r -> builder.instrumentation(ObservationSmtpInstrumentation.create(r)));
        }
    }
}
