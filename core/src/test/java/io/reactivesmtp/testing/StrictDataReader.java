package io.reactivesmtp.testing;

import java.io.ByteArrayOutputStream;

/**
 * A deliberately strict server-side reader of DATA wire bytes, the judge in content-encoding tests.
 *
 * <p>It accepts only CRLF as a line ending (any bare CR or LF fails the test, because a real server may
 * read it as a line end and that is how SMTP smuggling works), stops at the first line that is exactly
 * {@code .}, removes one leading dot from every other line, and fails if anything follows the terminator
 * or if there is no terminator.
 */
public final class StrictDataReader {

    private StrictDataReader() {
    }

    /**
     * Reads one message from DATA wire bytes.
     *
     * @param wire everything the client sent after the 354, terminator included
     * @return the message as the server would store it: every line followed by CRLF, leading dots un-stuffed
     * @throws AssertionError on a bare CR or LF, a missing terminator, or bytes after the terminator
     */
    public static byte[] read(byte[] wire) {
        ByteArrayOutputStream message = new ByteArrayOutputStream(wire.length);
        int lineStart = 0;
        while (true) {
            int lineEnd = findLineEnd(wire, lineStart);
            if (lineEnd < 0) {
                throw new AssertionError("no terminator line '.' in the DATA bytes ("
                        + (wire.length - lineStart) + " unterminated bytes at offset " + lineStart + ")");
            }
            int length = lineEnd - lineStart;
            int next = lineEnd + 2;
            if (length == 1 && wire[lineStart] == '.') {
                if (next != wire.length) {
                    throw new AssertionError((wire.length - next)
                            + " bytes after the terminator at offset " + lineStart + ": a second message could be smuggled");
                }
                return message.toByteArray();
            }
            int from = wire[lineStart] == '.' && length > 0 ? lineStart + 1 : lineStart;
            message.write(wire, from, lineEnd - from);
            message.write('\r');
            message.write('\n');
            lineStart = next;
        }
    }

    /** Returns the index of the CR of the CRLF that ends the line at {@code from}, or -1 if none. */
    private static int findLineEnd(byte[] wire, int from) {
        for (int i = from; i < wire.length; i++) {
            byte b = wire[i];
            if (b == '\n') {
                throw new AssertionError("bare LF at offset " + i);
            }
            if (b == '\r') {
                if (i + 1 >= wire.length || wire[i + 1] != '\n') {
                    throw new AssertionError("bare CR at offset " + i);
                }
                return i;
            }
        }
        return -1;
    }

    /**
     * The simple reference normalisation the encoder must agree with: CRLF stays, a bare CR or a bare LF
     * becomes CRLF, and non-empty content that does not end with a line break gets a final CRLF.
     *
     * @param in the content as given
     * @return the content as a server should store it
     */
    public static byte[] normaliseCrlf(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length + 16);
        for (int i = 0; i < in.length; i++) {
            byte b = in[i];
            if (b == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < in.length && in[i + 1] == '\n') {
                    i++;
                }
            } else if (b == '\n') {
                out.write('\r');
                out.write('\n');
            } else {
                out.write(b);
            }
        }
        if (in.length > 0 && in[in.length - 1] != '\n' && in[in.length - 1] != '\r') {
            out.write('\r');
            out.write('\n');
        }
        return out.toByteArray();
    }
}
