/**
 * The SMTP client's public face without Reactor: connect with {@link io.reactivesmtp.SmtpConnector}, send an
 * {@link io.reactivesmtp.Envelope} and a {@link io.reactivesmtp.MessageContent} over an
 * {@link io.reactivesmtp.SmtpSession}, and read the {@link io.reactivesmtp.SendReport}: what the server answered
 * each recipient. Options, addresses, credentials (with OAuth 2.0 {@link io.reactivesmtp.TokenProvider}s), results
 * and the typed {@link io.reactivesmtp.SmtpException}s are here too. All
 * public types of this package are API.
 */
package io.reactivesmtp;
