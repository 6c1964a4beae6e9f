package io.reactivesmtp.interop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A loopback TCP proxy in front of a real server that records, in causal order, what the client sent and what
 * the server answered. Each chunk is recorded before it is forwarded, so a client command recorded before some
 * reply was written by the client before that reply reached it: the transcript shows whether the client waited
 * for each reply (lock-step) or sent a group of commands ahead of them (RFC 2920 pipelining).
 *
 * <p>One connection at a time is enough for the tests; it is accepted on a background thread.
 */
final class RecordingTcpProxy implements AutoCloseable {

    /** One chunk of bytes seen by the proxy. */
    record Chunk(boolean fromClient, byte[] bytes) {
        String text() {
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }

    /** A command line the client sent, with how many complete server replies it had received before it. */
    record SentCommand(String line, int repliesBefore) {
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Chunk> chunks = new ArrayList<>();
    private final List<Socket> sockets = new ArrayList<>();
    private final Thread acceptor;

    RecordingTcpProxy(String targetHost, int targetPort) throws IOException {
        this.target = new InetSocketAddress(targetHost, targetPort);
        this.server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "recording-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.connect(target, 5_000);
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                synchronized (sockets) {
                    sockets.add(client);
                    sockets.add(upstream);
                }
                pump(client, upstream, true);
                pump(upstream, client, false);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, boolean fromClient) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[64 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (chunks) {
                        chunks.add(new Chunk(fromClient, Arrays.copyOf(buf, n)));
                    }
                    out.write(buf, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // The other side closed; fall through and close ours.
            } finally {
                try {
                    to.shutdownOutput();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }, fromClient ? "recording-proxy-c2s" : "recording-proxy-s2c");
        t.setDaemon(true);
        t.start();
    }

    /** @return what passed so far, in causal order */
    List<Chunk> chunks() {
        synchronized (chunks) {
            return List.copyOf(chunks);
        }
    }

    /**
     * @return every command line the client sent, the final dot of the data included (the content before it is not),
     *     each with the number of complete server replies (greeting included) recorded before it
     */
    List<SentCommand> commands() {
        List<SentCommand> out = new ArrayList<>();
        StringBuilder clientLine = new StringBuilder();
        StringBuilder serverLine = new StringBuilder();
        int replies = 0;
        boolean inData = false;
        for (Chunk c : chunks()) {
            String text = new String(c.bytes(), StandardCharsets.ISO_8859_1);
            for (int i = 0; i < text.length(); i++) {
                char ch = text.charAt(i);
                StringBuilder line = c.fromClient() ? clientLine : serverLine;
                if (ch != '\n') {
                    line.append(ch);
                    continue;
                }
                String l = line.toString().replace("\r", "");
                line.setLength(0);
                if (!c.fromClient()) {
                    // The last line of a reply is "ddd" or "ddd text"; "ddd-" continues.
                    if (l.length() >= 3 && (l.length() == 3 || l.charAt(3) == ' ')) {
                        replies++;
                    }
                } else if (inData) {
                    if (l.equals(".")) {
                        // The final dot is answered like a command.
                        out.add(new SentCommand(l, replies));
                        inData = false;
                    }
                } else {
                    out.add(new SentCommand(l, replies));
                    inData = l.equalsIgnoreCase("DATA");
                }
            }
        }
        return out;
    }

    /** @return the whole conversation as text, for failure messages */
    String transcript() {
        StringBuilder sb = new StringBuilder();
        for (Chunk c : chunks()) {
            for (String l : c.text().split("\r?\n", -1)) {
                if (!l.isEmpty()) {
                    sb.append(c.fromClient() ? "C: " : "S: ").append(l).append('\n');
                }
            }
            sb.append("   ---\n");
        }
        return sb.toString();
    }

    @Override
    public void close() throws IOException {
        server.close();
        synchronized (sockets) {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
