/**
 * Spring Boot auto-configuration for Reactive SMTP (API): an {@code SmtpClient} bean built from {@code spring.mail.*}
 * and {@code reactive-smtp.*}, {@link io.reactivesmtp.spring.SmtpClientOptionsCustomizer} hooks, a reactive health
 * indicator, Micrometer metrics and observations.
 */
package io.reactivesmtp.spring;
