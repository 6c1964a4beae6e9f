package io.reactivesmtp;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where message content files are opened: never on the thread that asks for the first chunk, which is an event
 * loop. Opening is one open(2) and fstat(2), quick on a local disk, but it can block for seconds on a slow disk
 * or a hung NFS mount, and every connection of that event loop would stall with it.
 *
 * <p>A few daemon threads of their own, not the {@code ForkJoinPool.commonPool()}: that pool has one thread
 * per core less one (a single thread on two cores) and is shared with every {@code CompletableFuture...Async}
 * in the JVM, so a stuck open would starve unrelated work. The pool is created when the first file content is
 * sent, not when the class loads; its threads start on demand and end after a short idle time, so nothing stays
 * behind in a program that sends no file. At most {@link #THREADS} opens wait on the disk at once; the others
 * queue (a queued open is a tiny task, and there is at most one per send in progress).
 */
final class FileOpener {

    /** Opens in progress at once. */
    static final int THREADS = 4;
    private static final long IDLE_SECONDS = 10;

    private FileOpener() {
    }

    /** @return the executor that opens content files */
    static Executor executor() {
        return Holder.EXECUTOR;
    }

    /** Initialised on first use only (the JVM initialises a nested class when it is first touched). */
    private static final class Holder {
        static final ThreadPoolExecutor EXECUTOR = create();

        private static ThreadPoolExecutor create() {
            AtomicInteger count = new AtomicInteger();
            ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, IDLE_SECONDS, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), r -> {
                        Thread t = new Thread(r, "reactive-smtp-file-open-" + count.incrementAndGet());
                        t.setDaemon(true);
                        return t;
                    });
            executor.allowCoreThreadTimeOut(true);
            return executor;
        }
    }
}
