package io.reactivesmtp.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.server.SMTPServer;

/**
 * A real, in-JVM SMTP server for tests: SubEthaSMTP 7.2.0 on {@code 127.0.0.1} and an ephemeral
 * port, which records every message it accepted.
 *
 * <p>Out of the box SubEthaSMTP 7.2.0 answers EHLO with {@code 8BITMIME}, {@code SIZE n} (only if
 * a maximum message size is set), {@code STARTTLS} (only if TLS is enabled), {@code CHUNKING},
 * {@code SMTPUTF8}, {@code AUTH ...} (only with an authentication handler) and a last line
 * {@code 250 Ok}; it never advertises {@code PIPELINING} nor {@code ENHANCEDSTATUSCODES}. Its
 * session reads commands one at a time from a buffered stream, so commands written back to back
 * are answered in order. With {@link Builder#pipelining(boolean) pipelining(true)} (the default)
 * this fixture replaces the server's EHLO command by one that answers exactly like the original
 * and adds {@code 250-PIPELINING}; with {@code pipelining(false)} the server is left as it is.
 *
 * <pre>{@code
 * try (SubethaSmtpServer server = SubethaSmtpServer.builder()
 *         .rejectRecipient("nobody@example.com", 550, "5.1.1 no such user")
 *         .pipelining(true)
 *         .start()) {
 *     // send to 127.0.0.1:server.port() ...
 *     List<SubethaSmtpServer.ReceivedMessage> got = server.awaitMessages(1, Duration.ofSeconds(5));
 * }
 * }</pre>
 */
public final class SubethaSmtpServer implements AutoCloseable {

    /**
     * One message the server accepted.
     *
     * @param from       the reverse path of MAIL FROM, without angle brackets ("" for the null sender)
     * @param recipients the accepted recipients, in order, without angle brackets
     * @param data       the content as the server delivered it: un-stuffed, without the terminator
     */
    public record ReceivedMessage(String from, List<String> recipients, byte[] data) {

        /**
         * Copies the recipients and the data.
         *
         * @param from       the reverse path
         * @param recipients the accepted recipients
         * @param data       the content
         */
        public ReceivedMessage {
            recipients = List.copyOf(recipients);
            data = data.clone();
        }

        /**
         * The content.
         *
         * @return a copy of the content bytes
         */
        @Override
        public byte[] data() {
            return data.clone();
        }

