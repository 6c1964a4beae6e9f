/**
 * DKIM signing (RFC 6376, with Ed25519-SHA256 from RFC 8463) of content as it is sent: build a
 * {@link io.reactivesmtp.dkim.DkimSigner} once, then send {@code content.signedWith(signer)}.
 */
package io.reactivesmtp.dkim;
