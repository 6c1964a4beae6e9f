package io.reactivesmtp.cli;

import io.reactivesmtp.MailAddress;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/**
 * The recipients file of {@code bulk}: one address per line; blank lines and lines starting with {@code #}
 * are ignored. Read lazily, one line per demanded recipient, so a file of ten million lines never sits in
 * memory: {@link #recipients} is a {@code Flux} over a {@link BufferedReader} that reads only as far as its
 * subscriber requested and closes the file when it completes, fails or is cancelled.
 */
final class RecipientFile {

    /** Up to this size the lines are counted before sending, for an ETA; bigger files get none. */
    static final long COUNT_LINES_MAX_BYTES = 64L * 1024 * 1024;

    /**
     * One recipient and where it came from.
     *
     * @param line its line number, from 1
     * @param address the address
     */
    record Recipient(long line, MailAddress address) {
    }

    /** Told about each line that is not an address (and is not blank or a comment). */
    interface BadLineHandler {
        /**
         * @param line the line number, from 1
         * @param text the line
         * @param reason why it is not an address
         */
        void badLine(long line, String text, String reason);
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
     * @return the recipients, in file order; a read error fails the Flux with an {@link UncheckedIOException}
     */
    static Flux<Recipient> recipients(Path file, BadLineHandler badLines, Set<String> skip, AtomicLong skipped,
            AtomicLong linesRead) {
        return Flux.using(
                () -> Files.newBufferedReader(file, StandardCharsets.UTF_8),
                reader -> Flux.<Recipient>generate(sink -> {
                    try {
                        // Skip comments, blank lines, bad lines and skipped addresses: emit at most one recipient.
                        while (true) {
                            String raw = reader.readLine();
                            if (raw == null) {
                                sink.complete();
                                return;
                            }
                            long n = linesRead.incrementAndGet();
                            String text = raw.strip();
                            if (n == 1 && !text.isEmpty() && text.charAt(0) == '\uFEFF') {
                                text = text.substring(1).strip();
                            }
                            if (text.isEmpty() || text.startsWith("#")) {
                                continue;
                            }
                            MailAddress address;
                            try {
                                address = MailAddress.of(text);
                            } catch (IllegalArgumentException e) {
                                badLines.badLine(n, raw, e.getMessage());
                                continue;
                            }
                            if (skip.contains(address.toString())) {
                                skipped.incrementAndGet();
                                continue;
                            }
                            sink.next(new Recipient(n, address));
                            return;
                        }
                    } catch (IOException e) {
                        sink.error(new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e));
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
