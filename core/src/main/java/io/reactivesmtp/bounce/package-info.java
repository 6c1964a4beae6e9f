/**
 * Reading bounces and complaints: {@link io.reactivesmtp.bounce.BounceParser} turns a returned message into a
 * {@link io.reactivesmtp.bounce.BounceReport}: an RFC 3464 delivery status notification (with the RFC 6533 UTF-8
 * forms), an RFC 5965 (ARF) feedback report, or a non-standard bounce read from its text, each saying how sure it
 * is of the addresses it names. Anything it cannot read, within its bounds, is one
 * {@link io.reactivesmtp.bounce.BounceParseException}. The MIME structure is read by Apache James mime4j. All public
 * types of this package are API; the package-private ones are not.
 */
package io.reactivesmtp.bounce;
