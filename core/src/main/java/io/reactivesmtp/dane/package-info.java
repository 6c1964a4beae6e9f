/**
 * DANE for SMTP (RFC 7672, RFC 6698): {@link io.reactivesmtp.dane.TlsaRecord} values and the
 * {@link io.reactivesmtp.dane.DaneTrustManager} that authenticates an MX host by them. The TLSA lookup itself
 * (DNSSEC-validated, through the AD bit of a trusted resolver) is in the reactor adapter; this package never does
 * DNS.
 */
package io.reactivesmtp.dane;
