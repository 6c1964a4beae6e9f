package io.reactivesmtp.kafka;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An SMTP sink on loopback that counts, per recipient, how many times it accepted a message (a final 250 after
 * the data). It answers 451 at RCPT to the addresses given to {@link #tempFailOnce} the first time it sees them,
 * and to {@link #tempFailAlways} every time; it can wait before its final 250, so that a test sees jobs in flight.
 * One thread per connection; advertises PIPELINING (it answers line by line, so pipelined commands just queue).
 */
final class CountingSmtpSink implements AutoCloseable {

    /** One acceptance: who, and its rank among all acceptances. */
    record Acceptance(String recipient, long sequence, long nanoTime) {
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final Map<String, Integer> accepted = new ConcurrentHashMap<>();
    private final List<Acceptance> log = new CopyOnWriteArrayList<>();
    private final Set<String> tempFailOnce = ConcurrentHashMap.newKeySet();
    private final Set<String> tempFailAlways = ConcurrentHashMap.newKeySet();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong sequence = new AtomicLong();
    private volatile Duration finalReplyDelay = Duration.ZERO;

    CountingSmtpSink() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        acceptor = new Thread(this::acceptLoop, "counting-smtp-sink");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    CountingSmtpSink tempFailOnce(String address) {
        tempFailOnce.add(address.toLowerCase(Locale.ROOT));
        return this;
    }

    CountingSmtpSink tempFailAlways(String address) {
        tempFailAlways.add(address.toLowerCase(Locale.ROOT));
        return this;
    }

    CountingSmtpSink finalReplyDelay(Duration delay) {
        this.finalReplyDelay = delay;
        return this;
    }

    /** @return recipient → number of messages accepted for it */
    Map<String, Integer> accepted() {
        return Map.copyOf(accepted);
    }

    int acceptedTotal() {
        return log.size();
    }

    List<Acceptance> log() {
        return new ArrayList<>(log);
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                open.add(s);
                Thread t = new Thread(() -> serve(s), "counting-smtp-sink-connection");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            reply(out, "220 sink ESMTP");
            List<String> rcpts = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase(Locale.ROOT);
                if (upper.startsWith("EHLO")) {
                    reply(out, "250-sink\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES");
                } else if (upper.startsWith("HELO")) {
                    reply(out, "250 sink");
                } else if (upper.startsWith("MAIL FROM:")) {
                    rcpts.clear();
                    reply(out, "250 2.1.0 ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String addr = line.substring(line.indexOf('<') + 1, line.indexOf('>')).toLowerCase(Locale.ROOT);
                    if (tempFailAlways.contains(addr) || tempFailOnce.remove(addr)) {
                        reply(out, "451 4.2.1 try again later");
                    } else {
                        rcpts.add(addr);
                        reply(out, "250 2.1.5 ok");
                    }
                } else if (upper.equals("DATA")) {
                    if (rcpts.isEmpty()) {
                        reply(out, "554 5.5.1 no valid recipients");
                        continue;
                    }
                    reply(out, "354 go ahead");
                    String data;
                    while ((data = in.readLine()) != null && !data.equals(".")) {
                        // the content is not kept
                    }
                    if (data == null) {
                        return;
                    }
                    Duration delay = finalReplyDelay;
                    if (!delay.isZero()) {
                        Thread.sleep(delay.toMillis());
                    }
                    for (String r : rcpts) {
                        accepted.merge(r, 1, Integer::sum);
                        log.add(new Acceptance(r, sequence.incrementAndGet(), System.nanoTime()));
                    }
                    rcpts.clear();
                    reply(out, "250 2.0.0 queued");
                } else if (upper.equals("RSET")) {
                    rcpts.clear();
                    reply(out, "250 2.0.0 ok");
                } else if (upper.equals("NOOP")) {
                    reply(out, "250 2.0.0 ok");
                } else if (upper.equals("QUIT")) {
                    reply(out, "221 2.0.0 bye");
                    return;
                } else {
                    reply(out, "502 5.5.2 not implemented");
                }
            }
        } catch (IOException e) {
            // the client went away
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(s);
        }
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
    }
}
