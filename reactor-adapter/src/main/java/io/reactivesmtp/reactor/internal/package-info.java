/**
 * The client's machinery: session pools under one connection budget over all destinations, permits, routing,
 * report merging, adaptive pacing ({@code AdaptivePacing}, {@code PacingSite}) and the warm-up gate
 * ({@code WarmupGate}). Not a public API.
 */
package io.reactivesmtp.reactor.internal;
