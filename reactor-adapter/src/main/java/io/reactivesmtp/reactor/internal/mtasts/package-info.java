/**
 * The machinery of MTA-STS and TLS-RPT: TXT answers and records, the policy fetch over HTTPS, its parser and
 * cache, the JSON of the aggregate report. Not a public API: use {@code io.reactivesmtp.reactor.mtasts}.
 */
package io.reactivesmtp.reactor.internal.mtasts;
