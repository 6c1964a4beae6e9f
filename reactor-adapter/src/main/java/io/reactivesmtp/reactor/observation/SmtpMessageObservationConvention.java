package io.reactivesmtp.reactor.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/** Names and tags the message observation; implement it to change them ({@link DefaultSmtpMessageObservationConvention}). */
public interface SmtpMessageObservationConvention extends ObservationConvention<SmtpMessageObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof SmtpMessageObservationContext;
    }
}
