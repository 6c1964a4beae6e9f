package io.reactivesmtp.benchmarks;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnector;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.TlsPolicy;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code Bench --api session}: the same workload through core's {@link SmtpSession} API directly, without the
 * reactor client (no pool, no Reactor operators): C sessions, each sending its next message from the callback that
 * says it can take one ({@link SmtpSession#send(Envelope, MessageContent, Runnable)}), so the next transaction is
 * pipelined behind the end of data. It tells how much of a message's cost is the protocol engine and how much the
 * client around it. Prints {@code peer=reactive-smtp-session ...}.
 */
final class SessionBench {

    private SessionBench() {
    }

    static String run(String host, int port, int c, int n, int l, int r, int threads, Duration timeout) throws Exception {
        String[] to = Messages.recipients(r);
        Envelope envelope = Envelope.of(Messages.FROM, to);
        Messages.Template template = new Messages.Template(Messages.FROM, to, l, System.currentTimeMillis());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
        SmtpConnector connector = SmtpConnector.create(group);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try {
            SmtpSessionOptions options = SmtpSessionOptions.builder().tls(TlsPolicy.NONE).build();
            List<SmtpSession> sessions = new ArrayList<>();
            for (int i = 0; i < c; i++) {
                sessions.add(connector.connect(host, port, options).get(timeout.toMillis(), TimeUnit.MILLISECONDS));
            }
            int warmup = Bench.warmup(n);
            if (warmup > 0) {
                send(sessions, envelope, template, 0, warmup, timeout);
            }
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            send(sessions, envelope, template, warmup, n, timeout);
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            for (SmtpSession s : sessions) {
                s.close().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            }
            return Bench.resultLine("reactive-smtp-session", c, n, l, r, t1 - t0, cpu1 - cpu0);
        } finally {
            connector.close();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    /** Sends messages [first, first + count) over the sessions; fails unless every recipient of each was accepted. */
    private static void send(List<SmtpSession> sessions, Envelope envelope, Messages.Template template, int first,
                             int count, Duration timeout) throws Exception {
        Run run = new Run(envelope, template, first, count);
        for (SmtpSession s : sessions) {
            s.channel().eventLoop().execute(() -> run.next(s));
        }
        run.done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private static final class Run {
        final Envelope envelope;
        final Messages.Template template;
        final int first;
        final int count;
        final AtomicInteger taken = new AtomicInteger();
        final AtomicInteger finished = new AtomicInteger();
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Run(Envelope envelope, Messages.Template template, int first, int count) {
            this.envelope = envelope;
            this.template = template;
            this.first = first;
            this.count = count;
        }

        /** Starts the next message on {@code s}, and the one after it as soon as {@code s} can take it. */
        void next(SmtpSession s) {
            int i = taken.getAndIncrement();
            if (i >= count || done.isDone()) {
                return;
            }
            s.send(envelope, MessageContent.of(template.message(first + i)), () -> next(s))
                    .whenComplete((report, error) -> {
                        if (error != null || report.outcome() != SendReport.Outcome.DELIVERED) {
                            done.completeExceptionally(new IllegalStateException("message " + (first + i) + " not accepted: "
                                    + (error != null ? error : report)));
                        } else if (finished.incrementAndGet() == count) {
                            done.complete(null);
                        }
                    });
        }
    }
}
