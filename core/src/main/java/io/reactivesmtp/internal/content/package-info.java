/**
 * Not API: the content sources behind {@link io.reactivesmtp.MessageContent} (array, buffer, file, publisher, the
 * DKIM-signed pass) and the threads they use for work that must not run on an event loop. Each source is one pass
 * over the content, pulled chunk by chunk by the protocol engine through
 * {@link io.reactivesmtp.protocol.ContentSource}.
 */
package io.reactivesmtp.internal.content;
