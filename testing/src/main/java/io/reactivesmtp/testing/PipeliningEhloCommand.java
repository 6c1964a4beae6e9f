package io.reactivesmtp.testing;

import java.io.IOException;
import java.util.Optional;
import org.subethamail.smtp.AuthenticationHandlerFactory;
import org.subethamail.smtp.internal.server.BaseCommand;
import org.subethamail.smtp.internal.server.Command;
import org.subethamail.smtp.internal.server.HelpMessage;
import org.subethamail.smtp.server.SMTPServer;
import org.subethamail.smtp.server.Session;

/**
 * SubEthaSMTP 7.2.0's EHLO command (same checks, same reply, same keyword order) plus
 * {@code 250-PIPELINING}.
 */
final class PipeliningEhloCommand implements Command {

    @Override
    public void execute(String commandString, Session session) throws IOException {
        String[] args = BaseCommand.getArgs(commandString);
        if (args.length < 2) {
            session.sendResponse("501 Syntax: EHLO hostname");
            return;
        }
        session.resetMailTransaction();
        session.setHelo(args[1]);
        SMTPServer server = session.getServer();
        StringBuilder reply = new StringBuilder("250-").append(server.getHostName());
        reply.append("\r\n250-8BITMIME");
        if (server.getMaxMessageSize() > 0) {
            reply.append("\r\n250-SIZE ").append(server.getMaxMessageSize());
        }
        if (server.getEnableTLS() && !server.getHideTLS()) {
            reply.append("\r\n250-STARTTLS");
        }
        reply.append("\r\n250-PIPELINING");
        reply.append("\r\n250-CHUNKING");
        reply.append("\r\n250-SMTPUTF8");
        Optional<AuthenticationHandlerFactory> auth = server.getAuthenticationHandlerFactory();
        boolean showAuth = session.isTLSStarted() ? auth.isPresent()
                : auth.isPresent() && (!server.getRequireTLS() || server.getShowAuthCapabilitiesBeforeSTARTTLS());
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
