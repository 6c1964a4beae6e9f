package io.reactivesmtp.reactor.observation;

import io.micrometer.common.KeyValues;
import io.reactivesmtp.reactor.observation.SmtpObservationDocumentation.LowCardinalityKeys;

/**
 * The connection observation's default name ({@code smtp.connection}, contextual name {@code smtp connect}) and
 * tags: {@code smtp.destination}, {@code smtp.outcome} ({@code ready}, {@code error}, {@code cancelled}) and
 * {@code smtp.reply.class} (the refusal's class, or {@code none}).
 */
public class DefaultSmtpConnectionObservationConvention implements SmtpConnectionObservationConvention {

    /** The observation's name, and so the timer's. */
    public static final String NAME = "smtp.connection";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public String getContextualName(SmtpConnectionObservationContext context) {
        return "smtp connect";
    }

    @Override
    public KeyValues getLowCardinalityKeyValues(SmtpConnectionObservationContext context) {
        String outcome = context.isReady() ? "ready" : context.getError() != null ? "error"
                : context.isCancelled() ? "cancelled" : "unknown";
        String replyClass = context.isReady() ? "2xx" : ReplyClasses.of(context.getError());
        return KeyValues.of(LowCardinalityKeys.DESTINATION.withValue(context.destination()),
                LowCardinalityKeys.OUTCOME.withValue(outcome),
                LowCardinalityKeys.REPLY_CLASS.withValue(replyClass));
    }
}
