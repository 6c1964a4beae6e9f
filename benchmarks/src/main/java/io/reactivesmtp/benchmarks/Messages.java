package io.reactivesmtp.benchmarks;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Locale;

/**
 * The benchmark message: headers Date, From, To, Subject, a distinct Message-ID, MIME-Version, Content-Type
 * text/plain, Content-Transfer-Encoding 7bit, then a body of exactly {@code bodySize} bytes of printable ASCII
 * lines of 76 characters plus CRLF (the last line shorter), no line starting with a dot. As it is CRLF-clean and
 * dot-free, the body goes on the wire unchanged: it is {@code bodySize} bytes there too.
 */
public final class Messages {

    /** The envelope sender and From: of every benchmark message. */
    public static final String FROM = "sender@example.com";

    private Messages() {
    }

    /** @return {@code r} distinct recipients: {@code rcpt01@example.com}, {@code rcpt02@example.com}, ... */
    public static String[] recipients(int r) {
        String[] to = new String[r];
        for (int i = 0; i < r; i++) {
            to[i] = String.format(Locale.ROOT, "rcpt%02d@example.com", i + 1);
        }
        return to;
    }

    /** The body for a size, built once and shared (read only). */
    public static byte[] body(int size) {
        byte[] b = new byte[size];
        if (size == 0) {
            return b;
        }
        // Lines of 78 bytes (76 + CRLF); a remainder r >= 3 is a last line of r - 2 chars; r of 1 or 2 is made
        // up by shortening the previous line so that a last line of 1 char fits.
        int full = size / 78;
        int rem = size % 78;
        int[] lineLengths;
        if (rem == 0) {
            lineLengths = new int[full];
            Arrays.fill(lineLengths, 76);
        } else if (rem >= 3 || full == 0) {
            lineLengths = new int[full + 1];
            Arrays.fill(lineLengths, 76);
            lineLengths[full] = Math.max(0, rem - 2);
        } else {
            lineLengths = new int[full + 1];
            Arrays.fill(lineLengths, 76);
            lineLengths[full - 1] = 76 - (3 - rem);
            lineLengths[full] = 1;
        }
        int pos = 0;
        for (int line = 0; line < lineLengths.length && pos < size; line++) {
            for (int c = 0; c < lineLengths[line] && pos < size; c++) {
                b[pos++] = (byte) ('a' + (line + c) % 26); // never '.'
            }
            if (pos < size) {
                b[pos++] = '\r';
            }
            if (pos < size) {
                b[pos++] = '\n';
            }
        }
        return b;
    }

    /** RFC 5322 date of the given time, UTC. */
    public static String date(long epochMillis) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC).format(Instant.ofEpochMilli(epochMillis));
    }

    /**
     * @return the To: header's value: every recipient, comma separated, folded one per line
     */
    public static String toHeader(String[] to) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < to.length; i++) {
            if (i > 0) {
                sb.append(",\r\n ");
            }
            sb.append(to[i]);
        }
        return sb.toString();
    }

    /** Header block template, everything but the Message-ID; see {@link Template}. */
    public static final class Template {
        private final byte[] before;
        private final byte[] after;
        private final byte[] body;
        private final String idSuffix;

        public Template(String from, String[] to, int bodySize, long epochMillis) {
            String d = date(epochMillis);
            this.before = ("Date: " + d + "\r\n"
                    + "From: <" + from + ">\r\n"
                    + "To: " + toHeader(to) + "\r\n"
                    + "Subject: reactive-smtp benchmark\r\n"
                    + "Message-ID: <").getBytes(StandardCharsets.US_ASCII);
            this.after = (">\r\n"
                    + "MIME-Version: 1.0\r\n"
                    + "Content-Type: text/plain; charset=us-ascii\r\n"
                    + "Content-Transfer-Encoding: 7bit\r\n"
                    + "\r\n").getBytes(StandardCharsets.US_ASCII);
            this.body = body(bodySize);
            this.idSuffix = "." + epochMillis + "@bench.reactive-smtp.example";
        }

        /** One message: one allocation, three array copies and the Message-ID digits. */
        public byte[] message(long index) {
            byte[] id = (index + idSuffix).getBytes(StandardCharsets.US_ASCII);
            byte[] m = new byte[before.length + id.length + after.length + body.length];
            int p = 0;
            System.arraycopy(before, 0, m, p, before.length);
            p += before.length;
            System.arraycopy(id, 0, m, p, id.length);
            p += id.length;
            System.arraycopy(after, 0, m, p, after.length);
            p += after.length;
            System.arraycopy(body, 0, m, p, body.length);
            return m;
        }
    }

    /** Convenience for one message. */
    public static byte[] message(long index, String from, String[] to, int bodySize, long epochMillis) {
        return new Template(from, to, bodySize, epochMillis).message(index);
    }
}
