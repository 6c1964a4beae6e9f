package io.reactivesmtp.dkim;

import io.netty.buffer.ByteBuf;

import java.io.ByteArrayOutputStream;
import java.util.EnumMap;
import java.util.Map;

/**
 * One pass over a message as the DATA encoder will send it: line endings normalised exactly like
 * {@link io.reactivesmtp.protocol.DotStuffer} does (CRLF stays, bare LF and bare CR become CRLF, across chunk
 * boundaries), the header block collected up to the first empty line (bounded), the body fed to one streaming
 * {@link BodyHasher} per body canonicalisation. Memory: the header block and a 64 KiB scratch buffer, whatever
 * the size of the body.
 *
 * <p>Not thread-safe: one pass, driven by one thread at a time.
 */
final class MessageHasher {

    private static final byte CR = '\r';
    private static final byte LF = '\n';

    private final int maxHeaderBytes;
    private final ByteArrayOutputStream header = new ByteArrayOutputStream(1024);
    private final Map<DkimCanonicalization, BodyHasher> bodies = new EnumMap<>(DkimCanonicalization.class);
    private byte[] scratch;
    private boolean pendingCr;
    private boolean inHeader = true;
    private boolean atLineStart = true;
    private long bytes;

    /**
     * @param maxHeaderBytes the bound of the header block (CRLF-normalised)
     * @param bodyCanonicalizations the body canonicalisations the signers need
     */
    MessageHasher(int maxHeaderBytes, Iterable<DkimCanonicalization> bodyCanonicalizations) {
        this.maxHeaderBytes = maxHeaderBytes;
        for (DkimCanonicalization c : bodyCanonicalizations) {
            bodies.computeIfAbsent(c, BodyHasher::new);
        }
    }

    /**
     * Hashes the readable bytes of a buffer without moving its reader index.
     *
     * @throws DkimSigningException if the header block outgrows its bound
     */
    void update(ByteBuf buf) {
        int len = buf.readableBytes();
        if (buf.hasArray()) {
            update(buf.array(), buf.arrayOffset() + buf.readerIndex(), len);
            return;
        }
        if (scratch == null) {
            scratch = new byte[64 * 1024];
        }
        int index = buf.readerIndex();
        while (len > 0) {
            int n = Math.min(len, scratch.length);
            buf.getBytes(index, scratch, 0, n);
            update(scratch, 0, n);
            index += n;
            len -= n;
        }
    }

    /**
     * Hashes the next bytes of the message.
     *
     * @throws DkimSigningException if the header block outgrows its bound
     */
    void update(byte[] a, int off, int len) {
        bytes += len;
        int i = off;
        int end = off + len;
        if (pendingCr && i < end) {
            pendingCr = false;
            if (a[i] == LF) {
                i++; // the second half of a CRLF split across chunks
            }
        }
        while (i < end) {
            int j = i;
            while (j < end && a[j] != CR && a[j] != LF) {
                j++;
            }
            if (j > i) {
                text(a, i, j - i);
            }
            if (j == end) {
                break;
            }
            newline();
            if (a[j] == CR) {
                if (j + 1 < end) {
                    if (a[j + 1] == LF) {
                        j++;
                    }
                } else {
                    pendingCr = true;
                }
            }
            i = j + 1;
        }
    }

    private void text(byte[] a, int off, int len) {
        if (inHeader) {
            appendHeader(a, off, len);
            atLineStart = false;
            return;
        }
        for (BodyHasher body : bodies.values()) {
            body.text(a, off, len);
        }
    }

    private void newline() {
        if (inHeader) {
            if (atLineStart) {
                inHeader = false; // the empty line that ends the header block; the body follows
            } else {
                appendHeader(new byte[] {CR, LF}, 0, 2);
                atLineStart = true;
            }
            return;
        }
        for (BodyHasher body : bodies.values()) {
            body.newline();
        }
    }

    private void appendHeader(byte[] a, int off, int len) {
        if (header.size() + len > maxHeaderBytes) {
            throw new DkimSigningException("the message's header block is larger than " + maxHeaderBytes
                    + " bytes: DKIM signing reads the whole header block before sending it and bounds it");
        }
        header.write(a, off, len);
    }

    /** Ends the message; afterwards {@link #headerBlock()} and {@link #bodyHash} answer. */
    void finish() {
        if (inHeader && !atLineStart) {
            // No body and no final line break: the DATA encoder ends the last line with CRLF.
            appendHeader(new byte[] {CR, LF}, 0, 2);
        }
        inHeader = false;
        for (Map.Entry<DkimCanonicalization, BodyHasher> e : bodies.entrySet()) {
            finished.put(e.getKey(), new Finished(e.getValue().finish(), e.getValue().length()));
        }
    }

    private final Map<DkimCanonicalization, Finished> finished = new EnumMap<>(DkimCanonicalization.class);

    private record Finished(byte[] hash, long length) {
    }

    /** @return the header block, CRLF-normalised, every field ending with CRLF, without the empty line */
    byte[] headerBlock() {
        return header.toByteArray();
    }

    /** @return the SHA-256 of the body in that canonicalisation (after {@link #finish()}) */
    byte[] bodyHash(DkimCanonicalization c) {
        return finished.get(c).hash().clone();
    }

    /** @return the length of the canonical body in that canonicalisation (after {@link #finish()}) */
    long bodyLength(DkimCanonicalization c) {
        return finished.get(c).length();
    }

    /** @return true once the empty line after the header block was seen (or the message ended) */
    boolean headerComplete() {
        return !inHeader;
    }

    /** @return the number of content bytes seen */
    long bytes() {
        return bytes;
    }
}
