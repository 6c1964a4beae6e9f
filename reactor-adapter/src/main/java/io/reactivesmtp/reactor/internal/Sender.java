package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.SmtpSession;
import io.reactivesmtp.SmtpSessionRejectedException;
import io.reactivesmtp.SmtpTimeoutException;
import io.reactivesmtp.SmtpTlsException;
import io.reactivesmtp.TlsInfo;
import io.reactivesmtp.reactor.LearnedPace;
import io.reactivesmtp.reactor.SmtpClientOptions;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.pool.PooledRef;

/**
 * Sends one message along the client's routing: picks the candidate servers (relays, or each recipient domain's
 * MX hosts), fails over between them, runs the transaction on a pooled session and merges per-domain reports.
 */
public final class Sender {

    private static final String RELAY = "relay";

    private final SmtpClientOptions options;
    private final SessionPools pools;
    private final SafeListener listener;
    private final List<DestinationKey> relays = new ArrayList<>();
    /** Null without a rate limit. */
    private final RateLimiter limiter;
    private final RecipientLimits recipientLimits = new RecipientLimits();
    /** Null for relays. */
    private final MxCandidates mx;
    private final TlsRptSessions tlsRpt;
    /** Null when pacing is off. */
    private final AdaptivePacing pacing;
    /** Null without a warm-up. */
    private final WarmupGate warmup;

    /**
     * @param options the client's options
     * @param pools the session pools
     * @param listener the user's listener
     */
    public Sender(SmtpClientOptions options, SessionPools pools, SafeListener listener) {
        this.options = options;
        this.pools = pools;
        this.listener = listener;
        this.limiter = options.rateLimit().map(RateLimiter::new).orElse(null);
        this.mx = options.routing().isMx() ? new MxCandidates(options, new MxTlsLevels(options)) : null;
        this.tlsRpt = new TlsRptSessions(options.routing().tlsReporting());
        this.pacing = AdaptivePacing.create(options, listener);
        this.warmup = WarmupGate.create(options.pacing());
        for (InetSocketAddress relay : options.routing().relays()) {
            relays.add(key(relay.getHostString(), relay.getPort()));
        }
    }

    private DestinationKey key(String host, int port) {
        return new DestinationKey(host, port, options.session(), options.localAddress().orElse(null));
    }

    /** @return what pacing learned ({@link AdaptivePacing#learned()}); empty when pacing is off */
    public List<LearnedPace> learnedPacing() {
        return pacing == null ? List.of() : pacing.learned();
    }

    /**
     * @param envelope the sender and recipients
     * @param content the message
     * @param inFlight per-destination in-flight permits (sendAll), or null for none
     * @return the report; in MX mode the merged report of every domain's transaction
     */
    public Mono<SendReport> send(Envelope envelope, MessageContent content, KeyedPermits inFlight) {
        if (!options.routing().isMx()) {
            return limited(inFlight, RELAY, sendVia(relays, envelope, content));
        }
        Map<String, List<MailAddress>> byDomain = new LinkedHashMap<>();
        for (MailAddress r : envelope.recipients()) {
            byDomain.computeIfAbsent(r.asciiDomain().toLowerCase(Locale.ROOT), d -> new ArrayList<>()).add(r);
        }
        if (byDomain.size() == 1) {
            String domain = byDomain.keySet().iterator().next();
            return toDomain(inFlight, domain, envelope, content);
        }
        return Flux.fromIterable(byDomain.entrySet())
                .flatMapSequential(e -> {
                    Envelope part = envelope.withRecipients(e.getValue());
                    return toDomain(inFlight, e.getKey(), part, content)
                            .map(r -> new Reports.Part(part, r, null))
                            .onErrorResume(SmtpException.class, x -> Mono.just(new Reports.Part(part, null, x)));
                })
                .collectList()
                .flatMap(parts -> Reports.merge(envelope, parts));
    }

