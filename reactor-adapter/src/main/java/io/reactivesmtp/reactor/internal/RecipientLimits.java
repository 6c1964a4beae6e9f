package io.reactivesmtp.reactor.internal;

import io.reactivesmtp.Envelope;
import io.reactivesmtp.MailAddress;
import io.reactivesmtp.RecipientResult;
import io.reactivesmtp.SendReport;
import io.reactivesmtp.SmtpReply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Recipient limits, learned per destination from {@code 452 too many recipients} (RFC 5321 §4.5.3.1.10): which
 * recipients a transaction left for a follow-up, and how many recipients a later message's transactions take up
 * front.
 */
final class RecipientLimits {

    /** Destinations remembered at most; beyond, a new one is not learned (a bulk run has few relays or providers). */
    static final int MAX_DESTINATIONS = 100_000;

    private final Map<DestinationKey, Integer> limits = new ConcurrentHashMap<>();

    /**
     * Whether a recipient's reply says the transaction had too many recipients: {@code 452} (or the obsolete
     * {@code 552} that RFC 5321 says to treat the same) with {@code x.5.3} or the words "too many recipients".
     */
    static boolean tooMany(SmtpReply reply) {
        if (reply == null || reply.code() != 452 && reply.code() != 552) {
            return false;
        }
        String status = reply.enhancedStatus().orElse("");
        return status.endsWith(".5.3") || reply.text().toLowerCase(Locale.ROOT).contains("too many recipients");
    }

    /**
     * The recipients of {@code report} that the server put off as too many, when the transaction made progress
     * (at least one RCPT accepted): they go in a follow-up transaction at once. Empty when there are none, or when
     * nobody was accepted (then a follow-up could loop: they stay transient).
     *
     * @param key the destination, whose limit is learned from where the refusals began
     */
    List<MailAddress> leftOver(DestinationKey key, SendReport report) {
        List<MailAddress> rest = null; // allocated only when a refusal is found: this runs for every message
        int firstTooMany = -1;
        boolean progress = false;
        List<RecipientResult> results = report.recipients();
        for (int i = 0; i < results.size(); i++) {
            RecipientResult r = results.get(i);
            SmtpReply rcpt = r.rcptReply().orElse(null);
            if (r.status() == RecipientResult.Status.TRANSIENT_FAILURE && tooMany(rcpt)) {
                if (rest == null) {
                    rest = new ArrayList<>();
                }
                rest.add(r.address());
                firstTooMany = firstTooMany < 0 ? i : firstTooMany;
            } else if (rcpt != null && rcpt.isPositive()) {
                progress = true;
            }
        }
        if (rest == null || !progress) {
            return List.of();
        }
        if (firstTooMany > 0) {
            learn(key, firstTooMany);
        }
        return rest;
    }

    private void learn(DestinationKey key, int limit) {
        if (limits.size() < MAX_DESTINATIONS || limits.containsKey(key)) {
            limits.merge(key, limit, Math::min);
        }
    }

    /** @return the learned limit of the destination, or 0 when none was learned */
    int limit(DestinationKey key) {
        return limits.getOrDefault(key, 0);
    }

    /**
     * @param envelope a message's envelope
     * @param limit the recipients per transaction, at least 1
     * @return the envelope split in order into envelopes of at most {@code limit} recipients
     */
    static List<Envelope> split(Envelope envelope, int limit) {
        List<MailAddress> all = envelope.recipients();
        List<Envelope> parts = new ArrayList<>();
        for (int from = 0; from < all.size(); from += limit) {
            parts.add(envelope.withRecipients(all.subList(from, Math.min(all.size(), from + limit))));
        }
        return parts;
    }
}
