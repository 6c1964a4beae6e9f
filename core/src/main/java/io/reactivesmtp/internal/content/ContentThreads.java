package io.reactivesmtp.internal.content;

import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The threads content sources use for work that must not run on an event loop: opening files and DKIM hashing.
 * Both pools are created on first use (a program that sends no file and signs nothing starts neither), made of
 * daemon threads that end when idle, and handed to the sources that need them.
 *
 * <p>File opens: never on the thread that asks for the first chunk, which is an event
 * loop. never on the thread that asks for the first chunk, which is an event
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
public final class ContentThreads {

    /** File opens in progress at once. */
    static final int THREADS = 4;
    private static final long IDLE_SECONDS = 10;

    private ContentThreads() {
    }

    /** @return the executor that opens content files */
    public static Executor fileOpens() {
        return FileOpens.EXECUTOR;
    }

    /**
     * @return the executor of DKIM's hash pass and signing: one thread per core (at least two), CPU-bound work of
     *     bounded size per task (one 64 KiB chunk)
     */
    public static Executor signing() {
        return Signing.EXECUTOR;
    }

    /** Initialised on first use only (the JVM initialises a nested class when it is first touched). */
    private static final class FileOpens {
        static final ThreadPoolExecutor EXECUTOR = create("reactive-smtp-file-open-", THREADS);
    }

    /** As {@link FileOpens}. */
    private static final class Signing {
        static final ThreadPoolExecutor EXECUTOR = create("reactive-smtp-dkim-",
                Math.max(2, Runtime.getRuntime().availableProcessors()));
    }

    private static ThreadPoolExecutor create(String prefix, int threads) {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, IDLE_SECONDS, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, prefix + count.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        return executor;
    }
}
