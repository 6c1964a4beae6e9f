package io.reactivesmtp.reactor.internal;

import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import io.netty.util.concurrent.ScheduledFuture;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpPhase;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.protocol.FirstByteTimeoutHandler;
import io.reactivesmtp.reactor.PoolOptions;
import io.reactivesmtp.reactor.SmtpClientOptions;
import io.reactivesmtp.reactor.SmtpInstrumentation;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.NettyPipeline;
import reactor.netty.resources.LoopResources;
import reactor.netty.tcp.TcpClient;
import io.netty.resolver.AddressResolverGroup;
import reactor.pool.InstrumentedPool;
import reactor.pool.PoolAcquirePendingLimitException;
import reactor.pool.PoolAcquireTimeoutException;
import reactor.pool.PoolBuilder;
import reactor.pool.PoolShutdownException;
import reactor.pool.PooledRef;
import reactor.pool.PooledRefMetadata;

/**
 * One reactor-pool {@link InstrumentedPool} of ready sessions per {@link DestinationKey}, all under one
 * {@link ConnectionBudget} over all destinations.
 *
 * <p>Every allocation takes a slot of the budget before it connects; the slot goes back when the connection closes.
 * When the budget is spent, the least recently used idle session of any destination is closed (QUIT) to make room,
 * and when none is idle the connect waits for a slot (at most pendingAcquireTimeout). Sessions handed out are
 * wrapped ({@link BudgetRef}) so that the budget learns when they go back to their pool.
 *
 * <p>A burst of sends to one destination makes its pool allocate up to maxConnectionsPerDestination sessions at
 * once; a {@link KeyedPermits} per destination lets only maxPendingConnectsPerDestination of them connect and greet
 * at a time. The others wait for their turn while the pool hands the sessions that are ready to the waiting sends,
 * so the server sees a few connects at a time instead of thousands.
 *
 * <p>Idle sessions are closed after maxIdleTime, or mxIdleTime in MX mode: a connection to a recipient's MX host
 * is rarely needed again after a few seconds, so it is not held open for minutes.
 */
public final class SessionPools {

    /** How long QUIT may take when a session is closed before the connection is simply closed. */
    public static final Duration QUIT_GRACE = Duration.ofSeconds(5);
    /** The shortest time a pool without sessions is kept for its destination's next message. */
    static final Duration KEEP_EMPTY_POOL = Duration.ofSeconds(30);
    private final PoolOptions poolOptions;
    /** maxIdleTime, or mxIdleTime in MX mode. */
    private final Duration idleTime;
    private final SmtpSessionOptions sessionOptions;
    private final LoopResources loops;
    private final SafeListener listener;
    private final SmtpInstrumentation instrumentation;
    /** The resolver for host names, or null for reactor-netty's default. */
    private final AddressResolverGroup<?> resolver;
    private final ConnectionBudget budget;
    /** Connects in progress, per destination. */
    private final KeyedPermits connects;
    private final Map<DestinationKey, InstrumentedPool<PooledSession>> pools = new ConcurrentHashMap<>();
    private final Set<PooledSession> open = ConcurrentHashMap.newKeySet();
    private final Disposable sweeper;
    /** How long a pool without sessions and without use is kept. */
    private final Duration dropPoolAfter;
    private volatile boolean disposed;

    /**
     * @param options the client's options: the pool's bounds, the in-flight limit (for the default connection
     *     budget), how each session behaves, whether routing is MX (for the idle time), the instrumentation
     * @param loops the event loops connections run on
     * @param listener the user's listener
     * @param resolver resolves host names (the MX resolver's own DNS in MX mode), or null for the default
     */
    public SessionPools(SmtpClientOptions options, LoopResources loops, SafeListener listener,
                        AddressResolverGroup<?> resolver) {
        this.resolver = resolver;
        this.instrumentation = options.instrumentation();
        this.poolOptions = options.pool();
        this.sessionOptions = options.session();
        this.loops = loops;
        this.listener = listener;
        this.idleTime = options.routing().isMx() ? poolOptions.mxIdleTime() : poolOptions.maxIdleTime();
        this.budget = new ConnectionBudget(poolOptions.connectionBudget(options.maxInFlight()),
                poolOptions.maxPendingAcquires(), poolOptions.pendingAcquireTimeout(), s -> quit(s).subscribe());
        // Waiters are allocations of the pools, each bounded by maxConnectionsPerDestination: no overflow here.
        this.connects = new KeyedPermits(poolOptions.maxPendingConnectsPerDestination(), Integer.MAX_VALUE,
                key -> new IllegalStateException("unreachable: connects waiting for " + key));
        // Pools of destinations no longer used are dropped, so MX delivery to many domains does not grow forever.
        long sweepMillis = Math.max(1000, idleTime.toMillis());
        // An empty pool is kept a while after its last session idled out: in MX mode a domain often comes back
        // after a few seconds, and building its pool again costs more than keeping it.
        this.dropPoolAfter = idleTime.compareTo(KEEP_EMPTY_POOL) < 0 ? KEEP_EMPTY_POOL : idleTime;
        this.sweeper = Schedulers.parallel().schedulePeriodically(this::sweep, sweepMillis, sweepMillis,
                TimeUnit.MILLISECONDS);
    }

