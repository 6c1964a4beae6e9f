package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Flux;

/**
 * The recipients file of {@code bulk}: UTF-8, one address per line; blank lines and lines starting with {@code #}
 * are ignored. Read lazily, one line per demanded recipient, so a file of ten million lines never sits in
 * memory: {@link #recipients} is a {@code Flux} over a {@link LineReader} that reads only as far as its
 * subscriber requested and closes the file when it completes, fails or is cancelled.
 *
 * <p>Only LF ends a line (a CR right before it is dropped). Each line is decoded on its own, so a line that is
 * not UTF-8, holds a control character (a bare CR, NUL, ...) or is longer than {@link #MAX_LINE_BYTES} is one
 * bad line, reported with its number and skipped, and every later line keeps its number.
 */
final class RecipientFile {

    /** Up to this size the lines are counted before sending, for an ETA; bigger files get none. */
    static final long COUNT_LINES_MAX_BYTES = 64L * 1024 * 1024;

    /** A longer line is a bad line (an address has at most 254 octets; this leaves room for spaces). */
    static final int MAX_LINE_BYTES = 4096;

    /**
     * One recipient and where it came from.
     *
     * @param line its line number, from 1
     * @param address the address
     * @param text the address as {@link MailAddress#toString()}, made once for the report and the skip lists
     */
    record Recipient(long line, MailAddress address, String text) {
        Recipient(long line, MailAddress address) {
            this(line, address, address.toString());
        }
    }

    /** Told about each line that is not an address (and is not blank or a comment). */
    interface BadLineHandler {
        /**
         * @param line the line number, from 1
         * @param text the line (as far as it could be decoded)
         * @param reason why it is not an address
         */
        void badLine(long line, String text, String reason);
    }

    /**
     * One line of the file: its text, or why it is not text.
     *
     * @param number its number, from 1
     * @param text the decoded line without its line ending, or null when {@code problem} is set
     * @param problem why the line is not text (not UTF-8, a control character, too long), or null
     */
    record Line(long number, String text, String problem) {
    }

    /**
     * Splits a byte stream into lines at LF only and decodes each line as UTF-8 on its own (a decoder set to
     * REPORT, so a bad byte spoils its line, not the file). Memory is bounded: a line past
     * {@link #MAX_LINE_BYTES} is not kept, only reported.
     */
    static final class LineReader implements Closeable {
        private final InputStream in;
        private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        private final byte[] buf = new byte[64 * 1024];
        private int pos;
        private int limit;
        private final byte[] line = new byte[MAX_LINE_BYTES + 1];
        private long number;

        LineReader(InputStream in) {
            this.in = in;
        }

