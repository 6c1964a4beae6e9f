/**
 * MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) for delivering to recipients' MX hosts:
 * {@link io.reactivesmtp.reactor.mtasts.MtaStsPolicies} finds, fetches, validates and caches a domain's policy
 * ({@link io.reactivesmtp.reactor.mtasts.MtaStsPolicy#matches(String)} says which MX hosts it allows);
 * {@link io.reactivesmtp.reactor.mtasts.TlsReporting} counts sessions per policy and writes the aggregate report;
 * {@link io.reactivesmtp.reactor.mtasts.TlsRptRecord} says where a domain wants it. TXT records come through a
 * {@link io.reactivesmtp.reactor.mtasts.TxtLookup}, e.g. {@link io.reactivesmtp.reactor.mtasts.DnsTxtLookup}.
 * In MX routing: {@code Routing.mx(resolver).withTlsPolicies(mtaStsPolicies).withTlsReporting(tlsReporting)}.
 * All public types of this package are API; the machinery is in {@code io.reactivesmtp.reactor.internal.mtasts}.
 */
package io.reactivesmtp.reactor.mtasts;
