package io.reactivesmtp.cli;

import io.reactivesmtp.testing.SubethaSmtpServer;

/**
 * The in-process SMTP server of {@code demo} and of {@code bulk} without {@code --server} or {@code --mx}: the
 * testing module's {@link SubethaSmtpServer} on {@code 127.0.0.1}, refusing {@code nobody@example.net} (550) and
 * {@code busy@example.net} (451) so that a first run shows every kind of verdict.
 */
final class DemoServer {

    /** The address the server binds to. */
    static final String HOST = "127.0.0.1";

    private DemoServer() {
    }

    /**
     * Starts the demo server.
     *
     * @return a running server; close it when done
     */
    static SubethaSmtpServer start() {
        return SubethaSmtpServer.builder()
                .hostName("embedded.reactive-smtp.test")
                .rejectRecipient("nobody@example.net", 550, "5.1.1 no such user")
                .rejectRecipient("busy@example.net", 451, "4.2.1 mailbox busy")
                .start();
    }

    /**
     * How the server is named in the programs' output.
     *
     * @param server the running server
     * @return e.g. {@code embedded SubEthaSMTP on 127.0.0.1:40123}
     */
    static String describe(SubethaSmtpServer server) {
        return "embedded SubEthaSMTP on " + HOST + ":" + server.port();
    }
}
