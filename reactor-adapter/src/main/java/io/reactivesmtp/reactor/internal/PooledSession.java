package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SmtpSession;
import java.net.SocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** A ready session in a pool, with the number of transactions it has started (for maxMessagesPerConnection). */
public final class PooledSession {

    private final DestinationKey key;
    private final SmtpSession session;
    private final AtomicLong messages = new AtomicLong();
    private final AtomicBoolean tlsReported = new AtomicBoolean();
    private final AtomicBoolean tlsRptReported = new AtomicBoolean();
    private volatile SocketAddress remote;

    PooledSession(DestinationKey key, SmtpSession session) {
        this.key = key;
        this.session = session;
    }

    /** @return where it is connected */
    public DestinationKey key() {
        return key;
    }

    /** @return the session */
    public SmtpSession session() {
        return session;
    }

    /** @return how many transactions it has started */
    public long messages() {
        return messages.get();
    }

    /** @return how many it had started before this one */
    public long startTransaction() {
        return messages.getAndIncrement();
    }

    /** @return true the first time only: whoever gets true tells the listener about this connection's TLS */
    public boolean claimTlsReport() {
        return tlsReported.compareAndSet(false, true);
    }

    /** @return true the first time only: whoever gets true tells the TLS-RPT listener about this connection */
    public boolean claimTlsRptReport() {
        return tlsRptReported.compareAndSet(false, true);
    }

    SocketAddress remote() {
        return remote;
    }

    void remote(SocketAddress remote) {
        this.remote = remote;
    }

    @Override
    public String toString() {
        return "PooledSession{" + key + ", " + messages.get() + " messages}";
    }
}
