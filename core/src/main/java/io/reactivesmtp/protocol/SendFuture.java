package io.reactivesmtp.protocol;

import io.reactivesmtp.SendReport;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * The result of one send, which tells its session when the caller cancels it: by overriding the ways a future
 * is cancelled rather than with a {@code whenComplete} stage (a future, a completion and a lambda for every
 * message) that only looks for a cancellation. Stages made from it are plain {@link CompletableFuture}s.
 */
final class SendFuture extends CompletableFuture<SendReport> {

    /** Set once, before the future leaves {@code send}; runs on the cancelling thread. */
    private volatile Runnable onCancel;

    void onCancel(Runnable action) {
        onCancel = action;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean wasDone = isDone();
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        if (cancelled && !wasDone) {
            cancelled();
        }
        return cancelled;
    }

    @Override
    public boolean completeExceptionally(Throwable error) {
        boolean completed = super.completeExceptionally(error);
        if (completed && error instanceof CancellationException) {
            cancelled();
        }
        return completed;
    }

    @Override
    public void obtrudeException(Throwable error) {
        super.obtrudeException(error);
        if (error instanceof CancellationException) {
            cancelled();
        }
    }

    @Override
    public <U> CompletableFuture<U> newIncompleteFuture() {
        return new CompletableFuture<>();
    }

    private void cancelled() {
        Runnable r = onCancel;
        if (r != null) {
            r.run();
        }
    }
}
