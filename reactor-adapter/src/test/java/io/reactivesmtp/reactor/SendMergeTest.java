package io.reactivesmtp.reactor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MessageContent;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpConnectionException;
import io.reactivesmtp.SmtpReply;
import io.reactivesmtp.reactor.internal.SendMerge;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.publisher.TestPublisher;

/**
 * sendAll's merge operator on its own, with sends that end when the test says: the slot bound, completion order,
 * backpressure, and every way it ends (the input's error, a cancel, a send that cannot be made, one without a
 * report).
 */
class SendMergeTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("a@example.com", "b@example.com");

    /** Sends the test ends by hand, in the order it chooses, and what happened to them. */
    private static final class Sends {
        final List<Sinks.One<SendReport>> pending = new ArrayList<>();
        final AtomicInteger started = new AtomicInteger();
        final AtomicInteger cancelled = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();

        Mono<SendReport> start(OutgoingMessage m) {
            Sinks.One<SendReport> sink = Sinks.one();
            synchronized (pending) {
                pending.add(sink);
            }
            started.incrementAndGet();
            // Running from its subscription to its signal (before the signal goes on) or its cancel.
            return sink.asMono().doOnSubscribe(s -> maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max))
                    .doOnTerminate(running::decrementAndGet)
                    .doOnCancel(() -> {
                        cancelled.incrementAndGet();
                        running.decrementAndGet();
                    });
        }

        /** @param i the send's number, in the order they were made */
        Sinks.One<SendReport> sink(int i) {
            synchronized (pending) {
                return pending.get(i);
            }
        }

        void deliver(int i) {
            sink(i).tryEmitValue(report()).orThrow();
        }

        void fail(int i, Throwable e) {
            sink(i).tryEmitError(e).orThrow();
        }
    }

    private static SendReport report() {
        return SendReport.builder().envelope(ENVELOPE).recipient(RecipientResult.decided(ENVELOPE.recipients().get(0),
                SmtpReply.of(250, "queued"), SmtpReply.of(250, "ok"))).build();
    }

    private static OutgoingMessage message(long id) {
        return OutgoingMessage.of(id, ENVELOPE, MessageContent.of("Subject: " + id + "\r\n\r\nbody\r\n"));
    }

    private static Flux<OutgoingMessage> messages(int n, AtomicLong requested) {
        return Flux.range(0, n).map(i -> message(i)).doOnRequest(requested::addAndGet);
    }

    @Test
    void resultsComeInCompletionOrderAndNoMoreThanTheSlotsAreHeld() {
        Sends sends = new Sends();
        AtomicLong requested = new AtomicLong();
        StepVerifier.create(new SendMerge(messages(5, requested), 2, sends::start))
                .then(() -> {
                    assertThat(sends.started).hasValue(2);
                    assertThat(requested).hasValue(2);
                    sends.deliver(1);
                })
                .assertNext(r -> assertThat(r.id()).isEqualTo(1L))
                .then(() -> {
                    assertThat(sends.started).hasValue(3);
                    sends.deliver(2);
                    sends.deliver(0);
                })
                .assertNext(r -> assertThat(r.id()).isEqualTo(2L))
                .assertNext(r -> assertThat(r.id()).isEqualTo(0L))
                .then(() -> {
                    assertThat(sends.started).hasValue(5);
                    sends.deliver(4);
                    sends.deliver(3);
                })
                .assertNext(r -> assertThat(r.id()).isEqualTo(4L))
                .assertNext(r -> assertThat(r.id()).isEqualTo(3L))
                .expectComplete()
                .verify(WAIT);
        assertThat(sends.maxRunning).hasValue(2);
        assertThat(requested.get()).isLessThanOrEqualTo(6); // 5 messages, at most one request for a sixth
    }

    @Test
    void aSlowSubscriberHoldsTheInputBack() {
        Sends sends = new Sends();
        AtomicLong requested = new AtomicLong();
        StepVerifier.create(new SendMerge(messages(10, requested), 3, sends::start), 0)
                .then(() -> {
                    sends.deliver(0);
                    sends.deliver(1);
                    sends.deliver(2);
                })
                // Three results wait for demand: their slots stay held, no fourth message is requested.
                .then(() -> {
                    assertThat(sends.started).hasValue(3);
                    assertThat(requested).hasValue(3);
                })
                .thenRequest(1)
                .expectNextCount(1)
                .then(() -> assertThat(sends.started).hasValue(4))
                .thenCancel()
                .verify(WAIT);
        assertThat(sends.cancelled).hasValue(1); // the fourth, still under way
    }

    @Test
    void aFailedSendAndOneThatCouldNotBeMadeAreFailedResultsAndFreeTheirSlots() {
        Sends sends = new Sends();
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.create(new SendMerge(Flux.range(0, 3).map(i -> message(i)), 1, m -> {
            if (calls.getAndIncrement() == 1) {
                throw new IllegalStateException("cannot sign message 1");
            }
            return sends.start(m);
        }))
                .then(() -> sends.fail(0, new SmtpConnectionException("connection refused", null, null)))
                .assertNext(r -> {
                    assertThat(r.id()).isEqualTo(0L);
                    assertThat(r.error()).containsInstanceOf(SmtpConnectionException.class);
                })
                .assertNext(r -> {
                    assertThat(r.id()).isEqualTo(1L);
                    assertThat(r.error().orElseThrow()).hasMessageContaining("cannot sign message 1");
                })
                .then(() -> sends.deliver(1)) // message 2's send, the second one made
                .assertNext(r -> assertThat(r.error()).isEmpty())
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void aSendWithoutAReportGivesNoResultButFreesItsSlot() {
        AtomicInteger calls = new AtomicInteger();
        StepVerifier.create(new SendMerge(Flux.range(0, 3).map(i -> message(i)), 1,
                m -> calls.getAndIncrement() == 0 ? Mono.empty() : Mono.just(report())))
                .assertNext(r -> assertThat(r.id()).isEqualTo(1L))
                .assertNext(r -> assertThat(r.id()).isEqualTo(2L))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void completionWaitsForTheSendsUnderWay() {
        Sends sends = new Sends();
        TestPublisher<OutgoingMessage> input = TestPublisher.create();
        StepVerifier.create(new SendMerge(input, 4, sends::start))
                .then(() -> input.next(message(0), message(1)))
                .then(input::complete)
                .then(() -> sends.deliver(0))
                .assertNext(r -> assertThat(r.id()).isEqualTo(0L))
                .expectNoEvent(Duration.ofMillis(50))
                .then(() -> sends.deliver(1))
                .assertNext(r -> assertThat(r.id()).isEqualTo(1L))
                .expectComplete()
                .verify(WAIT);
    }

    @Test
    void theInputsErrorCancelsTheSendsUnderWayAndIsPassedOnAtOnce() {
        Sends sends = new Sends();
        TestPublisher<OutgoingMessage> input = TestPublisher.create();
        StepVerifier.create(new SendMerge(input, 4, sends::start), 0)
                .then(() -> input.next(message(0), message(1), message(2)))
                .then(() -> sends.deliver(0)) // a result not yet requested: dropped with the error
                .then(() -> input.error(new IllegalStateException("recipient file unreadable")))
                .expectErrorMessage("recipient file unreadable")
                .verify(WAIT);
        assertThat(sends.cancelled).hasValue(2);
    }

    @Test
    void aCancelCancelsTheInputAndTheSendsUnderWay() {
        Sends sends = new Sends();
        AtomicBoolean inputCancelled = new AtomicBoolean();
        StepVerifier.create(new SendMerge(Flux.range(0, 100).map(i -> message(i))
                .doOnCancel(() -> inputCancelled.set(true)), 3, sends::start))
                .then(() -> sends.deliver(0))
                .expectNextCount(1)
                .thenCancel()
                .verify(WAIT);
        assertThat(inputCancelled).isTrue();
        // The cancel came with the first result, before its slot was used again: messages 1 and 2 were under way.
        assertThat(sends.started).hasValue(3);
        assertThat(sends.cancelled).hasValue(2);
    }

    @Test
    void aSlotCountBelowOneIsRefused() {
        assertThatThrownBy(() -> new SendMerge(Flux.empty(), 0, m -> Mono.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("slots must be positive, not 0");
    }
}
