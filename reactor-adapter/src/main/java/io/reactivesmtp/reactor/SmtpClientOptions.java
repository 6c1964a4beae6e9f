package io.reactivesmtp.reactor;

import io.reactivesmtp.SmtpSessionOptions;
import io.reactivesmtp.dkim.DkimSigner;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import reactor.netty.resources.LoopResources;

/**
 * Where an {@link SmtpClient} sends, how its sessions behave, how they are pooled and how much it sends at once.
 * Immutable; build with {@link #builder()}, change with {@link #mutate()}.
 *
 * <pre>{@code
 * SmtpClientOptions options = SmtpClientOptions.builder()
 *     .relay("smtp.example.com", 587)
 *     .session(SmtpSessionOptions.builder().heloName("app.example.com").build())
 *     .pool(PoolOptions.builder().maxConnectionsPerDestination(20).build())
 *     .maxInFlight(200)
 *     .build();
 * }</pre>
 */
public final class SmtpClientOptions {

    /** The default SMTP port for relaying and for MX delivery (RFC 5321); submission is 587 (RFC 6409). */
    public static final int DEFAULT_PORT = 25;
    /** The default port of the mail exchangers in MX mode. */
    public static final int DEFAULT_MX_PORT = 25;
    /** The default number of event-loop threads a client creates: one drives thousands of sessions. */
    public static final int DEFAULT_EVENT_LOOP_THREADS = 1;
    /** The default bound of messages {@link SmtpClient#sendAll} has in flight at once. */
    public static final int DEFAULT_MAX_IN_FLIGHT = 100;
    /** The default bound of messages {@link SmtpClient#sendAll} holds while they wait for a retry. */
    public static final int DEFAULT_MAX_AWAITING_RETRY = 1000;

    private final Routing routing;
    private final SmtpSessionOptions session;
    private final PoolOptions pool;
    private final LoopResources loopResources;
    private final int eventLoopThreads;
    private final InetSocketAddress localAddress;
    private final int mxPort;
    private final int maxInFlight;
    private final int maxInFlightPerDestination;
    private final SmtpEventListener eventListener;
    private final SmtpInstrumentation instrumentation;
    private final RetryPolicy retry;
    private final RateLimit rateLimit;
    private final Pacing pacing;
    private final int maxAwaitingRetry;
    private final List<DkimSigner> dkim;

    private SmtpClientOptions(Builder b) {
        this.routing = b.routing;
        this.session = b.session;
        this.pool = b.pool;
        this.loopResources = b.loopResources;
        this.eventLoopThreads = b.eventLoopThreads;
        this.localAddress = b.localAddress;
        this.mxPort = b.mxPort;
        this.maxInFlight = b.maxInFlight;
        // Two per connection by default: one message awaiting its final reply, the next one pipelined behind it.
        this.maxInFlightPerDestination = b.maxInFlightPerDestination > 0
                ? b.maxInFlightPerDestination : (int) Math.min(Integer.MAX_VALUE, 2L * b.pool.maxConnectionsPerDestination());
        this.eventListener = b.eventListener;
        this.instrumentation = b.instrumentation;
        this.retry = b.retry;
        this.rateLimit = b.rateLimit;
        this.pacing = b.pacing;
        this.maxAwaitingRetry = b.maxAwaitingRetry;
        this.dkim = b.dkim;
    }

    /** @return a builder; {@link Builder#relay(String, int)} or {@link Builder#routing(Routing)} is required */
    public static Builder builder() {
        return new Builder();
    }

    /** @return a builder holding these options */
    public Builder mutate() {
        Builder b = new Builder();
        b.routing = routing;
        b.session = session;
        b.pool = pool;
        b.loopResources = loopResources;
        b.eventLoopThreads = eventLoopThreads;
        b.localAddress = localAddress;
        b.mxPort = mxPort;
        b.maxInFlight = maxInFlight;
        b.maxInFlightPerDestination = maxInFlightPerDestination;
        b.eventListener = eventListener;
        b.instrumentation = instrumentation;
        b.retry = retry;
        b.rateLimit = rateLimit;
        b.pacing = pacing;
        b.maxAwaitingRetry = maxAwaitingRetry;
        b.dkim = dkim;
        return b;
    }

    /** @return where messages go */
    public Routing routing() {
        return routing;
    }

    /** @return the first relay's host name, or null in MX mode */
    public String host() {
        return routing.isMx() ? null : routing.relays().get(0).getHostString();
    }

    /** @return the first relay's port, or the MX port in MX mode */
    public int port() {
        return routing.isMx() ? mxPort : routing.relays().get(0).getPort();
    }

    /** @return how each session behaves */
    public SmtpSessionOptions session() {
        return session;
    }

    /** @return how sessions are pooled */
    public PoolOptions pool() {
        return pool;
    }

    /** @return the shared event loops, if the caller handed some in; otherwise the client creates its own */
    public Optional<LoopResources> loopResources() {
        return Optional.ofNullable(loopResources);
    }