    /**
     * Takes an idle session that is still usable, or opens a new one. A pooled session that the server closed
     * while it idled is evicted and another is taken, without failing the caller.
     *
     * @param key the destination
     * @return a ready session; release or invalidate it exactly once
     */
    public Mono<PooledRef<PooledSession>> acquire(DestinationKey key) {
        return new SessionAcquire(this, key, poolOptions.maxConnectionsPerDestination() + 1);
    }

    /**
     * @param key the destination
     * @return the pool's own acquire (waiting at most pendingAcquireTimeout)
     * @throws IllegalStateException once disposed
     */
    Mono<? extends PooledRef<PooledSession>> poolAcquire(DestinationKey key) {
        if (disposed) {
            throw new IllegalStateException("the SMTP client is disposed");
        }
        return pool(key).acquire(poolOptions.pendingAcquireTimeout());
    }

    /** @return an acquire after the pool was dropped under the last one: {@code attempts} more turns at most */
    Mono<PooledRef<PooledSession>> acquireAgain(DestinationKey key, int attempts) {
        return new SessionAcquire(this, key, attempts);
    }

    /** Evicts a session that cannot be used and takes another, while turns are left. */
    Mono<PooledRef<PooledSession>> evictAndAcquire(PooledRef<PooledSession> ref, DestinationKey key, int attempts) {
        Mono<Void> evict = ref.invalidate().onErrorResume(e -> Mono.empty());
        return attempts > 0 ? evict.then(acquireAgain(key, attempts - 1))
                : evict.then(Mono.error(new SmtpConnectionException("no usable connection to " + key, null, null)));
    }

    ConnectionBudget budget() {
        return budget;
    }

    RuntimeException acquireFailure(DestinationKey key, Throwable e) {
        if (e instanceof PoolAcquireTimeoutException) {
            return new SmtpConnectionException("no connection to " + key + " became free within "
                    + poolOptions.pendingAcquireTimeout() + " (pendingAcquireTimeout)", e, null);
        }
        if (e instanceof PoolAcquirePendingLimitException) {
            return new SmtpConnectionException("too many sends wait for a connection to " + key
                    + ": " + poolOptions.maxPendingAcquires() + " (maxPendingAcquires)", e, null);
        }
        if (e instanceof IllegalStateException || e instanceof PoolShutdownException) {
            return new IllegalStateException("the SMTP client is disposed", e);
        }
        return new SmtpConnectionException("cannot get a connection to " + key + ": " + e, e, null);
    }

    private InstrumentedPool<PooledSession> pool(DestinationKey key) {
        InstrumentedPool<PooledSession> pool = pools.get(key); // first: no method reference made per message
        return pool != null ? pool : pools.computeIfAbsent(key, this::newPool);
    }

    private InstrumentedPool<PooledSession> newPool(DestinationKey key) {
        long maxMessages = poolOptions.maxMessagesPerConnection();
        long maxLifeMillis = poolOptions.maxLifetime().toMillis();
        long maxIdleMillis = idleTime.toMillis();
        long interval = Math.max(10, Math.min(1000, maxIdleMillis / 2));
        return PoolBuilder.from(open(key, tcpClients(key)))
                .sizeBetween(0, poolOptions.maxConnectionsPerDestination())
                .maxPendingAcquire(poolOptions.maxPendingAcquires())
                .evictionPredicate((PooledSession s, PooledRefMetadata m) -> !s.session().isReusable()
                        || s.messages() >= maxMessages
                        || m.lifeTime() >= maxLifeMillis
                        || m.idleTime() >= maxIdleMillis
                        || s.isClosing())
                .evictInBackground(Duration.ofMillis(interval))
                // Every acquire that waits arms this timer (pendingAcquireTimeout), and with pipelined messages
                // most do: on the event loop it is a cheap task, not a wake-up of another thread per message.
                .pendingAcquireTimer(this::onEventLoop)
                .destroyHandler(this::quit)
                // Most recently used first: traffic concentrates on few connections, the others idle out.
                .idleResourceReuseMruOrder()
                .buildPool();
    }

