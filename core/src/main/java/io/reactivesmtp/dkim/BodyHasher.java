package io.reactivesmtp.dkim;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The streaming body hash ({@code bh=}): canonicalises the body (RFC 6376 section 3.4.3 / 3.4.4) and feeds it to
 * SHA-256 as it arrives, in constant memory. It receives the body as already CRLF-normalised events: runs of
 * line content ({@link #text}) and line breaks ({@link #newline}), so chunk boundaries do not matter.
 *
 * <p>Empty lines at the end of the body are ignored by both canonicalisations, and the hasher cannot know
 * whether a line break is at the end until the body is over: it only counts the pending line breaks and
 * writes them when more content follows. Relaxed also holds back one pending space for a whitespace run,
 * dropped if the line ends there.
 */
final class BodyHasher {

    private static final byte[] CRLFS = crlfs(256);
    private static final byte[] SPACE = {' '};

    private final DkimCanonicalization canonicalization;
    private final MessageDigest digest;
    private long pendingNewlines;
    private boolean pendingSpace;
    private boolean any;
    private long length;

    BodyHasher(DkimCanonicalization canonicalization) {
        this.canonicalization = canonicalization;
        this.digest = sha256();
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    DkimCanonicalization canonicalization() {
        return canonicalization;
    }

    /** Line content: no CR or LF in {@code [from, from + len)}. */
    void text(byte[] bytes, int from, int len) {
        if (len == 0) {
            return;
        }
        if (canonicalization == DkimCanonicalization.SIMPLE) {
            flushNewlines();
            update(bytes, from, len);
            return;
        }
        int end = from + len;
        int i = from;
        while (i < end) {
            byte b = bytes[i];
            if (b == ' ' || b == '\t') {
                pendingSpace = true;
                i++;
                continue;
            }
            int j = i + 1;
            while (j < end && bytes[j] != ' ' && bytes[j] != '\t') {
                j++;
            }
            flushNewlines();
            if (pendingSpace) {
                pendingSpace = false;
                update(SPACE, 0, 1);
            }
            update(bytes, i, j - i);
            i = j;
        }
    }

    /** A line break (CRLF on the wire). */
    void newline() {
        pendingSpace = false; // relaxed: whitespace at the end of a line is ignored
        pendingNewlines++;
    }

    /**
     * Ends the body.
     *
     * @return the SHA-256 of the canonical body
     */
    byte[] finish() {
        // Both: the last non-empty line gets its CRLF (DATA adds one if missing); trailing empty lines are gone.
        // An empty body is CRLF in simple, nothing in relaxed.
        if (any || canonicalization == DkimCanonicalization.SIMPLE) {
            update(CRLFS, 0, 2);
        }
        return digest.digest();
    }

    /** @return the length of the canonical body hashed so far (for {@code l=}) */
    long length() {
        return length;
    }

    private void flushNewlines() {
        while (pendingNewlines > 0) {
            int n = (int) Math.min(pendingNewlines, CRLFS.length / 2);
            update(CRLFS, 0, 2 * n);
            pendingNewlines -= n;
        }
    }

    private void update(byte[] bytes, int from, int len) {
        any = true;
        length += len;
        digest.update(bytes, from, len);
    }

    private static byte[] crlfs(int n) {
        byte[] b = new byte[2 * n];
        for (int i = 0; i < n; i++) {
            b[2 * i] = '\r';
            b[2 * i + 1] = '\n';
        }
        return Arrays.copyOf(b, b.length);
    }
}
