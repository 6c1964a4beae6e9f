/**
 * The client applications use: {@link io.reactivesmtp.reactor.SmtpClient} with cold {@code Mono}/{@code Flux}
 * sends over pooled sessions, routing through relays or to recipients' MX hosts (at Postfix's TLS levels, with DANE and
 * a seam for MTA-STS policies: {@link io.reactivesmtp.reactor.MxTlsPolicySource}), retries of transient failures only,
 * rate limits, adaptive pacing and warm-up schedules per site ({@link io.reactivesmtp.reactor.Pacing},
 * {@link io.reactivesmtp.reactor.Warmup}), events and Micrometer metrics, and the {@link io.reactivesmtp.reactor.SmtpInstrumentation} hook (its
 * Micrometer Observation implementation is in {@code io.reactivesmtp.reactor.observation}). All public types of this
 * package are API; the machinery is in {@code io.reactivesmtp.reactor.internal}.
 */
package io.reactivesmtp.reactor;