        /** @return the next line, or null at the end of the file */
        Line next() throws IOException {
            int length = 0;
            long total = 0;
            boolean any = false;
            while (true) {
                if (pos == limit) {
                    limit = in.read(buf);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        if (!any) {
                            return null;
                        }
                        break; // the last line has no LF
                    }
                }
                any = true;
                byte b = buf[pos++];
                if (b == '\n') {
                    break;
                }
                if (length < line.length) {
                    line[length++] = b;
                }
                total++;
            }
            number++;
            if (length > 0 && line[length - 1] == '\r' && total <= MAX_LINE_BYTES + 1) {
                length--;
                total--;
            }
            if (total > MAX_LINE_BYTES) {
                return new Line(number, null, "longer than " + MAX_LINE_BYTES + " bytes");
            }
            String text;
            try {
                text = decoder.reset().decode(ByteBuffer.wrap(line, 0, length)).toString();
            } catch (CharacterCodingException e) {
                return new Line(number, null, "not UTF-8 text (the recipients file's charset must be UTF-8)");
            }
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c != '\t' && (c < 0x20 || c >= 0x7f && c <= 0x9f)) {
                    return new Line(number, null, String.format(Locale.ROOT,
                            "control character U+%04X at column %d (only LF, or CR LF, ends a line)", (int) c, i + 1));
                }
            }
            if (number == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') {
                text = text.substring(1);
            }
            return new Line(number, text, null);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private RecipientFile() {
    }

    /**
     * The recipients of a file, lazily.
     *
     * @param file the file (UTF-8)
     * @param badLines told about every line that is neither blank, a comment nor an address; it is skipped
     * @param skip addresses (as {@link MailAddress#toString()}) to leave out, counted in {@code skipped}
     * @param skipped counts the recipients left out because of {@code skip}
     * @param linesRead the number of the last line read so far (for progress)
     * @return the recipients, in file order; a read error (the disk, not the content) fails the Flux with an
     *     {@link UncheckedIOException}
     */
    static Flux<Recipient> recipients(Path file, BadLineHandler badLines, Set<String> skip, AtomicLong skipped,
            AtomicLong linesRead) {
        return recipients(file, in -> in, badLines, skip, skipped, linesRead);
    }

    /**
     * The recipients of a file, lazily, read through a wrapper of its stream (tests wrap it to fail).
     *
     * @see #recipients(Path, BadLineHandler, Set, AtomicLong, AtomicLong)
     */
    static Flux<Recipient> recipients(Path file, UnaryOperator<InputStream> wrap, BadLineHandler badLines,
            Set<String> skip, AtomicLong skipped, AtomicLong linesRead) {
        return recipients(file, wrap, badLines, address -> {
            if (skip.contains(address)) {
                skipped.incrementAndGet();
                return true;
            }
            return false;
        }, linesRead);
    }

    /**
     * The recipients of a file, lazily, read through a wrapper of its stream, leaving out those {@code skip} says
     * (it counts them itself).
     *
     * @see #recipients(Path, BadLineHandler, Set, AtomicLong, AtomicLong)
     */
    static Flux<Recipient> recipients(Path file, UnaryOperator<InputStream> wrap, BadLineHandler badLines,
            Predicate<String> skip, AtomicLong linesRead) {
        return Flux.using(
                () -> new LineReader(wrap.apply(Files.newInputStream(file))),
                reader -> Flux.<Recipient>generate(sink -> {
                    try {
                        // Skip comments, blank lines, bad lines and skipped addresses: emit at most one recipient.
                        while (true) {
                            Line l = reader.next();
                            if (l == null) {
                                sink.complete();
                                return;
                            }
                            long n = l.number();
                            linesRead.set(n);
                            if (l.problem() != null) {
                                badLines.badLine(n, "", l.problem());
                                continue;
                            }
                            String text = l.text().strip();
                            if (text.isEmpty() || text.startsWith("#")) {
                                continue;
                            }
                            MailAddress address;
                            try {
                                address = MailAddress.of(text);
                            } catch (IllegalArgumentException e) {
                                badLines.badLine(n, l.text(), e.getMessage());
                                continue;
                            }
                            Recipient recipient = new Recipient(n, address);
                            if (skip.test(recipient.text())) {
                                continue;
                            }
                            sink.next(recipient);
                            return;
                        }
                    } catch (IOException e) {
                        sink.error(new UncheckedIOException("cannot read " + file + " after line " + linesRead.get()
                                + ": " + e.getMessage(), e));
                    }
                }),
                reader -> {
                    try {
                        reader.close();
                    } catch (IOException ignored) {
                        // Only read from: nothing lost.
                    }
                });
    }

    /**
     * Whether a file holds text at all: reads lines until one is non-blank UTF-8 text without control characters.
     *
     * @param file the file
     * @return empty when some line is text (or the file is empty); otherwise the number of lines, none of them text
     * @throws IOException if it cannot be read
     */
    static OptionalLong linesIfNoText(Path file) throws IOException {
        try (LineReader reader = new LineReader(Files.newInputStream(file))) {
            long lines = 0;
            Line l;
            while ((l = reader.next()) != null) {
                lines = l.number();
                if (l.problem() == null && !l.text().isBlank()) {
                    return OptionalLong.empty();
                }
            }
            return lines == 0 ? OptionalLong.empty() : OptionalLong.of(lines);
        }
    }

    /**
     * Counts the lines of a small file cheaply (newlines in 64 KiB blocks), for an ETA.
     *
     * @param file the file
     * @return the number of lines, or empty when the file is bigger than {@link #COUNT_LINES_MAX_BYTES} or
     *     cannot be read
     */
    static OptionalLong countLinesIfSmall(Path file) {
        try {
            if (Files.size(file) > COUNT_LINES_MAX_BYTES) {
                return OptionalLong.empty();
            }
            long lines = 0;
            int last = '\n';
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    for (int i = 0; i < n; i++) {
                        if (buf[i] == '\n') {
                            lines++;
                        }
                    }
                    last = buf[n - 1];
                }
            }
            return OptionalLong.of(last == '\n' ? lines : lines + 1);
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }
}
