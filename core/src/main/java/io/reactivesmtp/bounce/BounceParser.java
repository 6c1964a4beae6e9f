package io.reactivesmtp.bounce;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Objects;
import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.io.MaxHeaderLengthLimitException;
import org.apache.james.mime4j.io.MaxHeaderLimitException;
import org.apache.james.mime4j.io.MaxLineLimitException;
import org.apache.james.mime4j.io.MaxNestingDepthLimitException;
import org.apache.james.mime4j.io.MaxPartCountLimitException;

/**
 * Reads a bounce or a complaint into a {@link BounceReport}: an RFC 3464 delivery status notification
 * ({@code message/delivery-status}, or RFC 6533's {@code message/global-delivery-status} with {@code utf-8}
 * addresses), an RFC 5965 feedback report ({@code message/feedback-report}), or a bounce without either, read from
 * its text with a {@link BounceReport.Confidence} that says how sure it is. The MIME structure is read by mime4j;
 * the report parts are read tolerantly (see {@link BounceReport#notes()}).
 *
 * <pre>{@code
 * BounceParser parser = BounceParser.defaults();
 * try (InputStream in = Files.newInputStream(path)) {
 *     BounceReport report = parser.parse(in);
 *     report.suppressions().forEach(suppressionList::add);
 * } catch (BounceParseException e) {
 *     // too large, beyond the bounds, or not MIME enough to read: e.reason()
 * }
 * }</pre>
 *
 * <p>Memory is bounded whatever the input: the parts the parser reads are kept up to {@link Builder#maxPartBytes}
 * each (the rest of a part is skipped, with a note), header fields, lines, parts and nesting are bounded through
 * mime4j's {@code MimeConfig}, and a message longer than {@link Builder#maxMessageBytes} is refused. A parser is
 * immutable and thread-safe.
 */
public final class BounceParser {

    /** The longest message read: 32 MiB. */
    public static final long DEFAULT_MAX_MESSAGE_BYTES = 32L * 1024 * 1024;
    /** The most of one part (delivery status, feedback report, text, returned headers) kept: 256 KiB. */
    public static final int DEFAULT_MAX_PART_BYTES = 256 * 1024;
    /** Header fields per entity: 1,000. */
    public static final int DEFAULT_MAX_HEADER_FIELDS = 1000;
    /** The longest line: 100,000 bytes. */
    public static final int DEFAULT_MAX_LINE_BYTES = 100_000;
    /** MIME parts per message: 200. */
    public static final int DEFAULT_MAX_PARTS = 200;
    /** Recipients per report: 1,000. */
    public static final int DEFAULT_MAX_RECIPIENTS = 1000;

    private static final BounceParser DEFAULTS = builder().build();

    final long maxMessageBytes;
    final int maxPartBytes;
    final int maxHeaderFields;
    final int maxLineBytes;
    final int maxParts;
    final int maxRecipients;

    private BounceParser(Builder b) {
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxPartBytes = b.maxPartBytes;
        this.maxHeaderFields = b.maxHeaderFields;
        this.maxLineBytes = b.maxLineBytes;
        this.maxParts = b.maxParts;
        this.maxRecipients = b.maxRecipients;
    }

    /** @return a parser with the {@code DEFAULT_*} bounds */
    public static BounceParser defaults() {
        return DEFAULTS;
    }