    private static Mono<SendReport> limited(KeyedPermits inFlight, String destination, Mono<SendReport> send) {
        if (inFlight == null) {
            return send;
        }
        // The permit goes back however the send ends: value, error or cancel.
        return inFlight.acquire(destination).flatMap(p -> send.doFinally(signal -> p.release()));
    }

    /** Under the domain's in-flight permit (if any), taken before its candidates are: a wait may change them. */
    private Mono<SendReport> toDomain(KeyedPermits inFlight, String domain, Envelope part, MessageContent content) {
        return inFlight == null ? sendToDomain(domain, part, content)
                : inFlight.acquire(domain).flatMap(p -> sendToDomain(domain, part, content).doFinally(s -> p.release()));
    }

    private Mono<SendReport> sendToDomain(String domain, Envelope part, MessageContent content) {
        // Known answers, no lookup to wait for: straight to the send, as the chain would go once they came.
        List<DestinationKey> now = mx.now(domain);
        return now != null ? sendVia(now, part, content) : mx.lookedUp(domain).flatMap(c -> sendVia(c, part, content));
    }

    /**
     * Sends in as many transactions as the destination's recipient limit needs: split up front when a limit was
     * learned, and when a transaction still gets {@code 452 too many recipients}, the recipients it put off go at
     * once in a follow-up (RFC 5321 §4.5.3.1.10), on the session the pool hands back (the one just released, when
     * nothing else took it). The reports are merged into one, recipients in envelope order.
     */
    private Mono<SendReport> sendVia(List<DestinationKey> candidates, Envelope envelope, MessageContent content) {
        int limit = recipientLimits.limit(candidates.get(0));
        if (limit <= 0 || envelope.recipients().size() <= limit) {
            return inTransactions(candidates, envelope, content);
        }
        return Flux.fromIterable(RecipientLimits.split(envelope, limit))
                .concatMap(part -> asPart(part, inTransactions(candidates, part, content)))
                .collectList()
                .flatMap(parts -> Reports.merge(envelope, parts));
    }

    private Mono<SendReport> inTransactions(List<DestinationKey> candidates, Envelope envelope, MessageContent content) {
        if (warmup == null && limiter == null) {
            // The common case as one operator; what it does not do itself it leaves to the steps below.
            return new LeanSend(this, candidates, envelope, content);
        }
        Mono<SendReport> first = pacing == null ? attempt(candidates, envelope, content, true)
                : pacing.requeued(() -> attempt(candidates, envelope, content, true));
        if (warmup != null) {
            first = warmup.around(candidates.get(0), envelope.recipients(), first);
        }
        return first.flatMap(report -> {
            List<MailAddress> rest = recipientLimits.leftOver(candidates.get(0), report);
            return rest.isEmpty() ? Mono.just(report) : followUp(candidates, envelope, content, report, rest);
        });
    }

    /**
     * The steps after a first attempt ({@code tried}): under pacing, again while refused at MAIL; then the
     * recipients put off as too many, in a follow-up.
     */
    Mono<SendReport> continued(Mono<SendReport> tried, List<DestinationKey> candidates, Envelope envelope,
                               MessageContent content) {
        Mono<SendReport> first = pacing == null || options.pacing().maxRequeues() <= 0 ? tried
                : PacingSignals.continued(tried, () -> attempt(candidates, envelope, content, true),
                        options.pacing().maxRequeues(), 0);
        return first.flatMap(report -> {
            List<MailAddress> rest = recipientLimits.leftOver(candidates.get(0), report);
            return rest.isEmpty() ? Mono.just(report) : followUp(candidates, envelope, content, report, rest);
        });
    }

    /** @return the recipients the first candidate's server put off as too many in {@code report} (learns its limit) */
    List<MailAddress> leftOver(List<DestinationKey> candidates, SendReport report) {
        return recipientLimits.leftOver(candidates.get(0), report);
    }

