package io.reactivesmtp.testing;

import io.netty.channel.Channel;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/** The state of one connection; everything but the guarded fields is touched on its event loop only. */
final class ScriptConnection {
    final int id;
    private final List<ScriptStep> steps;
    final Channel channel;
    final Inbound in = new Inbound();
    /** Guarded by {@link Recording#lock}. */
    final List<String> lines = new ArrayList<>();
    /** Written under {@link Recording#lock}. */
    volatile boolean done;
    /** Written under {@link Recording#lock}. */
    volatile boolean closed;
    volatile boolean failed;
    volatile int index;
    /** How many lines of the current expect-lines step matched. */
    int matched;
    /** Remaining chunk bytes of the current BDAT step, or -1 while its command line is awaited. */
    int bdatRemaining = -1;
    /** Where the search for the DATA terminator continues. */
    int dataScanned;
    /** An asynchronous step (delay, slow write, timer, TLS handshake) is in progress. */
    boolean busy;
    /** Identifies the current asynchronous step; stale timers compare it. */
    long token;
    boolean timerArmed;
    boolean ignoring;
    ByteArrayOutputStream held;

    ScriptConnection(int id, Channel channel, List<ScriptStep> steps) {
        this.id = id;
        this.channel = channel;
        this.steps = steps;
    }

    String status() {
        if (failed) {
            return "failed at step " + index + (index < steps.size() ? " (" + steps.get(index).describe() + ")" : "");
        }
        if (done) {
            return "script done" + (closed ? ", closed" : ", open");
        }
        return "waiting at step " + index + " (" + steps.get(Math.min(index, steps.size() - 1)).describe() + ")"
                + (closed ? ", closed" : ", open");
    }
}
