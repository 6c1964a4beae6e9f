package io.reactivesmtp.spring;

import java.time.Duration;

/** The pool of sessions per destination. */
public class SmtpPoolProperties {

    /** Open connections per destination at most. */
    private Integer maxConnectionsPerDestination;

    /** Open connections over all destinations at most. */
    private Integer maxConnections;

    /** Sends waiting for a connection at most. */
    private Integer maxPendingAcquires;

    /** How long a send waits for a connection. */
    private Duration pendingAcquireTimeout;

    /** Messages one connection carries before it is closed. */
    private Integer maxMessagesPerConnection;

    /** How long a connection lives at most. */
    private Duration maxLifetime;

    /** How long an idle connection is kept. */
    private Duration maxIdleTime;

    /** Idle connections the default budget keeps beyond max-in-flight (when max-connections is not set). */
    private Integer idleAllowance;

    /** How long an idle connection to a recipient's MX host is kept (MX routing; seconds, not minutes). */
    private Duration mxIdleTime;

    public Integer getMaxConnectionsPerDestination() {
        return maxConnectionsPerDestination;
    }

    public void setMaxConnectionsPerDestination(Integer maxConnectionsPerDestination) {
        this.maxConnectionsPerDestination = maxConnectionsPerDestination;
    }

    public Integer getMaxConnections() {
        return maxConnections;
    }

    public void setMaxConnections(Integer maxConnections) {
        this.maxConnections = maxConnections;
    }

    public Integer getMaxPendingAcquires() {
        return maxPendingAcquires;
    }

    public void setMaxPendingAcquires(Integer maxPendingAcquires) {
        this.maxPendingAcquires = maxPendingAcquires;
    }

    public Duration getPendingAcquireTimeout() {
        return pendingAcquireTimeout;
    }

    public void setPendingAcquireTimeout(Duration pendingAcquireTimeout) {
        this.pendingAcquireTimeout = pendingAcquireTimeout;
    }

    public Integer getMaxMessagesPerConnection() {
        return maxMessagesPerConnection;
    }

    public void setMaxMessagesPerConnection(Integer maxMessagesPerConnection) {
        this.maxMessagesPerConnection = maxMessagesPerConnection;
    }

    public Duration getMaxLifetime() {
        return maxLifetime;
    }

    public void setMaxLifetime(Duration maxLifetime) {
        this.maxLifetime = maxLifetime;
    }

    public Duration getMaxIdleTime() {
        return maxIdleTime;
    }

    public void setMaxIdleTime(Duration maxIdleTime) {
        this.maxIdleTime = maxIdleTime;
    }

    public Integer getIdleAllowance() {
        return idleAllowance;
    }

    public void setIdleAllowance(Integer idleAllowance) {
        this.idleAllowance = idleAllowance;
    }

    public Duration getMxIdleTime() {
        return mxIdleTime;
    }

    public void setMxIdleTime(Duration mxIdleTime) {
        this.mxIdleTime = mxIdleTime;
    }
}