    /** @return how many event-loop threads the client creates when no {@link #loopResources()} are given */
    public int eventLoopThreads() {
        return eventLoopThreads;
    }

    /** @return the local address connections are made from, if set */
    public Optional<InetSocketAddress> localAddress() {
        return Optional.ofNullable(localAddress);
    }

    /** @return the port of the mail exchangers in MX mode */
    public int mxPort() {
        return mxPort;
    }

    /** @return the bound of messages {@link SmtpClient#sendAll} has in flight at once */
    public int maxInFlight() {
        return maxInFlight;
    }

    /** @return the bound of messages {@link SmtpClient#sendAll} has in flight to one destination */
    public int maxInFlightPerDestination() {
        return maxInFlightPerDestination;
    }

    /** @return the listener told about every phase */
    public SmtpEventListener eventListener() {
        return eventListener;
    }

    /** @return what wraps each message and each connection, for tracing ({@link SmtpInstrumentation#NONE} by default) */
    public SmtpInstrumentation instrumentation() {
        return instrumentation;
    }

    /**
     * @return how {@link SmtpClient#send} and {@link SmtpClient#sendAll} retry transient failures
     *     ({@link RetryPolicy#NONE} by default)
     */
    public RetryPolicy retry() {
        return retry;
    }

    /** @return the per-destination rate limit, if any (none by default) */
    public Optional<RateLimit> rateLimit() {
        return Optional.ofNullable(rateLimit);
    }

    /** @return the adaptive pacing per destination ({@link Pacing#DEFAULT} unless set) */
    public Pacing pacing() {
        return pacing;
    }

    /**
     * @return the bound of messages {@link SmtpClient#sendAll} holds, beyond {@link #maxInFlight()}, while they
     *     wait for their next attempt
     */
    public int maxAwaitingRetry() {
        return maxAwaitingRetry;
    }

    /**
     * @return the DKIM signers every message is signed with, in this order (none by default); see
     *     {@link Builder#dkim(DkimSigner...)}
     */
    public List<DkimSigner> dkim() {
        return dkim;
    }

    @Override
    public String toString() {
        return "SmtpClientOptions{" + routing + ", " + pool + ", maxInFlight=" + maxInFlight
                + ", maxInFlightPerDestination=" + maxInFlightPerDestination + ", retry=" + retry
                + (rateLimit != null ? ", " + rateLimit : "") + (dkim.isEmpty() ? "" : ", dkim=" + dkim) + "}";
    }

    /** Builds {@link SmtpClientOptions}, validating each input. */
    public static final class Builder {
        private Routing routing;
        private SmtpSessionOptions session = SmtpSessionOptions.DEFAULT;
        private PoolOptions pool = PoolOptions.DEFAULT;
        private LoopResources loopResources;
        private int eventLoopThreads = DEFAULT_EVENT_LOOP_THREADS;
        private InetSocketAddress localAddress;
        private int mxPort = DEFAULT_MX_PORT;
        private int maxInFlight = DEFAULT_MAX_IN_FLIGHT;
        /** 0: follow the pool's maxConnectionsPerDestination. */
        private int maxInFlightPerDestination;
        private SmtpEventListener eventListener = SmtpEventListener.NONE;
        private SmtpInstrumentation instrumentation = SmtpInstrumentation.NONE;
        private RetryPolicy retry = RetryPolicy.NONE;
        private RateLimit rateLimit;
        private Pacing pacing = Pacing.DEFAULT;
        private int maxAwaitingRetry = DEFAULT_MAX_AWAITING_RETRY;
        private List<DkimSigner> dkim = List.of();

        private Builder() {
        }

        /**
         * Sends everything through one relay; same as {@code routing(Routing.relay(host, port))}.
         *
         * @param host the relay server's host name or address
         * @param port its port, 1 to 65535
         * @return this
         */
        public Builder relay(String host, int port) {
            this.routing = Routing.relay(host, port);
            return this;
        }

        /** @param routing relays or MX @return this */
        public Builder routing(Routing routing) {
            this.routing = Objects.requireNonNull(routing, "routing");
            return this;
        }

        /** @param session how each session behaves @return this */
        public Builder session(SmtpSessionOptions session) {
            this.session = Objects.requireNonNull(session, "session");
            return this;
        }

        /** @param pool how sessions are pooled @return this */
        public Builder pool(PoolOptions pool) {
            this.pool = Objects.requireNonNull(pool, "pool");
            return this;
        }

        /**
         * Runs on shared event loops; the client then never shuts them down.
         *
         * @param loops the event loops
         * @return this
         */
        public Builder loopResources(LoopResources loops) {
            this.loopResources = Objects.requireNonNull(loops, "loops");
            return this;
        }

        /** @param threads event-loop threads the client creates for itself, at least 1 @return this */
        public Builder eventLoopThreads(int threads) {
            this.eventLoopThreads = threads;
            return this;
        }

