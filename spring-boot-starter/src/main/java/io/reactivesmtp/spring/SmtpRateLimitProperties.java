package io.reactivesmtp.spring;

import java.time.Duration;

/** A token bucket per destination server. */
public class SmtpRateLimitProperties {

    /** Messages per second to one server; unset means no limit. */
    private Double perSecond;

    /** Messages that may go at once before the rate applies. */
    private Integer burst;

    /** How long the rate stays lowered after the server asked to slow down. */
    private Duration coolDown;

    public Double getPerSecond() {
        return perSecond;
    }

    public void setPerSecond(Double perSecond) {
        this.perSecond = perSecond;
    }

    public Integer getBurst() {
        return burst;
    }

    public void setBurst(Integer burst) {
        this.burst = burst;
    }

    public Duration getCoolDown() {
        return coolDown;
    }

    public void setCoolDown(Duration coolDown) {
        this.coolDown = coolDown;
    }
}
