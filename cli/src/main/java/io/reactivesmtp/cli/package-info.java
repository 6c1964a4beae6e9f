/**
 * The {@code reactive-smtp} command line ({@code send}, {@code bulk}, {@code probe}, {@code demo}, {@code enqueue},
 * {@code worker}, {@code bounces}): options parsed by picocli, then a call into the library. Not API: the program is the interface.
 */
package io.reactivesmtp.cli;