    /** The recipients put off as too many go at once, split by the limit now learned; the reports are merged. */
    Mono<SendReport> followUp(List<DestinationKey> candidates, Envelope envelope, MessageContent content,
                              SendReport report, List<MailAddress> rest) {
        Envelope next = envelope.withRecipients(rest);
        return asPart(next, sendVia(candidates, next, content))
                .flatMap(p -> Reports.merge(envelope, List.of(new Reports.Part(envelope, report, null), p)));
    }

    private static Mono<Reports.Part> asPart(Envelope part, Mono<SendReport> send) {
        return send.map(r -> new Reports.Part(part, r, null))
                .onErrorResume(SmtpException.class, x -> Mono.just(new Reports.Part(part, null, x)));
    }

    private Mono<SendReport> attempt(List<DestinationKey> candidates, Envelope envelope, MessageContent content,
                                     boolean mayRetryStale) {
        return acquireAny(candidates, 0).flatMap(acquired -> transaction(candidates, envelope, content, mayRetryStale,
                acquired));
    }

    /** The transaction on an acquired session; pacing hears how it ended in its last task. */
    Transaction transaction(List<DestinationKey> candidates, Envelope envelope, MessageContent content,
                            boolean mayRetryStale, Acquired acquired) {
        PooledSession pooled = acquired.ref.poolable();
        reportTls(pooled);
        tlsRpt.established(pooled, acquired.candidate);
        return new Transaction(this, acquired, envelope, content, mayRetryStale ? candidates : null);
    }

    /**
     * The first attempt's session could not be had at its first candidate: the failure's side effects (TLS report,
     * the pacing place back, slowing down if asked), then the other candidates as {@link #recover} says.
     */
    Mono<SendReport> acquireFailed(List<DestinationKey> candidates, Envelope envelope, MessageContent content,
                                   AdaptivePacing.Permit permit, Throwable e) {
        DestinationKey key = candidates.get(0);
        tlsRpt.failed(key, e);
        String site = null;
        if (permit != null) {
            // The signal before the place goes back: released first, it let the limit grow past the refusal.
            site = permit.site();
            pacing.slowDownIfAsked(e, site);
            permit.release();
        }
        return recover(candidates, 0, 0, site, e).flatMap(acquired -> transaction(candidates, envelope, content, true,
                acquired));
    }

    /** A reused session broke before the server said anything: the message goes again, on another session, once. */
    Mono<SendReport> retryStale(List<DestinationKey> candidates, Envelope envelope, MessageContent content) {
        return attempt(candidates, envelope, content, false);
    }

    /** In MX routing: the domain's TLS level, as the candidate the session came from reached it. */
    static SendReport withMxTls(SendReport report, DestinationKey candidate) {
        return candidate.mxTls() == null ? report : report.withMxTls(
                candidate.mxTls().withSession(report.tls().isPresent(), candidate.isPlaintextRetry()));
    }

    /** Tells the listener about a connection's TLS once: when the connection is first handed to a send. */
    private void reportTls(PooledSession pooled) {
        SmtpSession session = pooled.session();
        TlsInfo tls = session.tls().orElse(null);
        if (tls != null && pooled.claimTlsReport()) {
            Duration elapsed = session.tlsHandshakeTime().orElse(Duration.ZERO);
            listener.fire(l -> l.tlsEstablished(pooled.key().connectionName(), tls, elapsed));
        }
    }

    /**
     * A reused session whose connection broke before the server said anything in this transaction: the server
     * closed it while it idled and the close raced our MAIL. Nothing was accepted, so sending again is safe.
     */
    static boolean diedBeforeAnyReply(Throwable e) {
        return e instanceof SmtpConnectionException
                && ((SmtpException) e).partialReport().map(r -> r.mailReply().isEmpty()).orElse(true);
    }

    /**
     * Takes the candidate's rate-limit token (if limited), then a session of its pool; fails over to the next
     * candidate where {@link #failsOver} says so. The token comes first so that a transaction waiting for its
     * turn does not hold a connection idle meanwhile.
     */
    private Mono<Acquired> acquireAny(List<DestinationKey> candidates, int i) {
        return acquireAny(candidates, i, 0);
    }

