package io.reactivesmtp.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.MessageContext;
import org.subethamail.smtp.MessageHandler;
import org.subethamail.smtp.RejectException;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * A small in-process SMTP server for {@code reactive-smtp demo} and for trying the client out: SubEthaSMTP
 * 7.2.0 bound to {@code 127.0.0.1} on a free port. It accepts every sender and recipient except the ones it was
 * told to reject, keeps the messages it accepted in memory, and delivers nothing anywhere.
 *
 * <p>SubEthaSMTP itself never advertises {@code PIPELINING} although it answers pipelined commands in order;
 * with {@link Builder#pipelining(boolean) pipelining(true)} (the default) its EHLO reply gets a
 * {@code 250-PIPELINING} line so that the client pipelines MAIL/RCPT/DATA as it would with a real server.
 *
 * <pre>{@code
 * try (EmbeddedSmtpServer server = EmbeddedSmtpServer.builder()
 *         .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user")
 *         .start()) {
 *     // send to server.host():server.port() ...
 *     List<EmbeddedSmtpServer.ReceivedMessage> got = server.messages();
 * }
 * }</pre>
 */
public final class EmbeddedSmtpServer implements AutoCloseable {

    /** The address the server binds to. */
    public static final String HOST = "127.0.0.1";

    /**
     * One message the server accepted.
     *
     * @param from the reverse path of MAIL FROM without angle brackets ({@code ""} for the null sender)
     * @param recipients the recipients the server accepted, in order, without angle brackets
     * @param data the content as received (un-stuffed, without the terminating dot)
     */
    public record ReceivedMessage(String from, List<String> recipients, byte[] data) {

        /**
         * Copies the recipients and the data.
         *
         * @param from the reverse path
         * @param recipients the accepted recipients
         * @param data the content
         */
        public ReceivedMessage {
            Objects.requireNonNull(from, "from");
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
            return o instanceof ReceivedMessage m && from.equals(m.from) && recipients.equals(m.recipients)
                    && java.util.Arrays.equals(data, m.data);
        }

        @Override
        public int hashCode() {
            return Objects.hash(from, recipients) * 31 + java.util.Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "ReceivedMessage[from=" + from + ", recipients=" + recipients + ", " + data.length + " bytes]";
        }
    }

    /** A reply that refuses a recipient. */
    private record Rejection(int code, String text) {
    }

    /** Configures and starts an {@link EmbeddedSmtpServer}. Not thread-safe. */
    public static final class Builder {
        private final Map<String, Rejection> rejectedRecipients = new HashMap<>();
        private boolean pipelining = true;
        private String hostName = "embedded.reactive-smtp.test";

        private Builder() {
        }

        /**
         * Refuses RCPT TO for this address (compared ignoring case) with this reply.
         *
         * @param address the address without angle brackets
         * @param code a 4xx or 5xx reply code, such as 550 or 451
         * @param text the reply text, such as {@code "5.1.1 no such user"}
         * @return this builder
         * @throws IllegalArgumentException if the code is not 4xx or 5xx
         */
        public Builder rejectRecipient(String address, int code, String text) {
            if (code < 400 || code > 599) {
                throw new IllegalArgumentException("a rejection needs a 4xx or 5xx code: " + code);
            }
            rejectedRecipients.put(address.toLowerCase(Locale.ROOT),
                    new Rejection(code, Objects.requireNonNull(text, "text")));
            return this;
        }

        /**
         * Whether EHLO advertises PIPELINING (default {@code true}).
         *
         * @param enabled whether to advertise PIPELINING
         * @return this builder
         */
        public Builder pipelining(boolean enabled) {
            this.pipelining = enabled;
            return this;
        }

        /**
         * The name in the greeting and the first EHLO line (default {@code embedded.reactive-smtp.test}).
         *
         * @param hostName the server's name
         * @return this builder
         */
        public Builder hostName(String hostName) {
            this.hostName = Objects.requireNonNull(hostName, "hostName");
            return this;
        }

        /**
         * Starts the server on {@code 127.0.0.1} and a free port.
         *
         * @return the running server
         * @throws IllegalStateException if it cannot start
         */
        public EmbeddedSmtpServer start() {
            return new EmbeddedSmtpServer(this);
        }
    }

    private final Map<String, Rejection> rejectedRecipients;
    private final SMTPServer server;
    private final Object lock = new Object();
    /** Guarded by {@link #lock}. */
    private final List<ReceivedMessage> messages = new ArrayList<>();

    private EmbeddedSmtpServer(Builder b) {
        this.rejectedRecipients = Map.copyOf(b.rejectedRecipients);
        InetAddress loopback;
        try {
            loopback = InetAddress.getByAddress(HOST, new byte[] {127, 0, 0, 1});
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        this.server = SMTPServer.port(0)
                .bindAddress(loopback)
                .hostName(b.hostName)
                .insertReceivedHeaders(false)
                .connectionTimeout(30, TimeUnit.SECONDS)
                .messageHandlerFactory(this::newHandler)
                .build();
        if (b.pipelining) {
            server.getCommandHandler().addCommand(new PipeliningEhloCommand());
        }
        server.start();
    }

    /**
     * A builder: nothing rejected, PIPELINING advertised.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The server the demo uses: rejects {@code nobody@example.net} with {@code 550 5.1.1 no such user} and
     * {@code busy@example.net} with {@code 451 4.2.1 mailbox busy}, accepts everything else.
     *
     * @return a running server
     */
    public static EmbeddedSmtpServer startDemo() {
        return builder()
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user")
                .rejectRecipient("busy@example.net", 451, "4.2.1 mailbox busy")
                .start();
    }

    /**
     * The address the server listens on.
     *
     * @return {@code 127.0.0.1}
     */
    public String host() {
        return HOST;
    }

    /**
     * The port the server listens on.
     *
     * @return the port allocated when it started
     */
    public int port() {
        return server.getPortAllocated();
    }

    /**
     * The messages accepted so far, in the order their content arrived. A message is recorded before the
     * server answers the final dot, so it is here once the client has the server's reply.
     *
     * @return a copy of the list
     */
    public List<ReceivedMessage> messages() {
        synchronized (lock) {
            return List.copyOf(messages);
        }
    }

    /** Stops the server and waits for its threads. */
    @Override
    public void close() {
        server.stop();
    }

    @Override
    public String toString() {
        return "embedded SubEthaSMTP on " + HOST + ":" + port();
    }

    private MessageHandler newHandler(MessageContext context) {
        return new MessageHandler() {
            private String from = "";
            private final List<String> recipients = new ArrayList<>();

            @Override
            public void from(String address) {
                from = address == null ? "" : address;
            }

            @Override
            public void recipient(String address) throws RejectException {
                Rejection rejection = rejectedRecipients.get(address.toLowerCase(Locale.ROOT));
                if (rejection != null) {
                    throw new RejectException(rejection.code(), rejection.text());
                }
                recipients.add(address);
            }

            @Override
            public String data(InputStream data) throws IOException {
                ReceivedMessage message = new ReceivedMessage(from, recipients, data.readAllBytes());
                synchronized (lock) {
                    messages.add(message);
                }
                return null;
            }

            @Override
            public void done() {
            }
        };
    }

    /**
     * SubEthaSMTP 7.2.0's EHLO command (same checks, same reply, same keyword order) plus
     * {@code 250-PIPELINING}.
     */
    private static final class PipeliningEhloCommand implements Command {

        @Override
        public void execute(String commandString, Session session) throws IOException {
            String[] args = BaseCommand.getArgs(commandString);
            if (args.length < 2) {
                session.sendResponse("501 Syntax: EHLO hostname");
                return;
            }
            session.resetMailTransaction();
            session.setHelo(args[1]);
            SMTPServer smtp = session.getServer();
            StringBuilder reply = new StringBuilder("250-").append(smtp.getHostName());
            reply.append("\r\n250-8BITMIME");
            if (smtp.getMaxMessageSize() > 0) {
                reply.append("\r\n250-SIZE ").append(smtp.getMaxMessageSize());
            }
            if (smtp.getEnableTLS() && !smtp.getHideTLS()) {
                reply.append("\r\n250-STARTTLS");
            }
            reply.append("\r\n250-PIPELINING");
            reply.append("\r\n250-CHUNKING");
            reply.append("\r\n250-SMTPUTF8");
            java.util.Optional<AuthenticationHandlerFactory> auth = smtp.getAuthenticationHandlerFactory();
            boolean showAuth = session.isTLSStarted() ? auth.isPresent()
                    : auth.isPresent() && (!smtp.getRequireTLS() || smtp.getShowAuthCapabilitiesBeforeSTARTTLS());
            if (showAuth && !auth.get().getAuthenticationMechanisms().isEmpty()) {
                reply.append("\r\n250-AUTH ").append(String.join(" ", auth.get().getAuthenticationMechanisms()));
            }
            reply.append("\r\n250 Ok");
            session.sendResponse(reply.toString());
        }

        @Override
        public HelpMessage getHelp() {
            return new HelpMessage("EHLO", "Introduce yourself.", "<hostname>");
        }

        @Override
        public String getName() {
            return "EHLO";
        }
    }
}
