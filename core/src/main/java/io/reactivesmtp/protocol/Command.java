package io.reactivesmtp.protocol;

import io.netty.handler.codec.smtp.SmtpCommand;
import io.netty.handler.codec.smtp.SmtpRequest;
import java.util.List;

/**
 * A request as a transaction writes it: MAIL and RCPT with their parameters, made for every message. Netty's
 * {@code DefaultSmtpRequest} copies its varargs into an array list behind an unmodifiable wrapper; this holds an
 * immutable list as given. Its parameters were checked when they were made ({@code Envelope}, {@link MailParameters});
 * {@link SmtpRequestEncoder} checks every request again before a byte is written.
 *
 * @param command the command
 * @param parameters its parameters, immutable
 */
record Command(SmtpCommand command, List<CharSequence> parameters) implements SmtpRequest {

    /**
     * @param command the command
     * @param first its first parameter ({@code FROM:<..>}, {@code TO:<..>})
     * @param rest the parameters after it
     * @return the request
     */
    static Command of(SmtpCommand command, String first, List<String> rest) {
        switch (rest.size()) {
            case 0:
                return new Command(command, List.of(first));
            case 1:
                return new Command(command, List.of(first, rest.get(0)));
            default:
                CharSequence[] all = new CharSequence[rest.size() + 1];
                all[0] = first;
                for (int i = 0; i < rest.size(); i++) {
                    all[i + 1] = rest.get(i);
                }
                return new Command(command, List.of(all));
        }
    }
}