    /** @return a builder starting from the {@code DEFAULT_*} bounds */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Reads one message (RFC 5322, any line endings) from a stream, which it does not close.
     *
     * @param message the message
     * @return what the message is and says
     * @throws BounceParseException if it cannot be read within the bounds, or the stream fails
     */
    public BounceReport parse(InputStream message) throws BounceParseException {
        Objects.requireNonNull(message, "message");
        CountingInput counted = new CountingInput(message, maxMessageBytes);
        try {
            MessageParts parts = MessageParts.read(counted, this);
            // Read to the end, so that the size bound holds whatever mime4j left unread (a single part's body).
            counted.transferTo(OutputStream.nullOutputStream());
            return ReportBuilder.build(parts, maxRecipients);
        } catch (CountingInput.TooLargeException e) {
            throw new BounceParseException(BounceParseException.Reason.TOO_LARGE,
                    "the message is larger than " + maxMessageBytes + " bytes", null);
        } catch (MaxHeaderLimitException | MaxHeaderLengthLimitException | MaxLineLimitException
                 | MaxNestingDepthLimitException | MaxPartCountLimitException e) {
            throw new BounceParseException(BounceParseException.Reason.LIMIT_EXCEEDED,
                    "beyond the parser's bounds: " + e.getMessage(), e);
        } catch (MimeException e) {
            throw new BounceParseException(limit(e) ? BounceParseException.Reason.LIMIT_EXCEEDED
                    : BounceParseException.Reason.MALFORMED, "not a readable MIME message: " + e.getMessage(), e);
        } catch (IOException e) {
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof CountingInput.TooLargeException) {
                    throw new BounceParseException(BounceParseException.Reason.TOO_LARGE,
                            "the message is larger than " + maxMessageBytes + " bytes", null);
                }
            }
            if (e.getCause() instanceof MimeException m) {
                throw new BounceParseException(limit(m) ? BounceParseException.Reason.LIMIT_EXCEEDED
                        : BounceParseException.Reason.MALFORMED, "not a readable MIME message: " + m.getMessage(), e);
            }
            throw new BounceParseException(BounceParseException.Reason.READ_ERROR,
                    "cannot read the message: " + e.getMessage(), e);
        }
    }

    private static boolean limit(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof MaxHeaderLimitException || t instanceof MaxHeaderLengthLimitException
                    || t instanceof MaxLineLimitException || t instanceof MaxNestingDepthLimitException
                    || t instanceof MaxPartCountLimitException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Reads one message from bytes.
     *
     * @param message the message
     * @return what the message is and says
     * @throws BounceParseException if it cannot be read within the bounds
     */
    public BounceReport parse(byte[] message) throws BounceParseException {
        return parse(new ByteArrayInputStream(Objects.requireNonNull(message, "message")));
    }

    /** The bounds of a {@link BounceParser}; each must be at least 1. */
    public static final class Builder {
        private long maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES;
        private int maxPartBytes = DEFAULT_MAX_PART_BYTES;
        private int maxHeaderFields = DEFAULT_MAX_HEADER_FIELDS;
        private int maxLineBytes = DEFAULT_MAX_LINE_BYTES;
        private int maxParts = DEFAULT_MAX_PARTS;
        private int maxRecipients = DEFAULT_MAX_RECIPIENTS;

        private Builder() {
        }

        /** @param n the longest message read, in bytes @return this */
        public Builder maxMessageBytes(long n) {
            this.maxMessageBytes = positive("maxMessageBytes", n);
            return this;
        }

        /** @param n the most of one part kept, in bytes (after transfer decoding) @return this */
        public Builder maxPartBytes(int n) {
            this.maxPartBytes = (int) positive("maxPartBytes", n);
            return this;
        }

        /** @param n header fields per entity @return this */
        public Builder maxHeaderFields(int n) {
            this.maxHeaderFields = (int) positive("maxHeaderFields", n);
            return this;
        }

        /** @param n the longest line, in bytes @return this */
        public Builder maxLineBytes(int n) {
            this.maxLineBytes = (int) positive("maxLineBytes", n);
            return this;
        }

        /** @param n MIME parts per message @return this */
        public Builder maxParts(int n) {
            this.maxParts = (int) positive("maxParts", n);
            return this;
        }

        /** @param n recipients per report (more are dropped, with a note) @return this */
        public Builder maxRecipients(int n) {
            this.maxRecipients = (int) positive("maxRecipients", n);
            return this;
        }

        /** @return the parser */
        public BounceParser build() {
            return new BounceParser(this);
        }

        private static long positive(String name, long n) {
            if (n < 1) {
                throw new IllegalArgumentException(name + " must be at least 1, not " + n);
            }
            return n;
        }
    }
}
