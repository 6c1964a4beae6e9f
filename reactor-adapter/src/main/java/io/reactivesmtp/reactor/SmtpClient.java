package io.reactivesmtp.reactor;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpContentException;
import io.reactivesmtp.SmtpException;
import io.reactivesmtp.dkim.DkimSigner;
import io.reactivesmtp.dkim.DkimSigningException;
import io.reactivesmtp.reactor.internal.Admission;
import io.reactivesmtp.reactor.internal.KeyedPermits;
import io.reactivesmtp.reactor.internal.SafeListener;
import io.reactivesmtp.reactor.internal.SendMerge;
import io.reactivesmtp.reactor.internal.Sender;
import io.reactivesmtp.reactor.internal.SlotSend;
import io.reactivesmtp.reactor.internal.SessionPools;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.resources.LoopResources;

/**
 * The client people use: {@link #send(Envelope, MessageContent)} returns a cold {@code Mono<SendReport>},
 * {@link #sendAll(Publisher)} sends a stream of messages with backpressure. Sessions are pooled per destination
 * and reused: after a completed transaction the next MAIL goes straight out on the same connection.
 *
 * <pre>{@code
 * SmtpClient client = SmtpClient.create(SmtpClientOptions.builder().relay("127.0.0.1", 2525).build());
 * SendReport report = client.send(
 *         Envelope.of("sender@example.com", "alice@example.com", "bob@example.com"),
 *         MessageContent.of("From: sender@example.com\r\nSubject: hello\r\n\r\nHi!\r\n"))
 *     .block(Duration.ofSeconds(30));
 *
 * client.sendAll(Flux.fromIterable(orders).map(o -> OutgoingMessage.of(o.id(), o.envelope(), o.content())))
 *     .doOnNext(result -> store(result.id(), result.outcome()))
 *     .blockLast();
 * client.dispose();   // QUIT on idle sessions, event loops shut down
 * }</pre>
 *
 * <p>The Mono emits a report whenever the server gave a verdict, including 4xx/5xx replies; it errors with an
 * {@link SmtpException} only when no verdict could be had. A pooled session that the server closed while it
 * idled never fails a send: it is replaced, and a send that raced such a close before the server answered
 * anything is sent once more on a fresh session.
 *
 * <p>In {@link Routing#mx MX mode} recipients are grouped by domain and each domain gets its own transaction;
 * the reports are merged into one (see {@link #send(Envelope, MessageContent)}).
 *
 * <p>With a {@link SmtpClientOptions#retry() retry policy}, both {@code send} and {@code sendAll} retry transient
 * failures as {@link SmtpRetry} does: only recipients whose result was transient are sent again, and the report
 * merges the attempts. With a {@link SmtpClientOptions#rateLimit() rate limit}, every transaction first takes a
 * token from its destination server's bucket (see {@link RateLimit}); the wait never blocks a thread.
 */
public final class SmtpClient implements Disposable {

    /** The id of the message {@link #send(Envelope, MessageContent)} sends (ids only matter to sendAll). */
    private static final String SINGLE_MESSAGE = "send";
    /** The one key of sendAll's overall in-flight permits. */
    private static final Object ALL = "all messages";

