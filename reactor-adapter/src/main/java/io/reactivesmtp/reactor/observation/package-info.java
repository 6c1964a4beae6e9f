/**
 * Micrometer Observation for the client (API; needs {@code io.micrometer:micrometer-observation}, an optional
 * dependency): {@link io.reactivesmtp.reactor.observation.ObservationSmtpInstrumentation} makes one observation per
 * message and one per connection opened, which a Micrometer tracer turns into spans and a meter handler into timers.
 */
package io.reactivesmtp.reactor.observation;
