/**
 * {@code reactive-smtp probe} as library code: one connection over core's {@code SmtpConnector} that records what
 * the server offers ({@link io.reactivesmtp.cli.probe.Probe}), the findings as records
 * ({@link io.reactivesmtp.cli.probe.ProbeResult}) and their text and JSON renderings.
 */
package io.reactivesmtp.cli.probe;