    private Mono<Acquired> acquireAny(List<DestinationKey> candidates, int i, int requeues) {
        DestinationKey key = candidates.get(i);
        if (pacing == null) {
            return session(key, null).onErrorResume(e -> recover(candidates, i, requeues, null, e));
        }
        // The pacing permit first: a site over its limit waits here, holding no connection.
        String site = site(key);
        Duration wait = options.pool().pendingAcquireTimeout();
        return pacing.withPermit(site, wait, () -> noPlace(site, wait), permit -> session(key, permit))
                .onErrorResume(e -> recover(candidates, i, requeues, site, e));
    }

    /**
     * @param site a site of this client's pacing (on)
     * @return a place there: at once when it has room, else when one is given back, within the pool's
     *     pendingAcquireTimeout (then the error says so)
     */
    Mono<AdaptivePacing.Permit> place(String site) {
        Duration wait = options.pool().pendingAcquireTimeout();
        return pacing.acquire(site, wait, () -> noPlace(site, wait));
    }

    private SmtpConnectionException noPlace(String site, Duration wait) {
        return new SmtpConnectionException("no place at " + site + " (adaptive pacing, limit " + pacing.limit(site)
                + ") became free within " + wait + " (pendingAcquireTimeout)", null, null);
    }

    /**
     * The first candidate's pacing place could not be had ({@link #place} failed): the other candidates as
     * {@link #recover} says, as the general path's first attempt goes on from the same failure.
     */
    Mono<SendReport> placeFailed(List<DestinationKey> candidates, Envelope envelope, MessageContent content,
                                 String site, Throwable e) {
        return recover(candidates, 0, 0, site, e).flatMap(acquired -> transaction(candidates, envelope, content, true,
                acquired));
    }

    /** The rate-limit token (if limited), then a session; a failure or cancel gives the pacing permit (if any) back. */
    private Mono<Acquired> session(DestinationKey key, AdaptivePacing.Permit permit) {
        Mono<Acquired> session = (limiter == null
                ? pools.acquire(key).map(ref -> new Acquired(ref, null, key, permit))
                : limiter.acquire(key).flatMap(ticket -> pools.acquire(key)
                        .map(ref -> new Acquired(ref, ticket, key, permit))
                        .doOnError(e -> throttleIfAsked(ticket, e))))
                .doOnError(e -> {
                    tlsRpt.failed(key, e);
                    if (permit != null) {
                        pacing.slowDownIfAsked(e, permit.site()); // before the place goes back, as above
                        permit.release();
                    }
                });
        return permit == null ? session : session.doOnCancel(permit::release);
    }

    /**
     * After a failure to get a session: requeue under pacing, or fail over to the next candidate where
     * {@link #failsOver} says so (one resume function per attempt, no predicate wrappers: this runs per message).
     */
    private Mono<Acquired> recover(List<DestinationKey> candidates, int i, int requeues, String site, Throwable e) {
        // Refused at the greeting with 421/4.7.x: nothing was sent, so wait for a place under the lowered limit and
        // connect again (after the other candidates, if any, were tried). Only while other sessions of ours are
        // there: then our concurrency is the likely cause. A server that refuses even one session gets no immediate
        // reconnect (that would hammer it); the failure goes to the retry policy and its backoff.
        if (site != null && i + 1 == candidates.size() && requeues < options.pacing().maxRequeues()
                && e instanceof SmtpSessionRejectedException && RateLimiter.isThrottle(e) && pacing.inUse(site) > 0) {
            return acquireAny(candidates, i, requeues + 1);
        }
        int j = next(candidates, i, e);
        return j < candidates.size() && failsOver(e) ? acquireAny(candidates, j, requeues) : Mono.error(e);
    }

