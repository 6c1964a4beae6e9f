package io.reactivesmtp.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The mailboxes {@code bounces} reads: an mbox file (messages after {@code From } lines, mboxrd's {@code >From }
 * unescaped) or a Maildir directory (the files of {@code new/} and {@code cur/}, by name). Each message is handed
 * over as bytes, at most {@code maxBytes} of it (a longer one is marked {@code tooLarge} and the rest skipped), so
 * memory holds one message at a time whatever the mailbox's size.
 */
final class Mailboxes {

    /**
     * One message of a mailbox.
     *
     * @param source where it is: {@code FILE:LINE} of its {@code From } line, or the Maildir file
     * @param bytes the message (its first {@code maxBytes} bytes when too large)
     * @param tooLarge whether it was longer than {@code maxBytes}
     */
    record Message(String source, byte[] bytes, boolean tooLarge) {
    }

    /** Told about each message. */
    interface Visitor {
        /** @param message the message */
        void message(Message message) throws IOException;
    }

    private static final byte[] FROM = {'F', 'r', 'o', 'm', ' '};

    private Mailboxes() {
    }

    /**
     * Checks that a path is a mailbox, before anything is read.
     *
     * @param input the path
     * @throws IllegalArgumentException naming the input, saying what is wrong
     */
    static void check(Path input) {
        String name = ReportPrinter.oneLine(input.toString());
        if (Files.isDirectory(input)) {
            if (!Files.isDirectory(input.resolve("cur")) && !Files.isDirectory(input.resolve("new"))) {
                throw new IllegalArgumentException(name + " is a directory but not a Maildir (it has no cur/ or new/)");
            }
            return;
        }
        if (!Files.isRegularFile(input) || !Files.isReadable(input)) {
            throw new IllegalArgumentException(name + " is not a readable file or Maildir directory");
        }
        try (InputStream in = Files.newInputStream(input)) {
            byte[] start = in.readNBytes(FROM.length);
            if (start.length > 0 && !startsWithFrom(start, start.length)) {
                throw new IllegalArgumentException(name + " is not an mbox: its line 1 does not start with \"From \"");
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads every message of a mailbox ({@link #check}ed before).
     *
     * @param input an mbox file or a Maildir directory
     * @param maxBytes the most of one message kept
     * @param visitor told about each message, in order
     * @throws IOException if the mailbox cannot be read (the message names it and where)
     */
    static void read(Path input, int maxBytes, Visitor visitor) throws IOException {
        if (Files.isDirectory(input)) {
            readMaildir(input, maxBytes, visitor);
        } else {
            readMbox(input, maxBytes, visitor);
        }
    }

    private static void readMaildir(Path dir, int maxBytes, Visitor visitor) throws IOException {
        for (String sub : List.of("new", "cur")) {
            Path d = dir.resolve(sub);
            if (!Files.isDirectory(d)) {
                continue;
            }
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(d)) {
                for (Path f : s) {
                    if (!f.getFileName().toString().startsWith(".") && Files.isRegularFile(f)) {
                        files.add(f);
                    }
                }
            } catch (IOException e) {
                throw new IOException("cannot list " + d + ": " + e.getMessage(), e);
            }
            files.sort(null);
            for (Path f : files) {
                byte[] bytes;
                try (InputStream in = Files.newInputStream(f)) {
                    bytes = in.readNBytes(maxBytes + 1);
                } catch (IOException e) {
                    throw new IOException("cannot read " + f + ": " + e.getMessage(), e);
                }
                boolean tooLarge = bytes.length > maxBytes;
                visitor.message(new Message(f.toString(), tooLarge ? java.util.Arrays.copyOf(bytes, maxBytes) : bytes,
                        tooLarge));
            }
        }
    }

    private static void readMbox(Path file, int maxBytes, Visitor visitor) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 64 * 1024)) {
            ByteArrayOutputStream message = null;
            ByteArrayOutputStream line = new ByteArrayOutputStream(256);
            long lineNumber = 0;
            long messageLine = 0;
            boolean tooLarge = false;
            boolean blankBefore = true;
            while (true) {
                line.reset();
                int b;
                try {
                    while ((b = in.read()) >= 0) {
                        if (line.size() <= maxBytes) {
                            line.write(b);
                        }
                        if (b == '\n') {
                            break;
                        }
                    }
                } catch (IOException e) {
                    throw new IOException("cannot read " + file + " after line " + lineNumber + ": " + e.getMessage(),
                            e);
                }
                if (line.size() == 0) {
                    break;
                }
                lineNumber++;
                byte[] l = line.toByteArray();
                if (blankBefore && startsWithFrom(l, l.length)) {
                    if (message != null) {
                        visitor.message(new Message(file + ":" + messageLine, message.toByteArray(), tooLarge));
                    }
                    message = new ByteArrayOutputStream(8192);
                    messageLine = lineNumber;
                    tooLarge = false;
                    blankBefore = false;
                    continue;
                }
                blankBefore = l.length == 1 || l.length == 2 && l[0] == '\r';
                if (message == null) {
                    continue; // checked: cannot happen after check(), except for a file changed since
                }
                int from = unescapeFrom(l);
                if (message.size() + l.length - from > maxBytes) {
                    tooLarge = true;
                } else {
                    message.write(l, from, l.length - from);
                }
            }
            if (message != null) {
                visitor.message(new Message(file + ":" + messageLine, message.toByteArray(), tooLarge));
            }
        }
    }

    /** mboxrd: a line of {@code >}s and {@code From } loses one {@code >}; the offset to copy from. */
    private static int unescapeFrom(byte[] l) {
        int i = 0;
        while (i < l.length && l[i] == '>') {
            i++;
        }
        if (i > 0 && l.length - i >= FROM.length && startsWithFrom(java.util.Arrays.copyOfRange(l, i, i + 5), 5)) {
            return 1;
        }
        return 0;
    }

    private static boolean startsWithFrom(byte[] b, int n) {
        if (n < FROM.length) {
            return false;
        }
        for (int i = 0; i < FROM.length; i++) {
            if (b[i] != FROM[i]) {
                return false;
            }
        }
        return true;
    }
}