    private Disposable onEventLoop(Runnable task, Duration delay) {
        ScheduledFuture<?> f = loops.onClient(LoopResources.DEFAULT_NATIVE).next()
                .schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
        return () -> f.cancel(false);
    }

    /**
     * What a new connection of this destination tries, in order: its host name (resolved at connect, each of its
     * addresses in turn), or, for a key bound to addresses, each of those addresses.
     */
    private List<TcpClient> tcpClients(DestinationKey key) {
        TcpClient tcp = tcpClient(key);
        if (key.addresses() == null) {
            return List.of(tcp.host(key.host()).port(key.port()));
        }
        List<TcpClient> each = new ArrayList<>();
        for (InetAddress a : key.addresses()) {
            InetSocketAddress remote = new InetSocketAddress(a, key.port());
            each.add(tcp.remoteAddress(() -> remote));
        }
        return each;
    }

    private TcpClient tcpClient(DestinationKey key) {
        TcpClient tcp = TcpClient.newConnection()
                .runOn(loops)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, sessionOptions.timeout(SmtpPhase.CONNECT).toMillis()))
                // At channel init, before the connection is active: the greeting cannot arrive before the
                // session handler is there. The host name is the pool's first key's (SNI only, for a key bound to
                // addresses: its levels check no name).
                .doOnChannelInit((observer, channel, remote) -> SmtpSession.install(channel, key.session(),
                        key.host(), key.port(), NettyPipeline.ReactiveBridge))
                // After the session's handlers, so it goes first, in front of implicit TLS.
                .doOnChannelInit((observer, channel, remote) -> FirstByteTimeoutHandler.install(channel,
                        sessionOptions.timeout(SmtpPhase.CONNECT)));
        if (resolver != null && key.addresses() == null) {
            // Host names (MX hosts) resolve through the same DNS as the MX lookup, not the system's resolver.
            tcp = tcp.resolver(resolver);
        }
        InetSocketAddress local = key.localAddress();
        return local == null ? tcp : tcp.bindAddress(() -> local);
    }

    /**
     * The pool's allocator: a permit to connect to this destination, a slot of the budget, then a connection, then
     * a ready session. The destination's permit comes first: an allocation that waits for its turn at a busy
     * destination holds no slot another destination could use.
     */
    private Mono<PooledSession> open(DestinationKey key, List<TcpClient> tcp) {
        return Mono.defer(() -> connects.acquire(key).flatMap(connecting -> budget.acquire()
                .flatMap(permit -> connect(key, tcp, permit))
                // Ready, failed or cancelled: the next connect to this destination may start.
                .doFinally(signal -> connecting.release())));
    }

    /** One connect, once its turn came: the listener's clock starts here, not while it waited for the permits. */
    private Mono<PooledSession> connect(DestinationKey key, List<TcpClient> tcp, KeyedPermits.Permit permit) {
        String destination = key.connectionName();
        long start = System.nanoTime();
        listener.fire(l -> l.connectStart(destination));
        // Once a connection exists, its close gives the slot back (see ready): not a failure or cancel before, or
        // the server could briefly see more connections than the budget.
        AtomicBoolean connected = new AtomicBoolean();
        Runnable releaseIfNoConnection = () -> {
            if (!connected.get()) {
                permit.release();
            }
        };
        // onTerminateDetach: reactor-netty keeps the connect's sink for the connection's life; detached, it no
        // longer holds this whole chain of subscribers (about 2 KB per idle pooled session).
        return instrumentation.connection(destination, connectAny(tcp, 0)
                .onTerminateDetach()
                .onErrorMap(e -> !(e instanceof SmtpException), e -> connectFailure(key, e))
                .flatMap(connection -> {
                    connected.set(true);
                    return ready(key, connection, permit);
                })
                .doOnError(e -> releaseIfNoConnection.run())
                .doOnCancel(releaseIfNoConnection)
                .doOnSuccess(s -> listener.fire(l -> l.sessionReady(destination, s.session(), since(start))))
                .doOnError(e -> {
                    if (e instanceof SmtpException) {
                        listener.fire(l -> l.connectFailed(destination, (SmtpException) e, since(start)));
                    }
                }));
    }

    /** Each address in turn until one connects (as reactor-netty does with the addresses of a name). */
    private static Mono<Connection> connectAny(List<TcpClient> tcp, int i) {
        Mono<Connection> connect = tcp.get(i).connect().map(c -> (Connection) c);
        return i + 1 == tcp.size() ? connect : connect.onErrorResume(e -> connectAny(tcp, i + 1));
    }

    private Mono<PooledSession> ready(DestinationKey key, Connection connection, KeyedPermits.Permit permit) {
        SmtpSession session = SmtpSession.of(connection.channel());
        PooledSession pooled = new PooledSession(key, session, budget::idled);
        open.add(pooled);
        session.closeFuture().whenComplete((v, e) -> {
            // The permit stands for an open connection: it goes back when the connection is gone.
            permit.release();
            open.remove(pooled);
            budget.closed(pooled);
            listener.fire(l -> l.sessionClosed(key.connectionName(), pooled.remote(), pooled.messages()));
        });
        return Mono.fromFuture(session.ready(), true)
                .onErrorMap(e -> FirstByteTimeoutHandler.failure(connection.channel(), e))
                .doOnSuccess(c -> {
                    pooled.remote(session.remoteAddress());
                    budget.opened(pooled);
                })
                .thenReturn(pooled)
                .doOnError(e -> session.close())
                .doOnCancel(session::close);
    }

    private SmtpException connectFailure(DestinationKey key, Throwable e) {
        if (e instanceof ConnectTimeoutException) {
            return new SmtpTimeoutException(SmtpPhase.CONNECT, sessionOptions.timeout(SmtpPhase.CONNECT), null);
        }
        return new SmtpConnectionException("cannot connect to " + key.connectionName() + ": " + e.getMessage(), e, null);
    }

    /** The pool's destroy handler: QUIT when idle (the session closes at once otherwise), bounded. */
    private Mono<Void> quit(PooledSession s) {
        // A session retired at its end of data still awaits that message's final reply, and QUIT goes behind it:
        // the grace then starts after the time the reply may take (content filters take seconds). Closing sooner
        // would turn a delivered message into an unknown outcome.
        Duration grace = s.hasPendingTransaction()
                ? sessionOptions.timeout(SmtpPhase.DATA_TERMINATION).plus(QUIT_GRACE) : QUIT_GRACE;
        return Mono.fromFuture(s.session().close(), true)
                .timeout(grace)
                .onErrorResume(e -> {
                    s.session().channel().close();
                    return Mono.empty();
                });
    }

    private void sweep() {
        Duration idle = dropPoolAfter;
        for (Map.Entry<DestinationKey, InstrumentedPool<PooledSession>> e : pools.entrySet()) {
            InstrumentedPool.PoolMetrics m = e.getValue().metrics();
            if (m.allocatedSize() == 0 && m.pendingAcquireSize() == 0 && m.isInactiveForMoreThan(idle)
                    && pools.remove(e.getKey(), e.getValue())) {
                e.getValue().disposeLater().onErrorResume(x -> Mono.empty()).subscribe();
            }
        }
    }

    /** @return the connection budget: connections open at once over all destinations */
    public int connectionBudget() {
        return budget.size();
    }

    /** @return how many connections are open (ready or not) over all destinations */
    public int openConnections() {
        return open.size();
    }

    /**
     * Disposes every pool (QUIT on idle sessions; a session in use is closed when its transaction ends) and
     * waits, bounded, until the connections are closed.
     *
     * @return completes when done
     */
    public Mono<Void> disposeLater() {
        return Mono.defer(() -> {
            disposed = true;
            sweeper.dispose();
            List<InstrumentedPool<PooledSession>> all = new ArrayList<>(pools.values());
            pools.clear();
            Mono<Void> closed = Mono.defer(() -> {
                List<Mono<Void>> waits = new ArrayList<>();
                for (PooledSession s : open) {
                    waits.add(Mono.fromFuture(s.session().closeFuture(), true).onErrorResume(e -> Mono.empty()));
                }
                return Mono.when(waits);
            }).timeout(QUIT_GRACE.plusSeconds(1), Mono.fromRunnable(() -> open.forEach(s -> s.session().channel().close())));
            return Flux.fromIterable(all)
                    .flatMap(p -> p.disposeLater().onErrorResume(e -> Mono.empty()))
                    .then(closed);
        });
    }

    /** @return true once {@link #disposeLater()} was called */
    public boolean isDisposed() {
        return disposed;
    }

    private static Duration since(long startNanos) {
        return Duration.ofNanos(System.nanoTime() - startNanos);
    }
}
