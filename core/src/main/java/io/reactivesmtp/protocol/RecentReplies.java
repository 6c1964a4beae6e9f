package io.reactivesmtp.protocol;

import io.netty.buffer.ByteBuf;

/**
 * The last few distinct one-line replies a decoder emitted, so that a reply the server repeats for every message
 * ({@code 250 2.1.0 Ok}, {@code 250 2.1.5 Ok}, {@code 354 End data with <CR><LF>.<CR><LF>}) is emitted as the
 * same immutable {@link DecodedReply} instead of a fresh text, list, reply and wrapper each time. A line is
 * compared byte by byte with a cached reply's text before anything is allocated; only replies whose text is
 * ASCII are kept, so equal bytes mean an equal text. Four slots, the one used longest ago replaced first: a
 * reply that never repeats (a queue id) takes one slot and leaves the others alone. The replies a session hears
 * once ({@code 220}: the greeting or STARTTLS's go-ahead; {@code 221}: the goodbye) are not kept, and the slots are
 * made at the first reply kept: an idle session, greeted and EHLO'd, holds no slot and no reply. One per decoder,
 * touched by its event loop only.
 */
final class RecentReplies {

    private static final int SLOTS = 4;

    /** Null until the first reply is kept. */
    private DecodedReply[] replies;
    /** When each slot was last used, in {@link #clock} ticks. */
    private long[] used;
    private long clock;

    /**
     * @param code the line's code, already checked
     * @param in the bytes
     * @param textStart where the text begins (behind the code and the space)
     * @param textLength the text's length in bytes, without the line end
     * @return the cached reply with this code and exactly this text, or null
     */
    DecodedReply find(int code, ByteBuf in, int textStart, int textLength) {
        if (replies == null) {
            return null;
        }
        for (int s = 0; s < SLOTS; s++) {
            DecodedReply r = replies[s];
            if (r != null && r.code() == code && matches(r.reply().lines().get(0), in, textStart, textLength)) {
                used[s] = ++clock;
                return r;
            }
        }
        return null;
    }

    /**
     * Keeps a freshly decoded one-line reply, in place of the one used longest ago, unless its text is not ASCII or
     * it is one a session hears once (220, 221).
     */
    void add(DecodedReply reply) {
        int code = reply.code();
        if (code == 220 || code == 221) {
            return;
        }
        String text = reply.reply().lines().get(0);
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) >= 0x80) {
                return;
            }
        }
        if (replies == null) {
            replies = new DecodedReply[SLOTS];
            used = new long[SLOTS];
        }
        int oldest = 0;
        for (int s = 1; s < SLOTS; s++) {
            if (used[s] < used[oldest]) {
                oldest = s;
            }
        }
        replies[oldest] = reply;
        used[oldest] = ++clock;
    }

    private static boolean matches(String text, ByteBuf in, int start, int length) {
        if (text.length() != length) {
            return false;
        }
        for (int i = 0; i < length; i++) {
            // The text is ASCII: a byte of a multi-byte UTF-8 sequence is negative and never matches.
            if (in.getByte(start + i) != text.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
