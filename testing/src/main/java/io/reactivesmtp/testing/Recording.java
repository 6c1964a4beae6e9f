package io.reactivesmtp.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * What a {@link ScriptedSmtpServer} saw, shared between its connections' event loop (which writes) and the test's
 * thread (which waits and reads): the connections, the transcript, the failures and the data sections, all guarded
 * by {@link #lock}.
 */
final class Recording {

    final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    final List<ScriptConnection> connections = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    final List<String> transcript = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    final List<String> failures = new ArrayList<>();
    /** Guarded by {@link #lock}. */
    final List<byte[]> dataSections = new ArrayList<>();

    /** Waits until {@code condition}, evaluated under {@link #lock}, holds; false if it did not in time. */
    boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (!condition.getAsBoolean()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted while waiting", e);
                }
            }
            return true;
        }
    }

    /** Must hold {@link #lock}. */
    String report(String headline) {
        StringBuilder sb = new StringBuilder(headline).append('\n');
        for (String f : failures) {
            sb.append("  failure: ").append(f).append('\n');
        }
        for (ScriptConnection c : connections) {
            sb.append("  [").append(c.id).append("] ").append(c.status()).append('\n');
        }
        sb.append("Transcript:\n");
        for (String t : transcript) {
            sb.append("  ").append(t).append('\n');
        }
        return sb.toString();
    }

    void log(ScriptConnection c, String entry) {
        synchronized (lock) {
            transcript.add("[" + c.id + "] " + entry);
        }
    }

    /** Records a DATA section (its wire bytes up to and including the terminator) line by line. */
    void dataSection(ScriptConnection c, byte[] data) {
        synchronized (lock) {
            dataSections.add(data);
            transcript.add("[" + c.id + "] * data section " + (dataSections.size() - 1) + ", " + data.length
                    + " byte(s) incl. terminator:");
            int start = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n' || i == data.length - 1) {
                    transcript.add("[" + c.id + "] C: " + escape(data, start, i + 1));
                    start = i + 1;
                }
            }
        }
    }

    /** Records one BDAT chunk as a data section. */
    void bdatChunk(ScriptConnection c, byte[] chunk) {
        synchronized (lock) {
            dataSections.add(chunk);
            transcript.add("[" + c.id + "] * data section " + (dataSections.size() - 1) + ", BDAT chunk of "
                    + chunk.length + " byte(s)");
            transcript.add("[" + c.id + "] C: " + escape(chunk, 0, chunk.length));
        }
    }

    /** Records a command line as received, marking one that ended in a bare LF. */
    void commandLine(ScriptConnection c, String line, byte[] raw, boolean crlf) {
        synchronized (lock) {
            c.lines.add(line);
            transcript.add("[" + c.id + "] C: " + escape(raw, 0, raw.length - (crlf ? 2 : 1))
                    + (crlf ? "" : "  <bare LF>"));
        }
    }

    static String escape(byte[] bytes, int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            int b = bytes[i] & 0xff;
            if (b == '\r') {
                sb.append("\\r");
            } else if (b == '\n') {
                sb.append("\\n");
            } else if (b == '\\') {
                sb.append("\\\\");
            } else if (b < 0x20 || b == 0x7f || b >= 0x80) {
                sb.append(String.format("\\x%02x", b));
            } else {
                sb.append((char) b);
            }
        }
        return sb.toString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch < 0x20 || ch == 0x7f) {
                sb.append(String.format("\\x%02x", (int) ch));
            } else {
                sb.append(ch);
            }
        }
        return sb.toString();
    }
}
