package io.reactivesmtp.reactor.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;

/** Names and tags the connection observation; implement it to change them. */
public interface SmtpConnectionObservationConvention extends ObservationConvention<SmtpConnectionObservationContext> {

    @Override
    default boolean supportsContext(Observation.Context context) {
        return context instanceof SmtpConnectionObservationContext;
    }
}
