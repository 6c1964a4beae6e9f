package io.reactivesmtp.benchmarks;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.SocketFactory;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * The Java peer of the end-to-end matrix: Angus Mail 2.0.x (Jakarta Mail's implementation), same arguments, same
 * messages and same one-line output as {@link Bench}:
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar io.reactivesmtp.benchmarks.AngusBench HOST PORT C N L R
 * peer=angus-mail C=10 N=20000 L=1000 R=1 seconds=... msgs_per_s=... cpu_s=...
 * </pre>
 * C threads, each with one {@link SMTPTransport} connected once (plain, no AUTH, no TLS, TCP_NODELAY on through
 * {@code mail.smtp.socketFactory}) and reused for all its messages through {@code sendMessage(msg, recipients)}.
 * Messages are split over the threads as evenly as possible (thread t sends messages t, t + C, t + 2C, ...). An
 * uncounted warm-up of min(N/10, 2000) messages runs on the same connections first; then the threads meet at a
 * barrier and the N measured messages are timed (wall time and process CPU time) until the last thread is done.
 *
 * <p>Each message is {@link Messages.Template#message(long)}'s bytes parsed into a {@link MimeMessage}
 * ({@code new MimeMessage(session, InputStream)}). A parsed, unmodified MimeMessage writes its headers as
 * they were read and its content bytes untouched, so what goes on the wire is the same message, L body bytes
 * included, that {@link Bench} sends. This is the closest faithful equivalent of "send these bytes" in Jakarta Mail;
 * building each message through setters and {@code saveChanges()} would spend more CPU (MIME encoding, header
 * generation) and send slightly different headers. The parse happens on the sending thread inside the measured
 * period, as {@link Bench} builds its messages inside its own.
 *
 * <p>Angus Mail speaks lock-step SMTP (no PIPELINING): MAIL, each RCPT, DATA and the content each wait for their reply.
 * Exits 0 only when every message was accepted ({@code sendMessage} returned without exception and the last reply
 * was 250); otherwise 1 with the first failure on stderr (2 on a usage error).
 */
public final class AngusBench {

    private AngusBench() {
    }

    public static void main(String[] args) {
        if (args.length != 6) {
            System.err.println("usage: AngusBench HOST PORT C N L R");
            System.exit(2);
            return;
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int c = Integer.parseInt(args[2]);
        int n = Integer.parseInt(args[3]);
        int l = Integer.parseInt(args[4]);
        int r = Integer.parseInt(args[5]);
        try {
            System.out.println(run(host, port, c, n, l, r));
            System.exit(0);
        } catch (Throwable e) {
            System.err.println("angus bench failed: " + e);
            System.exit(1);
        }
    }

    /** Wraps the default socket factory: every socket gets TCP_NODELAY before it connects; counts them. */
    static final class NoDelaySocketFactory extends SocketFactory {
        private final SocketFactory delegate = SocketFactory.getDefault();
        final ConcurrentLinkedQueue<Socket> sockets = new ConcurrentLinkedQueue<>();

        private Socket noDelay(Socket s) throws IOException {
            s.setTcpNoDelay(true);
            sockets.add(s);
            return s;
        }

        @Override
        public Socket createSocket() throws IOException {
            return noDelay(delegate.createSocket()); // what Angus's SocketFetcher calls, then connect()
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return noDelay(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return noDelay(delegate.createSocket(host, port, localHost, localPort));
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return noDelay(delegate.createSocket(host, port));
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
                throws IOException {
            return noDelay(delegate.createSocket(address, port, localAddress, localPort));
        }
    }

    static String run(String host, int port, int c, int n, int l, int r) throws Exception {
        String from = Messages.FROM;
        String[] to = Messages.recipients(r);
        Address[] recipients = new Address[r];
        for (int i = 0; i < r; i++) {
            recipients[i] = new InternetAddress(to[i]);
        }
        Messages.Template template = new Messages.Template(from, to, l, System.currentTimeMillis());

        NoDelaySocketFactory socketFactory = new NoDelaySocketFactory();
        Properties props = new Properties();
        props.put("mail.smtp.host", host);
        props.put("mail.smtp.port", Integer.toString(port));
        props.put("mail.smtp.from", from);
        props.put("mail.smtp.localhost", "localhost"); // the EHLO name, without a reverse lookup
        props.put("mail.smtp.auth", "false");
        props.put("mail.smtp.starttls.enable", "false");
        props.put("mail.smtp.connectiontimeout", "60000");
        props.put("mail.smtp.timeout", "300000");
        props.put("mail.smtp.quitwait", "false");
        props.put("mail.smtp.socketFactory", socketFactory);
        props.put("mail.smtp.socketFactory.fallback", "false");
        Session session = Session.getInstance(props);

        List<SMTPTransport> transports = new ArrayList<>(c);
        try {
            for (int t = 0; t < c; t++) {
                SMTPTransport transport = (SMTPTransport) session.getTransport("smtp");
                transport.connect();
                transports.add(transport);
            }
            for (Socket s : socketFactory.sockets) {
                if (!s.getTcpNoDelay()) {
                    throw new IllegalStateException("a socket has TCP_NODELAY off");
                }
            }
            if (socketFactory.sockets.size() != c) {
                throw new IllegalStateException("expected " + c + " sockets from the factory, saw "
                        + socketFactory.sockets.size() + ": mail.smtp.socketFactory was not used");
            }
            com.sun.management.OperatingSystemMXBean os =
                    (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            int warmup = Bench.warmup(n);
            long[] marks = new long[2]; // cpu and wall time when the measured part starts
            CyclicBarrier start = new CyclicBarrier(c, () -> {
                marks[0] = os.getProcessCpuTime();
                marks[1] = System.nanoTime();
            });
            AtomicLong accepted = new AtomicLong();
            AtomicLong failed = new AtomicLong();
            AtomicReference<Throwable> firstFailure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>(c);
            for (int t = 0; t < c; t++) {
                SMTPTransport transport = transports.get(t);
                int index = t;
                Thread thread = new Thread(() -> {
                    boolean warm = false;
                    try {
                        sendShare(session, transport, template, recipients, 0, warmup, index, c, null, null, null);
                        warm = true;
                    } catch (Throwable e) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                    try {
                        // Every thread arrives exactly once, failed or not, so that nobody waits for a dead one.
                        start.await(10, TimeUnit.MINUTES);
                        if (warm) {
                            sendShare(session, transport, template, recipients, warmup, n, index, c, accepted, failed,
                                    firstFailure);
                        }
                    } catch (Throwable e) {
                        failed.incrementAndGet();
                        firstFailure.compareAndSet(null, e);
                    }
                }, "angus-" + t);
                threads.add(thread);
                thread.start();
            }
            for (Thread thread : threads) {
                thread.join();
            }
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            if (accepted.get() != n || failed.get() != 0) {
                Throwable f = firstFailure.get();
                throw new IllegalStateException(accepted.get() + " of " + n + " messages accepted, " + failed.get()
                        + " failed" + (f == null ? "" : "; first: " + f));
            }
            return Bench.resultLine("angus-mail", c, n, l, r, t1 - marks[1], cpu1 - marks[0]);
        } finally {
            for (SMTPTransport transport : transports) {
                try {
                    transport.close();
                } catch (MessagingException ignored) {
                    // QUIT failed: the process is about to exit anyway
                }
            }
        }
    }

    /**
     * Sends this thread's share of messages [first, first + count): those whose offset from {@code first} is
     * congruent to {@code thread} modulo {@code threads}. The warm-up passes null counters and throws on the first
     * failure; the measured part counts every outcome and throws only for a broken connection.
     */
    private static void sendShare(Session session, SMTPTransport transport, Messages.Template template,
                                  Address[] recipients, int first, int count, int thread, int threads,
                                  AtomicLong accepted, AtomicLong failed, AtomicReference<Throwable> firstFailure)
            throws Exception {
        for (int k = thread; k < count; k += threads) {
            MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(template.message(first + k)));
            try {
                transport.sendMessage(message, recipients);
                if (transport.getLastReturnCode() != 250) {
                    throw new MessagingException("last reply " + transport.getLastServerResponse());
                }
                if (accepted != null) {
                    accepted.incrementAndGet();
                }
            } catch (MessagingException e) {
                if (failed == null || !transport.isConnected()) {
                    throw e;
                }
                failed.incrementAndGet();
                firstFailure.compareAndSet(null, e);
            }
        }
    }
}
