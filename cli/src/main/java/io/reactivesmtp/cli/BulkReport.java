package io.reactivesmtp.cli;

import io.reactivesmtp.MxTlsStatus;
import io.reactivesmtp.RecipientResult;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * The JSONL report of {@code bulk --report FILE}: one JSON object per line and per message, written by a thread of
 * its own through a buffered writer, flushed every {@link #FLUSH_INTERVAL} or {@link #flushBatch} lines and at the
 * end, so that writing it never slows the sends.
 *
 * <pre>{@code
 * {"run": {"started": "2026-12-06T03:00:00Z", "recipients": "list.txt", "perMessage": 1, "maxUnreported": 150}}
 * {"id": 12, "outcome": "PARTIAL", "recipients": [{"address": "a@example.com", "line": 12, "status": "ACCEPTED",
 *   "code": 250, "enhancedStatus": null, "text": "Ok"}, ...], "error": null}
 * ...
 * {"end": {"exitStatus": 3, "messages": 1000, "abandoned": 0, "suppressed": 0}}
 * {"suppressed": {"address": "gone@example.org", "line": 7}}       (with --suppress: one per recipient left out)
 * }</pre>
 * (each object on one line). A message line: {@code id} is the line number of the message's first recipient;
 * {@code outcome} is a {@code MessageResult.Outcome} name; {@code status} a {@link RecipientResult.Status} name
 * ({@code UNDETERMINED} when no verdict came: then {@code code} is null and {@code text} says why); {@code error} is
 * null or {@code {"type": "...", "message": "..."}}. With {@code --mx} a recipient whose domain's session got as
 * far as a TLS level also has {@code "tls": {"level": "may", "source": "NONE", "host": "mx.example.com",
 * "encrypted": true, "authenticated": false, "plaintextAfterFailedHandshake": false, "mxDnssecValidated": false}}
 * ({@link MxTlsStatus}); {@code --retry-from} reads reports with it and without it alike.
 *
 * <p>What a crash can lose is bounded and written down first. The {@code run} line is on disk before the first
 * message goes out; it says {@code maxUnreported}: how many messages at most are ever handed to servers without
 * their line on disk ({@link #awaitRoom} holds the next message back until the lines catch up). A run that ends,
 * however it ends (read error, Ctrl-C, fatal error), writes a line for every message it handed out (those it gave
 * up waiting for as {@code UNDETERMINED}, "abandoned") and then the {@code end} line. A report whose last
 * {@code run} has no {@code end} was killed: up to {@code maxUnreported} messages may have reached a server
 * without a line here, and {@code --retry-from} says so ({@link PreviousReport#read}).
 */
final class BulkReport implements Closeable {

    /** The longest a written line waits in the buffer. */
    static final Duration FLUSH_INTERVAL = Duration.ofMillis(100);
    /** The writer's buffer: a flush is one write of many lines. */
    static final int WRITE_BUFFER_CHARS = 64 * 1024;

    /** A message's result to write (formatted on the writing thread), another line, or the request to stop. */
    private record Item(long id, String outcome, List<Entry> recipients, Throwable error, String other,
            boolean batched) {

        boolean message() {
            return other == null;
        }
    }

    private static final Item STOP = new Item(0, null, null, null, "", false);
    /** Suppressed lines queued and not yet written, at most: {@link #addSuppressed} waits beyond. */
    static final int MAX_QUEUED_SUPPRESSED = 10_000;
    /** How long the writing thread sleeps when it has nothing to write. */
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

    private final Path file;
    private final BufferedWriter writer;
    /** Message lines into {@link #writer}, on the writing thread. */
    private final MessageLineWriter lines;
    private final int maxUnreported;
    private final int flushBatch;
    // Lock-free, and no wake-up per result: the writing thread polls it (IDLE_PARK_NANOS when idle).
    private final ConcurrentLinkedQueue<Item> queue = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private final Object room = new Object();
    /** Message lines handed to {@link #add} (any thread). */
    private final AtomicLong added = new AtomicLong();
    /** Suppressed lines queued, not yet written. */
    private final AtomicLong queuedSuppressed = new AtomicLong();
    /** Message lines flushed to the file. */
    private volatile long flushed;
    private volatile IOException failure;
    /** Set while a sender waits in {@link #awaitRoom}: the writing thread then flushes what it has at once. */
    private volatile boolean senderWaiting;

    private BulkReport(Path file, BufferedWriter writer, int maxUnreported, int flushBatch) throws IOException {
        this.file = file;
        this.writer = writer;
        this.lines = new MessageLineWriter(writer);
        this.maxUnreported = maxUnreported;
        this.flushBatch = flushBatch;
        this.thread = new Thread(this::writeLoop, "reactive-smtp-bulk-report");
        thread.setDaemon(true);
    }

    /**
     * Opens the report, writes and flushes its {@code run} line and starts the writing thread.
     *
     * @param file the file
     * @param append whether to append (the report of the run being retried) rather than truncate
     * @param inFlight how many messages can be at servers at once (in flight, or waiting for a retry)
     * @param recipients the recipients file, named in the {@code run} line
     * @param perMessage recipients per message
     * @return the report
     * @throws IOException if it cannot be opened or written
     */
    static BulkReport open(Path file, boolean append, int inFlight, Path recipients, int perMessage)
            throws IOException {
        // A killed run may have left a torn last line: start on a line of our own.
        boolean newLineFirst = append && endsInsideALine(file);
        BufferedWriter w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file,
                StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING), StandardCharsets.UTF_8),
                WRITE_BUFFER_CHARS);
        // Flushing every flushBatch lines keeps the syscalls few; the bound leaves room for two batches.
        int batch = Math.max(8, Math.min(1024, inFlight / 2));
        int max = (int) Math.min(Integer.MAX_VALUE, (long) inFlight + 2L * batch);
        BulkReport report;
        try {
            report = new BulkReport(file, w, max, batch);
            if (newLineFirst) {
                w.newLine();
            }
            w.write(new Run(Instant.now().truncatedTo(ChronoUnit.SECONDS).toString(), recipients.toString(),
                    perMessage, max).json());
            w.newLine();
            w.flush();
        } catch (IOException e) {
            w.close();
            throw e;
        }
        report.thread.start();
        return report;
    }

    private static boolean endsInsideALine(Path file) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) == 0) {
            return false;
        }
        try (SeekableByteChannel c = Files.newByteChannel(file)) {
            c.position(c.size() - 1);
            ByteBuffer last = ByteBuffer.allocate(1);
            return c.read(last) == 1 && last.get(0) != '\n';
        }
    }

    /** @return at most this many messages are at servers without their line on disk */
    int maxUnreported() {
        return maxUnreported;
    }

    /**
     * Holds the caller back until one more message may be handed to a server without breaking
     * {@link #maxUnreported}. Blocks: call it on a worker thread, never on an event loop.
     *
     * @param handedOut messages handed to servers so far
     * @param giveUp checked while waiting: stop waiting when it says so
     * @return whether the message may go; false when the report failed or {@code giveUp} said so
     */
    boolean awaitRoom(long handedOut, BooleanSupplier giveUp) {
        if (handedOut - flushed < maxUnreported && failure == null) {
            return true;
        }
        synchronized (room) {
            while (handedOut - flushed >= maxUnreported && failure == null && !giveUp.getAsBoolean()) {
                senderWaiting = true;
                try {
                    room.wait(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                } finally {
                    senderWaiting = false;
                }
            }
        }
        return failure == null && handedOut - flushed < maxUnreported;
    }

    /** @return message lines accepted by {@link #add} and not yet flushed to the file */
    long behind() {
        return added.get() - flushed;
    }

    /** @return the first write error, or null */
    IOException failure() {
        return failure;
    }

    /**
     * Queues one message's line; the writing thread writes it. Never blocks (the queue is bounded by
     * {@link #awaitRoom}: only messages handed out can be added).
     *
     * @param id the message id (line of its first recipient)
     * @param outcome the outcome name
     * @param recipients the recipients and their results
     * @param error the failure without a verdict, or null
     */
    void add(long id, String outcome, List<Entry> recipients, Throwable error) {
        added.incrementAndGet();
        queue.add(new Item(id, outcome, recipients, error, null, true));
    }

    /**
     * Queues the line of a recipient left out by {@code --suppress}:
     * {@code {"suppressed": {"address": "a@example.com", "line": 12}}}. Written with the message lines, flushed with
     * them; waits (on the reading thread, never an event loop) while {@link #MAX_QUEUED_SUPPRESSED} are queued.
     *
     * @param address the address
     * @param line its line in the recipients file
     */
    void addSuppressed(String address, long line) {
        while (queuedSuppressed.get() >= MAX_QUEUED_SUPPRESSED && failure == null && thread.isAlive()) {
            LockSupport.parkNanos(IDLE_PARK_NANOS);
        }
        queuedSuppressed.incrementAndGet();
        String json = new Suppressed(address, line).json();
        queue.add(new Item(0, null, null, null, json, true));
    }

    private void writeLoop() {
        int unflushed = 0;
        long oldest = 0;
        while (true) {
            Item item = queue.poll();
            try {
                if (item == null || item == STOP) {
                    if (unflushed > 0 && failure == null && (item == STOP || senderWaiting
                            || System.nanoTime() - oldest >= FLUSH_INTERVAL.toNanos())) {
                        writer.flush();
                        released(unflushed);
                        unflushed = 0;
                    }
                    if (item == STOP) {
                        return;
                    }
                    LockSupport.parkNanos(IDLE_PARK_NANOS);
                    continue;
                }
                if (!item.message() && item.batched()) {
                    queuedSuppressed.decrementAndGet();
                }
                if (failure != null) {
                    continue; // keep draining the queue so that nothing waits on it
                }
                if (item.message()) {
                    lines.write(item.id(), item.outcome(), item.recipients(), item.error());
                } else {
                    writer.write(item.other());
                }
                writer.newLine();
                if (item.message()) {
                    if (unflushed++ == 0) {
                        oldest = System.nanoTime();
                    }
                }
                if (unflushed >= flushBatch || !item.batched()) {
                    writer.flush();
                    released(unflushed);
                    unflushed = 0;
                }
            } catch (IOException | RuntimeException e) {
                // Any failure, not only I/O: a writer thread that died silently would leave senders waiting for room.
                failure = e instanceof IOException io ? io : new IOException(e);
                synchronized (room) {
                    room.notifyAll();
                }
            }
        }
    }

    private void released(int lines) {
        flushed += lines;
        synchronized (room) {
            room.notifyAll();
        }
    }

    /**
     * Writes the {@code end} line after every queued message line, flushes, and stops the writing thread.
     *
     * @param exitStatus the run's exit status
     * @param messages message lines written by this run
     * @param abandoned messages given up on in flight (written as {@code UNDETERMINED})
     * @param suppressed recipients left out by {@code --suppress}
     * @throws IOException the first write error, if any
     */
    void finish(int exitStatus, long messages, long abandoned, long suppressed) throws IOException {
        queue.add(new Item(0, null, null, null, new End(exitStatus, messages, abandoned, suppressed).json(), false));
        close();
    }

    /**
     * A recipient's line of the report.
     *
     * @param address the address as sent
     * @param line its line in the recipients file
     * @param status a {@link RecipientResult.Status} name
     * @param code the reply code, 0 for none
     * @param enhancedStatus the enhanced status code, or null
     * @param text the reply text, or why there is no verdict
     * @param tls with --mx, the TLS level its domain's session reached, or null
     */
    record Entry(String address, long line, String status, int code, String enhancedStatus, String text,
            MxTlsStatus tls) {

        Entry(String address, long line, String status, int code, String enhancedStatus, String text) {
            this(address, line, status, code, enhancedStatus, text, null);
        }

        Entry withTls(MxTlsStatus status) {
            return new Entry(address, line, this.status, code, enhancedStatus, text, status);
        }

        /** @param address {@code r}'s address as {@link io.reactivesmtp.MailAddress#toString()} */
        static Entry of(RecipientResult r, String address, long line) {
            return new Entry(address, line, r.status().name(), r.code(), r.enhancedStatus().orElse(null), r.text());
        }
    }

    /** One message's line, as {@link MessageLineWriter} writes it. */
    static String line(long id, String outcome, List<Entry> recipients, Throwable error) {
        return MessageLineWriter.line(id, outcome, recipients, error);
    }

    /** The first line of a run: when, from which file, and the bound on messages at servers without a line. */
    record Run(String started, String recipients, int perMessage, long maxUnreported) {
        Run {
            if (maxUnreported < 1) {
                throw new IllegalArgumentException("maxUnreported must be at least 1, not " + maxUnreported);
            }
        }

        /** @return {@code {"run": {...}}} in the style of {@link CliJson#line}, without databind */
        String json() {
            return JsonLines.wrapped("run", g -> {
                g.writeStringField("started", started);
                g.writeStringField("recipients", recipients);
                g.writeNumberField("perMessage", perMessage);
                g.writeNumberField("maxUnreported", maxUnreported);
            });
        }
    }

    /** The last line of a run that ended (however it ended). */
    record End(int exitStatus, long messages, long abandoned, long suppressed) {
        End {
            if (messages < 0 || abandoned < 0 || suppressed < 0) {
                throw new IllegalArgumentException("negative count in an end line: " + messages + ", " + abandoned);
            }
        }

        /** @return {@code {"end": {...}}} in the style of {@link CliJson#line}, without databind */
        String json() {
            return JsonLines.wrapped("end", g -> {
                g.writeNumberField("exitStatus", exitStatus);
                g.writeNumberField("messages", messages);
                g.writeNumberField("abandoned", abandoned);
                g.writeNumberField("suppressed", suppressed);
            });
        }
    }

    /** A recipient left out by {@code --suppress}: its address and its line in the recipients file. */
    record Suppressed(String address, long line) {

        /** @return {@code {"suppressed": {...}}} in {@link CliJson#line}'s style, no databind */
        String json() {
            return JsonLines.wrapped("suppressed", g -> {
                g.writeStringField("address", address);
                g.writeNumberField("line", line);
            });
        }
    }

    /** Stops the writing thread after the queued lines, flushes and closes the file. */
    @Override
    public void close() throws IOException {
        if (thread.isAlive()) {
            queue.add(STOP);
            try {
                thread.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            writer.close();
        } catch (IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
