package io.reactivesmtp.spring;

import java.time.Duration;
import java.util.List;

/** Adaptive pacing per site (a destination, or the hosts under one provider suffix); on by default. */
public class SmtpPacingProperties {

    /** Whether adaptive pacing is on. */
    private boolean enabled = true;

    /** The lowest concurrency pacing sets at a site. */
    private Integer floor;

    /** The concurrency a site starts at (at least the floor). */
    private Integer initial;

    /** How long without a slow-down signal before a site's limit grows again. */
    private Duration quietPeriod;

    /** Host suffixes whose hosts share one site, e.g. google.com; replaces the default list (empty: none). */
    private List<String> providerSuffixes;

    public boolean isEnabled() {
        return enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public Integer getFloor() {
        return floor;
    }

    public void setFloor(Integer floor) {
        this.floor = floor;
    }

    public Integer getInitial() {
        return initial;
    }

    public void setInitial(Integer initial) {
        this.initial = initial;
    }

    public Duration getQuietPeriod() {
        return quietPeriod;
    }

    public void setQuietPeriod(Duration quietPeriod) {
        this.quietPeriod = quietPeriod;
    }

    public List<String> getProviderSuffixes() {
        return providerSuffixes;
    }

    public void setProviderSuffixes(List<String> providerSuffixes) {
        this.providerSuffixes = providerSuffixes;
    }
}
