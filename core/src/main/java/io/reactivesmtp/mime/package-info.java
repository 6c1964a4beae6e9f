/**
 * Composing messages: {@link io.reactivesmtp.mime.ComposedMessage#builder()} builds the header fields, text and
 * HTML bodies, attachments and inline parts of a message, and gives its envelope and a
 * {@link io.reactivesmtp.MessageContent} that streams the parts, encoded as they are read, with constant memory.
 * {@link io.reactivesmtp.mime.MessageLint} checks raw or built messages before they are sent;
 * {@link io.reactivesmtp.mime.JakartaMail} adapts a Jakarta Mail {@code MimeMessage} (optional dependency).
 * All public types of this package are API.
 */
package io.reactivesmtp.mime;
