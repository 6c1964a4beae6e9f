/**
 * {@code reactive-smtp probe} as library code: one connection over core's {@code SmtpConnector} that records what
 * the server offers ({@link io.reactivesmtp.cli.probe.Probe}), the findings as records
 * ({@link io.reactivesmtp.cli.probe.ProbeResult}) and their text and JSON renderings; and {@code probe --mx}
 * ({@link io.reactivesmtp.cli.probe.MxProbe}): a recipient domain's MX hosts, MTA-STS policy and TLSA records, each
 * host probed under its TLS level ({@link io.reactivesmtp.cli.probe.MxProbeResult}).
 */
package io.reactivesmtp.cli.probe;
