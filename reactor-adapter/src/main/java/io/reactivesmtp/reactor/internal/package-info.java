/**
 * The client's machinery: session pools under one connection budget over all destinations, permits, routing and
 * report merging. Not a public API.
 */
package io.reactivesmtp.reactor.internal;
