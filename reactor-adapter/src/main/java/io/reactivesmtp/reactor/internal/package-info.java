/** The client's machinery: session pools, permits, routing and report merging. Not a public API. */
package io.reactivesmtp.reactor.internal;