        /**
         * The content decoded as UTF-8.
         *
         * @return the content as text
         */
        public String dataAsString() {
            return new String(data, StandardCharsets.UTF_8);
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof ReceivedMessage)) {
                return false;
            }
            ReceivedMessage m = (ReceivedMessage) o;
            return from.equals(m.from) && recipients.equals(m.recipients) && Arrays.equals(data, m.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(from, recipients) * 31 + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "ReceivedMessage[from=" + from + ", recipients=" + recipients + ", " + data.length + " bytes]";
        }
    }

    /** A rejection: code and text of the reply. */
    private static final class Rejection {
        final int code;
        final String text;

        Rejection(int code, String text) {
            if (code < 400 || code > 599) {
                throw new IllegalArgumentException("a rejection needs a 4xx or 5xx code: " + code);
            }
            this.code = code;
            this.text = Objects.requireNonNull(text, "text");
        }

        RejectException exception() {
            return new RejectException(code, text);
        }
    }

    /** Configures and starts a {@link SubethaSmtpServer}. */
    public static final class Builder {
        private final Map<String, Rejection> rejectedRecipients = new HashMap<>();
        private final Map<String, Rejection> rejectedSenders = new HashMap<>();
        private Rejection dataRejection;
        private boolean pipelining = true;
        private String hostName = "subetha.test";
        private int maxMessageSize;

        private Builder() {
        }

        /**
         * Rejects RCPT TO for this address (compared case-insensitively) with this reply.
         *
         * @param address the address without angle brackets
         * @param code    a 4xx or 5xx code, e.g. 550 or 451
         * @param text    the reply text, e.g. {@code "5.1.1 no such user"}
         * @return this builder
         */
        public Builder rejectRecipient(String address, int code, String text) {
            rejectedRecipients.put(address.toLowerCase(Locale.ROOT), new Rejection(code, text));
            return this;
        }

        /**
         * Rejects MAIL FROM for this address (compared case-insensitively) with this reply.
         *
         * @param address the address without angle brackets
         * @param code    a 4xx or 5xx code
         * @param text    the reply text
         * @return this builder
         */
        public Builder rejectSender(String address, int code, String text) {
            rejectedSenders.put(address.toLowerCase(Locale.ROOT), new Rejection(code, text));
            return this;
        }

        /**
         * Rejects every message after its content was received (the reply to the final dot).
         * Rejected messages are not recorded.
         *
         * @param code a 4xx or 5xx code, e.g. 554
         * @param text the reply text
         * @return this builder
         */
        public Builder rejectData(int code, String text) {
            dataRejection = new Rejection(code, text);
            return this;
        }

        /**
         * Whether EHLO advertises PIPELINING (default {@code true}). SubEthaSMTP itself never
         * does; with {@code true} its EHLO command is replaced by one that adds the keyword.
         *
         * @param enabled whether to advertise PIPELINING
         * @return this builder
         */
        public Builder pipelining(boolean enabled) {
            this.pipelining = enabled;
            return this;
        }

        /**
         * The host name in the greeting and the first EHLO line (default {@code subetha.test}).
         *
         * @param hostName the server's name
         * @return this builder
         */
        public Builder hostName(String hostName) {
            this.hostName = Objects.requireNonNull(hostName, "hostName");
            return this;
        }

        /**
         * The maximum message size; when &gt; 0, EHLO advertises {@code SIZE n} and larger
         * declared sizes are refused (default 0: no limit, no SIZE keyword).
         *
         * @param bytes the limit in bytes
         * @return this builder
         */
        public Builder maxMessageSize(int bytes) {
            this.maxMessageSize = bytes;
            return this;
        }

        /**
         * Starts the server on 127.0.0.1 and an ephemeral port.
         *
         * @return the running server
         */
        public SubethaSmtpServer start() {
            return new SubethaSmtpServer(this);
        }
    }

    private final Map<String, Rejection> rejectedRecipients;
    private final Map<String, Rejection> rejectedSenders;
    private final Rejection dataRejection;
    private final SMTPServer server;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final List<ReceivedMessage> messages = new ArrayList<>();

    private SubethaSmtpServer(Builder b) {
        this.rejectedRecipients = Map.copyOf(b.rejectedRecipients);
        this.rejectedSenders = Map.copyOf(b.rejectedSenders);
        this.dataRejection = b.dataRejection;
        InetAddress loopback;
        try {
            loopback = InetAddress.getByAddress("127.0.0.1", new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        SMTPServer.Builder sb = SMTPServer.port(0)
                .bindAddress(loopback)
                .hostName(b.hostName)
                .insertReceivedHeaders(false)
                .connectionTimeout(30, TimeUnit.SECONDS)
                .messageHandlerFactory(this::newHandler);
        if (b.maxMessageSize > 0) {
            sb.maxMessageSize(b.maxMessageSize);
        }
        this.server = sb.build();
        if (b.pipelining) {
            server.getCommandHandler().addCommand(new PipeliningEhloCommand());
        }
        server.start();
    }

    /**
     * A builder with the defaults: PIPELINING advertised, nothing rejected.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Starts a server with the defaults of {@link #builder()}.
     *
     * @return the running server
     */
    public static SubethaSmtpServer start() {
        return builder().start();
    }

    /**
     * The port the server listens on.
     *
     * @return the ephemeral port on 127.0.0.1
     */
    public int port() {
        return server.getPortAllocated();
    }

    /**
     * The address the server listens on.
     *
     * @return {@code 127.0.0.1:port}
     */
    public InetSocketAddress address() {
        return new InetSocketAddress("127.0.0.1", port());
    }

    /**
     * The messages accepted so far, in the order their content was received.
     *
     * @return a copy of the list
     */
    public List<ReceivedMessage> messages() {
        synchronized (lock) {
            return List.copyOf(messages);
        }
    }

    /**
     * Waits until at least {@code n} messages were accepted.
     *
     * @param n       how many messages
     * @param timeout how long to wait at most
     * @return all messages accepted so far (at least {@code n})
     * @throws AssertionError if fewer messages arrived in time
     */
    public List<ReceivedMessage> awaitMessages(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (messages.size() < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("expected " + n + " message(s) within " + timeout + ", got "
                            + messages.size() + ": " + messages);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(lock, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted", e);
                }
            }
            return List.copyOf(messages);
        }
    }

    /**
     * Connects to the server, sends EHLO and QUIT, and returns the EHLO keywords: every line of the
     * EHLO reply after the first, with the code and separator removed, except SubEthaSMTP's
     * closing {@code Ok} line, e.g. {@code [8BITMIME, PIPELINING, CHUNKING, SMTPUTF8]}.
     *
     * @return the advertised keywords (with their parameters, e.g. {@code SIZE 1000})
     * @throws IOException if the conversation fails (reads time out after 5 s)
     */
    public List<String> ehloKeywords() throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(address(), 5000);
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            readReply(in);
            out.write("EHLO probe.test\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            List<String> lines = readReply(in);
            out.write("QUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            readReply(in);
            if (!lines.get(0).startsWith("250")) {
                throw new IOException("EHLO refused: " + lines);
            }
            List<String> keywords = new ArrayList<>();
            for (int i = 1; i < lines.size(); i++) {
                String keyword = lines.get(i).substring(Math.min(4, lines.get(i).length()));
                if (!(i == lines.size() - 1 && keyword.equals("Ok"))) {
                    keywords.add(keyword);
                }
            }
            return keywords;
        }
    }

    private static List<String> readReply(InputStream in) throws IOException {
        List<String> lines = new ArrayList<>();
        while (true) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            int prev = -1;
            int b;
            while ((b = in.read()) != '\n' || prev != '\r') {
                if (b < 0) {
                    throw new IOException("connection closed after " + lines);
                }
                if (line.size() > 1000) {
                    throw new IOException("reply line too long");
                }
                line.write(b);
                prev = b;
            }
            byte[] bytes = line.toByteArray();
            String text = new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
            lines.add(text);
            if (text.length() < 4 || text.charAt(3) != '-') {
                return lines;
            }
        }
    }

    /** Stops the server (SubEthaSMTP waits for its threads). */
    @Override
    public void close() {
        server.stop();
    }

    private MessageHandler newHandler(MessageContext context) {
        return new MessageHandler() {
            private String from;
            private final List<String> recipients = new ArrayList<>();

            @Override
            public void from(String address) throws RejectException {
                Rejection r = rejectedSenders.get(address.toLowerCase(Locale.ROOT));
                if (r != null) {
                    throw r.exception();
                }
                from = address;
            }

            @Override
            public void recipient(String address) throws RejectException {
                Rejection r = rejectedRecipients.get(address.toLowerCase(Locale.ROOT));
                if (r != null) {
                    throw r.exception();
                }
                recipients.add(address);
            }

            @Override
            public String data(InputStream data) throws RejectException, IOException {
                byte[] content = data.readAllBytes();
                if (dataRejection != null) {
                    throw dataRejection.exception();
                }
                ReceivedMessage message = new ReceivedMessage(from == null ? "" : from, recipients, content);
                synchronized (lock) {
                    messages.add(message);
                    lock.notifyAll();
                }
                return null;
            }

            @Override
            public void done() {
            }
        };
    }
}
