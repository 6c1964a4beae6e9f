package io.reactivesmtp.spring;

import io.reactivesmtp.reactor.SmtpClientOptions;

/**
 * Changes the options of the auto-configured {@code SmtpClient} after the properties were applied. Beans of this
 * type run in their {@code @Order}; the starter's own (metrics, observations) run first, so an application's
 * customizer can replace what they set.
 *
 * <pre>{@code
 * @Bean
 * SmtpClientOptionsCustomizer newsletterTags(MeterRegistry registry) {
 *     return builder -> builder.eventListener(MicrometerEventListener.builder(registry)
 *             .commonTags(Tags.of("app", "newsletter")).build());
 * }
 * }</pre>
 */
@FunctionalInterface
public interface SmtpClientOptionsCustomizer {

    /** @param builder the options built from the properties so far */
    void customize(SmtpClientOptions.Builder builder);
}
