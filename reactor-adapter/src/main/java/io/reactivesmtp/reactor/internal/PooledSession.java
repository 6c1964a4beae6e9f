package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.SmtpSession;
import java.net.SocketAddress;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A ready session in a pool, with the number of transactions it has started (for maxMessagesPerConnection) and
 * whether it is idle (handed back to its pool and not taken again), in use, or being closed for the connection
 * budget. A new session is not idle until it was handed out once and came back: the connect that made it waits
 * for it, so the budget never closes it under that connect.
 */
public final class PooledSession {

    private static final int NEW = 0;
    private static final int IDLE = 1;
    private static final int IN_USE = 2;
    private static final int CLOSING = 3;

    private final DestinationKey key;
    private final SmtpSession session;
    private final AtomicLong messages = new AtomicLong();
    private final AtomicBoolean tlsReported = new AtomicBoolean();
    /** The policy domains told to the TLS-RPT listener about this connection; created at the first. */
    private Set<String> tlsRptReported;
    private volatile SocketAddress remote;
    private final AtomicInteger state = new AtomicInteger(NEW);
    /** Transactions started and not ended: with PIPELINING one may await its final reply after the hand-back. */
    private final AtomicInteger pending = new AtomicInteger();
    /** Told when the session may have become idle (the budget closes an idle one if connects wait). */
    private final Runnable onIdle;
    /** System.nanoTime() when it last went idle. */
    private volatile long idleSince = System.nanoTime();

    PooledSession(DestinationKey key, SmtpSession session, Runnable onIdle) {
        this.key = key;
        this.session = session;
        this.onIdle = onIdle;
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

    /** @return how many it had started before this one; call {@link #endTransaction()} when it ends */
    public long startTransaction() {
        pending.incrementAndGet();
        return messages.getAndIncrement();
    }

    /** @return whether a transaction it started has not ended yet (e.g. awaits its final reply) */
    boolean hasPendingTransaction() {
        return pending.get() > 0;
    }

    /** A transaction ended (verdict, failure or cancel): the session may be idle now. */
    public void endTransaction() {
        if (pending.decrementAndGet() == 0 && state.get() == IDLE) {
            onIdle.run();
        }
    }

    /** @return true the first time only: whoever gets true tells the listener about this connection's TLS */
    public boolean claimTlsReport() {
        return tlsReported.compareAndSet(false, true);
    }

    /** @return true if the caller now uses it; false if it is being closed for the budget (take another) */
    boolean tryClaim() {
        return state.compareAndSet(IDLE, IN_USE) || state.compareAndSet(NEW, IN_USE) || state.get() == IN_USE;
    }

    /** It goes back to its pool: idle from now. */
    void idle() {
        idleSince = System.nanoTime();
        state.compareAndSet(IN_USE, IDLE);
    }

    /**
     * @return true if it was idle, with no transaction awaiting its final reply, and is now the budget's to close
     */
    boolean tryClaimForClose() {
        // Transactions start only on a session claimed from the pool, so none can start between the two checks.
        return pending.get() == 0 && state.compareAndSet(IDLE, CLOSING);
    }

    /** @return true when handed back to its pool, not taken again, and no transaction awaits its final reply */
    boolean isIdle() {
        return state.get() == IDLE && pending.get() == 0;
    }

    boolean isClosing() {
        return state.get() == CLOSING;
    }

    long idleSince() {
        return idleSince;
    }

    /**
     * @param policyDomain the policy domain of the mail the connection carries now
     * @return true the first time only for each policy domain: whoever gets true tells the TLS-RPT listener about
     *     this connection; a connection shared by MX hosts at one address is one session of each domain it serves
     */
    public synchronized boolean claimTlsRptReport(String policyDomain) {
        if (tlsRptReported == null) {
            tlsRptReported = new HashSet<>(4);
        }
        return tlsRptReported.add(policyDomain);
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
