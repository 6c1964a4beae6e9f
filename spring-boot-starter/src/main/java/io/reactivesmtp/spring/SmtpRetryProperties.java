package io.reactivesmtp.spring;

import java.time.Duration;

/** Retries of recipients that failed transiently. */
public class SmtpRetryProperties {

    /** Attempts per message, the first included; 1 (the default) means no retry. */
    private Integer maxAttempts;

    /** The wait before the first retry. */
    private Duration firstBackoff;

    /** The longest wait between attempts. */
    private Duration maxBackoff;

    /** How much each wait grows. */
    private Double multiplier;

    /** Random spread of each wait, 0 to 1. */
    private Double jitter;

    /** Retry a message whose outcome is unknown (could deliver twice). */
    private Boolean retryUnknownOutcome;

    public Integer getMaxAttempts() {
        return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
        this.maxAttempts = maxAttempts;
    }

    public Duration getFirstBackoff() {
        return firstBackoff;
    }

    public void setFirstBackoff(Duration firstBackoff) {
        this.firstBackoff = firstBackoff;
    }

    public Duration getMaxBackoff() {
        return maxBackoff;
    }

    public void setMaxBackoff(Duration maxBackoff) {
        this.maxBackoff = maxBackoff;
    }

    public Double getMultiplier() {
        return multiplier;
    }

    public void setMultiplier(Double multiplier) {
        this.multiplier = multiplier;
    }

    public Double getJitter() {
        return jitter;
    }

    public void setJitter(Double jitter) {
        this.jitter = jitter;
    }

    public Boolean getRetryUnknownOutcome() {
        return retryUnknownOutcome;
    }

    public void setRetryUnknownOutcome(Boolean retryUnknownOutcome) {
        this.retryUnknownOutcome = retryUnknownOutcome;
    }
}
