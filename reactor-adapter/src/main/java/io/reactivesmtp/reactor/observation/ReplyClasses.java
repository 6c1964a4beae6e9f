package io.reactivesmtp.reactor.observation;

import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpAuthenticationException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.SmtpSessionRejectedException;
import java.util.Optional;

/** The {@code smtp.reply.class} value: the class of the reply that decided, {@code none} when none did. */
final class ReplyClasses {

    static final String NONE = "none";

    private ReplyClasses() {
    }

    static String of(SmtpReply reply) {
        return reply == null ? NONE : (reply.code() / 100) + "xx";
    }

    /** The final reply to the data; without one, a refused MAIL, or the first refused recipient's reply. */
    static String of(SendReport report) {
        if (report.dataReply().isPresent()) {
            return of(report.dataReply().get());
        }
        Optional<SmtpReply> mail = report.mailReply();
        if (mail.isPresent() && !mail.get().isPositive()) {
            return of(mail.get());
        }
        for (RecipientResult r : report.recipients()) {
            if (!r.isAccepted() && r.reply().isPresent()) {
                return of(r.reply().get());
            }
        }
        return NONE;
    }

    /** A refusal's reply (session rejected, AUTH refused); {@code none} for timeouts, closes and the like. */
    static String of(Throwable error) {
        if (error instanceof SmtpSessionRejectedException) {
            return of(((SmtpSessionRejectedException) error).reply());
        }
        if (error instanceof SmtpAuthenticationException) {
            return ((SmtpAuthenticationException) error).reply().map(ReplyClasses::of).orElse(NONE);
        }
        return NONE;
    }
}
