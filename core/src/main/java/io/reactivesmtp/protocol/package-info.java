/**
 * The wire protocol of one connection on Netty: the strict reply decoder and request encoder
 * ({@link io.reactivesmtp.protocol.SmtpClientCodec}), the DATA encoder (dot-stuffing, CRLF), the session state
 * machine with its FIFO of pending commands, the mail transaction and AUTH mechanisms. Applications use
 * {@link io.reactivesmtp.SmtpSession} instead; the public types here are public for the other modules and for
 * tests, not API, and may change in any release.
 */
package io.reactivesmtp.protocol;
