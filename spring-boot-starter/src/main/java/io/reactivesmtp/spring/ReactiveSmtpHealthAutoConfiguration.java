package io.reactivesmtp.spring;

import io.reactivesmtp.reactor.SmtpClient;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * The {@code smtp} health indicator ({@link SmtpHealthIndicator}) for the application's {@code SmtpClient}, its own or
 * the auto-configured one, when Spring Boot's health support is on the class path. Off with
 * {@code management.health.smtp.enabled=false}.
 */
@AutoConfiguration(after = ReactiveSmtpAutoConfiguration.class)
@ConditionalOnClass({SmtpClient.class, ReactiveHealthIndicator.class})
@ConditionalOnBean(SmtpClient.class)
@ConditionalOnEnabledHealthIndicator("smtp")
@EnableConfigurationProperties(ReactiveSmtpProperties.class)
public class ReactiveSmtpHealthAutoConfiguration {

    /**
     * @param client the client to check
     * @param properties reactive-smtp.health.timeout and cache-ttl
     * @return the indicator, named {@code smtp} in the health endpoint
     */
    @Bean
    @ConditionalOnMissingBean(name = "smtpHealthIndicator")
    public SmtpHealthIndicator smtpHealthIndicator(SmtpClient client, ReactiveSmtpProperties properties) {
        return new SmtpHealthIndicator(client, properties.getHealth().getTimeout(), properties.getHealth().getCacheTtl());
    }
}
