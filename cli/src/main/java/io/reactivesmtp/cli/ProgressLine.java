package io.reactivesmtp.cli;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * The progress of {@code bulk} and {@code worker} while they run: on a terminal one live line rewritten in place
 * (every second by default), otherwise a plain line every 5 s, nothing when disabled ({@code --json}).
 */
final class ProgressLine {

    private final PrintWriter out;
    private final String command;
    private final boolean enabled;
    private final boolean terminal;
    private final long intervalNanos;
    private long next;
    private int lastLength;

    /**
     * @param out where to print
     * @param command the command's name, before each plain line
     * @param enabled whether to print at all
     * @param terminal whether standard output is a terminal; null to ask {@code System.console()}
     * @param interval how often; null for 1 s on a terminal, 5 s otherwise
     * @param start when the run started ({@code System.nanoTime()})
     */
    ProgressLine(PrintWriter out, String command, boolean enabled, Boolean terminal, Duration interval, long start) {
        this.out = out;
        this.command = command;
        this.enabled = enabled;
        this.terminal = terminal != null ? terminal : System.console() != null;
        this.intervalNanos = (interval != null ? interval : Duration.ofSeconds(this.terminal ? 1 : 5)).toNanos();
        this.next = start + intervalNanos;
    }

    /**
     * Prints the line if it is due.
     *
     * @param now {@code System.nanoTime()}
     * @param line makes the line (only called when it is printed)
     */
    void tick(long now, Supplier<String> line) {
        if (!enabled || now < next) {
            return;
        }
        String text = line.get();
        if (terminal) {
            out.print("\r" + text + " ".repeat(Math.max(0, lastLength - text.length())));
            lastLength = text.length();
        } else {
            out.println(command + ": " + text);
        }
        out.flush();
        next = now + intervalNanos;
    }

    /** Ends a live line, so that what is printed next (a warning on standard error) starts on a line of its own. */
    void breakLine() {
        if (lastLength > 0) {
            out.println();
        }
        out.flush();
        lastLength = 0;
    }

    /** Erases a live line before the summary. */
    void clear() {
        if (lastLength > 0) {
            out.print("\r" + " ".repeat(lastLength) + "\r");
        }
        lastLength = 0;
    }
}