    /**
     * The pacing site of a candidate: the provider suffix its host name falls under, when one does (the user's own
     * grouping, wider than one address: a provider's MX names resolve to many); else, for a key bound to addresses,
     * the address, since it is the server there that counts our connections and answers 421 to them, whatever name
     * led to it, and its sessions carry mail for all those names; else the destination {@code host:port}.
     */
    String site(DestinationKey key) {
        if (key.addresses() == null) {
            return pacing.site(key.host(), key.port());
        }
        // Bound: no host:port site made only to be dropped (MX hosts of many domains take turns here).
        String suffix = PacingSite.providerSuffix(options.pacing().providerSuffixes(),
                key.host().toLowerCase(Locale.ROOT));
        return suffix != null ? suffix : key.connectionName();
    }

    /** The next candidate; a plaintext retry (level may) only right after its host's TLS handshake failed. */
    private static int next(List<DestinationKey> candidates, int i, Throwable e) {
        int j = i + 1;
        if (j < candidates.size() && candidates.get(j).isPlaintextRetry() && !(e instanceof SmtpTlsException)) {
            j++;
        }
        return j;
    }

    /** A 421 or 4.7.x from the server (greeting, or any reply of a transaction): slow down to it. */
    private void throttleIfAsked(RateLimiter.Ticket ticket, Throwable error) {
        if (ticket != null && RateLimiter.isThrottle(error)) {
            limiter.throttled(ticket);
        }
    }

    private void throttleIfAsked(RateLimiter.Ticket ticket, SendReport report) {
        if (ticket != null && RateLimiter.isThrottle(report)) {
            limiter.throttled(ticket);
        }
    }

    /**
     * A session, the rate-limit ticket its transaction runs under (null without a limit) and its pacing permit (null
     * without pacing).
     */
    static final class Acquired {
        final PooledRef<PooledSession> ref;
        final RateLimiter.Ticket ticket;
        /** The candidate it was acquired for (its pool may be shared with keys of other TLS statuses). */
        final DestinationKey candidate;
        final AdaptivePacing.Permit permit;

        Acquired(PooledRef<PooledSession> ref, RateLimiter.Ticket ticket, DestinationKey candidate,
                 AdaptivePacing.Permit permit) {
            this.ref = ref;
            this.ticket = ticket;
            this.candidate = candidate;
            this.permit = permit;
        }

        void release() {
            if (permit != null) {
                permit.release();
            }
        }
    }

    /** Connect failure, TLS failure, or a 4xx greeting: the next server may do better. Not a 5xx greeting. */
    private static boolean failsOver(Throwable e) {
        if (e instanceof SmtpSessionRejectedException) {
            return ((SmtpSessionRejectedException) e).isRetryable();
        }
        return e instanceof SmtpConnectionException || e instanceof SmtpTimeoutException || e instanceof SmtpTlsException;
    }

    /** @return the client's pacing, or null when off */
    AdaptivePacing pacing() {
        return pacing;
    }

    /** @return the session pools */
    SessionPools pools() {
        return pools;
    }

    /** @return the most transactions a pooled session carries */
    long maxMessagesPerConnection() {
        return options.pool().maxMessagesPerConnection();
    }

    /** A transaction got its report: the listener hears of it, and the rate limit slows down if asked to. */
    void transactionEnded(String destination, Acquired acquired, SendReport report) {
        listener.fire(l -> l.transactionEnd(destination, report));
        throttleIfAsked(acquired.ticket, report);
    }

    /** A transaction failed: the listener hears of it, and the rate limit slows down if asked to. */
    void transactionFailed(String destination, Acquired acquired, Throwable e) {
        if (e instanceof SmtpException) {
            listener.fire(l -> l.transactionFailed(destination, (SmtpException) e));
        }
        throttleIfAsked(acquired.ticket, e);
    }

    /** Pacing (given a permit) hears how a transaction ended; a limit it raises may hand places to waiting sends. */
    void observed(AdaptivePacing.Permit permit, SendReport report, Throwable error) {
        if (permit != null) {
            pacing.observed(permit.site(), report, error);
        }
    }
}
