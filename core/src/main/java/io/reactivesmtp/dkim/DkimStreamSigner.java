package io.reactivesmtp.dkim;

import io.netty.buffer.ByteBuf;
import java.security.interfaces.RSAKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * DKIM signatures for a message whose bytes arrive in pieces: {@link #update} it with the message as it streams
 * (line endings are normalised as the DATA encoder does; only the header block is kept in memory, up to
 * {@link DkimSigner#MAX_HEADER_BLOCK_BYTES}), then {@link #finish()} gives the {@code DKIM-Signature} fields to put
 * in front of it. One instance per message; not thread-safe (feed it from one thread at a time).
 *
 * <pre>{@code
 * DkimStreamSigner signing = DkimStreamSigner.of(List.of(rsaSigner, ed25519Signer));
 * for (ByteBuf chunk : chunks) {
 *     signing.update(chunk);
 * }
 * String headers = signing.finish();   // then send headers + the message
 * }</pre>
 *
 * {@code MessageContent.signedWith(signers)} does this for you while it sends.
 */
public final class DkimStreamSigner {

    private final List<DkimSigner> signers;
    private final MessageHasher hasher;

    private DkimStreamSigner(List<DkimSigner> signers) {
        this.signers = signers;
        List<DkimCanonicalization> bodies = new ArrayList<>();
        for (DkimSigner s : signers) {
            bodies.add(s.bodyCanonicalization());
        }
        this.hasher = new MessageHasher(DkimSigner.MAX_HEADER_BLOCK_BYTES, bodies);
    }

    /**
     * @param signers one or more signers, one {@code DKIM-Signature} each, in this order
     * @return a signer for one message
     */
    public static DkimStreamSigner of(List<DkimSigner> signers) {
        Objects.requireNonNull(signers, "signers");
        if (signers.isEmpty()) {
            throw new IllegalArgumentException("no DKIM signer given");
        }
        return new DkimStreamSigner(List.copyOf(signers));
    }

    /**
     * @param chunk the next bytes of the message; read, not released (its reader index is not moved)
     * @throws DkimSigningException if the header block exceeds {@link DkimSigner#MAX_HEADER_BLOCK_BYTES}
     */
    public void update(ByteBuf chunk) {
        hasher.update(chunk);
    }

    /**
     * @param bytes the next bytes of the message
     * @param from where they start
     * @param length how many
     * @throws DkimSigningException if the header block exceeds {@link DkimSigner#MAX_HEADER_BLOCK_BYTES}
     */
    public void update(byte[] bytes, int from, int length) {
        hasher.update(bytes, from, length);
    }

    /**
     * @return the {@code DKIM-Signature} header fields, folded, each ending with CRLF, in the order of the signers
     * @throws DkimSigningException if the message has no From header
     */
    public String finish() {
        hasher.finish();
        List<HeaderField> fields = HeaderField.parse(hasher.headerBlock());
        StringBuilder text = new StringBuilder();
        for (DkimSigner s : signers) {
            DkimCanonicalization c = s.bodyCanonicalization();
            text.append(s.signatureHeader(fields, hasher.bodyHash(c), hasher.bodyLength(c)));
        }
        return text.toString();
    }

    /**
     * An upper bound of the size the signature headers add, for the SIZE parameter.
     *
     * @param signers the signers
     * @return bytes
     */
    public static long headerSizeBound(List<DkimSigner> signers) {
        long total = 0;
        for (DkimSigner s : signers) {
            int sigBytes = s.key() instanceof RSAKey ? (((RSAKey) s.key()).getModulus().bitLength() + 7) / 8 : 64;
            total += 1024 + 2L * ((sigBytes + 2) / 3 * 4);
        }
        return total;
    }
}
