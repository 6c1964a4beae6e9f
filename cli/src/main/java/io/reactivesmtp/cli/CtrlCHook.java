package io.reactivesmtp.cli;

import java.io.Flushable;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * The Ctrl-C (SIGINT, SIGTERM) handling of {@code bulk} and {@code worker}: a shutdown hook that asks the run to stop
 * waits for it to finish and ends the process with the status its summary printed; removed when the run ends by
 * itself.
 */
final class CtrlCHook {

    private CtrlCHook() {
    }

    /**
     * Installs the hook. On SIGINT or SIGTERM it asks the run to stop, waits (bounded) until the run has printed its
     * summary, flushes the output and halts the JVM with the status the summary printed: once the JVM shuts down,
     * {@code System.exit} can no longer change the status, and the process would end with 130 or 143 instead.
     *
     * @param name the hook thread's name
     * @param stop asks the run to stop taking new work
     * @param finished counted down when the run has printed its summary
     * @param wait how long to wait for that at most
     * @param status the status the run printed (read after {@code finished}, or after the wait ran out)
     * @param streams flushed before the halt
     * @return the hook, for {@link #remove}
     */
    static Thread install(String name, Runnable stop, CountDownLatch finished, Duration wait, IntSupplier status,
            Flushable... streams) {
        Thread hook = new Thread(() -> {
            stop.run();
            try {
                finished.await(wait.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (Flushable s : streams) {
                try {
                    s.flush();
                } catch (IOException e) {
                    // Nothing more can be said: the status below still tells.
                }
            }
            Runtime.getRuntime().halt(status.getAsInt());
        }, name);
        Runtime.getRuntime().addShutdownHook(hook);
        return hook;
    }

    /**
     * Removes the hook after a run that ended by itself.
     *
     * @param hook the hook, or null when none was installed
     */
    static void remove(Thread hook) {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Shutting down (Ctrl-C): the hook waits for the run to finish.
        }
    }
}