    /** How long {@link #disposeLater()} lets client-created event loops finish their work. */
    private static final Duration LOOP_SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);

    private final SmtpClientOptions options;
    private final LoopResources loops;
    private final boolean ownsLoops;
    private final SessionPools pools;
    private final Sender sender;
    /** The destination as instrumentation shows it: the first relay, or "mx". */
    private final String destination;

    private SmtpClient(SmtpClientOptions options) {
        this.options = options;
        // The TLS context, if deferred (the default options'), is built here and not at a STARTTLS on an event loop.
        options.session().tls().prepared();
        this.ownsLoops = options.loopResources().isEmpty();
        // Daemon threads: a program that forgets dispose() still exits.
        this.loops = options.loopResources()
                .orElseGet(() -> LoopResources.create("reactive-smtp", options.eventLoopThreads(), true));
        SafeListener listener = new SafeListener(options.eventListener());
        // MX hosts are connected to by name, resolved with the DNS servers and cache of the MX lookup itself.
        MxResolver mx = options.routing().mxResolver().orElse(null);
        this.pools = new SessionPools(options, loops, listener,
                mx instanceof DnsMxResolver ? ((DnsMxResolver) mx).addressResolverGroup() : null);
        this.sender = new Sender(options, pools, listener);
        this.destination = options.routing().isMx() ? "mx"
                : options.routing().relays().get(0).getHostString() + ":" + options.routing().relays().get(0).getPort();
    }

    /**
     * @param options where to send and how
     * @return a client; {@link #dispose()} it when done
     */
    public static SmtpClient create(SmtpClientOptions options) {
        return new SmtpClient(Objects.requireNonNull(options, "options"));
    }

    /** @return the options this client was created with */
    public SmtpClientOptions options() {
        return options;
    }

    /**
     * Sends one message over a pooled session. Cold: nothing happens before subscription and every subscription
     * sends again, so {@code retry} operators work. Cancelling discards the session that carried the message.
     *
     * <p>With a {@link SmtpClientOptions#retry() retry policy} other than {@link RetryPolicy#NONE}, the recipients
     * that failed transiently are sent again after the policy's backoff, as {@link SmtpRetry} describes, and the
     * report merges the attempts; the Mono completes after the last attempt.
     *
     * <p>In MX mode each recipient domain is one transaction and the reports are merged into one, recipients in
     * envelope order; server, capabilities, TLS, MAIL and data replies are those of the first domain (in envelope
     * order), the duration the longest. If some domain got no verdict, the Mono errors with that domain's
     * exception; where its type can carry one (connection, timeout, protocol, content, unknown outcome) its
     * partial report is the merged report, with the other domains' verdicts.
     *
     * @param envelope the sender and recipients
     * @param content the RFC 5322 message
     * @return a cold Mono of the report
     */
    public Mono<SendReport> send(Envelope envelope, MessageContent content) {
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(content, "content");
        return send(OutgoingMessage.of(SINGLE_MESSAGE, envelope, content));
    }

    /**
     * Like {@link #send(Envelope, MessageContent)}.
     *
     * @param message the message
     * @return a cold Mono of the report
     */
    public Mono<SendReport> send(OutgoingMessage message) {
        Objects.requireNonNull(message, "message");
        Function<OutgoingMessage, Mono<SendReport>> once = m -> Mono.defer(() -> sender.send(m.envelope(), signed(m.content()), null));
        RetryPolicy retry = options.retry();
        Mono<SendReport> send = retry.maxAttempts() == 1 ? once.apply(message) : SmtpRetry.send(message, once, retry);
        return options.instrumentation().message(message, destination, send);
    }

    /**
     * Sends a stream of messages, demand-driven: at most {@link SmtpClientOptions#maxInFlight()} messages are
     * requested from {@code messages} and in flight at once, and at most
     * {@link SmtpClientOptions#maxInFlightPerDestination()} to one destination (the relays, or one recipient
     * domain in MX mode); more are requested as results complete and are consumed. The input is never buffered
     * whole.
     *
     * <p>One {@link MessageResult} per message, in completion order, carrying the message and its id. A message
     * that fails gives a {@link MessageResult#failed failed} result and the stream goes on.
     *
     * <h4>Retries</h4>
     * With a {@link SmtpClientOptions#retry() retry policy}, each message is retried as {@link SmtpRetry}
     * describes and its result merges its attempts. The bounds apply per <em>attempt</em>: an attempt holds one of
     * the {@code maxInFlight} slots and one of its destination's {@code maxInFlightPerDestination} permits while it
     * runs, and gives both back when it ends. A message waiting for its backoff holds neither, so waits of
     * minutes never starve other messages or destinations: the freed slot lets the next message be requested. An
     * attempt back from its backoff queues for a slot and a permit like any other. Messages waiting for a retry
     * are held in memory, at most {@link SmtpClientOptions#maxAwaitingRetry()} beyond {@code maxInFlight}; when
     * that many wait, no new message is requested until one ends.
     *
     * <h4>Rate limit</h4>
     * With a {@link SmtpClientOptions#rateLimit() rate limit}, an attempt waits for its destination server's token
     * after it got its slot and permit and before it takes a pooled session. So a slow destination holds at most
     * its {@code maxInFlightPerDestination} permits while it waits, and messages to other destinations go on.
     *
     * @param messages the messages
     * @return the results, in completion order
     */
    public Flux<MessageResult> sendAll(Publisher<OutgoingMessage> messages) {
        Objects.requireNonNull(messages, "messages");
        return Flux.defer(() -> {
            RetryPolicy retry = options.retry();
            int maxInFlight = options.maxInFlight();
            // Waiters are bounded by the messages held (below): only they wait for a permit. None when the bound
            // per destination cannot bind: no more than maxInFlight attempts run at once in all.
            KeyedPermits perDestination = options.maxInFlightPerDestination() >= maxInFlight ? null
                    : new KeyedPermits(options.maxInFlightPerDestination(), Integer.MAX_VALUE,
                            key -> new IllegalStateException("unreachable"));
            if (retry.maxAttempts() == 1 && options.instrumentation() == SmtpInstrumentation.NONE) {
                // The common case: the gate, the merge and the steps around each message in one operator.
                return new SendMerge(messages, maxInFlight, m -> attempt(m, perDestination));
            }
            // The hard bound of attempts running at once. The admission gate alone could let attempts back from
            // their backoff exceed it for a while.
            KeyedPermits attempts = new KeyedPermits(maxInFlight, Integer.MAX_VALUE,
                    key -> new IllegalStateException("unreachable"));
            Admission admission = new Admission(maxInFlight);
            // Messages held at once: in flight, plus those waiting for a retry when retries are possible.
            int held = retry.maxAttempts() == 1 ? maxInFlight
                    : (int) Math.min(Integer.MAX_VALUE, (long) maxInFlight + options.maxAwaitingRetry());
            return admission.gate(messages).flatMap(m -> SlotSend.result(m, options.instrumentation().message(m,
                    destination, retry.maxAttempts() == 1 ? once(m, admission, perDestination)
                            : withRetries(m, admission, attempts, perDestination, retry))), held, 1);
        });
    }

    /**
     * sendAll's one attempt of a message without retries, under the slot the message was requested with; the
     * admission gate alone bounds the attempts. The slot is given back however the attempt ends, a message refused
     * before it was sent (content that cannot be signed) included.
     */
    private Mono<SendReport> once(OutgoingMessage m, Admission admission, KeyedPermits perDestination) {
        return SlotSend.underSlot(() -> attempt(m, perDestination), admission);
    }

    /** @throws SmtpContentException if the content cannot be signed (nothing sent: one failed result) */
    private Mono<SendReport> attempt(OutgoingMessage m, KeyedPermits perDestination) {
        OutgoingMessage out = signed(m);
        return sender.send(out.envelope(), out.content(), perDestination);
    }

    /** sendAll's attempts of a message with retries: each one holds a slot and an overall permit while it runs. */
    private Mono<SendReport> withRetries(OutgoingMessage m, Admission admission, KeyedPermits attempts,
                                         KeyedPermits perDestination, RetryPolicy retry) {
        // The first attempt runs under the slot the message was requested with; later ones take one again.
        AtomicBoolean first = new AtomicBoolean(true);
        Function<OutgoingMessage, Mono<SendReport>> attempt = part -> Mono.defer(() -> {
            if (!first.compareAndSet(true, false)) {
                admission.take();
            }
            return attempts.acquire(ALL).flatMap(p -> sender.send(part.envelope(), part.content(), perDestination)
                    .doFinally(signal -> p.release()));
        }).doFinally(signal -> admission.release());
        return Mono.defer(() -> {
            OutgoingMessage out;
            try {
                out = signed(m); // may refuse content that cannot be signed: one failed result
            } catch (RuntimeException e) {
                admission.release(); // no attempt will run to give the slot back
                throw e;
            }
            return SmtpRetry.send(out, attempt, retry);
        });
    }

    /**
     * The content with the client's DKIM signatures, if it has signers; the signing itself happens per attempt.
     *
     * @throws SmtpContentException if in-memory content cannot be signed (nothing was sent)
     */
    private MessageContent signed(MessageContent content) {
        List<DkimSigner> signers = options.dkim();
        if (signers.isEmpty()) {
            return content;
        }
        try {
            return content.signedWith(signers);
        } catch (DkimSigningException e) {
            throw new SmtpContentException("message not sent: it cannot be DKIM-signed: " + e.getMessage(), e, null);
        }
    }

    /** The message with the client's DKIM signatures; its id and envelope unchanged. */
    private OutgoingMessage signed(OutgoingMessage m) {
        return options.dkim().isEmpty() ? m : OutgoingMessage.of(m.id(), m.envelope(), signed(m.content()));
    }

    /**
     * What adaptive pacing learned about the sites that asked to slow down (their concurrency limit and rate), and
     * what this client was given ({@link Pacing.Builder#learned}) about sites it has not used since. Keep it when the
     * application stops (a file, a database) and hand it to the next client: its sites then start where these left
     * off instead of probing each one again, which costs a burst of refused commands at a server that limits the pace.
     *
     * @return one entry per site, by site; empty when pacing is off or no site asked to slow down
     */
    public List<LearnedPace> learnedPacing() {
        return sender.learnedPacing();
    }

    /** @return how many connections are open right now, over all destinations */
    public int openConnections() {
        return pools.openConnections();
    }

    /**
     * Starts disposing without waiting: see {@link #disposeLater()}. Safe on any thread, event loops included.
     */
    @Override
    public void dispose() {
        disposeLater().subscribe(null, e -> { });
    }

    /**
     * Closes every pool (QUIT on idle sessions; sessions in use are closed when their transaction ends), then
     * shuts down the event loops the client created. Shared {@link SmtpClientOptions#loopResources() loop
     * resources} are left running. Sends after this fail.
     *
     * @return completes when done
     */
    public Mono<Void> disposeLater() {
        Mono<Void> closePools = pools.disposeLater();
        if (!ownsLoops) {
            return closePools;
        }
        return closePools.then(Mono.defer(() -> loops.disposeLater(Duration.ZERO, LOOP_SHUTDOWN_TIMEOUT)));
    }

    /** @return true once disposing started */
    @Override
    public boolean isDisposed() {
        return pools.isDisposed();
    }
}