        /** @param address the local address to connect from (port 0 for any) @return this */
        public Builder localAddress(InetSocketAddress address) {
            this.localAddress = Objects.requireNonNull(address, "address");
            return this;
        }

        /** @param port the port of the mail exchangers in MX mode (25 but in tests), 1 to 65535 @return this */
        public Builder mxPort(int port) {
            this.mxPort = port;
            return this;
        }

        /** @param n messages {@link SmtpClient#sendAll} has in flight at once, at least 1 @return this */
        public Builder maxInFlight(int n) {
            this.maxInFlight = n;
            return this;
        }

        /**
         * @param n messages {@link SmtpClient#sendAll} has in flight to one destination (a relay routing, or
         *     one recipient domain in MX mode), at least 1; defaults to twice the pool's
         *     maxConnectionsPerDestination, since a connection to a server that pipelines carries a message
         *     awaiting its final reply and the next one behind it
         * @return this
         */
        public Builder maxInFlightPerDestination(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("maxInFlightPerDestination must be at least 1: " + n);
            }
            this.maxInFlightPerDestination = n;
            return this;
        }

        /** @param listener told about every phase; its exceptions are ignored @return this */
        public Builder eventListener(SmtpEventListener listener) {
            this.eventListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /**
         * @param instrumentation wraps each message and each connection being opened, e.g.
         *     {@code ObservationSmtpInstrumentation.create(registry)} for Micrometer observations
         * @return this
         */
        public Builder instrumentation(SmtpInstrumentation instrumentation) {
            this.instrumentation = Objects.requireNonNull(instrumentation, "instrumentation");
            return this;
        }

        /**
         * Retries transient failures in {@link SmtpClient#send} and {@link SmtpClient#sendAll} as
         * {@link SmtpRetry} does: only the recipients whose result was transient are sent again, recipients
         * already accepted never; an unknown outcome only when the policy allows.
         *
         * @param retry the policy (default {@link RetryPolicy#NONE}: one attempt)
         * @return this
         */
        public Builder retry(RetryPolicy retry) {
            this.retry = Objects.requireNonNull(retry, "retry");
            return this;
        }

        /**
         * Adaptive pacing per destination (and provider), on by default; {@link Pacing#OFF} turns it off.
         *
         * @param pacing the pacing
         * @return this
         */
        public Builder pacing(Pacing pacing) {
            this.pacing = Objects.requireNonNull(pacing, "pacing");
            return this;
        }

        /**
         * Limits the transactions per second to each destination server, backing off when a server answers 421
         * or 4.7.x; see {@link RateLimit}.
         *
         * @param rateLimit the limit, or null for none (the default)
         * @return this
         */
        public Builder rateLimit(RateLimit rateLimit) {
            this.rateLimit = rateLimit;
            return this;
        }

        /**
         * @param n messages {@link SmtpClient#sendAll} may hold, on top of {@link #maxInFlight(int)}, while they
         *     wait for a retry's backoff, at least 0 (default 1000); when that many wait, no new message is
         *     requested until one ends
         * @return this
         */
        public Builder maxAwaitingRetry(int n) {
            this.maxAwaitingRetry = n;
            return this;
        }

        /**
         * Signs every message the client sends with these DKIM signers, one {@code DKIM-Signature} each (e.g. an
         * RSA and an Ed25519 one), as {@link io.reactivesmtp.MessageContent#signedWith} does; content that is
         * already signed gets these signatures too. Each attempt signs anew (a retry gets a fresh {@code t=}).
         *
         * <pre>{@code
         * .dkim(DkimSigner.builder().key(Path.of("dkim.pem")).domain("example.com").selector("s1").build())
         * }</pre>
         *
         * @param signers the signers; none to sign nothing (the default)
         * @return this
         */
        public Builder dkim(DkimSigner... signers) {
            return dkim(List.of(signers));
        }

        /**
         * Like {@link #dkim(DkimSigner...)}.
         *
         * @param signers the signers
         * @return this
         */
        public Builder dkim(List<DkimSigner> signers) {
            this.dkim = List.copyOf(signers);
            return this;
        }

        /**
         * @return the options
         * @throws IllegalStateException if no routing was set
         * @throws IllegalArgumentException naming the first value out of range
         */
        public SmtpClientOptions build() {
            if (routing == null) {
                throw new IllegalStateException("no relay server: call relay(host, port) or routing(..)");
            }
            if (eventLoopThreads < 1) {
                throw new IllegalArgumentException("eventLoopThreads must be at least 1: " + eventLoopThreads);
            }
            if (mxPort < 1 || mxPort > 65535) {
                throw new IllegalArgumentException("invalid mxPort " + mxPort + ": expected 1-65535");
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1: " + maxInFlight);
            }
            if (maxAwaitingRetry < 0) {
                throw new IllegalArgumentException("maxAwaitingRetry must not be negative: " + maxAwaitingRetry);
            }
            return new SmtpClientOptions(this);
        }
    }
}
