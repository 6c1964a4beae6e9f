package io.reactivesmtp.reactor.observation;

import io.micrometer.common.KeyValues;
import io.reactivesmtp.reactor.observation.SmtpObservationDocumentation.LowCardinalityKeys;
import io.reactivesmtp.reactor.observation.SmtpObservationDocumentation.MessageHighCardinalityKeys;
import java.util.Locale;

/**
 * The message observation's default name ({@code smtp.message}, contextual name {@code smtp send}) and tags:
 * {@code smtp.destination}, {@code smtp.outcome}, {@code smtp.reply.class} (low cardinality), and the message id and
 * recipient count (high cardinality, for spans).
 */
public class DefaultSmtpMessageObservationConvention implements SmtpMessageObservationConvention {

    /** The observation's name, and so the timer's. */
    public static final String NAME = "smtp.message";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(SmtpMessageObservationContext context) {
        return "smtp send";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(SmtpMessageObservationContext context) {
        String outcome;
        String replyClass;
        if (context.report().isPresent()) {
            outcome = context.report().get().outcome().name().toLowerCase(Locale.ROOT);
            replyClass = ReplyClasses.of(context.report().get());
        } else if (context.getError() != null) {
            outcome = "error";
            replyClass = ReplyClasses.of(context.getError());
        } else {
            outcome = context.isCancelled() ? "cancelled" : "unknown";
            replyClass = ReplyClasses.NONE;
        }
        return KeyValues.of(LowCardinalityKeys.DESTINATION.withValue(context.destination()),
                LowCardinalityKeys.OUTCOME.withValue(outcome),
                LowCardinalityKeys.REPLY_CLASS.withValue(replyClass));
    }

    @Override
    public KeyValues getHighCardinalityKeyValues(SmtpMessageObservationContext context) {
        return KeyValues.of(MessageHighCardinalityKeys.MESSAGE_ID.withValue(String.valueOf(context.message().id())),
                MessageHighCardinalityKeys.RECIPIENTS.withValue(
                        String.valueOf(context.message().envelope().recipients().size())));
    }
}
